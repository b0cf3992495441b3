"""Run the web server and a Celery worker (queues cpu and gpu) together; Ctrl-C or SIGTERM
(`kill`, systemd, docker stop) stops both."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand, CommandParser


class Stop(Exception):
    """SIGTERM or SIGHUP arrived: leave the wait loop and stop the children."""


def _stop(signum: int, frame: FrameType | None) -> None:
    raise Stop(signal.Signals(signum).name)


class Command(BaseCommand):
    help = "Start the web server and a Celery worker consuming both queues. Ctrl-C stops both."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--addr", default=os.environ.get("NERVEMARK_ADDR", "127.0.0.1:8000"))
        parser.add_argument("--concurrency", type=int, default=2)

    def handle(self, *args: Any, addr: str, concurrency: int, **options: Any) -> None:
        python = sys.executable
        worker = [
            python,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "-Q",
            "cpu,gpu",
            "-c",
            str(concurrency),
            "--loglevel",
            "INFO",
            "-n",
            "local@%h",
        ]
        # gunicorn, not runserver: runserver's split header/body writes cost ~45 ms a request
        # against the client's delayed ACK (measured in bench/bench_annotation_api.py).
        web = [
            python,
            "-m",
            "gunicorn",
            "config.wsgi:application",
            "--bind",
            addr,
            "--workers",
            "2",
            "--threads",
            "4",
            "--timeout",
            "300",
            "--access-logfile",
            "-",
        ]
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": os.environ.get(
                "DJANGO_SETTINGS_MODULE", "config.settings.base"
            ),
        }
        # Training on this CPU worker: the cores shared by its concurrent tasks (two threads on
        # a busy 2-core machine train several times slower than one).
        threads = max(1, (os.cpu_count() or 1) // concurrency)
        worker_env = {"NERVEMARK_TORCH_THREADS": str(threads), **env}
        # Only the terminal's Ctrl-C reaches the children too; SIGTERM and SIGHUP are sent to
        # this process alone, which would die at once by default and leave both running.
        for signum in (signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, _stop)
        procs: list[subprocess.Popen[bytes]] = []
        try:
            procs.append(subprocess.Popen(worker, env=worker_env))  # noqa: S603
            procs.append(subprocess.Popen(web, env=env))  # noqa: S603
            self.stdout.write(self.style.SUCCESS(f"\nNerveMark is running at http://{addr}/"))
            self.stdout.write("Press Ctrl-C to stop the web server and the worker.\n")
            while all(p.poll() is None for p in procs):
                time.sleep(0.5)
        except (KeyboardInterrupt, Stop):
            pass
        finally:
            for signum in (signal.SIGTERM, signal.SIGHUP):  # a second signal waits its turn
                signal.signal(signum, signal.SIG_IGN)
            for p in procs:
                if p.poll() is None:
                    p.send_signal(signal.SIGTERM)
            for p in procs:
                try:
                    p.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    p.kill()
        self.stdout.write("Stopped.")
