"""Helpers of the customers API tests: fictional customers, callers, and the audit scan."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.test import Client

from accounts.models import Team, User
from audit.models import AuditEvent
from customers.models import Customer, CustomerLookup, Interaction, Note
from customers.services.records import customer_create
from tests.personas import SETUP, Integrator, login_verified

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as TestResponse

API = "/api/v1/customers/"

# Sent by a client: dates as text, as JSON carries them.
NEW_CUSTOMER: dict[str, Any] = {
    "name": "Oriel Vantongeren",
    "date_of_birth": "1983-07-22",
    "addresses": ["9 Quillback Lane, Tromsø"],
    "phones": ["+1 555 867 5309"],
    "emails": ["Oriel.V@Example.org"],
    "account_number": "7788 1122 3344",
    "card_token": "tok_ovx93kq",
    "card_last4": "4242",
    "medical_notes": "Beta-thalassaemia minor",
}
# Stored through the service: what the API's callers will look for and reveal.
STORED_CUSTOMER: dict[str, Any] = {
    "name": "Perpetua Zwanenburg",
    "date_of_birth": dt.date(1971, 11, 5),
    "addresses": ["31 Larkspur Wynd, Galway"],
    "phones": ["+1 555 246 8135"],
    "emails": ["perpetua.z@example.net"],
    "account_number": "5566 7788 9900",
    "card_token": "tok_pzw55ab",
    "card_last4": "1881",
    "medical_notes": "Coeliac; carries an adrenaline pen",
}
# Distinctive pieces of both, normalised forms included, compared case-insensitively.
NEEDLES = (
    "Oriel",
    "Vantongeren",
    "1983-07-22",
    "Quillback",
    "5558675309",
    "oriel.v@example.org",
    "778811223344",
    "tok_ovx93kq",
    "thalassaemia",
    "Perpetua",
    "Zwanenburg",
    "1971-11-05",
    "Larkspur",
    "5552468135",
    "perpetua.z@example.net",
    "556677889900",
    "tok_pzw55ab",
    "Coeliac",
    "adrenaline",
)
WRITTEN = (Customer, CustomerLookup, Note, Interaction)


def make_customer(team: Team, **changes: Any) -> Customer:
    return customer_create(caller=SETUP, team_id=team.pk, values={**STORED_CUSTOMER, **changes})


def signed_in(client: Client, user: User) -> Client:
    return login_verified(client, user)


def as_key(integrator: Integrator) -> dict[str, str]:
    return {"Authorization": f"Api-Key {integrator.key}"}


def error_of(response: TestResponse) -> dict[str, Any]:
    body: dict[str, Any] = response.json()
    assert set(body) == {"error", "request_id"}, body
    error: dict[str, Any] = body["error"]
    return error


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in WRITTEN}


def events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("id"))


def assert_audit_holds_no_personal_values(*extra: str) -> None:
    """No audit row, in any column, contains a needle of the test customers."""
    rows = list(AuditEvent.objects.values())
    assert rows
    for row in rows:
        text = repr(row).casefold()
        for needle in (*NEEDLES, *extra):
            assert needle.casefold() not in text, (needle, row["action"])
