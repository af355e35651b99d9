"""manage.py audit_forward (--once, --follow) and the Celery task of the SIEM feed."""

from __future__ import annotations

import io
import json
import re
import socket
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from pytest_django import Settings

from audit.forwarding.tasks import forward_events
from audit.models import ForwardingCursor
from tests.audit.test_forwarding_syslog import logged_before, record

pytestmark = pytest.mark.django_db


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("audit_forward", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_once_forwards_what_is_pending_and_says_how_much(tmp_path: Path) -> None:
    pending = len(logged_before() + record(5))  # with the migration's role sync
    path = tmp_path / "feed.jsonl"
    out, _err = run(f"--target=file://{path}", "--once", "--batch=2")
    assert re.search(rf"^Forwarded {pending} events in \d+ batch\(es\) to file:///", out), out
    assert len(path.read_text().splitlines()) == pending
    out, _err = run(f"--target=file://{path}")
    assert "Forwarded 0 events" in out


def test_the_target_defaults_to_the_setting(tmp_path: Path, settings: Settings) -> None:
    pending = len(logged_before() + record(2))
    settings.AUDIT_FORWARD_TARGET = f"file://{tmp_path / 'feed.jsonl'}"
    run()
    assert len((tmp_path / "feed.jsonl").read_text().splitlines()) == pending


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        ((), "^--target: give a target URL"),
        (("--target=ftp://x",), "^--target: The target 'ftp://x' is not one of"),
        (("--target=file:///tmp/x.jsonl", "--batch=0"), "^--batch must be between"),
    ],
)
def test_bad_options_are_readable_errors(args: tuple[str, ...], problem: str) -> None:
    with pytest.raises(CommandError, match=problem):
        run(*args)


def test_once_with_an_unreachable_target_fails_and_keeps_the_position() -> None:
    record(2)
    url = f"syslog+tcp://127.0.0.1:{closed_port()}"
    with pytest.raises(CommandError, match="Cannot connect to") as failure:
        run(f"--target={url}", "--once")
    assert failure.value.returncode == 1
    assert not ForwardingCursor.objects.exists()


def test_follow_runs_pass_after_pass_until_ctrl_c(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, settings: Settings
) -> None:
    settings.AUDIT_FORWARD_SECONDS = 7
    path = tmp_path / "feed.jsonl"
    waits: list[float] = []

    def fake_sleep(seconds: float) -> None:
        waits.append(seconds)
        if len(waits) == 1:
            record(3)  # arrives between passes
            return
        raise KeyboardInterrupt

    monkeypatch.setattr("audit.management.commands.audit_forward.sleep", fake_sleep)
    first = len(logged_before() + record(2))
    out, _err = run(f"--target=file://{path}", "--follow")
    assert waits == [7, 7]
    assert f"Forwarded {first} events" in out
    assert "Forwarded 3 events" in out
    assert out.rstrip().endswith("Stopped; the next run continues from the saved position.")
    assert len(path.read_text().splitlines()) == first + 3


def test_follow_retries_an_unreachable_target_with_growing_delays(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    waits: list[float] = []

    def fake_sleep(seconds: float) -> None:
        waits.append(seconds)
        if len(waits) == 4:
            raise KeyboardInterrupt

    monkeypatch.setattr("audit.management.commands.audit_forward.sleep", fake_sleep)
    record(1)
    _out, err = run(f"--target=syslog+tcp://127.0.0.1:{closed_port()}", "--follow")
    assert waits == [1, 2, 4, 8]
    assert err.count("Cannot connect to") == 4
    assert "Traceback" not in err
    assert not ForwardingCursor.objects.exists()


def test_the_task_does_nothing_without_a_target(settings: Settings) -> None:
    settings.AUDIT_FORWARD_TARGET = ""
    record(1)
    assert forward_events.delay().get() == {"target": None, "delivered": 0}


def test_the_task_runs_one_pass_to_the_configured_target(
    tmp_path: Path, settings: Settings
) -> None:
    path = tmp_path / "feed.jsonl"
    settings.AUDIT_FORWARD_TARGET = f"file://{path}"
    earlier = logged_before()
    events = earlier + record(3)
    chains = {event.chain for event in events}
    result = forward_events.delay().get()
    assert result == {"target": f"file://{path}", "delivered": len(events), "batches": len(chains)}
    actions = [json.loads(line)["action"] for line in path.read_text().splitlines()]
    assert sorted(actions) == sorted(event.action for event in events)
    assert [event.action for event in earlier] == ["role.permissions_synced"]
    assert forward_events.delay().get()["delivered"] == 0


def test_the_task_reports_an_unreachable_target_without_raising(
    settings: Settings,
) -> None:
    # Pending events there are (the migration's role sync): a connection is refused, over TCP
    # (a UDP datagram to a closed port goes out all the same: nobody can tell it was lost).
    assert logged_before()
    settings.AUDIT_FORWARD_TARGET = f"syslog+tcp://127.0.0.1:{closed_port()}"
    result = forward_events.delay().get()
    assert result["delivered"] == 0
    assert "Cannot connect to" in str(result["error"])
    assert not ForwardingCursor.objects.exists()
    settings.AUDIT_FORWARD_TARGET = "nonsense"
    assert "not one of" in str(forward_events.delay().get()["error"])


def test_a_malformed_forward_target_fails_the_system_checks(settings: Settings) -> None:
    from django.core.checks import run_checks

    settings.AUDIT_FORWARD_TARGET = "syslog+tcp://siem.example.net"  # no port
    errors = [message for message in run_checks() if message.id == "audit.E001"]
    assert len(errors) == 1
    assert "needs a host and a port" in errors[0].msg
    settings.AUDIT_FORWARD_TARGET = "file:///var/log/ccplatform/audit.jsonl"
    assert not [message for message in run_checks() if message.id == "audit.E001"]
