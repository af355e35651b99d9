"""Records are masked by default; a reveal returns only the asked fields, with a reason, audited."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.test import override_settings
from django.utils import timezone

from accounts.models import Team, User
from audit.models import AuditEvent
from ccplatform.config import Rate
from ccplatform.errors import AccessDeniedError, RateLimitError, ServiceError
from customers.fields import (
    FIELDS,
    REVEALABLE,
    mask_account_number,
    mask_card_last4,
    mask_email,
    mask_name,
    mask_phone,
    mask_value,
)
from customers.models import Customer
from customers.selectors import customer_masked
from customers.services.records import (
    RevealLimitError,
    customer_create,
    customer_reveal,
    customer_viewed,
)
from tests.personas import SETUP, as_caller

pytestmark = pytest.mark.django_db

VALUES: dict[str, Any] = {
    "name": "Jane Quinn Doe",
    "date_of_birth": dt.date(1984, 7, 9),
    "addresses": ["1 Juniper Row, Boise", "PO Box 88, Boise"],
    "phones": ["+1 555 123 4567"],
    "emails": ["jane.doe@example.com"],
    "account_number": "1234-5678",
    "card_token": "tok_jqd_0042",
    "card_last4": "1111",
    "medical_notes": "Type 1 diabetic",
}


@pytest.fixture
def customer(team_a: Team) -> Customer:
    return customer_create(caller=SETUP, team_id=team_a.pk, values=VALUES)


def reveal(user: User, customer: Customer, fields: list[str], reason: str = "caller check") -> Any:
    return customer_reveal(caller=as_caller(user), customer=customer, fields=fields, reason=reason)


# --- Masks ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mask", "value", "shown"),
    [
        (mask_phone, "+15551234567", "•••• •• 4567"),
        (mask_phone, "", "••••"),
        (mask_email, "jane.doe@example.com", "j•••@example.com"),
        (mask_email, "not-an-email", "••••"),
        (mask_card_last4, "1111", "•••• 1111"),
        (mask_account_number, "12345678", "••••5678"),
        (mask_account_number, "5678", "••••"),
        (mask_name, "Jane Quinn Doe", "J••• Q••• D•••"),
        (mask_name, "", "••••"),
    ],
)
def test_mask_shows_only_what_identifies_without_disclosing(
    mask: Any, value: str, shown: str
) -> None:
    assert mask(value) == shown


def test_masked_record_shows_every_revealable_field_masked(
    customer: Customer, supervisor: User
) -> None:
    masked = customer_masked(as_caller(supervisor), customer)
    assert masked == {
        "name": "J••• Q••• D•••",
        "date_of_birth": "••••-••-••",
        "addresses": ["••• (hidden)", "••• (hidden)"],
        "phones": ["•••• •• 4567"],
        "emails": ["j•••@example.com"],
        "account_number": "••••5678",
        "card_last4": "•••• 1111",
        "medical_notes": "••• (hidden)",
    }
    assert set(masked) == set(REVEALABLE)


def test_masked_record_leaves_out_medical_fields_without_the_permission(
    customer: Customer, agent: User
) -> None:
    masked = customer_masked(as_caller(agent), customer)
    assert set(masked) == set(REVEALABLE) - {"medical_notes"}
    assert "medical_notes" not in masked
    assert "card_token" not in masked
    text = json.dumps(masked, ensure_ascii=False)
    for secret in ("Jane", "Quinn", "1984", "Juniper", "5551234567", "jane.doe", "1234-5678"):
        assert secret not in text


def test_empty_fields_stay_empty_when_masked(team_a: Team, supervisor: User) -> None:
    customer = customer_create(caller=SETUP, team_id=team_a.pk, values={"name": "Jo"})
    masked = customer_masked(as_caller(supervisor), customer)
    assert masked["medical_notes"] == ""
    assert masked["phones"] == []
    assert masked["emails"] == []
    assert masked["addresses"] == []
    assert masked["date_of_birth"] == ""
    assert masked["card_last4"] == ""
    assert mask_value("medical_notes", "") == ""


def test_opening_a_record_is_audited(customer: Customer, agent: User) -> None:
    customer_viewed(caller=as_caller(agent), customer=customer)
    event = AuditEvent.objects.get(action="customer.viewed")
    assert (event.actor_id, event.target_id) == (str(agent.pk), str(customer.pk))


# --- Reveal ---------------------------------------------------------------------------------


def test_reveal_returns_only_the_asked_fields(customer: Customer, agent: User) -> None:
    assert reveal(agent, customer, ["phones", "card_last4"]) == {
        "phones": ["+15551234567"],
        "card_last4": "1111",
    }


def test_reveal_is_audited_with_fields_and_reason_but_no_values(
    customer: Customer, agent: User
) -> None:
    reveal(agent, customer, ["emails", "date_of_birth"], reason="  verifying identity on call ")
    event = AuditEvent.objects.get(action="customer.revealed")
    assert (event.actor_kind, event.actor_id) == ("user", str(agent.pk))
    assert (event.target_type, event.target_id) == ("customers.customer", str(customer.pk))
    assert event.reason == "verifying identity on call"
    assert event.details == {"fields": ["emails", "date_of_birth"]}


def test_reveal_asks_each_field_once(customer: Customer, agent: User) -> None:
    assert list(reveal(agent, customer, ["name", "name"])) == ["name"]
    assert AuditEvent.objects.get(action="customer.revealed").details == {"fields": ["name"]}


@pytest.mark.parametrize("reason", ["", "   "])
def test_reveal_without_a_reason_is_refused_and_not_audited(
    customer: Customer, agent: User, reason: str
) -> None:
    with pytest.raises(ServiceError) as refused:
        reveal(agent, customer, ["phones"], reason=reason)
    assert "reason" in refused.value.fields
    assert not AuditEvent.objects.filter(action="customer.revealed").exists()


@pytest.mark.parametrize("fields", [[], ["card_token"], ["nickname"], ["name", "password"]])
def test_reveal_of_unrevealable_fields_is_refused(
    customer: Customer, agent: User, fields: list[str]
) -> None:
    with pytest.raises(ServiceError) as refused:
        reveal(agent, customer, fields)
    assert "fields" in refused.value.fields
    assert not AuditEvent.objects.filter(action="customer.revealed").exists()


def test_card_token_is_never_revealable() -> None:
    assert "card_token" in FIELDS
    assert "card_token" not in REVEALABLE


def test_agent_cannot_reveal_medical_notes(customer: Customer, agent: User) -> None:
    with pytest.raises(AccessDeniedError) as refused:
        reveal(agent, customer, ["name", "medical_notes"])
    assert refused.value.status == 403
    assert (refused.value.decision.rule, refused.value.decision.why) == (
        "customers.reveal_fields",
        "missing_permission:customers.view_medical",
    )
    assert not AuditEvent.objects.filter(action="customer.revealed").exists()
    denied = AuditEvent.objects.get(action="access.denied")
    assert (denied.actor_id, denied.outcome) == (str(agent.pk), "denied")
    assert (denied.target_type, denied.target_id) == ("customers.customer", str(customer.pk))
    assert denied.details == {
        "rule": "customers.reveal_fields",
        "via": "page",
        "resource": f"customers.customer:{customer.pk}",
        "why": "missing_permission:customers.view_medical",
    }


def test_a_person_without_the_reveal_permission_reveals_nothing(
    customer: Customer, compliance_officer: User
) -> None:
    with pytest.raises(AccessDeniedError):
        reveal(compliance_officer, customer, ["name"])
    assert not AuditEvent.objects.filter(action="customer.revealed").exists()
    denied = AuditEvent.objects.get(action="access.denied")
    assert (denied.details["rule"], denied.details["why"]) == (
        "customers.reveal_fields",
        "missing_permission:customers.reveal_customer",
    )


def test_supervisor_can_reveal_medical_notes(customer: Customer, supervisor: User) -> None:
    assert reveal(supervisor, customer, ["medical_notes"]) == {"medical_notes": "Type 1 diabetic"}
    event = AuditEvent.objects.get(action="customer.revealed")
    assert event.details == {"fields": ["medical_notes"]}


# --- Reveal bursts --------------------------------------------------------------------------

# Pinned one minute before the end of an hour, so the fixed window cannot roll over mid-test.
PINNED = dt.datetime(2026, 3, 2, 10, 59, 0, tzinfo=dt.UTC)


@pytest.fixture
def pinned_clock(monkeypatch: pytest.MonkeyPatch) -> dt.datetime:
    monkeypatch.setattr(timezone, "now", lambda: PINNED)
    return PINNED


@override_settings(REVEAL_RATE=Rate(3, "hour"))
def test_reveal_burst_is_throttled_with_a_retry_after(
    customer: Customer, agent: User, pinned_clock: dt.datetime
) -> None:
    for _ in range(3):
        reveal(agent, customer, ["phones"])
    with pytest.raises(RevealLimitError) as limited:
        reveal(agent, customer, ["phones"])
    assert isinstance(limited.value, RateLimitError)
    assert (limited.value.status, limited.value.code) == (429, "throttled")
    assert limited.value.retry_after == 60
    assert limited.value.headers() == {"Retry-After": "60"}
    assert "60 seconds" in limited.value.message
    assert AuditEvent.objects.filter(action="customer.revealed").count() == 3


@override_settings(REVEAL_RATE=Rate(3, "hour"))
def test_reveal_allowance_is_per_person(
    customer: Customer, agent: User, supervisor: User, pinned_clock: dt.datetime
) -> None:
    for _ in range(3):
        reveal(agent, customer, ["phones"])
    assert reveal(supervisor, customer, ["phones"]) == {"phones": ["+15551234567"]}


@override_settings(REVEAL_RATE=Rate(3, "hour"))
def test_refused_reveals_do_not_use_up_the_allowance(
    customer: Customer, agent: User, pinned_clock: dt.datetime
) -> None:
    for _ in range(5):
        with pytest.raises(ServiceError):
            reveal(agent, customer, ["phones"], reason="")
        with pytest.raises(AccessDeniedError):
            reveal(agent, customer, ["medical_notes"])
    for _ in range(3):
        reveal(agent, customer, ["phones"])
    assert AuditEvent.objects.filter(action="customer.revealed").count() == 3


@override_settings(REVEAL_RATE=Rate(3, "hour"))
def test_reveal_allowance_comes_back_in_the_next_window(
    customer: Customer, agent: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(timezone, "now", lambda: PINNED)
    for _ in range(3):
        reveal(agent, customer, ["phones"])
    with pytest.raises(RevealLimitError):
        reveal(agent, customer, ["phones"])
    monkeypatch.setattr(timezone, "now", lambda: PINNED + dt.timedelta(minutes=1))
    assert reveal(agent, customer, ["phones"]) == {"phones": ["+15551234567"]}


def test_a_refused_reveal_over_the_rate_is_itself_recorded(agent: User, team_a: Team) -> None:
    customer = customer_create(
        caller=SETUP,
        team_id=team_a.pk,
        values={"name": "Rita Rate", "phones": ["+1 555 010 0199"]},
    )
    with override_settings(REVEAL_RATE=Rate(1, "hour")):
        customer_reveal(caller=as_caller(agent), customer=customer, fields=["name"], reason="call")
        with pytest.raises(RevealLimitError):
            customer_reveal(
                caller=as_caller(agent), customer=customer, fields=["phones"], reason="call"
            )
    refused = AuditEvent.objects.get(action="customer.reveal_refused")
    assert refused.outcome == "denied"
    assert (refused.actor_id, refused.target_id) == (str(agent.pk), str(customer.pk))
    assert not AuditEvent.objects.filter(action="access.denied").exists()
    assert refused.details == {"fields": ["phones"], "why": "reveal_rate"}
