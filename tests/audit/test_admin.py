"""The audit admin shows events, checkpoints and runs read-only; alerts change only through
the acknowledge and close actions, which call the audited services."""

from __future__ import annotations

import pytest
from django.contrib.admin import helpers
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from audit.models import Alert, AlertRule, AlertStatus, AuditEvent, Checkpoint, Severity
from audit.services import audit_record
from audit.services.alerts import Finding, alert_close, alert_raise
from audit.services.verification import audit_verify
from ccplatform.callers import Caller
from ccplatform.context import Actor
from tests.actions import TESTED
from tests.personas import as_caller, login_verified

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client: Client, compliance_officer: User) -> Client:
    return login_verified(client, compliance_officer)


@pytest.fixture
def event() -> AuditEvent:
    return audit_record(actor=Actor.system("test"), action=TESTED)


def test_changelist_and_detail_are_readable(admin_client: Client, event: AuditEvent) -> None:
    listing = admin_client.get(reverse("admin:audit_auditevent_changelist"))
    assert listing.status_code == 200
    assert "platform.tested" in listing.content.decode()
    detail = admin_client.get(reverse("admin:audit_auditevent_change", args=[event.pk]))
    assert detail.status_code == 200
    assert b'name="_save"' not in detail.content


def test_add_change_and_delete_are_forbidden(admin_client: Client, event: AuditEvent) -> None:
    assert admin_client.get(reverse("admin:audit_auditevent_add")).status_code == 403
    change_url = reverse("admin:audit_auditevent_change", args=[event.pk])
    response = admin_client.post(change_url, {"action": "platform.rewritten", "outcome": "denied"})
    assert response.status_code == 403
    delete_url = reverse("admin:audit_auditevent_delete", args=[event.pk])
    assert admin_client.post(delete_url, {"post": "yes"}).status_code == 403
    event.refresh_from_db()
    assert event.action == "platform.tested"


