"""What the incident tests start from: customers who live somewhere, an agent who touched
them, a monitoring alert about it, and an incident reported by the compliance officer."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from accounts.models import Team, User
from audit.models import Alert, AlertRule
from audit.monitoring.access import bulk_access
from audit.monitoring.runner import Rule, run_monitoring
from customers.models import Customer
from customers.services.records import customer_create, customer_reveal, customer_viewed
from incidents.models import Incident, OpenedVia
from incidents.services.register import Report, incident_open
from tests.personas import SETUP, as_caller

ADDRESSES = (
    "100 Lake Street, Minneapolis, MN",
    "1 Main St, Austin, TX 78701",
    "5 Ocean Ave, Santa Monica, CA 90401",
    "12 Baker Street, London NW1 6XE",
)


def customers_in(team: Team, addresses: tuple[str, ...] = ADDRESSES) -> list[Customer]:
    return [
        customer_create(
            caller=SETUP,
            team_id=team.pk,
            values={"name": f"Person {index}", "addresses": [address]},
        )
        for index, address in enumerate(addresses)
    ]


def touched_by(agent: User, customers: list[Customer], *, reveal: int = 1) -> None:
    """The agent opens every record and reveals the name of the first `reveal` of them."""
    caller = as_caller(agent)
    for index, customer in enumerate(customers):
        customer_viewed(caller=caller, customer=customer)
        if index < reveal:
            customer_reveal(caller=caller, customer=customer, fields=["name"], reason="test")


def bulk_alert(settings: Any) -> Alert:
    """The monitoring rule for bulk access, run over what just happened."""
    settings.AUDIT_BULK_ACCESS_CUSTOMERS = 3
    settings.AUDIT_BULK_ACCESS_MINUTES = 10
    run_monitoring(rules=[Rule(AlertRule.BULK_ACCESS, bulk_access)])
    return Alert.objects.get(rule=AlertRule.BULK_ACCESS)


def report(**changes: Any) -> Report:
    facts: dict[str, Any] = {
        "title": "Agent laptop stolen",
        "nature": "confidentiality",
        "kind": "unauthorised_access",
        "severity": "high",
        "risk": "high",
        "discovered_at": timezone.now() - timedelta(hours=2),
        "data_categories": ["contact"],
    }
    return Report(**(facts | changes))


def opened(officer: User, **changes: Any) -> Incident:
    return incident_open(caller=as_caller(officer), report=report(**changes), via=OpenedVia.PAGE)
