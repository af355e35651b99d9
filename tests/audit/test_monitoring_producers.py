"""The rules watch the action names the real services record: a renamed action shows here.

The audit app may not import the customers or accounts apps, so the rules name their actions
as text; these tests drive the real sign-in, customer and selector code and check that the
rules see what it records.
"""

from __future__ import annotations

import uuid

import pytest
from django.http import Http404
from django.test import Client
from django.utils import timezone
from pytest_django import Settings

from accounts.models import Team, User
from audit.models import AlertRule
from audit.monitoring.access import access_denied_burst, bulk_access, off_hours_reveal
from audit.monitoring.signin import signin_failures
from ccplatform.context import Actor
from customers.models import Customer
from customers.selectors import customer_get_for
from customers.services.access_log import customer_history_viewed
from customers.services.records import customer_create, customer_reveal, customer_viewed
from tests.personas import SETUP, WRONG_PASSWORD, password_step

pytestmark = pytest.mark.django_db


def _customers(team: Team, count: int) -> list[Customer]:
    return [
        customer_create(actor=SETUP, team=team, values={"name": f"Customer {n}"})
        for n in range(count)
    ]


def _verified(user: User) -> User:
    user.is_verified = lambda: True  # type: ignore[attr-defined]
    return user


def test_views_reveals_and_history_reads_count_as_bulk_access(
    agent: User, team_a: Team, settings: Settings
) -> None:
    settings.AUDIT_BULK_ACCESS_CUSTOMERS = 2
    first, second, third = _customers(team_a, 3)
    actor = Actor.user(agent.pk)
    customer_viewed(actor=actor, customer=first)
    customer_history_viewed(actor=actor, customer=second, part="notes", ids=[])
    assert bulk_access(timezone.now()) == []
    customer_reveal(
        actor=actor, customer=third, fields=["name"], reason="caller", medical_allowed=False
    )
    (found,) = bulk_access(timezone.now())
    assert (found.subject, found.details["customers"]) == (f"user:{agent.pk}", 3)


def test_a_real_reveal_outside_working_hours_is_found(
    agent: User, team_a: Team, settings: Settings
) -> None:
    settings.AUDIT_WORKING_DAYS = frozenset()  # no working day: every moment is off-hours
    (customer,) = _customers(team_a, 1)
    customer_reveal(
        actor=Actor.user(agent.pk),
        customer=customer,
        fields=["name"],
        reason="caller",
        medical_allowed=False,
    )
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
            customer_get_for(_verified(other_agent), uuid.uuid4())
    (found,) = access_denied_burst(timezone.now())
    assert (found.subject, found.event_count) == (f"user:{other_agent.pk}", 3)
