"""The compliance pages of the breach workflow, through the Django test client: report from
an alert, the incident page with its clocks, each form's refusal (400, the field named),
scoping (404 for another team), and the start page's notices."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from pytest_django import Settings

from accounts.models import Role, Team, User
from audit.models import AuditEvent
from incidents.models import EntryKind, Incident, ObligationStatus, Status
from tests.incidents.world import bulk_alert, customers_in, opened, touched_by
from tests.personas import login_verified, make_person

pytestmark = pytest.mark.django_db

UTC_INPUT = "%Y-%m-%dT%H:%M"


def _page(client: Client, incident: Incident) -> str:
    response = client.get(f"/compliance/incidents/{incident.pk}/")
    assert response.status_code == 200
    return response.content.decode()


def test_reporting_from_an_alert_proposes_its_first_event_as_discovery(
    client: Client, compliance_officer: User, agent: User, team_a: Team, settings: Settings
) -> None:
    touched_by(agent, customers_in(team_a), reveal=0)
    alert = bulk_alert(settings)
    login_verified(client, compliance_officer)
    form = client.get(f"/compliance/incidents/new/?alert={alert.pk}").content.decode()
    assert f'value="{alert.pk}"' in form
    assert "checked" in form
    response = client.post(
        "/compliance/incidents/new/",
        {
            "title": "Bulk access by an agent",
            "nature": "confidentiality",
            "kind": "unauthorised_access",
            "severity": "high",
            "risk": "risk",
            "alert_ids": [str(alert.pk)],
            "team_ids": [str(team_a.pk)],
        },
    )
    incident = Incident.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/compliance/incidents/{incident.pk}/"
    assert incident.discovered_at == alert.first_seen
    assert incident.opened_via == "alert"
    assert list(incident.alerts.all()) == [alert]
    page = _page(client, incident)
    assert incident.reference in page
    assert "Bulk access by an agent" in page
    assert AuditEvent.objects.filter(action="incident.viewed", target_id=str(incident.pk)).exists()


def test_another_discovery_time_than_the_alert_needs_a_reason(
    client: Client, compliance_officer: User, agent: User, team_a: Team, settings: Settings
) -> None:
    touched_by(agent, customers_in(team_a), reveal=0)
    alert = bulk_alert(settings)
    login_verified(client, compliance_officer)
    earlier = (alert.first_seen - timedelta(hours=5)).strftime(UTC_INPUT)
    form = {
        "title": "Bulk access",
        "nature": "confidentiality",
        "kind": "unauthorised_access",
        "severity": "high",
        "risk": "risk",
        "alert_ids": [str(alert.pk)],
        "discovered_at": earlier,
    }
    refused = client.post("/compliance/incidents/new/", form)
    assert refused.status_code == 400
    assert "say why the breach was discovered at another time" in refused.content.decode()
    assert not Incident.objects.exists()
    accepted = client.post(
        "/compliance/incidents/new/", form | {"discovered_reason": "The VPN log shows it earlier"}
    )
    assert accepted.status_code == 302
    incident = Incident.objects.get()
    override = incident.timeline.get(kind=EntryKind.OVERRIDE)
    assert override.text == "The VPN log shows it earlier"
    assert override.details["proposed"] == alert.first_seen.isoformat()


def test_an_aware_time_after_the_report_is_refused_on_its_field(
    client: Client, compliance_officer: User
) -> None:
    login_verified(client, compliance_officer)
    later = (timezone.now() + timedelta(hours=3)).strftime(UTC_INPUT)
    response = client.post(
        "/compliance/incidents/new/",
        {
            "title": "Clock test",
            "nature": "integrity",
            "kind": "alteration",
            "severity": "low",
            "risk": "none",
            "discovered_at": (timezone.now() - timedelta(hours=1)).strftime(UTC_INPUT),
            "aware_at": later,
        },
    )
    assert response.status_code == 400
    assert response.context["form"].errors["aware_at"] == ["Cannot be after the report time (now)."]
    assert not Incident.objects.exists()


def test_the_incident_page_shows_each_clock_in_its_zone_and_utc(
    client: Client, compliance_officer: User
) -> None:
    incident = opened(compliance_officer, data_categories=["contact", "medical"])
    login_verified(client, compliance_officer)
    page = _page(client, incident)
    gdpr = incident.obligations.get(rule="gdpr.33.authority")
    hipaa = incident.obligations.get(rule="hipaa.404.individuals")
    assert f'data-countdown="{gdpr.deadline.isoformat()}"' in page
    assert "(America/New_York)" in page
    assert "EST" in page or "EDT" in page
    assert hipaa.deadline.strftime("%Y-%m-%d %H:%M UTC") in page
    assert "45 CFR 164.404(b)" in page


def test_steps_out_of_order_and_notified_without_content_are_refused(
    client: Client, compliance_officer: User
) -> None:
    incident = opened(compliance_officer)
    login_verified(client, compliance_officer)
    step = f"/compliance/incidents/{incident.pk}/step/"
    skipped = client.post(step, {"status": "contained"})
    assert skipped.status_code == 400
    assert "the next step is Triage" in skipped.content.decode()
    for status in ("triage", "contained"):
        assert client.post(step, {"status": status}).status_code == 302
    refused = client.post(step, {"status": "notified"})
    assert refused.status_code == 400
    text = refused.content.decode()
    assert "notice(s) still need a decision" in text
    assert "Compute the affected customers" in text
    assert "INCIDENT_DPO_CONTACT" in text
    incident.refresh_from_db()
    assert incident.status == Status.CONTAINED


def test_not_required_needs_a_reason_and_another_handler_as_approver(
    client: Client, compliance_officer: User
) -> None:
    second = make_person("comply.cleo", Role.COMPLIANCE_OFFICER)
    incident = opened(compliance_officer, risk="none")
    notice = incident.obligations.get(rule="gdpr.33.authority")
    login_verified(client, compliance_officer)
    url = f"/compliance/incidents/{incident.pk}/notices/{notice.pk}/decision/"
    prefix = f"notice-{notice.pk}"
    refused = client.post(url, {f"{prefix}-decision": "not_required"})
    assert refused.status_code == 400
    errors = refused.context["notice_forms"][0][1].errors
    assert "reason" in errors
    assert "approver_id" in errors
    myself = client.post(
        url,
        {
            f"{prefix}-decision": "not_required",
            f"{prefix}-reason": "Unlikely to result in a risk: the laptop was encrypted",
            f"{prefix}-approver_id": str(compliance_officer.pk),
        },
    )
    assert myself.status_code == 400
    assert "Someone else approves" in myself.content.decode()
    approved = client.post(
        url,
        {
            f"{prefix}-decision": "not_required",
            f"{prefix}-reason": "Unlikely to result in a risk: the laptop was encrypted",
            f"{prefix}-approver_id": str(second.pk),
        },
    )
    assert approved.status_code == 302
    notice.refresh_from_db()
    assert (notice.status, notice.approver) == (ObligationStatus.NOT_REQUIRED, second)


def test_an_agent_of_another_team_gets_404_for_the_incident(
    client: Client, compliance_officer: User, other_agent: User, team_a: Team
) -> None:
    incident = opened(compliance_officer, team_ids=[str(team_a.pk)])
    login_verified(client, other_agent)
    assert client.get(f"/compliance/incidents/{incident.pk}/").status_code == 404
    assert client.get("/compliance/incidents/").status_code == 200
    assert incident.reference not in client.get("/compliance/incidents/").content.decode()
    denied = AuditEvent.objects.filter(action="access.denied", target_id=str(incident.pk))
    assert denied.exists()


def test_an_agent_may_report_and_follow_but_not_run_the_workflow(
    client: Client, agent: User, team_a: Team
) -> None:
    login_verified(client, agent)
    response = client.post(
        "/compliance/incidents/new/",
        {
            "title": "I clicked a phishing link",
            "nature": "confidentiality",
            "kind": "unauthorised_access",
            "severity": "medium",
            "risk": "risk",
            "discovered_at": (timezone.now() - timedelta(minutes=30)).strftime(UTC_INPUT),
        },
    )
    assert response.status_code == 302
    incident = Incident.objects.get()
    assert list(incident.affected_teams.all()) == [team_a]
    page = _page(client, incident)
    assert "Next step" not in page
    assert "Containment" not in page
    step = client.post(f"/compliance/incidents/{incident.pk}/step/", {"status": "triage"})
    assert step.status_code == 403
    note = client.post(f"/compliance/incidents/{incident.pk}/note/", {"text": "It was at 9:10"})
    assert note.status_code == 302
    assert incident.timeline.filter(kind=EntryKind.NOTE, text="It was at 9:10").exists()


def test_the_start_page_lists_the_notices_due_for_handlers_only(
    client: Client, compliance_officer: User, agent: User
) -> None:
    incident = opened(compliance_officer)
    login_verified(client, compliance_officer)
    home = client.get("/").content.decode()
    assert "Breach notices due" in home
    assert incident.reference in home
    assert "Last exercise: none yet" in home
    client.logout()
    login_verified(client, agent)
    assert "Breach notices due" not in client.get("/").content.decode()


def test_the_notices_page_orders_by_time_left_across_incidents(
    client: Client, compliance_officer: User
) -> None:
    older = opened(
        compliance_officer,
        discovered_at=timezone.now() - timedelta(hours=61),
        aware_at=timezone.now() - timedelta(hours=60),
    )
    newer = opened(compliance_officer)
    login_verified(client, compliance_officer)
    page = client.get("/compliance/incidents/notices/").content.decode()
    assert page.index(older.reference) < page.index(newer.reference)
    assert "urgency-soon" in page  # 60 of 72 hours passed: over 80 %
