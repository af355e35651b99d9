"""What the incidents API tests share: clients for each kind of caller, incidents reported
through the real service, customers exposed through the real customer services, and the
audit look-ups. It holds no tests of its own."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.test import Client
from django.utils import timezone

from accounts.models import Team, User
from audit.models import AuditEvent
from ccplatform.callers import Via
from customers.models import Customer
from customers.services.records import customer_reveal, customer_viewed
from incidents.models import Incident, OpenedVia
from incidents.services.register import Report, incident_open
from tests.customers.api_support import make_customer
from tests.personas import Integrator, as_caller, login_verified

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as TestResponse

API = "/api/v1/incidents/"
JSON = "application/json"

# A report as a client sends it: times as text with their zone, as JSON carries them.
REPORT: dict[str, Any] = {
    "title": "Laptop with an open session left in a taxi",
    "nature": "confidentiality",
    "kind": "unauthorised_access",
    "severity": "high",
    "risk": "risk",
    "data_categories": ["contact"],
    "description": "An agent's laptop was lost while signed in.",
}


def incident_url(incident: Incident, tail: str = "") -> str:
    return f"{API}{incident.pk}/{tail}"


def signed_in(user: User) -> Client:
    """A client of `user` past both sign-in steps."""
    return login_verified(Client(), user)


def with_key(integrator: Integrator) -> Client:
    """A client that authenticates every request with the integrator's API key."""
    return Client(headers={"Authorization": f"Api-Key {integrator.key}"})


def send(client: Client, method: str, url: str, body: dict[str, Any]) -> TestResponse:
    """`body` as JSON with `method` (post, patch, put)."""
    response: TestResponse = getattr(client, method)(url, body, content_type=JSON)
    return response


def compute(client: Client, incident: Incident, **query: Any) -> TestResponse:
    """Ask for the incident's affected customers (the task runs eagerly in tests)."""
    return send(client, "post", incident_url(incident, "affected/"), query)


def take_step(client: Client, incident: Incident, status: str) -> TestResponse:
    return send(client, "post", incident_url(incident, "transition/"), {"status": status})


def iso(moment: datetime) -> str:
    return moment.isoformat()


def hours_ago(hours: float) -> datetime:
    return timezone.now() - timedelta(hours=hours)


def report(user: User, **changes: Any) -> Incident:
    """An incident reported by `user` through the service, as the pages would."""
    values: dict[str, Any] = {
        "title": "Suspicious export of customer records",
        "nature": "confidentiality",
        "kind": "unauthorised_disclosure",
        "severity": "medium",
        "data_categories": ("contact",),
        "aware_at": hours_ago(2),
        "discovered_at": hours_ago(3),
        **changes,
    }
    return incident_open(caller=as_caller(user), report=Report(**values), via=OpenedVia.PAGE)


def exposed_customers(agent: User, team: Team) -> tuple[Customer, Customer]:
    """Two customers the agent touched: one revealed (plain text), one only viewed (masked)."""
    revealed = make_customer(team, addresses=["1 Market St, San Francisco, CA 94105"])
    viewed = make_customer(team, name="Second Example")
    caller = as_caller(agent, via=Via.API)
    customer_reveal(caller=caller, customer=revealed, fields=["name"], reason="caller asked")
    customer_viewed(caller=caller, customer=viewed)
    return revealed, viewed


def events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("id"))


def refusals(why: str = "outside_scope_or_missing") -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action="access.denied", details__why=why))
