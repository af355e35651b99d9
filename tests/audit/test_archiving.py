"""Retention of the log itself: sealed ranges are exported, dropped whole, and still verify."""

from __future__ import annotations

import json
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from pytest_django import Settings

from accounts.models import User
from audit.archiving import ArchiveError, check_file
from audit.models import Alert, AuditArchive, AuditEvent
from audit.services.archives import archive_drop, archive_seal
from audit.services.verification import audit_verify
from audit.verification import verify_chains
from ccplatform.callers import Caller, Via
from ccplatform.errors import AccessDeniedError
from tests.audit.tampering import on_one_chain, raw, record_events
from tests.personas import as_caller

pytestmark = pytest.mark.django_db(transaction=True)
ACTOR = Caller.system("archive test", via=Via.COMMAND)


@pytest.fixture(autouse=True)
def _no_hot_period(settings: Settings) -> None:
    settings.AUDIT_HOT_DAYS = 0


def _sealed(tmp_path: Path) -> tuple[AuditArchive, Path, list[AuditEvent]]:
    old = record_events(4, actor="old-1") + record_events(3, actor="old-2")
    cut = timezone.now()
    record_events(2, actor="old-1")  # newer than the cut: stays in the table
    archive = archive_seal(caller=ACTOR, before=cut, directory=tmp_path)
    return archive, tmp_path / archive.file_name, old


def test_a_sealed_range_is_written_whole_and_checks(tmp_path: Path) -> None:
    archive, path, old = _sealed(tmp_path)
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    # The chains' own events, plus any verification event that landed before the cut.
    assert {line["id"] for line in lines} >= {event.pk for event in old}
    assert all(line["canonical"] and line["hash"] for line in lines)
    assert archive.event_count == len(lines)
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    check_file(archive, path)
    sealed = AuditEvent.objects.get(action="audit.archive_sealed")
    assert (sealed.actor_kind, sealed.actor_id, sealed.target_id) == (
        "system",
        "archive test",
        str(archive.pk),
    )
    assert sealed.details == {
        "events": archive.event_count,
        "chains": len(archive.chains),
        "before": archive.before.isoformat(),
    }
    # Sealing verified every chain first, through the one verification service.
    verified = AuditEvent.objects.get(action="audit.verified")
    assert (verified.outcome, verified.details["trigger"]) == ("allowed", "archive")


def test_dropping_removes_exactly_the_range_and_the_chains_still_verify(tmp_path: Path) -> None:
    archive, path, old = _sealed(tmp_path)
    remaining = AuditEvent.objects.count() - archive.event_count
    assert archive_drop(archive, caller=ACTOR, path=path) == archive.event_count
    assert not AuditEvent.objects.filter(pk__in=[event.pk for event in old]).exists()
    assert AuditEvent.objects.count() == remaining + 1  # + the audit.archive_dropped event
    dropped = AuditEvent.objects.get(action="audit.archive_dropped")
    assert dropped.details == {"events": archive.event_count, "file_sha256": archive.file_sha256}
    for full in (True, False):
        run = audit_verify(caller=ACTOR, full=full, trigger="test").run
        assert run.ok, run.breaks
    record_events(2, actor="old-1")
    assert not verify_chains(full=True).breaks
    # The table is append-only again afterwards.
    with pytest.raises(Exception, match="append-only"):
        AuditEvent.objects.all().delete()


def test_a_changed_file_or_a_moved_boundary_is_refused(tmp_path: Path) -> None:
    archive, path, _old = _sealed(tmp_path)
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("platform.tested", "platform.altered", 1), encoding="utf-8")
    with pytest.raises(ArchiveError, match=r"breaks chain|sha256"):
        archive_drop(archive, caller=ACTOR, path=path)
    assert AuditArchive.objects.get().dropped_at is None
    path.write_text(text, encoding="utf-8")
    chain, (first, last, last_hash) = next(iter(archive.chains.items()))
    archive.chains[chain] = [first, last + 1, last_hash]
    with pytest.raises(ArchiveError, match="seal is invalid"):
        check_file(archive, path)


