"""The rules watch what the real services record: an action declared in the wrong category
(or a producer that stops recording) shows here.

The audit app may not import the customers or accounts apps, so the rules select events by
the categories of the action registry (audit.actions); these tests drive the real sign-in,
customer and selector code and check that the rules see what it records.
"""

from __future__ import annotations

import uuid

import pytest
from django.http import Http404
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pytest_django import Settings

from accounts.models import Team, User
from audit.models import AlertRule
from audit.monitoring.access import access_denied_burst, bulk_access, off_hours_reveal
from audit.monitoring.signin import signin_failures
from ccplatform.errors import AccessDeniedError
from customers.models import Customer
from customers.selectors import customer_get_for
from customers.services.access_log import customer_history_viewed
from customers.services.records import customer_create, customer_reveal, customer_viewed
from tests.personas import SETUP, WRONG_PASSWORD, as_caller, login_verified, password_step

pytestmark = pytest.mark.django_db


def _customers(team: Team, count: int) -> list[Customer]:
    return [
        customer_create(caller=SETUP, team_id=team.pk, values={"name": f"Customer {n}"})
        for n in range(count)
    ]


def test_views_reveals_and_history_reads_count_as_bulk_access(
    agent: User, team_a: Team, settings: Settings
) -> None:
    settings.AUDIT_BULK_ACCESS_CUSTOMERS = 2
    first, second, third = _customers(team_a, 3)
    caller = as_caller(agent)
    customer_viewed(caller=caller, customer=first)
    customer_history_viewed(caller=caller, customer=second, part="notes", ids=[])
    assert bulk_access(timezone.now()) == []
    customer_reveal(caller=caller, customer=third, fields=["name"], reason="caller")
    (found,) = bulk_access(timezone.now())
    assert (found.subject, found.details["customers"]) == (f"user:{agent.pk}", 3)


def test_a_real_reveal_outside_working_hours_is_found(
    agent: User, team_a: Team, settings: Settings
) -> None:
    settings.AUDIT_WORKING_DAYS = frozenset()  # no working day: every moment is off-hours
    (customer,) = _customers(team_a, 1)
    customer_reveal(caller=as_caller(agent), customer=customer, fields=["name"], reason="caller")
    (found,) = off_hours_reveal(timezone.now())
    assert (found.rule, found.subject) == (AlertRule.OFF_HOURS_REVEAL, f"user:{agent.pk}")


def test_wrong_passwords_at_the_sign_in_page_are_found_per_account_and_address(
    agent: User, settings: Settings
) -> None:
    settings.AUDIT_SIGNIN_FAILURES = 3
    client = Client(REMOTE_ADDR="203.0.113.7")
    for _ in range(3):
        password_step(client, agent, WRONG_PASSWORD)
    subjects = {found.subject for found in signin_failures(timezone.now())}
    assert subjects == {f"user:{agent.pk}", "ip:203.0.113.7"}


def test_refused_customer_lookups_are_a_denied_burst(other_agent: User, settings: Settings) -> None:
    settings.AUDIT_DENIED_BURST = 3
    for _ in range(3):
        with pytest.raises(Http404):
            customer_get_for(as_caller(other_agent), uuid.uuid4())
    (found,) = access_denied_burst(timezone.now())
    assert (found.subject, found.event_count) == (f"user:{other_agent.pk}", 3)


def test_every_refusal_of_the_gate_counts_towards_the_denied_burst(
    agent: User, team_a: Team, client: Client, settings: Settings
) -> None:
    """A record out of reach, a refused reveal and a refused page are one kind of event
    (access.denied), whichever door they came through."""
    settings.AUDIT_DENIED_BURST = 3
    (customer,) = _customers(team_a, 1)
    with pytest.raises(Http404):
        customer_get_for(as_caller(agent), uuid.uuid4())
    with pytest.raises(AccessDeniedError):
        customer_reveal(
            caller=as_caller(agent), customer=customer, fields=["medical_notes"], reason="asked"
        )
    assert access_denied_burst(timezone.now()) == []
    assert login_verified(client, agent).get(reverse("audit:events")).status_code == 403
    (found,) = access_denied_burst(timezone.now())
    assert (found.subject, found.event_count, found.details["distinct_actions"]) == (
        f"user:{agent.pk}",
        3,
        1,
    )
