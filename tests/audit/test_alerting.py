"""Alerts: raised once per rule and subject while active, acknowledged, closed with a note;
each change audited, wrong moves refused with a clear message."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from audit.alerting import CLOSE_NOTE_MAX, Finding, acknowledge, close, raise_alert
from audit.models import Alert, AlertRule, AlertStatus, AuditEvent, Severity
from ccplatform.context import Actor
from ccplatform.errors import ServiceError

pytestmark = pytest.mark.django_db

MONITOR = Actor.system("audit monitoring")
OFFICER = Actor.user("42")
SEEN = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)
CARD = "4111 1111 1111 1111"


def _finding(
    subject: str = "user:7", *, events: int = 5, last: datetime = SEEN, **details: object
) -> Finding:
    return Finding(
        rule=AlertRule.BULK_ACCESS,
        severity=Severity.HIGH,
        subject=subject,
        summary=f"{subject} opened {events} customer records.",
        event_count=events,
        first_seen=SEEN - timedelta(minutes=5),
        last_seen=last,
        details={"customers": events, **details},
    )


def _events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action))


@pytest.fixture
def alert() -> Alert:
    raised, _ = raise_alert(_finding(), actor=MONITOR)
    return raised


def test_raising_stores_the_finding_and_audits_it(alert: Alert) -> None:
    stored = Alert.objects.get()
    assert (stored.rule, stored.severity, stored.status, stored.subject) == (
        "bulk_access",
        "high",
        "open",
        "user:7",
    )
    assert (stored.event_count, stored.first_seen, stored.last_seen) == (
        5,
        SEEN - timedelta(minutes=5),
        SEEN,
    )
    assert stored.details == {"customers": 5}
    (event,) = _events("alert.raised")
    assert (event.actor_kind, event.actor_id, event.outcome) == (
        "system",
        "audit monitoring",
        "allowed",
    )
    assert (event.target_type, event.target_id) == ("audit.alert", str(alert.pk))


def test_raising_again_refreshes_the_active_alert_without_a_second_event(alert: Alert) -> None:
    later = SEEN + timedelta(minutes=3)
    refreshed, created = raise_alert(_finding(events=9, last=later, page=2), actor=MONITOR)
    assert (refreshed.pk, created) == (alert.pk, False)
    stored = Alert.objects.get()
    assert (stored.event_count, stored.last_seen, stored.first_seen) == (
        9,
        later,
        SEEN - timedelta(minutes=5),
    )
    assert stored.details == {"customers": 9, "page": 2}
    assert len(_events("alert.raised")) == 1


def test_a_smaller_or_older_finding_never_shrinks_the_alert(alert: Alert) -> None:
    raise_alert(_finding(events=2, last=SEEN - timedelta(minutes=1)), actor=MONITOR)
    stored = Alert.objects.get()
    assert (stored.event_count, stored.last_seen) == (5, SEEN)


def test_another_subject_or_rule_gets_its_own_alert(alert: Alert) -> None:
    _, created = raise_alert(_finding("user:8"), actor=MONITOR)
    assert created
    other_rule = Finding(**{**vars(_finding()), "rule": AlertRule.BREAK_GLASS})
    _, created = raise_alert(other_rule, actor=MONITOR)
    assert created
    assert Alert.objects.count() == 3


def test_an_acknowledged_alert_is_still_refreshed(alert: Alert) -> None:
    acknowledge(alert, actor=OFFICER)
    refreshed, created = raise_alert(_finding(events=7), actor=MONITOR)
    assert (refreshed.pk, created, refreshed.status) == (alert.pk, False, "acknowledged")


def test_after_closing_the_next_finding_raises_a_new_alert(alert: Alert) -> None:
    close(alert, actor=OFFICER, note="Expected: migration checks.")
    again, created = raise_alert(_finding(), actor=MONITOR)
    assert created
    assert again.pk != alert.pk
    assert len(_events("alert.raised")) == 2


def test_acknowledging_records_who_and_when_and_is_audited(alert: Alert) -> None:
    acknowledged = acknowledge(alert, actor=OFFICER)
    stored = Alert.objects.get()
    assert (stored.status, stored.acknowledged_by) == (AlertStatus.ACKNOWLEDGED, "user:42")
    assert stored.acknowledged_at is not None
    assert acknowledged.status == AlertStatus.ACKNOWLEDGED
    (event,) = _events("alert.acknowledged")
    assert (event.actor_kind, event.actor_id, event.target_id) == ("user", "42", str(alert.pk))


@pytest.mark.parametrize("first", ["acknowledge", "close"])
def test_only_an_open_alert_can_be_acknowledged(alert: Alert, first: str) -> None:
    if first == "acknowledge":
        acknowledge(alert, actor=OFFICER)
    else:
        close(alert, actor=OFFICER, note="Nothing to see.")
    with pytest.raises(ServiceError, match="Only an open alert can be acknowledged"):
        acknowledge(alert, actor=OFFICER)
    assert len(_events("alert.acknowledged")) == (1 if first == "acknowledge" else 0)


@pytest.mark.parametrize("acknowledged_first", [False, True])
def test_closing_keeps_the_note_and_audits_only_its_length(
    alert: Alert, acknowledged_first: bool
) -> None:
    if acknowledged_first:
        acknowledge(alert, actor=OFFICER)
    note = "  Spoke to Jane Example: approved export for the audit.  "
    close(alert, actor=OFFICER, note=note)
    stored = Alert.objects.get()
    assert (stored.status, stored.closed_by, stored.close_note) == (
        AlertStatus.CLOSED,
        "user:42",
        note.strip(),
    )
    assert stored.closed_at is not None
    (event,) = _events("alert.closed")
    assert (event.actor_id, event.target_id) == ("42", str(alert.pk))
    assert event.details == {"note_length": len(note.strip())}
    assert "Jane" not in event.canonical


@pytest.mark.parametrize("note", ["", "   \n", "x" * (CLOSE_NOTE_MAX + 1)])
def test_closing_needs_a_note_of_sensible_length(alert: Alert, note: str) -> None:
    with pytest.raises(ServiceError, match="note"):
        close(alert, actor=OFFICER, note=note)
    assert Alert.objects.get().status == AlertStatus.OPEN
    assert _events("alert.closed") == []


def test_a_closed_alert_cannot_be_closed_again(alert: Alert) -> None:
    close(alert, actor=OFFICER, note="Checked.")
    with pytest.raises(ServiceError, match="already closed"):
        close(alert, actor=OFFICER, note="Checked twice.")
    assert Alert.objects.get().close_note == "Checked."
    assert len(_events("alert.closed")) == 1


def test_a_card_number_in_the_close_note_is_masked_before_it_is_saved(alert: Alert) -> None:
    close(alert, actor=OFFICER, note=f"Agent pasted {CARD} into a note; removed.")
    stored = Alert.objects.get()
    assert "4111 1111" not in stored.close_note
    assert "1111" in stored.close_note  # the last four stay, as everywhere else


def test_a_nul_character_in_the_close_note_is_dropped_not_a_database_error(alert: Alert) -> None:
    close(alert, actor=OFFICER, note="Checked\x00 with the team.")
    assert Alert.objects.get().close_note == "Checked with the team."
