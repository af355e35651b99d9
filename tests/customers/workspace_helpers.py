"""What the workspace page tests share: a customer of team A, a signed-in client, lookups."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import Team, User
from audit.models import AuditEvent
from customers.models import Customer
from customers.services.records import customer_create
from tests.personas import SETUP, login_verified

PHONE = "+1 415 555 0142"
PHONE_E164 = "+14155550142"
CARD = "4111 1111 1111 1111"
CARD_DIGITS = "4111111111111111"


def make_customer(team: Team, **values: object) -> Customer:
    fields = {
        "name": "Maria Lopez",
        "phones": [PHONE],
        "emails": ["maria.lopez@example.com"],
        "account_number": "12345678",
        "card_last4": "1111",
        "medical_notes": "Asthma; prefers morning calls",
        **values,
    }
    return customer_create(caller=SETUP, team_id=team.pk, values=fields)


@pytest.fixture(name="customer")
def customer_fixture(team_a: Team) -> Customer:
    return make_customer(team_a)


def client_for(user: User) -> Client:
    return login_verified(Client(), user)


def page_url(customer_id: object, suffix: str = "") -> str:
    return f"/workspace/customers/{customer_id}/{suffix}"


def events(action: str, user: User | None = None) -> list[AuditEvent]:
    found = AuditEvent.objects.filter(action=action).order_by("id")
    return list(found.filter(actor_id=str(user.pk)) if user else found)


def no_card_number(html: str) -> bool:
    return CARD not in html and CARD_DIGITS not in html