def test_a_forged_seal_of_a_dropped_archive_breaks_verification(tmp_path: Path) -> None:
    archive, path, _old = _sealed(tmp_path)
    archive_drop(archive, caller=ACTOR, path=path)
    raw("UPDATE audit_auditarchive SET seal = %s WHERE id = %s", ["0" * 64, archive.pk])
    verification = audit_verify(caller=ACTOR, full=True, trigger="test", make_checkpoints=False)
    assert not verification.ok
    assert any("seal" in str(item["problem"]) for item in verification.run.breaks)
    assert verification.alerts
    assert {alert.rule for alert in verification.alerts} == {"verification_failed"}


def test_hot_events_cannot_be_archived(settings: Settings, tmp_path: Path) -> None:
    settings.AUDIT_HOT_DAYS = 90
    record_events(1)
    with pytest.raises(ArchiveError, match="older than AUDIT_HOT_DAYS"):
        archive_seal(caller=ACTOR, before=timezone.now() - timedelta(days=10), directory=tmp_path)
    assert not AuditArchive.objects.exists()


def test_a_broken_chain_is_not_sealed_and_raises_its_alert(tmp_path: Path) -> None:
    events = on_one_chain(record_events(3, actor="old-1"))
    raw("UPDATE audit_auditevent SET reason = %s WHERE id = %s", ["edited", events[1].pk])
    with pytest.raises(ArchiveError, match="does not verify"):
        archive_seal(caller=ACTOR, before=timezone.now(), directory=tmp_path)
    assert not AuditArchive.objects.exists()
    assert list(tmp_path.iterdir()) == []
    alert = Alert.objects.get()
    assert (alert.rule, alert.severity, alert.subject) == (
        "verification_failed",
        "critical",
        f"chain:{events[1].chain}",
    )
    verified = AuditEvent.objects.get(action="audit.verified")
    assert (verified.outcome, verified.details["trigger"]) == ("failed", "archive")


def test_people_can_neither_seal_nor_drop(tmp_path: Path, compliance_officer: User) -> None:
    archive, path, _old = _sealed(tmp_path)
    person = as_caller(compliance_officer)
    with pytest.raises(AccessDeniedError):
        archive_seal(caller=person, before=timezone.now(), directory=tmp_path)
    with pytest.raises(AccessDeniedError):
        archive_drop(archive, caller=person, path=path)
    assert AuditArchive.objects.get().dropped_at is None
    refusals = AuditEvent.objects.filter(action="access.denied").order_by("id")
    assert [event.details for event in refusals] == [
        {
            "rule": "audit.archive",
            "via": "page",
            "resource": "audit.log:chains",
            "why": "people_not_allowed",
        },
        {
            "rule": "audit.archive",
            "via": "page",
            "resource": f"audit.auditarchive:{archive.pk}",
            "why": "people_not_allowed",
        },
    ]
    assert {event.actor_id for event in refusals} == {str(compliance_officer.pk)}


def test_the_command_seals_checks_drops_and_lists(tmp_path: Path) -> None:
    record_events(3)
    before = timezone.now().isoformat()
    out = StringIO()
    call_command("audit_archive", "seal", "--before", before, "--output", str(tmp_path), stdout=out)
    archive = AuditArchive.objects.get()
    assert f"archive {archive.pk}:" in out.getvalue()
    path = str(tmp_path / archive.file_name)
    call_command("audit_archive", "check", str(archive.pk), "--file", path, stdout=out)
    call_command("audit_archive", "drop", str(archive.pk), "--file", path, stdout=out)
    call_command("audit_archive", "list", stdout=out)
    assert "dropped" in out.getvalue()
    done = AuditEvent.objects.filter(action__startswith="audit.archive_").order_by("id")
    assert [(event.action, event.actor_id) for event in done] == [
        ("audit.archive_sealed", "audit_archive command"),
        ("audit.archive_dropped", "audit_archive command"),
    ]
    with pytest.raises(CommandError, match="dropped already"):
        call_command("audit_archive", "drop", str(archive.pk), "--file", path)
    with pytest.raises(CommandError, match="is not a date"):
        call_command("audit_archive", "seal", "--before", "soon", "--output", str(tmp_path))
    with pytest.raises(CommandError, match="no archive 999"):
        call_command("audit_archive", "check", "999", "--file", path)
