"""'Who accessed this customer' and 'what did this actor touch'."""

from __future__ import annotations

import re
import uuid

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from audit.models import AuditEvent
from audit.search import CUSTOMER_TYPE
from audit.services import AuditTarget
from audit.views import subjects
from ccplatform.context import Actor
from tests.actions import record
from tests.personas import login_verified

pytestmark = pytest.mark.django_db

CUSTOMER = uuid.UUID("0b6f5a4e-3d2c-4b1a-9f8e-7d6c5b4a3f21")
OTHER_CUSTOMER = uuid.UUID("1c7a6b5f-4e3d-4c2b-8a9f-8e7d6c5b4a32")


@pytest.fixture
def officer(client: Client, compliance_officer: User) -> Client:
    return login_verified(client, compliance_officer)


def _customer(customer_id: uuid.UUID) -> AuditTarget:
    return AuditTarget(CUSTOMER_TYPE, str(customer_id))


def _customer_page(customer_id: uuid.UUID) -> str:
    return reverse("audit:customer", kwargs={"customer_id": customer_id})


def _summary_rows(html: str) -> list[list[str]]:
    table = re.search(r'<table class="table summary">.*?</table>', html, re.S)
    assert table is not None
    rows = re.findall(r"<tr>(.*?)</tr>", table.group(0), re.S)[1:]
    return [
        [
            re.sub(r"<[^>]+>", "", cell).strip()
            for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        ]
        for row in rows
    ]


def test_customer_page_groups_the_events_about_the_customer_by_actor(
    officer: Client, agent: User, supervisor: User
) -> None:
    for action in ("customer.viewed", "customer.viewed", "customer.revealed"):
        record(actor=Actor.user(agent.pk), action=action, target=_customer(CUSTOMER))
    record(actor=Actor.user(supervisor.pk), action="customer.viewed", target=_customer(CUSTOMER))
    record(
        actor=Actor.api_key("crmKey01"),
        action="customer.listed",
        details={"customers": [str(CUSTOMER), str(OTHER_CUSTOMER)], "page": 1},
    )
    record(
        actor=Actor.user(supervisor.pk), action="customer.viewed", target=_customer(OTHER_CUSTOMER)
    )

    response = officer.get(_customer_page(CUSTOMER))
    assert response.status_code == 200
    html = response.content.decode()
    rows = {row[0]: row for row in _summary_rows(html)}
    assert set(rows) == {agent.username, supervisor.username, "API key crmKey01"}
    assert rows[agent.username][1] == "3"
    assert rows[agent.username][4] == "customer.revealed, customer.viewed"
    assert rows["API key crmKey01"][4] == "customer.listed"
    assert len(re.findall(r'data-event-id="', html)) == 5
    assert "3 actors" in html

    event = AuditEvent.objects.get(action="audit.searched")
    assert (event.details["via"], event.details["view"]) == ("page", "customer")
    assert event.details["filter"] == {"customer": str(CUSTOMER)}
    assert event.details["shown"] == 5


def test_customer_page_narrows_by_time_and_rejects_bad_input(officer: Client, agent: User) -> None:
    record(actor=Actor.user(agent.pk), action="customer.viewed", target=_customer(CUSTOMER))
    response = officer.get(_customer_page(CUSTOMER), {"since": "2999-01-01T00:00Z"})
    assert response.status_code == 200
    assert "No events match." in response.content.decode()
    response = officer.get(_customer_page(CUSTOMER), {"until": "soon"})
    assert response.status_code == 400
    assert "valid date/time" in response.content.decode()
    assert officer.get("/compliance/audit/customers/not-a-uuid/").status_code == 404


def test_actor_page_lists_what_the_actor_touched(
    officer: Client, agent: User, supervisor: User
) -> None:
    record(actor=Actor.user(agent.pk), action="customer.viewed", target=_customer(CUSTOMER))
    record(actor=Actor.user(agent.pk), action="customer.revealed", target=_customer(CUSTOMER))
    record(
        actor=Actor.user(agent.pk),
        action="customer.listed",
        details={"customers": [str(CUSTOMER), str(OTHER_CUSTOMER)], "page": 1},
    )
    record(
        actor=Actor.user(agent.pk),
        action="user.role_changed",
        target=AuditTarget("accounts.user", "7"),
    )
    record(
        actor=Actor.user(supervisor.pk), action="customer.viewed", target=_customer(OTHER_CUSTOMER)
    )

    page = reverse("audit:actor", kwargs={"kind": "user", "actor_id": str(agent.pk)})
    response = officer.get(page)
    assert response.status_code == 200
    html = response.content.decode()
    assert f"What did {agent.username} touch" in html
    rows = {row[0]: row for row in _summary_rows(html)}
    assert set(rows) == {f"customer {CUSTOMER}", "accounts.user 7"}
    assert rows[f"customer {CUSTOMER}"][1] == "2"
    assert "1 customer acted on, 1 more seen only on list pages." in html
    assert f'href="{_customer_page(CUSTOMER)}"' in html
    assert len(re.findall(r'data-event-id="', html)) == 4
    searched = AuditEvent.objects.get(action="audit.searched")
    assert (searched.details["via"], searched.details["view"]) == ("page", "actor")
    assert searched.details["filter"] == {"actor": f"user:{agent.pk}"}


def test_actor_page_of_a_system_job_with_spaces_in_its_name(officer: Client) -> None:
    record(actor=Actor.system("audit verification"), action="platform.tested")
    page = reverse("audit:actor", kwargs={"kind": "system", "actor_id": "audit verification"})
    response = officer.get(page)
    assert response.status_code == 200
    assert len(re.findall(r'data-event-id="', response.content.decode())) == 1


def test_unknown_actor_kinds_are_not_found(officer: Client) -> None:
    assert officer.get("/compliance/audit/actors/robot/1/").status_code == 404


def test_too_long_actor_ids_get_400_not_500(officer: Client) -> None:
    page = reverse("audit:actor", kwargs={"kind": "system", "actor_id": "x" * 200})
    assert officer.get(page).status_code == 400


def test_summaries_say_when_they_cover_only_the_newest_events(
    officer: Client, agent: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(subjects, "SUMMARY_WINDOW", 3)
    for _ in range(4):
        record(actor=Actor.user(agent.pk), action="customer.viewed", target=_customer(CUSTOMER))
    html = officer.get(_customer_page(CUSTOMER)).content.decode()
    assert "Summary of the newest 3 matching events" in html
    assert _summary_rows(html)[0][1] == "3"


def test_who_accessed_a_customer_includes_searches_that_found_them(officer: Client) -> None:
    record(
        actor=Actor.system("search test"),
        action="customer.searched",
        details={"kind": "phone", "results": 1, "customers": [str(CUSTOMER)]},
    )
    record(
        actor=Actor.system("search test"),
        action="customer.searched",
        details={"kind": "phone", "results": 1, "customers": [str(OTHER_CUSTOMER)]},
    )
    response = officer.get(_customer_page(CUSTOMER))
    assert response.status_code == 200
    page = response.content.decode()
    assert page.count("customer.searched") >= 1
    assert "search test" in page
