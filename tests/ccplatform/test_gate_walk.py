"""One gate: a rule added in one place reaches every entry point.

A test-only requirement that blocks one role is added to the gate (ccplatform.permissions,
Level.CALLER) and every endpoint of the URL conf that is not public is called, with GET and
with POST, by a signed-in person of that role (pages, API and admin) or by an API key of
the integrator role (the API). Every call must be refused with 403 and recorded once by the
one denial recorder, in its one shape; every endpoint the same caller opens without the rule
must now be refused *because of* the rule (its reason is the test rule's).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.permissions import AllowAny

from accounts.models import Role, Team, User
from audit.models import AlertRule, AuditEvent, Severity
from audit.services.alerts import Finding, alert_raise
from ccplatform.callers import Caller
from ccplatform.permissions import (
    ALLOWED,
    PUBLIC,
    Decision,
    Level,
    declared_permission,
    deny,
    requirement,
)
from customers.services.records import customer_create
from incidents.models import OpenedVia
from incidents.services.register import Report, incident_open
from tests.ccplatform.url_walk import Endpoint, iter_endpoints
from tests.personas import (
    SETUP,
    Integrator,
    as_caller,
    login_verified,
    make_integrator,
    make_person,
)

pytestmark = pytest.mark.django_db

BLOCKED = "blocked_role_for_this_test"
MESSAGE = "Blocked by a rule added for this test."
ALL_SCOPES = ("customers:read", "customers:write", "audit:read")


def _is_public(endpoint: Endpoint) -> bool:
    view_class = getattr(endpoint.callback, "cls", None)
    if view_class is not None:
        classes = getattr(endpoint.callback, "initkwargs", {}).get("permission_classes")
        classes = classes if classes is not None else view_class.permission_classes
        return all(klass is AllowAny for klass in classes)
    return declared_permission(endpoint.callback) == PUBLIC


@dataclass(frozen=True)
class World:
    team: Team
    customer_id: uuid.UUID
    alert_id: uuid.UUID
    event_id: int
    people: dict[Role, User]
    integrator: Integrator
    incident_id: uuid.UUID
    obligation_id: int


@pytest.fixture
def world() -> World:
    team = Team.objects.create(name="Walk team")
    people = {
        Role.AGENT: make_person("walk.agent", Role.AGENT, team),
        Role.SUPERVISOR: make_person("walk.supervisor", Role.SUPERVISOR, team),
        Role.COMPLIANCE_OFFICER: make_person("walk.officer", Role.COMPLIANCE_OFFICER),
        Role.SECURITY_ADMIN: make_person("walk.admin", Role.SECURITY_ADMIN),
    }
    customer = customer_create(caller=SETUP, team_id=team.pk, values={"name": "Walk Example"})
    now = timezone.now()
    alert, _ = alert_raise(
        Finding(AlertRule.BULK_ACCESS, Severity.HIGH, "user:walk", "Walk", 1, now, now, {}),
        caller=Caller.system("walk"),
    )
    event = AuditEvent.objects.order_by("-id").first()
    assert event is not None
    integrator = make_integrator("walk.crm", scopes=ALL_SCOPES)
    incident = incident_open(
        caller=as_caller(people[Role.COMPLIANCE_OFFICER]),
        report=Report(
            title="Walk", nature="confidentiality", kind="loss", severity="low",
            discovered_at=now - timedelta(hours=1), team_ids=[str(team.pk)],
        ),
        via=OpenedVia.PAGE,
    )  # fmt: skip
    obligation = incident.obligations.first()
    assert obligation is not None
    return World(
        team, customer.pk, alert.pk, event.pk, people, integrator, incident.pk, obligation.pk
    )


def _samples(world: World, user: User) -> dict[str, str]:
    return {
        "customer_id": str(world.customer_id),
        "alert_id": str(world.alert_id),
        "event_id": str(world.event_id),
        "incident_id": str(world.incident_id),
        "obligation_id": str(world.obligation_id),
        "set_id": "1",
        "kind": "user",
        "actor_id": str(user.pk),
        "fmt": "csv",
        "object_id": str(user.pk),
        "content_type_id": "1",
        "app_label": "accounts",
        "url": "nowhere/",
    }


_PARAM = re.compile(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>[^)]*\)")


def concrete_path(route: str, samples: dict[str, str]) -> str:
    """The route with a sample value for each parameter (regex anchors dropped)."""
    filled = _PARAM.sub(lambda match: samples[match.group(1) or match.group(2)], route)
    return "/" + filled.replace("^", "").replace("$", "")


def gated_paths(world: World, user: User, *, api_only: bool = False) -> Iterator[str]:
    for endpoint in iter_endpoints():
        if _is_public(endpoint):
            continue
        path = concrete_path(endpoint.route, _samples(world, user))
        if api_only and not path.startswith("/api/"):
            continue
        yield path


def _blocking(role: str) -> AbstractContextManager[None]:
    def blocked(caller: Caller) -> Decision:
        return deny(BLOCKED, MESSAGE) if caller.role == role else ALLOWED

    return requirement(Level.CALLER, "test.blocked_role", blocked)


def _refusals(*, why: str | None = BLOCKED) -> list[AuditEvent]:
    events = AuditEvent.objects.filter(action="access.denied")
    return list(events.filter(details__why=why) if why else events)


def _opened(client: Client, paths: list[str]) -> list[str]:
    """The paths a GET by this client does not refuse (before any rule is added)."""
    return [path for path in paths if client.get(path, follow=True).status_code != 403]


def _refused_by_the_rule(client: Client, paths: list[str]) -> list[str]:
    """The paths whose GET is refused with the test rule's message (page, admin or API)."""
    return [
        path
        for path in paths
        if (response := client.get(path, follow=True)).status_code == 403
        and MESSAGE in response.content.decode()
    ]


