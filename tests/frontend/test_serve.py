"""`manage.py serve` stops the web server and the worker on SIGTERM, as on Ctrl-C: a real
process tree (gunicorn with its workers, a Celery worker with its pool), a real signal."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def alive(pid: int) -> bool:
    """Running (a zombie waiting for its parent to read its status has stopped running)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
    return state != "Z"


def descendants(pid: int) -> set[int]:
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
        parents[int(stat.parent.name)] = int(fields[1])
    found, todo = set(), [pid]
    while todo:
        parent = todo.pop()
        children = {p for p, pp in parents.items() if pp == parent}
        todo += children - found
        found |= children
    return found


def wait_until(check, timeout: float) -> bool:  # type: ignore[no-untyped-def]
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if check():
            return True
        time.sleep(0.3)
    return check()


def answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads the process tree in /proc")
def test_sigterm_stops_the_web_server_and_the_worker(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CELERY_BROKER_URL")}
    # Its own embedded database and filesystem broker: this worker must take no one's tasks.
    env.update(DJANGO_SETTINGS_MODULE="config.settings.base", NERVEMARK_VAR_DIR=str(tmp_path))
    log = (tmp_path / "serve.log").open("wb")
    serve = subprocess.Popen(
        [sys.executable, "manage.py", "serve", "--addr", f"127.0.0.1:{port}", "--concurrency", "1"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    tree: set[int] = set()
    try:
        started = wait_until(
            lambda: answers(port) and b" ready." in (tmp_path / "serve.log").read_bytes(), 120
        )
        assert started, (tmp_path / "serve.log").read_text()[-3000:]
        tree = descendants(serve.pid)
        assert len(tree) >= 4, tree  # gunicorn and 2 workers, celery and its pool process
        serve.send_signal(signal.SIGTERM)
        assert serve.wait(timeout=45) == 0
        assert wait_until(lambda: not [p for p in tree if alive(p)], 20), [
            Path(f"/proc/{p}/cmdline").read_bytes().replace(b"\0", b" ")[:120]
            for p in tree
            if alive(p)
        ]
        assert not answers(port)
        assert b"Stopped." in (tmp_path / "serve.log").read_bytes()
    finally:
        for pid in [serve.pid, *tree]:  # only what this test started
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
        serve.wait(timeout=10)
        log.close()
