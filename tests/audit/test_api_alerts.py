"""Alerts over the API: anyone allowed may list them; only people may acknowledge or close."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import User
from audit.models import Alert, AlertRule, AlertStatus, AuditEvent, Severity
from audit.services.alerts import Finding, alert_raise
from ccplatform.callers import Caller
from tests.customers.api_support import as_key, error_of, signed_in
from tests.personas import Integrator, make_integrator

pytestmark = pytest.mark.django_db

ALERTS = "/api/v1/audit/alerts/"
MONITOR = Caller.system("monitoring-test")


@pytest.fixture
def officer(client: Client, compliance_officer: User) -> Client:
    return signed_in(client, compliance_officer)


@pytest.fixture
def auditor_key(db: None) -> Integrator:
    return make_integrator("siem.alerts", scopes=("audit:read",))


def _alert(
    subject: str = "user:7",
    rule: AlertRule = AlertRule.BULK_ACCESS,
    severity: Severity = Severity.HIGH,
) -> Alert:
    now = timezone.now()
    alert, _created = alert_raise(
        Finding(
            rule=rule,
            severity=severity,
            subject=subject,
            summary=f"{rule.label} by {subject}",
            event_count=60,
            first_seen=now - dt.timedelta(minutes=5),
            last_seen=now,
            details={"customers": 60},
        ),
        caller=MONITOR,
    )
    return alert


def _ids(response: Any) -> list[str]:
    assert response.status_code == 200, response.content[:300]
    return [row["id"] for row in response.json()["results"]]


# --- Listing --------------------------------------------------------------------------------------


def test_alerts_are_listed_newest_first_and_the_read_is_audited(officer: Client) -> None:
    older, newer = _alert("user:1"), _alert("user:2")

    response = officer.get(ALERTS)

    assert _ids(response) == [str(newer.pk), str(older.pk)]
    first = response.json()["results"][0]
    assert (first["rule"], first["severity"], first["status"], first["subject"]) == (
        "bulk_access",
        "high",
        "open",
        "user:2",
    )
    listed = AuditEvent.objects.get(action="alert.listed")
    assert listed.details == {"via": "api", "filter": {}, "shown": 2}


def test_filters_narrow_the_alerts(officer: Client) -> None:
    bulk = _alert("user:1")
    broken = _alert("chain:3", AlertRule.VERIFICATION_FAILED, Severity.CRITICAL)
    signins = _alert("ip:203.0.113.9", AlertRule.SIGNIN_FAILURES, Severity.MEDIUM)
    Alert.objects.filter(pk=signins.pk).update(status=AlertStatus.CLOSED)

    assert _ids(officer.get(ALERTS, {"severity": "critical"})) == [str(broken.pk)]
    assert _ids(officer.get(ALERTS, {"rule": "bulk_access"})) == [str(bulk.pk)]
    assert _ids(officer.get(ALERTS, {"status": "closed"})) == [str(signins.pk)]
    assert _ids(officer.get(ALERTS, {"status": "open", "rule": "signin_failures"})) == []


@pytest.mark.parametrize("name", ["status", "rule", "severity", "colour"])
def test_a_malformed_alert_filter_is_a_400_naming_it(officer: Client, name: str) -> None:
    response = officer.get(ALERTS, {name: "bogus"})

    assert response.status_code == 400
    assert list(error_of(response)["fields"]) == [name]


def test_key_with_audit_read_lists_alerts(auditor_key: Integrator) -> None:
    alert = _alert()

    assert _ids(Client().get(ALERTS, headers=as_key(auditor_key))) == [str(alert.pk)]


@pytest.mark.parametrize("persona", ["agent", "supervisor", "security_admin"])
def test_people_without_the_alert_permission_cannot_list_alerts(
    client: Client, persona: str, request: pytest.FixtureRequest
) -> None:
    person: User = request.getfixturevalue(persona)

    response = signed_in(client, person).get(ALERTS)

    assert response.status_code == 403
    refusal = AuditEvent.objects.get(action="access.denied")
    assert (refusal.actor_id, refusal.outcome) == (str(person.pk), "denied")
    assert (refusal.target_type, refusal.target_id) == ("api", f"GET {ALERTS}")
    assert refusal.details == {
        "rule": "audit.read_alerts",
        "via": "api",
        "resource": f"GET {ALERTS}",
        "why": "missing_permission:audit.view_alert",
    }


def test_key_without_audit_read_cannot_list_alerts(integrator: Integrator) -> None:
    response = Client().get(ALERTS, headers=as_key(integrator))

    assert response.status_code == 403
    assert error_of(response)["code"] == "forbidden"
    refusal = AuditEvent.objects.get(action="access.denied")
    assert refusal.actor_kind == "api_key"
    assert (refusal.details["rule"], refusal.details["why"]) == (
        "audit.read_alerts",
        "missing_scope:audit:read",
    )


# --- Acting on an alert ---------------------------------------------------------------------------


def test_compliance_officer_acknowledges_then_closes_an_alert(
    officer: Client, compliance_officer: User
) -> None:
    alert = _alert()
    note = "Bulk export agreed with the DPO"

    acknowledged = officer.post(f"{ALERTS}{alert.pk}/acknowledge/")
    closed = officer.post(f"{ALERTS}{alert.pk}/close/", {"note": note}, "application/json")

    assert acknowledged.status_code == 200
    assert acknowledged.json()["status"] == "acknowledged"
    assert acknowledged.json()["acknowledged_by"] == f"user:{compliance_officer.pk}"
    assert closed.status_code == 200
    assert (closed.json()["status"], closed.json()["close_note"]) == ("closed", note)
    actions = AuditEvent.objects.filter(target_id=str(alert.pk)).order_by("id")
    assert [event.action for event in actions] == [
        "alert.raised",
        "alert.acknowledged",
        "alert.closed",
    ]
    assert actions.last().details == {"note_length": len(note)}  # type: ignore[union-attr]


def test_acknowledging_twice_breaks_the_rule_and_is_a_400(officer: Client) -> None:
    alert = _alert()
    officer.post(f"{ALERTS}{alert.pk}/acknowledge/")

    response = officer.post(f"{ALERTS}{alert.pk}/acknowledge/")

    assert response.status_code == 400
    assert error_of(response)["code"] == "rule_violated"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "note"),
        ({"note": "   "}, "note"),
        ({"note": "x" * 2001}, "note"),
        ({"note": "ok", "status": "open"}, "status"),
    ],
)
def test_closing_needs_a_note_and_nothing_else(
    officer: Client, body: dict[str, str], field: str
) -> None:
    alert = _alert()

    response = officer.post(f"{ALERTS}{alert.pk}/close/", body, "application/json")

    assert response.status_code == 400
    assert list(error_of(response)["fields"]) == [field]
    alert.refresh_from_db()
    assert alert.status == "open"


@pytest.mark.parametrize("action", ["acknowledge", "close"])
def test_a_missing_alert_is_a_404(officer: Client, action: str) -> None:
    response = officer.post(f"{ALERTS}{uuid.uuid4()}/{action}/", {"note": "x"}, "application/json")

    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


@pytest.mark.parametrize("action", ["acknowledge", "close"])
def test_api_keys_cannot_act_on_alerts_even_with_audit_read(
    auditor_key: Integrator, action: str
) -> None:
    alert = _alert()

    response = Client().post(
        f"{ALERTS}{alert.pk}/{action}/",
        {"note": "x"},
        "application/json",
        headers=as_key(auditor_key),
    )

    assert response.status_code == 403
    alert.refresh_from_db()
    assert alert.status == "open"
    refusal = AuditEvent.objects.get(action="access.denied")
    assert refusal.actor_kind == "api_key"
    assert refusal.details == {
        "rule": "audit.handle_alerts",
        "via": "api",
        "resource": f"POST {ALERTS}{alert.pk}/{action}/",
        "why": "keys_not_allowed",
    }


@pytest.mark.parametrize("persona", ["agent", "supervisor", "security_admin"])
def test_people_without_change_alert_cannot_act_on_alerts(
    client: Client, persona: str, request: pytest.FixtureRequest
) -> None:
    person: User = request.getfixturevalue(persona)
    alert = _alert()

    response = signed_in(client, person).post(f"{ALERTS}{alert.pk}/acknowledge/")

    assert response.status_code == 403
    alert.refresh_from_db()
    assert alert.status == "open"
    refusal = AuditEvent.objects.get(action="access.denied")
    assert refusal.actor_id == str(person.pk)
    assert refusal.details == {
        "rule": "audit.handle_alerts",
        "via": "api",
        "resource": f"POST {ALERTS}{alert.pk}/acknowledge/",
        "why": "missing_permission:audit.change_alert",
    }


@pytest.mark.parametrize(
    ("method", "suffix"),
    [
        ("get", "{id}/acknowledge/"),
        ("get", "{id}/close/"),
        ("put", "{id}/close/"),
        ("patch", "{id}/acknowledge/"),
        ("delete", "{id}/close/"),
        ("post", ""),
        ("delete", ""),
    ],
)
def test_only_the_two_actions_exist_on_alerts(officer: Client, method: str, suffix: str) -> None:
    alert = _alert()

    response = getattr(officer, method)(f"{ALERTS}{suffix.format(id=alert.pk)}")

    assert response.status_code == 405
    alert.refresh_from_db()
    assert alert.status == "open"


@pytest.mark.parametrize("method", ["get", "put", "patch", "delete"])
def test_an_alert_has_no_address_of_its_own(officer: Client, method: str) -> None:
    alert = _alert()

    assert getattr(officer, method)(f"{ALERTS}{alert.pk}/").status_code == 404
