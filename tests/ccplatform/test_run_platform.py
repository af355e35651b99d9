"""`make run`'s last step: web, worker and beat start together and Ctrl-C stops all three."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings

from tests.processes import child_database_url, free_port


def _children_of(pid: int) -> list[int]:
    children = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(part) for part in children.read_text().split()] if children.exists() else []


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_run_platform_serves_and_stops_cleanly_on_ctrl_c() -> None:
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": child_database_url(),
    }
    process = subprocess.Popen(
        [sys.executable, "manage.py", "run_platform", "--addr", f"127.0.0.1:{port}"],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        body = None
        while time.monotonic() < deadline and process.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                    body = json.loads(r.read())
                    break
            except OSError:
                time.sleep(0.2)  # polling for the server to come up, bounded by the deadline
        assert body == {"status": "ok"}
        children = _children_of(process.pid)
        assert len(children) == 3, "web, worker and beat run as three child processes"

        os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C in the terminal sends
        output, _ = process.communicate(timeout=40)
        assert process.returncode == 0, output.decode(errors="replace")
        assert b"All processes stopped." in output
        for child in children:
            assert not Path(f"/proc/{child}").exists(), f"child {child} survived Ctrl-C"
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
