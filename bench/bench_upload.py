"""Chunked upload throughput on loopback, and the server's peak memory meanwhile.

    .venv/bin/python bench/bench_upload.py [--size-mb 2048] [--chunk-mb 8] [--parallel 3]

Starts gunicorn on the embedded default (SQLite, a throw-away var dir), uploads a file of the
given size through /api/v1/uploads/ exactly as the browser does (SHA-256 per chunk, PUTs in
parallel, then complete), and prints a table. The reference row is a plain local copy of the
same bytes (cp), measured in the same run: the disk's own speed.
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PORT = 8765


def manage(env: dict, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{done.stderr[-2000:]}")
    return done.stdout


def setup_server(var: Path) -> tuple[dict, str, int]:
    env = {
        **os.environ,
        "NERVEMARK_VAR_DIR": str(var),
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
    }
    env.pop("DATABASE_URL", None)
    env.pop("CELERY_BROKER_URL", None)
    manage(env, "migrate", "-v0")
    code = (
        "from django.contrib.auth.models import User;"
        "from datasets.models import Project, Membership;"
        "from datasets.services.patients import patient_create;"
        "u = User.objects.create_user('bench');"
        "p = Project.objects.create(slug='bench', name='bench');"
        "Membership.objects.create(user=u, project=p, role='data_manager');"
        "print(patient_create(project=p).pk)"
    )
    patient = int(manage(env, "shell", "-c", code).strip().splitlines()[-1])
    token = manage(env, "create_api_token", "bench").strip()
    return env, token, patient


def vm_hwm_mb(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        total += int(next(x for x in status.splitlines() if x.startswith("VmHWM")).split()[1])
    return total / 1024


def request(
    method: str, path: str, token: str, body: bytes | str | None = None, headers: dict | None = None
) -> dict:
    conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=600)
    hdrs = {"Authorization": f"Token {token}", **(headers or {})}
    if isinstance(body, str):
        hdrs["Content-Type"] = "application/json"
    conn.request(method, path, body=body, headers=hdrs)
    response = conn.getresponse()
    data = response.read()
    conn.close()
    if response.status >= 300:
        raise RuntimeError(f"{method} {path}: {response.status} {data[:300]!r}")
    return json.loads(data or b"{}")


def upload(path: Path, token: str, patient: int, chunk: int, parallel: int) -> float:
    size = path.stat().st_size
    session = request(
        "POST",
        "/api/v1/uploads/",
        token,
        json.dumps({"patient": patient, "size_bytes": size, "chunk_size": chunk}),
    )
    start = time.perf_counter()

    def put(i: int) -> None:
        with path.open("rb") as fh:
            fh.seek(i * chunk)
            data = fh.read(chunk)
        request(
            "PUT",
            f"/api/v1/uploads/{session['id']}/chunks/{i}/",
            token,
            data,
            {
                "Content-Type": "application/octet-stream",
                "X-Chunk-SHA256": hashlib.sha256(data).hexdigest(),
            },
        )

    with ThreadPoolExecutor(parallel) as pool:
        list(pool.map(put, range(session["chunk_count"])))
    request("POST", f"/api/v1/uploads/{session['id']}/complete/", token)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size-mb", type=int, default=2048)
    parser.add_argument("--chunk-mb", type=int, default=8)
    parser.add_argument("--parallel", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=ROOT / "var") as tmp:
        var = Path(tmp)
        env, token, patient = setup_server(var)
        src = var / "payload.bin"
        block = os.urandom(16 * 1024 * 1024)
        with src.open("wb") as fh:
            for _ in range(args.size_mb // 16):
                fh.write(block)
        start = time.perf_counter()
        shutil.copyfile(src, var / "copy.bin")
        copy_s = time.perf_counter() - start
        (var / "copy.bin").unlink()
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "config.wsgi:application",
                "--bind",
                f"127.0.0.1:{PORT}",
                "--workers",
                "2",
                "--threads",
                "4",
                "--timeout",
                "600",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            time.sleep(3)
            pids = [
                server.pid,
                *[
                    int(p)
                    for p in subprocess.run(
                        ["pgrep", "-P", str(server.pid)], capture_output=True, text=True
                    ).stdout.split()
                ],
            ]
            peak = [0.0]
            stop = threading.Event()

            def watch() -> None:
                while not stop.is_set():
                    peak[0] = max(peak[0], vm_hwm_mb(pids))
                    time.sleep(0.2)

            watcher = threading.Thread(target=watch)
            watcher.start()
            seconds = upload(src, token, patient, args.chunk_mb * 1024 * 1024, args.parallel)
            stop.set()
            watcher.join()
        finally:
            server.terminate()
            server.wait()
    mb = args.size_mb
    print(f"\n{mb} MB, {args.chunk_mb} MB chunks, {args.parallel} in parallel, 2 cores\n")
    print("| path | seconds | MB/s | server peak RSS MB (all gunicorn processes) |")
    print("|---|---:|---:|---:|")
    print(f"| local copy (cp, reference) | {copy_s:.1f} | {mb / copy_s:.0f} | - |")
    print(
        f"| chunked upload incl. verify + join | {seconds:.1f} | {mb / seconds:.0f} | "
        f"{peak[0]:.0f} |"
    )


if __name__ == "__main__":
    main()
