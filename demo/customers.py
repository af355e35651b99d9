"""Demo customers for the embedded default: fictional people, a dozen per demo team.

Names are invented; phone numbers are in the 555-0100..0199 range reserved for fiction;
emails use example.com (RFC 2606); account numbers and card tokens are made up. Everything is
created through the customer services, so it is encrypted, indexed and audited like real
data. Running it again creates nothing: each customer is looked up by its phone number's
blind index first.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from accounts.models import Team
from ccplatform.callers import Caller
from ccplatform.crypto.blind_index import LookupKind, search_digests
from customers.models import Customer, CustomerLookup, InteractionChannel, InteractionOutcome
from customers.services.notes import customer_interaction_add, customer_note_add
from customers.services.records import customer_create

CUSTOMERS_PER_TEAM = 12


@dataclass(frozen=True)
class DemoTeam:
    """Where a demo team's customers live: their area code and phone numbers 555-01xx."""

    area_code: str
    first_line: int  # the xx of the team's first customer's 555-01xx
    city: str
    street: str


DEMO_TEAMS = {
    "Team North": DemoTeam("612", 0, "Minneapolis, MN", "Lake Street"),
    "Team South": DemoTeam("504", 50, "New Orleans, LA", "Magazine Street"),
}
_FIRST = ("Avery", "Jordan", "Riley", "Morgan", "Casey", "Quinn")
_LAST = ("Lindqvist", "Okafor", "Brennan", "Castellano", "Nakamura", "Haddad")
_CARDS = ("1111", "4242", "0005", "5100")
_MEDICAL = {
    2: "Hearing impaired: prefers chat or email over calls.",
    7: "Type 1 diabetes; ask before scheduling early-morning visits.",
}
# One note holds a card number read out on a call, so the workspace shows it masked.
_NOTES = {
    0: "Customer read out card 4111 1111 1111 1111 cvv 123 to pay the overdue invoice; "
    "told them we never take card numbers by phone and sent the secure payment link.",
    1: "Prefers a callback after 5 pm local time. Asked about moving to paperless billing.",
    4: "Disputed the March statement; escalated to billing with the invoice number.",
}
_INTERACTIONS = {
    0: (InteractionChannel.CALL, InteractionOutcome.RESOLVED, "Payment link sent; paid online."),
    1: (InteractionChannel.CHAT, InteractionOutcome.FOLLOW_UP, "Wants paperless billing."),
    4: (InteractionChannel.CALL, InteractionOutcome.ESCALATED, "Statement dispute."),
    5: (InteractionChannel.EMAIL, InteractionOutcome.RESOLVED, "Address change confirmed."),
    9: (InteractionChannel.CALL, InteractionOutcome.NO_ANSWER, ""),
}


def demo_phone(team_name: str, index: int = 0) -> str:
    """The main phone number of a team's demo customer (as a person would type it)."""
    team = DEMO_TEAMS[team_name]
    return f"+1 {team.area_code} 555 01{team.first_line + index:02d}"


def demo_customer_values(team_name: str, index: int) -> dict[str, object]:
    """The fields of one fictional customer: stable, so reruns find it again."""
    team = DEMO_TEAMS[team_name]
    first = _FIRST[index % len(_FIRST)]
    last = _LAST[(index + team.first_line // 10) % len(_LAST)]
    phones = [demo_phone(team_name, index)]
    if index % 3 == 0:
        phones.append(f"+1 {team.area_code} 555 01{team.first_line + 20 + index:02d}")
    values: dict[str, object] = {
        "name": f"{first} {last}",
        "date_of_birth": dt.date(1950 + (index * 7 + team.first_line) % 50, index % 12 + 1, 14),
        "addresses": [f"{100 + index * 17} {team.street}, {team.city}"],
        "phones": phones,
        "emails": [f"{first}.{last}{team.first_line + index}@example.com".lower()],
        "account_number": f"{team.area_code}-{4000 + index * 37:05d}-{index:02d}",
    }
    if index % 2 == 0:
        values["card_token"] = f"tok_demo_{team.area_code}{index:02d}"
        values["card_last4"] = _CARDS[index % len(_CARDS)]
    if index in _MEDICAL:
        values["medical_notes"] = _MEDICAL[index]
    return values


def _exists(team: Team, phone: str) -> bool:
    return CustomerLookup.objects.filter(
        customer__team=team,
        kind=LookupKind.PHONE,
        digest__in=search_digests(LookupKind.PHONE, phone),
    ).exists()


def _add_activity(*, caller: Caller, customer: Customer, index: int) -> None:
    if index in _NOTES:
        customer_note_add(caller=caller, customer=customer, body=_NOTES[index])
    if index in _INTERACTIONS:
        channel, outcome, summary = _INTERACTIONS[index]
        customer_interaction_add(
            caller=caller,
            customer=customer,
            channel=channel,
            outcome=outcome,
            summary=summary,
            occurred_at=timezone.now() - dt.timedelta(days=index + 1, hours=index),
        )


def demo_customers_seed(*, seeder: Caller, agent: Caller, team: Team) -> int:
    """Create the team's missing demo customers (as `seeder`, the system: some have medical
    notes, which agents may not write), with notes and interactions by `agent`, one of the
    team's agents.

    Returns how many customers were created. The caller holds the transaction.
    """
    if team.name not in DEMO_TEAMS:
        return 0
    created = 0
    for index in range(CUSTOMERS_PER_TEAM):
        if _exists(team, demo_phone(team.name, index)):
            continue
        customer = customer_create(
            caller=seeder, team_id=team.pk, values=demo_customer_values(team.name, index)
        )
        _add_activity(caller=agent, customer=customer, index=index)
        created += 1
    return created
