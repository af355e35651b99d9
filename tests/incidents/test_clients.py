"""Clients and their contractual clocks: saved through the service (audited, at most the
law's 72 hours), and the open incidents of their teams owe them a notice at once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client as Browser

from accounts.models import Team, User
from audit.models import AuditEvent
from ccplatform.errors import AccessDeniedError, ServiceError
from incidents.models import Client, ClockBasis
from incidents.services.clients import client_save
from tests.incidents.world import opened
from tests.personas import as_caller, login_verified

pytestmark = pytest.mark.django_db


def save(user: User, team: Team, hours: int = 24, **changes: object) -> Client:
    values: dict[str, object] = {
        "name": "Acme Health",
        "contact": "security@acme.example",
        "notify_within_hours": hours,
        "teams": [team],
    }
    return client_save(caller=as_caller(user), client=Client(), **(values | changes))  # type: ignore[arg-type]


def test_a_client_clock_reaches_the_open_incidents_of_its_teams(
    compliance_officer: User, team_a: Team
) -> None:
    incident = opened(compliance_officer, team_ids=[str(team_a.pk)])
    client = save(compliance_officer, team_a, hours=24)
    notice = incident.obligations.get(rule=f"client:{client.pk}")
    assert notice.basis == ClockBasis.CONTRACT
    assert notice.recipient_label == "Acme Health"
    assert notice.deadline == incident.aware_at + timedelta(hours=24)
    event = AuditEvent.objects.get(action="incident.client_saved")
    assert event.details == {"changed": ["created", "teams"], "hours": 24}


def test_a_contract_may_not_give_more_time_than_the_law(
    compliance_officer: User, team_a: Team
) -> None:
    with pytest.raises(ServiceError) as refused:
        save(compliance_officer, team_a, hours=96, contact="")
    assert set(refused.value.fields) == {"notify_within_hours", "contact"}
    assert not Client.objects.exists()


def test_agents_do_not_manage_clients(agent: User, team_a: Team) -> None:
    with pytest.raises(AccessDeniedError):
        save(agent, team_a)


def test_the_admin_saves_a_client_through_the_service(
    client: Browser, compliance_officer: User, team_a: Team
) -> None:
    login_verified(client, compliance_officer)
    response = client.post(
        "/admin/incidents/client/add/",
        {
            "name": "Beta Bank",
            "contact": "ciso@beta.example",
            "notify_within_hours": "48",
            "teams": [str(team_a.pk)],
        },
    )
    assert response.status_code == 302
    saved = Client.objects.get()
    assert (saved.name, list(saved.teams.all())) == ("Beta Bank", [team_a])
    assert AuditEvent.objects.filter(action="incident.client_saved").count() == 1
    assert client.get("/admin/incidents/incident/").status_code == 200
