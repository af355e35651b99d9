"""The scheduled verification tasks: in the beat schedule, verifying and signing."""

from __future__ import annotations

import pytest

from audit.models import Alert, AuditEvent, Checkpoint, VerificationRun
from audit.tasks import verify_all, verify_recent
from ccplatform.celery import app
from tests.audit.tampering import on_one_chain, raw, record_events


def test_verification_is_in_the_beat_schedule() -> None:
    app.finalize()
    tasks = {entry["task"] for entry in app.conf.beat_schedule.values()}
    scheduled = {
        "audit.tasks.verify_recent",
        "audit.tasks.verify_all",
        "audit.tasks.run_monitoring",
    }
    assert scheduled <= tasks
    # The SIEM feed is scheduled only where AUDIT_FORWARD_TARGET is set (not in the tests).
    assert "audit.tasks.forward_events" not in tasks
    assert {*scheduled, "audit.tasks.forward_events"} <= set(app.tasks)


@pytest.mark.django_db(transaction=True)
def test_the_tasks_verify_sign_and_alert() -> None:
    links = on_one_chain(record_events(3))
    logged = AuditEvent.objects.count()  # the three, and the migration's role sync
    result = verify_recent.delay().get(timeout=30)
    assert result["ok"] is True
    assert result["events_checked"] == logged == 3 + 1
    assert Checkpoint.objects.filter(chain=links[0].chain, seq=3).exists()
    raw("DELETE FROM audit_auditevent WHERE id = %s", [links[1].pk])
    result = verify_all.delay().get(timeout=30)
    assert result["ok"] is False
    breaks = result["breaks"]
    assert isinstance(breaks, list)
    assert breaks[0]["seq"] == 2
    assert VerificationRun.objects.filter(trigger="schedule").count() == 2
    assert Alert.objects.filter(rule="verification_failed").count() == 1
    failed = AuditEvent.objects.get(action="audit.verified", outcome="failed")
    assert (failed.actor_kind, failed.details["kind"], failed.details["trigger"]) == (
        "system",
        "full",
        "schedule",
    )
    assert failed.details["broken_chains"] == [links[1].chain]