def _call_everything(client: Client, paths: list[str]) -> dict[str, list[int]]:
    answers: dict[str, list[int]] = {}
    for path in paths:
        for method in (client.get, client.post):
            response = method(path, follow=True)  # the admin redirects to its login
            answers.setdefault(path, []).append(response.status_code)
    return answers


@pytest.mark.parametrize(
    "role", [Role.AGENT, Role.SUPERVISOR, Role.COMPLIANCE_OFFICER, Role.SECURITY_ADMIN]
)
def test_a_rule_blocking_a_role_refuses_that_person_on_every_page_api_and_admin_url(
    world: World, role: Role
) -> None:
    person = world.people[role]
    client = login_verified(Client(), person)
    paths = list(gated_paths(world, person))
    assert any(path.startswith("/admin/") for path in paths)
    assert any(path.startswith("/api/") for path in paths)
    assert any(path.startswith("/workspace/") for path in paths)
    opened = _opened(client, paths)
    assert opened  # every role has pages of its own
    before = len(_refusals(why=None))
    with _blocking(role.value):
        answers = _call_everything(client, paths)
        refusals = _refusals(why=None)[before:]
        because_of_the_rule = _refused_by_the_rule(client, opened)
    not_refused = {path: codes for path, codes in answers.items() if set(codes) != {403}}
    assert not_refused == {}
    assert len(refusals) == 2 * len(paths)  # each call refused once, by the one recorder
    assert {event.actor_id for event in refusals} == {str(person.pk)}
    assert all(set(event.details) == {"rule", "via", "resource", "why"} for event in refusals)
    assert {event.details["via"] for event in refusals} == {"page", "api", "admin"}
    assert because_of_the_rule == opened


def test_a_rule_blocking_the_integrator_role_refuses_every_api_url_for_its_keys(
    world: World,
) -> None:
    paths = list(gated_paths(world, world.integrator.user, api_only=True))
    assert "/api/v1/status/" in paths
    key = Client(headers={"Authorization": f"Api-Key {world.integrator.key}"})
    opened = _opened(key, paths)
    assert "/api/v1/customers/" in opened
    before = len(_refusals(why=None))
    with _blocking(Role.INTEGRATOR.value):
        answers = _call_everything(key, paths)
        refusals = _refusals(why=None)[before:]
        because_of_the_rule = _refused_by_the_rule(key, opened)
    assert {path: codes for path, codes in answers.items() if set(codes) != {403}} == {}
    assert len(refusals) == 2 * len(paths)
    assert {(event.actor_kind, event.details["via"]) for event in refusals} == {("api_key", "api")}
    assert because_of_the_rule == opened


def test_without_the_rule_the_same_people_get_in(world: World) -> None:
    agent = login_verified(Client(), world.people[Role.AGENT])
    officer = login_verified(Client(), world.people[Role.COMPLIANCE_OFFICER])
    admin = login_verified(Client(), world.people[Role.SECURITY_ADMIN])
    assert agent.get("/workspace/").status_code == 200
    assert agent.get(f"/workspace/customers/{world.customer_id}/").status_code == 200
    assert officer.get("/compliance/audit/").status_code == 200
    assert admin.get("/admin/accounts/user/").status_code == 200
    key = Client(headers={"Authorization": f"Api-Key {world.integrator.key}"}).get(
        "/api/v1/customers/"
    )
    assert key.status_code == 200
    assert _refusals() == []


def test_the_rule_blocks_only_its_role(world: World) -> None:
    agent = login_verified(Client(), world.people[Role.AGENT])
    with _blocking(Role.SUPERVISOR.value):
        assert agent.get("/workspace/").status_code == 200


def test_a_refused_page_says_why_and_a_refused_api_call_answers_in_json(world: World) -> None:
    agent = login_verified(Client(), world.people[Role.AGENT])
    with _blocking(Role.AGENT.value):
        page = agent.get("/workspace/")
        api = agent.get("/api/v1/customers/")
    assert page.status_code == 403
    assert MESSAGE in page.content.decode()
    assert api.status_code == 403
    assert api.json()["error"] == {"code": "forbidden", "message": MESSAGE}
