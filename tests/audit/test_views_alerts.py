"""The alert queue: order, status filter, acknowledge and close (happy and refused)."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role, User
from audit.models import Alert, AlertRule, AlertStatus, AuditEvent, Severity
from audit.services.alerts import Finding, alert_acknowledge, alert_close, alert_raise
from ccplatform.callers import Caller
from tests.personas import as_caller, login_verified, make_person

pytestmark = pytest.mark.django_db

QUEUE = reverse("audit:alerts")
MONITOR = Caller.system("monitoring")


@pytest.fixture
def officer(client: Client, compliance_officer: User) -> Client:
    return login_verified(client, compliance_officer)


@pytest.fixture
def colleague(db: None) -> Caller:
    """Another compliance officer, who handled some alerts before (people handle alerts)."""
    return as_caller(make_person("comply.cora", Role.COMPLIANCE_OFFICER))


def _alert(severity: Severity, subject: str, rule: AlertRule = AlertRule.BULK_ACCESS) -> Alert:
    now = timezone.now()
    alert, _created = alert_raise(
        Finding(
            rule=rule,
            severity=severity,
            subject=subject,
            summary=f"{severity} finding about {subject}",
            event_count=3,
            first_seen=now,
            last_seen=now,
            details={},
        ),
        caller=MONITOR,
    )
    return alert


def _shown(response: object) -> list[str]:
    html = response.content.decode()  # type: ignore[attr-defined]
    return re.findall(r'data-alert-id="([0-9a-f-]+)"', html)


def _ack(alert: Alert) -> str:
    return reverse("audit:alert_acknowledge", kwargs={"alert_id": alert.pk})


def _close(alert: Alert) -> str:
    return reverse("audit:alert_close", kwargs={"alert_id": alert.pk})


def test_queue_shows_active_alerts_most_severe_first(
    officer: Client, agent: User, colleague: Caller
) -> None:
    low = _alert(Severity.LOW, "ip:10.0.0.1")
    critical = _alert(Severity.CRITICAL, "chain:3", AlertRule.VERIFICATION_FAILED)
    high = _alert(Severity.HIGH, f"user:{agent.pk}")
    acknowledged = alert_acknowledge(_alert(Severity.MEDIUM, "ip:10.0.0.2"), caller=colleague)
    done = alert_close(
        _alert(Severity.CRITICAL, "ip:10.0.0.3"), caller=colleague, note="False alarm."
    )

    response = officer.get(QUEUE)
    assert response.status_code == 200
    assert _shown(response) == [str(a.pk) for a in (critical, high, acknowledged, low)]
    html = response.content.decode()
    actor_page = reverse("audit:actor", kwargs={"kind": "user", "actor_id": str(agent.pk)})
    assert f'<a href="{actor_page}">{agent.username}</a>' in html
    assert f'<a href="{reverse("audit:chains")}">chain:3</a>' in html

    assert _shown(officer.get(QUEUE, {"status": "closed"})) == [str(done.pk)]
    assert _shown(officer.get(QUEUE, {"status": "all"}))[-1] == str(done.pk)
    first_view = AuditEvent.objects.filter(action="alert.listed").order_by("id").first()
    assert first_view is not None
    assert first_view.details == {"via": "page", "filter": {"status": "active"}, "shown": 4}


def test_unknown_status_filter_gets_400(officer: Client) -> None:
    response = officer.get(QUEUE, {"status": "snoozed"})
    assert response.status_code == 400
    assert "Unknown status filter" in response.content.decode()


def test_acknowledge_then_close_with_a_note(officer: Client, compliance_officer: User) -> None:
    alert = _alert(Severity.HIGH, "ip:10.0.0.9")
    response = officer.post(_ack(alert), {"status": "active"})
    assert response.status_code == 302
    assert response["Location"] == f"{QUEUE}?status=active"
    alert.refresh_from_db()
    assert alert.status == AlertStatus.ACKNOWLEDGED
    assert alert.acknowledged_by == f"user:{compliance_officer.pk}"
    page = officer.get(response["Location"]).content.decode()
    assert "Alert acknowledged" in page
    assert compliance_officer.username in page  # "Acknowledged by", as a name

    response = officer.post(_close(alert), {"note": "Checked with the team lead; expected."})
    assert response.status_code == 302
    alert.refresh_from_db()
    assert alert.status == AlertStatus.CLOSED
    assert alert.close_note == "Checked with the team lead; expected."
    events = AuditEvent.objects.filter(target_id=str(alert.pk)).order_by("id")
    assert [event.action for event in events] == [
        "alert.raised",
        "alert.acknowledged",
        "alert.closed",
    ]
    assert events.last().details == {"note_length": 37}  # type: ignore[union-attr]
    assert (events.last().actor_kind, events.last().actor_id) == (  # type: ignore[union-attr]
        "user",
        str(compliance_officer.pk),
    )


def test_closing_without_a_note_is_refused_with_400(officer: Client) -> None:
    alert = _alert(Severity.HIGH, "ip:10.0.0.9")
    response = officer.post(_close(alert), {"note": "   "})
    assert response.status_code == 400
    assert "Say in a note what was found" in response.content.decode()
    alert.refresh_from_db()
    assert alert.status == AlertStatus.OPEN


def test_acknowledging_twice_is_refused_with_400(officer: Client, colleague: Caller) -> None:
    alert = alert_acknowledge(_alert(Severity.LOW, "ip:10.0.0.9"), caller=colleague)
    response = officer.post(_ack(alert))
    assert response.status_code == 400
    assert "Only an open alert can be acknowledged" in response.content.decode()


def test_closing_a_closed_alert_is_refused_and_the_typed_note_kept(
    officer: Client, colleague: Caller
) -> None:
    alert = alert_close(_alert(Severity.LOW, "ip:10.0.0.9"), caller=colleague, note="Done.")
    response = officer.post(_close(alert), {"note": "Second thoughts"})
    assert response.status_code == 400
    assert "already closed" in response.content.decode()


def test_missing_alerts_are_not_found(officer: Client) -> None:
    alert = _alert(Severity.LOW, "ip:10.0.0.9")
    missing = reverse(
        "audit:alert_close", kwargs={"alert_id": "00000000-0000-4000-8000-000000000000"}
    )
    assert officer.post(missing, {"note": "x"}).status_code == 404
    assert officer.get(_ack(alert)).status_code == 405  # POST only


def test_posts_need_the_csrf_token(compliance_officer: User) -> None:
    client = login_verified(Client(enforce_csrf_checks=True), compliance_officer)
    alert = _alert(Severity.LOW, "ip:10.0.0.9")
    assert client.post(_ack(alert)).status_code == 403
    alert.refresh_from_db()
    assert alert.status == AlertStatus.OPEN


def test_security_admins_cannot_act_on_alerts(client: Client, security_admin: User) -> None:
    alert = _alert(Severity.LOW, "ip:10.0.0.9")
    response = login_verified(client, security_admin).post(_close(alert), {"note": "x"})
    assert response.status_code == 403
    alert.refresh_from_db()
    assert alert.status == AlertStatus.OPEN
    refusal = AuditEvent.objects.get(action="access.denied", actor_id=str(security_admin.pk))
    assert (refusal.target_type, refusal.target_id) == ("page", f"POST {_close(alert)}"[:64])
    assert refusal.details == {
        "rule": "audit.handle_alerts",
        "via": "page",
        "resource": f"POST {_close(alert)}",
        "why": "missing_permission:audit.change_alert",
    }
