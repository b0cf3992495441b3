"""Save and reload a 2,000-vertex polygon over HTTP on the embedded default (SQLite WAL,
`manage.py runserver --noreload` as `make run` starts it), with token auth and If-Match.

    .venv/bin/python bench/bench_annotation_api.py [--saves 200] [--clients 8] [--seconds 15]

Prints one table: one client's save/reload latency, then N concurrent clients (each on its own
frame) saves/s and latency percentiles. Uses a throw-away var dir; touches nothing in var/.
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def polygon(n: int, cx: float, cy: float, r: float, wobble: float) -> list[list[float]]:
    return [
        [
            round(
                cx + r * math.cos(2 * math.pi * i / n) + wobble * math.sin(16 * math.pi * i / n), 2
            ),
            round(cy + r * math.sin(2 * math.pi * i / n), 2),
        ]
        for i in range(n)
    ]


def fresh_django(var_dir: Path) -> None:
    """Django on a fresh, migrated SQLite database under `var_dir` (the embedded default)."""
    os.environ["NERVEMARK_VAR_DIR"] = str(var_dir)
    os.environ.pop("DATABASE_URL", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.base"
    sys.path.insert(0, str(ROOT))
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def setup_database(var_dir: Path, frames: int) -> tuple[str, list[int]]:
    """Migrate a fresh SQLite database and create a user, token, project, video and frames."""
    fresh_django(var_dir)
    from django.contrib.auth import get_user_model
    from rest_framework.authtoken.models import Token

    from datasets.models import Frame, Membership, Patient, Project, Video

    user = get_user_model().objects.create_user("bench")  # token auth only: no password
    project = Project.objects.create(slug="bench", name="Bench")
    Membership.objects.create(user=user, project=project, role="annotator")
    patient = Patient.objects.create(project=project, code="P-BENCH01")
    video = Video.objects.create(project=project, patient=patient, sha256="0" * 64, status="ready")
    ids = [
        Frame.objects.create(
            video=video,
            index=i,
            timestamp_ms=i * 40.0,
            image=f"frames/{video.pk}/{i:07d}.jpg",
            width=1920,
            height=1080,
            sharpness=100.0,
            phash="0" * 16,
        ).pk
        for i in range(frames)
    ]
    return Token.objects.create(user=user).key, ids


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


SERVERS = {
    # What `make run` starts (manage.py serve -> runserver --noreload).
    "runserver": ["manage.py", "runserver", "{addr}", "--noreload"],
    # gunicorn (already a dependency) sets TCP_NODELAY; runserver's wsgiref does not, so each
    # response's body waits for the client's delayed ACK of its headers (~40 ms on Linux).
    "gunicorn": [
        "-m",
        "gunicorn",
        "config.wsgi",
        "-b",
        "{addr}",
        "-w",
        "2",
        "-k",
        "gthread",
        "--threads",
        "4",
        "--log-level",
        "warning",
    ],
}


def start_server(var_dir: Path, port: int, server: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "NERVEMARK_VAR_DIR": str(var_dir),
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
    }
    env.pop("DATABASE_URL", None)
    proc = subprocess.Popen(
        [sys.executable, *(a.format(addr=f"127.0.0.1:{port}") for a in SERVERS[server])],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError(f"{server} did not start")


class Client:
    """One keep-alive HTTP connection, like one browser tab."""

    def __init__(self, port: int, token: str) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.headers = {"Authorization": f"Token {token}", "Content-Type": "application/json"}

    def save(self, frame: int, version: int, body: str) -> tuple[float, int]:
        headers = {**self.headers, "If-Match": f'"{version}"'}
        t0 = time.perf_counter()
        self.conn.request("PUT", f"/api/v1/frames/{frame}/annotation/", body, headers)
        res = self.conn.getresponse()
        data = res.read()
        ms = (time.perf_counter() - t0) * 1000
        if res.status != 200:
            raise RuntimeError(f"save: HTTP {res.status} {data[:200]!r}")
        return ms, int(res.getheader("ETag").strip('"'))

    def load(self, frame: int) -> tuple[float, int]:
        t0 = time.perf_counter()
        self.conn.request("GET", f"/api/v1/frames/{frame}/annotation/", headers=self.headers)
        res = self.conn.getresponse()
        data = json.loads(res.read())
        ms = (time.perf_counter() - t0) * 1000
        assert len(data["shapes"][0]["polygons"][0][0]) == 2000
        return ms, data["version"]


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))]


def single_client(port: int, token: str, frame: int, saves: int) -> dict[str, list[float]]:
    client = Client(port, token)
    version, out = 0, {"save": [], "reload": []}
    for i in range(saves + 5):
        ms, version = client.save(frame, version, shape(i))
        rl, _ = client.load(frame)
        if i >= 5:  # warm-up
            out["save"].append(ms)
            out["reload"].append(rl)
    return out


_BODIES: dict[int, str] = {}


def shape(i: int) -> str:
    """The request body of save `i` (7 variants, encoded once: clients should not eat the CPU)."""
    k = i % 7
    if k not in _BODIES:
        ring = polygon(2000, 960, 540, 380, 5 + k)
        _BODIES[k] = json.dumps({"shapes": [{"label": "facial_nerve", "polygons": [[ring]]}]})
    return _BODIES[k]


def concurrent(port: int, token: str, frames: list[int], seconds: float) -> tuple[list, int, float]:
    latencies: list[float] = []
    lock = threading.Lock()
    stop = time.monotonic() + seconds
    errors: list[str] = []

    def run(frame: int) -> None:
        client = Client(port, token)
        version, i = 0, 0
        try:
            version = client.save(frame, 0, shape(0))[1]
            while time.monotonic() < stop:
                i += 1
                ms, version = client.save(frame, version, shape(i))
                with lock:
                    latencies.append(ms)
        except Exception as exc:  # report, do not hide
            errors.append(repr(exc))

    threads = [threading.Thread(target=run, args=(f,)) for f in frames]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise RuntimeError(errors[0])
    return latencies, len(latencies), time.monotonic() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--saves", type=int, default=200)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--server", nargs="+", choices=sorted(SERVERS), default=sorted(SERVERS))
    args = parser.parse_args()
    results = []
    per_server = args.clients + 1
    with tempfile.TemporaryDirectory(prefix="nervemark-bench-") as tmp:
        var_dir = Path(tmp)
        token, frames = setup_database(var_dir, per_server * len(args.server))
        for i, server in enumerate(args.server):
            mine = frames[i * per_server : (i + 1) * per_server]
            results.append((server, run_one(args, server, var_dir, token, mine)))
    print("\nannotation API, 2,000-vertex polygon, embedded default database (SQLite WAL)")
    print(f"{'server':10s} {'workload':32s} {'n':>6s} {'p50':>8s} {'p95':>8s} {'mean':>8s}")
    for server, (rows, rate) in results:
        for name, xs in rows:
            print(
                f"{server:10s} {name:32s} {len(xs):6d} {pct(xs, 0.5):8.1f} {pct(xs, 0.95):8.1f} "
                f"{statistics.fmean(xs):8.1f}"
            )
        print(f"{server:10s} {args.clients} clients: {rate:.1f} saves/s")


def run_one(
    args: argparse.Namespace, server_name: str, var_dir: Path, token: str, frames: list[int]
) -> tuple[list, float]:
    port = free_port()
    server = start_server(var_dir, port, server_name)
    try:
        one = single_client(port, token, frames[0], args.saves)
        lat, count, wall = concurrent(port, token, frames[1:], args.seconds)
    finally:
        server.terminate()
        server.wait(timeout=10)
    rows = [
        ("1 client: save (PUT) ms", one["save"]),
        ("1 client: reload (GET) ms", one["reload"]),
        (f"{args.clients} clients: save ms", lat),
    ]
    return rows, count / wall


if __name__ == "__main__":
    main()
