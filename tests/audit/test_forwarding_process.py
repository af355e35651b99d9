"""`manage.py audit_forward --follow` as a real process: killed mid-feed, restarted, stopped."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from django.conf import settings

from audit.models import AuditEvent
from tests.audit.test_forwarding_syslog import logged_before, record
from tests.processes import child_database_url

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

DEADLINE_SECONDS = 60.0
POLL_SECONDS = 0.05


def start_feed(path: Path, *args: str) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": child_database_url("ccplatform-forward-test"),
        "AUDIT_FORWARD_SECONDS": "1",
    }
    env.pop("DATABASE_URL_FILE", None)
    return subprocess.Popen(
        [sys.executable, "manage.py", "audit_forward", f"--target=file://{path}", *args],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def wait_until(condition: Callable[[], bool], process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + DEADLINE_SECONDS
    while not condition():
        assert process.poll() is None, process.communicate()[0]
        assert time.monotonic() < deadline, "the feed did not get there in time"
        time.sleep(POLL_SECONDS)  # waiting on another process; there is nothing to join


def line_count(path: Path) -> int:
    return path.read_bytes().count(b"\n") if path.exists() else 0


def test_a_killed_feed_restarts_without_losing_or_repeating_events(tmp_path: Path) -> None:
    path = tmp_path / "feed.jsonl"
    events = logged_before() + record(600, actors=6)
    feed = start_feed(path, "--follow", "--batch=5")
    wait_until(lambda: line_count(path) >= 50, feed)
    feed.kill()  # SIGKILL, wherever it was: maybe between an append and its position
    feed.wait()
    assert line_count(path) < len(events), "the kill came too late to test anything"

    rest = start_feed(path, "--once", "--batch=50")
    output, _ = rest.communicate(timeout=DEADLINE_SECONDS)
    assert rest.returncode == 0, output
    written = [json.loads(line) for line in path.read_text().splitlines()]
    assert sorted(line["id"] for line in written) == sorted(event.pk for event in events)
    for chain in {event.chain for event in events}:
        seqs = [line["seq"] for line in written if line["chain"] == chain]
        assert seqs == sorted(seqs)


def test_sigterm_stops_the_follow_loop_cleanly(tmp_path: Path) -> None:
    path = tmp_path / "feed.jsonl"
    earlier = len(logged_before())  # the migration's role sync, sent like any event
    feed = start_feed(path, "--follow")
    record(3)
    wait_until(lambda: line_count(path) == earlier + 3, feed)
    record(2, start=3)
    wait_until(lambda: line_count(path) == earlier + 5, feed)
    feed.send_signal(signal.SIGTERM)
    output, _ = feed.communicate(timeout=DEADLINE_SECONDS)
    assert feed.returncode == 0, output
    assert "Stopped; the next run continues from the saved position." in output
    assert line_count(path) == AuditEvent.objects.count() == earlier + 5
