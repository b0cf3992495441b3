"""Start a real Celery worker process against the test database, for queue tests."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def test_database_url() -> str:
    """The URL of the database pytest-django created, so the worker writes where we read."""
    s = connection.settings_dict
    user = s.get("USER") or "postgres"
    password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
    host, port = s.get("HOST") or "127.0.0.1", s.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{s['NAME']}"


@contextlib.contextmanager
def celery_worker(
    *, broker_url: str, queues: str = "cpu", log: Path, extra_env: dict[str, str] | None = None
) -> Iterator[subprocess.Popen]:
    env = {
        **os.environ,
        **(extra_env or {}),
        "DATABASE_URL": test_database_url(),
        "CELERY_BROKER_URL": broker_url,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
    }
    cmd = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "config",
        "worker",
        "-Q",
        queues,
        "--pool",
        "solo",
        "--purge",
        "--without-heartbeat",
        "--without-gossip",
        "--without-mingle",
        "-n",
        f"test-{os.getpid()}@%h",
        "--loglevel",
        "INFO",
    ]
    with log.open("w") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        # --purge drops what earlier tests left queued, so enqueue only once it is consuming.
        ready = wait_for(
            lambda: " ready." in log.read_text() or proc.poll() is not None, timeout=90
        )
        if not ready or proc.poll() is not None:
            raise RuntimeError(f"celery worker did not start:\n{log.read_text()}")
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def wait_for(predicate: Callable[[], bool], *, timeout: float, interval: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()
