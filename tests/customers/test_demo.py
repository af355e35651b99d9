"""Demo customers from seed_demo: fictional, in every demo team, searchable, idempotent."""

from __future__ import annotations

import json
import re
from collections import Counter
from io import StringIO

import pytest
from django.core.management import call_command

from accounts.models import User
from audit.models import AuditEvent
from ccplatform.crypto.blind_index import LookupKind
from customers.crypto import CustomerCipher
from customers.models import Customer, Interaction, Note
from customers.selectors import customer_history
from customers.services.search import customers_search
from demo.customers import CUSTOMERS_PER_TEAM, DEMO_TEAMS, demo_customer_values, demo_phone
from tests.personas import as_caller

pytestmark = pytest.mark.django_db

FULL_CARD = re.compile(r"4111[ -]?1111[ -]?1111[ -]?1111")


def _seed(*args: str) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def _counts() -> dict[str, int]:
    return {
        "customers": Customer.objects.count(),
        "data_keys": Customer.objects.values("data_key_id").distinct().count(),
        "notes": Note.objects.count(),
        "interactions": Interaction.objects.count(),
        "audit_events": AuditEvent.objects.count(),
    }


def _search(user: User, phone: str) -> list[Customer]:
    return customers_search(caller=as_caller(user), kind=LookupKind.PHONE, value=phone)


# The demo agent of each demo team: it writes the notes and interactions of its customers.
TEAM_AGENTS = {"Team North": "agent.north", "Team South": "agent.south"}


def test_every_demo_team_gets_a_dozen_customers_with_notes_and_interactions() -> None:
    _seed()

    per_team = Counter(Customer.objects.values_list("team__name", flat=True))
    assert per_team == dict.fromkeys(DEMO_TEAMS, CUSTOMERS_PER_TEAM)
    assert Customer.objects.values("data_key_id").distinct().count() == 2 * CUSTOMERS_PER_TEAM
    assert Note.objects.filter(customer__team__name="Team North").count() >= 2
    assert Note.objects.filter(customer__team__name="Team South").count() >= 2
    assert Interaction.objects.filter(customer__team__name="Team North").count() >= 2
    authors = set(Note.objects.values_list("author__username", "customer__team__name"))
    assert authors == {("agent.north", "Team North"), ("agent.south", "Team South")}
    actions = Counter(AuditEvent.objects.values_list("action", flat=True))
    assert actions["customer.created"] == 2 * CUSTOMERS_PER_TEAM
    assert actions["customer.note_added"] == Note.objects.count()
    assert actions["customer.interaction_added"] == Interaction.objects.count()
    # The customers are created by the seed command (some carry medical notes, which agents
    # may not write); their notes and interactions by the team's demo agent, audited as such.
    created = AuditEvent.objects.filter(action="customer.created")
    assert {(event.actor_kind, event.actor_id) for event in created} == {("system", "seed_demo")}
    agents = {
        str(User.objects.get(username=username).pk): team for team, username in TEAM_AGENTS.items()
    }
    activity = AuditEvent.objects.filter(
        action__in=["customer.note_added", "customer.interaction_added"]
    )
    assert activity.exists()
    assert {event.actor_kind for event in activity} == {"user"}
    for event in activity:
        customer = Customer.objects.get(pk=event.target_id)
        assert agents[event.actor_id] == customer.team.name


def test_running_twice_adds_no_customers_and_records_nothing() -> None:
    _seed()
    after_first = _counts()

    output = _seed()

    assert _counts() == after_first
    assert "nothing created" in output


def test_a_missing_demo_customer_is_recreated_and_only_that_one() -> None:
    _seed()
    [gone] = _search(User.objects.get(username="agent.north"), demo_phone("Team North", 3))
    gone.delete()
    created_before = AuditEvent.objects.filter(action="customer.created").count()

    _seed()

    assert Customer.objects.filter(team__name="Team North").count() == CUSTOMERS_PER_TEAM
    assert AuditEvent.objects.filter(action="customer.created").count() == created_before + 1
    assert _search(User.objects.get(username="agent.north"), demo_phone("Team North", 3))


def test_the_printed_phone_finds_one_customer_for_the_north_agent_only() -> None:
    output = _seed()
    phone = demo_phone("Team North")
    assert f"search for the phone number {phone}" in output

    [found] = _search(User.objects.get(username="agent.north"), phone)

    assert found.team.name == "Team North"
    phones = CustomerCipher(found).decrypt("phones")
    assert isinstance(phones, list)
    assert phones[0] == re.sub(r"[^+\d]", "", phone)
    assert _search(User.objects.get(username="agent.south"), phone) == []


def test_the_card_number_note_is_stored_masked_and_its_redaction_recorded() -> None:
    _seed()

    readers = {
        team: as_caller(User.objects.get(username=username))
        for team, username in TEAM_AGENTS.items()
    }
    bodies = [
        note["body"]
        for customer in Customer.objects.select_related("team")
        for note in customer_history(readers[customer.team.name], customer)["notes"]
    ]
    assert len(bodies) == Note.objects.count()
    assert any("•••• 1111" in body for body in bodies)
    assert not any(FULL_CARD.search(body) for body in bodies)
    assert not any("cvv 123" in body for body in bodies)
    assert AuditEvent.objects.filter(action="customer.card_data_redacted").count() == len(
        DEMO_TEAMS
    )


@pytest.mark.parametrize("team", sorted(DEMO_TEAMS))
def test_demo_values_are_fictional(team: str) -> None:
    for index in range(CUSTOMERS_PER_TEAM):
        values = demo_customer_values(team, index)
        phones = values["phones"]
        emails = values["emails"]
        assert isinstance(phones, list)
        assert isinstance(emails, list)
        for phone in phones:
            assert re.fullmatch(r"\+1 \d{3} 555 01\d\d", phone), phone
        for email in emails:
            assert email.endswith("@example.com"), email
        assert "card_token" not in values or str(values["card_token"]).startswith("tok_demo_")


def test_demo_phones_are_unique_across_teams() -> None:
    phones = [
        phone
        for team in DEMO_TEAMS
        for index in range(CUSTOMERS_PER_TEAM)
        for phone in demo_customer_values(team, index)["phones"]  # type: ignore[attr-defined]
    ]

    assert len(phones) == len(set(phones))


def test_json_output_still_lists_only_accounts_and_key() -> None:
    data = json.loads(_seed("--json"))

    assert set(data) == {"users", "api_key"}
    assert Customer.objects.count() == 2 * CUSTOMERS_PER_TEAM
