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

from audit.archiving import ArchiveError, check_file, drop, seal
from audit.models import AuditArchive, AuditEvent
from audit.verification import verify_chains
from ccplatform.context import Actor
from tests.audit.tampering import raw, record_events

pytestmark = pytest.mark.django_db(transaction=True)
ACTOR = Actor.system("archive test")


@pytest.fixture(autouse=True)
def _no_hot_period(settings: Settings) -> None:
    settings.AUDIT_HOT_DAYS = 0


def _sealed(tmp_path: Path) -> tuple[AuditArchive, Path, list[AuditEvent]]:
    old = record_events(4, actor="old-1") + record_events(3, actor="old-2")
    cut = timezone.now()
    record_events(2, actor="old-1")  # newer than the cut: stays in the table
    archive = seal(before=cut, directory=tmp_path, actor=ACTOR)
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
    assert AuditEvent.objects.filter(action="audit.archive_sealed").count() == 1


def test_dropping_removes_exactly_the_range_and_the_chains_still_verify(tmp_path: Path) -> None:
    archive, path, old = _sealed(tmp_path)
    remaining = AuditEvent.objects.count() - archive.event_count
    assert drop(archive, path=path, actor=ACTOR) == archive.event_count
    assert not AuditEvent.objects.filter(pk__in=[event.pk for event in old]).exists()
    assert AuditEvent.objects.count() == remaining + 1  # + the audit.archive_dropped event
    for full in (True, False):
        run = verify_chains(full=full, make_checkpoints=True)
        assert run.ok, run.breaks
    record_events(2, actor="old-1")
    assert verify_chains(full=True).ok
    # The table is append-only again afterwards.
    with pytest.raises(Exception, match="append-only"):
        AuditEvent.objects.all().delete()


def test_a_changed_file_or_a_moved_boundary_is_refused(tmp_path: Path) -> None:
    archive, path, _old = _sealed(tmp_path)
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("platform.tested", "platform.altered", 1), encoding="utf-8")
    with pytest.raises(ArchiveError, match=r"breaks chain|sha256"):
        drop(archive, path=path, actor=ACTOR)
    assert AuditArchive.objects.get().dropped_at is None
    path.write_text(text, encoding="utf-8")
    chain, (first, last, last_hash) = next(iter(archive.chains.items()))
    archive.chains[chain] = [first, last + 1, last_hash]
    with pytest.raises(ArchiveError, match="seal is invalid"):
        check_file(archive, path)


def test_a_forged_seal_of_a_dropped_archive_breaks_verification(tmp_path: Path) -> None:
    archive, path, _old = _sealed(tmp_path)
    drop(archive, path=path, actor=ACTOR)
    raw("UPDATE audit_auditarchive SET seal = %s WHERE id = %s", ["0" * 64, archive.pk])
    run = verify_chains(full=True, make_checkpoints=False)
    assert not run.ok
    assert any("seal" in str(item["problem"]) for item in run.breaks)


def test_hot_events_cannot_be_archived(settings: Settings, tmp_path: Path) -> None:
    settings.AUDIT_HOT_DAYS = 90
    record_events(1)
    with pytest.raises(ArchiveError, match="older than AUDIT_HOT_DAYS"):
        seal(before=timezone.now() - timedelta(days=10), directory=tmp_path, actor=ACTOR)
    assert not AuditArchive.objects.exists()


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
    with pytest.raises(CommandError, match="dropped already"):
        call_command("audit_archive", "drop", str(archive.pk), "--file", path)
    with pytest.raises(CommandError, match="is not a date"):
        call_command("audit_archive", "seal", "--before", "soon", "--output", str(tmp_path))
    with pytest.raises(CommandError, match="no archive 999"):
        call_command("audit_archive", "check", "999", "--file", path)
