"""Responding to an incident through the API: the customers it affected, computed from the
audit log, and containment."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.test import Client

from accounts.models import Role, Team, User
from customers.models import Customer
from incidents.models import AffectedSet, Incident
from tests.customers.api_support import NEEDLES, error_of
from tests.incidents.test_api_support import (
    compute,
    events,
    exposed_customers,
    hours_ago,
    incident_url,
    iso,
    refusals,
    report,
    send,
    signed_in,
)
from tests.personas import make_person

pytestmark = pytest.mark.django_db

NOBODY = str(uuid.UUID(int=7))  # an account id that does not exist


@pytest.fixture
def officer(compliance_officer: User) -> Client:
    return signed_in(compliance_officer)


@pytest.fixture
def exposed(agent: User, team_a: Team) -> tuple[Customer, Customer]:
    return exposed_customers(agent, team_a)


# --- Affected customers ---------------------------------------------------------------------


def test_computing_the_affected_customers_answers_202_and_freezes_a_set(
    officer: Client, agent: User, compliance_officer: User, exposed: tuple[Customer, Customer]
) -> None:
    incident = report(agent)

    response = compute(officer, incident, user_id=str(agent.pk))

    assert response.status_code == 202, response.content
    assert response["Location"] == incident_url(incident, "affected/")
    assert set(response.json()) == {"task_id"}
    [affected] = officer.get(incident_url(incident, "affected/")).json()["results"]
    assert (affected["total"], affected["plaintext"]) == (2, 1)
    assert affected["query"] == {"actor": f"user:{agent.pk}"}
    assert affected["regions"] == {"US-CA": 1, "unknown": 1}
    assert affected["plaintext_categories"] == {"contact": 1}
    assert affected["computed_by"] == f"user:{compliance_officer.pk}"
    [computed] = events("incident.affected_computed")
    assert computed.details["requested_by"] == f"user:{compliance_officer.pk}"
    current = officer.get(incident_url(incident)).json()["affected"]
    assert current == affected


def test_computing_again_adds_a_set_and_lists_the_newest_first(
    officer: Client, agent: User, exposed: tuple[Customer, Customer]
) -> None:
    incident = report(agent)
    compute(officer, incident, user_id=str(agent.pk))
    compute(officer, incident, user_id=str(agent.pk), until=iso(hours_ago(1)))

    sets = officer.get(incident_url(incident, "affected/")).json()["results"]

    assert [row["total"] for row in sets] == [0, 2]
    assert sets[0]["id"] > sets[1]["id"]
    assert len(events("incident.viewed")) == 1


def test_affected_customers_are_ids_with_exposure_and_never_a_personal_value(
    officer: Client, agent: User, exposed: tuple[Customer, Customer]
) -> None:
    revealed, viewed = exposed
    incident = report(agent)
    compute(officer, incident, user_id=str(agent.pk))
    affected = AffectedSet.objects.get()

    response = officer.get(incident_url(incident, f"affected/{affected.pk}/customers/"))

    assert response.status_code == 200
    page = response.json()
    assert page["count"] == 2
    rows = {row["customer_id"]: row for row in page["results"]}
    assert rows[str(revealed.pk)] == {
        "customer_id": str(revealed.pk),
        "exposure": "plaintext",
        "categories": ["contact"],
        "region": "US-CA",
    }
    assert rows[str(viewed.pk)]["exposure"] == "ciphertext"
    text = response.content.decode().casefold()
    assert not [needle for needle in (*NEEDLES, "Market St") if needle.casefold() in text]
    assert len(events("incident.viewed")) == 1


def test_a_set_of_another_incident_answers_404(
    officer: Client, agent: User, exposed: tuple[Customer, Customer]
) -> None:
    other = report(agent)
    compute(officer, other, user_id=str(agent.pk))
    incident = report(agent)
    foreign = AffectedSet.objects.get().pk

    response = officer.get(incident_url(incident, f"affected/{foreign}/customers/"))

    assert response.status_code == 404
    assert [event.details["resource"] for event in refusals()] == [
        f"incidents.affectedset:{foreign}"
    ]


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ({}, "query"),
        ({"user_id": "agent", "api_key_prefix": "abc123"}, "api_key_prefix"),
        ({"user_id": NOBODY}, "user_id"),
        ({"user_id": "not-a-uuid"}, "user_id"),
        ({"network": "not-an-address"}, "network"),
        ({"since": iso(hours_ago(1)), "until": iso(hours_ago(2))}, "until"),
        ({"since": "2026-01-05T10:00"}, "since"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_a_wrong_query_names_its_field_and_computes_nothing(
    officer: Client, agent: User, query: dict[str, str], named: str
) -> None:
    incident = report(agent)
    if query.get("user_id") == "agent":
        query = {**query, "user_id": str(agent.pk)}

    response = compute(officer, incident, **query)

    assert response.status_code == 400
    assert named in error_of(response)["fields"]
    assert not AffectedSet.objects.exists()


def test_reporters_neither_compute_nor_read_the_affected_customers(agent: User) -> None:
    incident = report(agent)
    client = signed_in(agent)

    answers = [
        compute(client, incident, user_id=str(agent.pk)).status_code,
        client.get(incident_url(incident, "affected/")).status_code,
        client.get(incident_url(incident, "affected/1/customers/")).status_code,
    ]

    assert answers == [403, 403, 403]


# --- Containment ----------------------------------------------------------------------------


def _contain(client: Client, incident: Incident, **body: Any) -> Any:
    return send(client, "post", incident_url(incident, "containment/"), body)


def test_disabling_a_phished_account_from_the_incident(
    officer: Client, agent: User, compliance_officer: User, team_a: Team
) -> None:
    victim = make_person("agent.cleo", Role.AGENT, team_a)
    incident = report(agent)

    response = _contain(
        officer, incident, action="disable_users", reason="Phished", user_ids=[str(victim.pk)]
    )

    assert response.status_code == 200, response.content
    assert response.json() == {"action": "disable_users", "count": 1, "jobs": []}
    victim.refresh_from_db()
    assert not victim.is_active
    [taken] = events("incident.containment_taken")
    assert taken.actor_id == str(compliance_officer.pk)
    assert taken.details == {
        "action": "disable_users",
        "users": [str(victim.pk)],
        "already_disabled": [],
    }
    [disabled] = events("user.disabled")
    assert disabled.actor_kind == "system"
    assert incident.reference in disabled.reason


def test_sealing_the_customers_seen_in_plain_text_then_releasing_them(
    officer: Client, agent: User, exposed: tuple[Customer, Customer]
) -> None:
    revealed, viewed = exposed
    incident = report(agent)
    before = _contain(officer, incident, action="seal_customers", reason="Contain")
    compute(officer, incident, user_id=str(agent.pk))

    sealed = _contain(
        officer, incident, action="seal_customers", reason="Contain", plaintext_only=True
    )
    revealed.refresh_from_db()
    viewed.refresh_from_db()
    released = _contain(officer, incident, action="release_customers", reason="Recovered")

    assert error_of(before)["fields"] == {"affected": ["No affected set yet."]}
    assert sealed.json()["count"] == 1
    assert (revealed.sealed_at is not None, viewed.sealed_at is None) == (True, True)
    assert released.json()["count"] == 1
    assert [e.details["action"] for e in events("incident.containment_taken")] == [
        "seal_customers",
        "release_customers",
    ]


def test_rotating_a_key_ring_names_the_jobs_started(officer: Client, agent: User) -> None:
    incident = report(agent)

    response = _contain(officer, incident, action="rotate_keys", reason="KEK leaked", ring="kek")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["jobs"]
    assert body["count"] == len(body["jobs"])


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ({"action": "disable_users"}, "reason"),
        ({"action": "unplug", "reason": "x"}, "action"),
        ({"action": "disable_users", "reason": "x"}, "user_ids"),
        (
            {"action": "disable_users", "reason": "x", "user_ids": [str(uuid.UUID(int=9))]},
            "user_ids",
        ),
        ({"action": "revoke_keys", "reason": "x", "prefixes": ["nokey"]}, "prefixes"),
        ({"action": "end_team_sessions", "reason": "x"}, "team_id"),
        ({"action": "rotate_keys", "reason": "x"}, "ring"),
        (
            {
                "action": "rotate_keys",
                "reason": "x",
                "ring": "kek",
                "team_id": str(uuid.UUID(int=1)),
            },
            "team_id",
        ),
    ],
)
def test_containment_input_errors_name_their_field(
    officer: Client, agent: User, body: dict[str, Any], named: str
) -> None:
    incident = report(agent)

    response = _contain(officer, incident, **body)

    assert response.status_code == 400
    assert set(error_of(response)["fields"]) == {named}
    assert events("incident.containment_taken") == []


def test_reporters_may_not_take_containment_actions(agent: User) -> None:
    incident = report(agent)

    response = _contain(signed_in(agent), incident, action="rotate_keys", reason="x", ring="kek")

    assert response.status_code == 403
