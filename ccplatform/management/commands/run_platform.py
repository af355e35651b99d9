"""Run web, Celery worker and Celery beat together; Ctrl-C stops all three."""

from __future__ import annotations

import os
import signal
import subprocess  # nosec B404
import sys
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

STOP_TIMEOUT_SECONDS = 15


class Command(BaseCommand):
    help = "Run the web server, a Celery worker and Celery beat in one terminal."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--addr", default="127.0.0.1:8000", help="web address (host:port)")

    def handle(self, *args: Any, **options: Any) -> None:
        python = sys.executable
        commands = {
            "web": [python, "manage.py", "runserver", "--noreload", options["addr"]],
            "worker": [
                python,
                "-m",
                "celery",
                "-A",
                "ccplatform",
                "worker",
                "--pool",
                "solo",
                "--loglevel",
                "INFO",
            ],
            "beat": [
                python,
                "-m",
                "celery",
                "-A",
                "ccplatform",
                "beat",
                "--loglevel",
                "INFO",
                "--schedule",
                settings.CELERY_BEAT_SCHEDULE_FILENAME,
            ],
        }
        (settings.VAR_DIR).mkdir(exist_ok=True)
        children: dict[str, subprocess.Popen[bytes]] = {}
        stopping = False

        def stop(signum: int, _frame: Any) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        try:
            for name, command in commands.items():
                # A fixed argv, never a shell. Own process group: the terminal's Ctrl-C
                # reaches only us, and we stop the children in order (web first, so no new
                # work arrives).
                children[name] = subprocess.Popen(  # noqa: S603  # nosec B603
                    command, cwd=settings.BASE_DIR, start_new_session=True
                )
            self.stdout.write(
                self.style.SUCCESS(
                    f"ccplatform is running on http://{options['addr']}/ (web, worker, beat). "
                    "Press Ctrl-C to stop."
                )
            )
            while not stopping:
                exited = [name for name, child in children.items() if child.poll() is not None]
                if exited:
                    self.stderr.write(
                        f"{', '.join(exited)} stopped unexpectedly; stopping the rest."
                    )
                    break
                time.sleep(0.5)
        finally:
            self._stop_all(children)
        if not stopping:
            raise SystemExit(1)

    def _stop_all(self, children: dict[str, subprocess.Popen[bytes]]) -> None:
        for child in children.values():
            if child.poll() is None:
                os.killpg(child.pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
        for name, child in children.items():
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.stderr.write(f"{name} did not stop in {STOP_TIMEOUT_SECONDS}s; killing it.")
                os.killpg(child.pid, signal.SIGKILL)
                child.wait()
        self.stdout.write("All processes stopped.")