def test_staff_without_a_verified_factor_is_sent_to_sign_in(
    client: Client, compliance_officer: User, event: AuditEvent
) -> None:
    client.force_login(compliance_officer)  # password only: no verified second factor
    response = client.get(reverse("admin:audit_auditevent_changelist"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_agents_cannot_open_the_audit_admin(client: Client, agent: User, event: AuditEvent) -> None:
    signed_in = login_verified(client, agent)
    response = signed_in.get(reverse("admin:audit_auditevent_changelist"), follow=True)
    assert response.status_code == 403  # signed in but not staff: refused, not asked to sign in
    assert "platform.tested" not in response.content.decode()
    refusal = AuditEvent.objects.get(action="access.denied", actor_id=str(agent.pk))
    assert refusal.outcome == "denied"
    assert (refusal.details["rule"], refusal.details["via"], refusal.details["why"]) == (
        "accounts.use_admin",
        "admin",
        "not_staff",
    )


# --- Chain columns, checkpoints, verification runs, alerts -------------------------------


def test_event_list_shows_the_chain_position_read_only(
    admin_client: Client, event: AuditEvent
) -> None:
    listing = admin_client.get(reverse("admin:audit_auditevent_changelist")).content.decode()
    assert "column-chain" in listing
    assert "column-seq" in listing
    detail = admin_client.get(reverse("admin:audit_auditevent_change", args=[event.pk]))
    assert event.hash in detail.content.decode()
    assert b'name="hash"' not in detail.content


def test_checkpoints_and_runs_are_read_only(admin_client: Client, event: AuditEvent) -> None:
    run = audit_verify(caller=Caller.system("test"), full=True, trigger="test").run
    checkpoint = Checkpoint.objects.first()
    assert checkpoint is not None
    for model, obj in (("checkpoint", checkpoint), ("verificationrun", run)):
        assert admin_client.get(reverse(f"admin:audit_{model}_changelist")).status_code == 200
        detail = admin_client.get(reverse(f"admin:audit_{model}_change", args=[obj.pk]))
        assert detail.status_code == 200
        assert b'name="_save"' not in detail.content
        assert admin_client.get(reverse(f"admin:audit_{model}_add")).status_code == 403
        delete = reverse(f"admin:audit_{model}_delete", args=[obj.pk])
        assert admin_client.post(delete, {"post": "yes"}).status_code == 403


def _open_alert(subject: str = "ip:10.1.2.3") -> Alert:
    now = timezone.now()
    alert, _created = alert_raise(
        Finding(
            rule=AlertRule.SIGNIN_FAILURES,
            severity=Severity.MEDIUM,
            subject=subject,
            summary="Repeated failures",
            event_count=12,
            first_seen=now,
            last_seen=now,
            details={},
        ),
        caller=Caller.system("test"),
    )
    return alert


ALERTS = "admin:audit_alert_changelist"


def test_alerts_are_viewable_but_not_editable(admin_client: Client) -> None:
    alert = _open_alert()
    assert admin_client.get(reverse(ALERTS)).status_code == 200
    change = reverse("admin:audit_alert_change", args=[alert.pk])
    detail = admin_client.get(change)
    assert detail.status_code == 200
    assert b'name="_save"' not in detail.content
    assert admin_client.post(change, {"status": "closed"}).status_code == 403
    assert admin_client.get(reverse("admin:audit_alert_add")).status_code == 403
    alert.refresh_from_db()
    assert alert.status == AlertStatus.OPEN


def test_admin_acknowledge_action_goes_through_the_service(
    admin_client: Client, compliance_officer: User
) -> None:
    alerts = [_open_alert("ip:10.0.0.1"), _open_alert("ip:10.0.0.2")]
    response = admin_client.post(
        reverse(ALERTS),
        {"action": "acknowledge_alerts", helpers.ACTION_CHECKBOX_NAME: [a.pk for a in alerts]},
        follow=True,
    )
    assert "2 alert(s) acknowledged." in response.content.decode()
    acknowledged = AuditEvent.objects.filter(action="alert.acknowledged")
    assert acknowledged.count() == 2
    assert {event.actor_id for event in acknowledged} == {str(compliance_officer.pk)}


def test_admin_close_action_asks_for_a_note_first(admin_client: Client) -> None:
    alert = _open_alert()
    chosen = {"action": "close_alerts", helpers.ACTION_CHECKBOX_NAME: [alert.pk]}
    asking = admin_client.post(reverse(ALERTS), chosen)
    assert asking.status_code == 200
    assert 'name="note"' in asking.content.decode()
    alert.refresh_from_db()
    assert alert.status == AlertStatus.OPEN

    empty = admin_client.post(reverse(ALERTS), {**chosen, "confirm": "yes", "note": ""})
    assert "This field is required." in empty.content.decode()
    alert.refresh_from_db()
    assert alert.status == AlertStatus.OPEN

    done = admin_client.post(
        reverse(ALERTS), {**chosen, "confirm": "yes", "note": "Known test traffic."}, follow=True
    )
    assert "1 alert(s) closed." in done.content.decode()
    alert.refresh_from_db()
    assert (alert.status, alert.close_note) == (AlertStatus.CLOSED, "Known test traffic.")
    assert AuditEvent.objects.filter(action="alert.closed", target_id=str(alert.pk)).exists()


def test_admin_reports_alerts_the_service_refused(
    admin_client: Client, compliance_officer: User
) -> None:
    alert = _open_alert()
    alert_close(alert, caller=as_caller(compliance_officer), note="Done.")
    response = admin_client.post(
        reverse(ALERTS),
        {
            "action": "close_alerts",
            helpers.ACTION_CHECKBOX_NAME: [alert.pk],
            "confirm": "yes",
            "note": "Again",
        },
        follow=True,
    )
    page = response.content.decode()
    assert "already closed" in page
    assert "0 alert(s) closed." in page


def test_security_admins_see_no_alert_actions(client: Client, security_admin: User) -> None:
    alert = _open_alert()
    admin = login_verified(client, security_admin)
    response = admin.post(
        reverse(ALERTS), {"action": "acknowledge_alerts", helpers.ACTION_CHECKBOX_NAME: [alert.pk]}
    )
    assert response.status_code == 403  # no audit.view_alert: the list itself is closed to them
    alert.refresh_from_db()
    assert alert.status == AlertStatus.OPEN
