"""Searching and reading the audit log over the API: who may, what filters do, how pages go."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import User
from audit.models import AuditEvent
from audit.services import AuditTarget
from ccplatform.context import Actor
from tests.actions import record
from tests.customers.api_support import as_key, error_of, signed_in
from tests.personas import Integrator, make_integrator

pytestmark = pytest.mark.django_db

EVENTS = "/api/v1/audit/events/"
CUSTOMER = "c0ffee00-0000-4000-8000-000000000001"


@pytest.fixture
def officer(client: Client, compliance_officer: User) -> Client:
    return signed_in(client, compliance_officer)


@pytest.fixture
def auditor_key(db: None) -> Integrator:
    return make_integrator("siem.reader", scopes=("audit:read",))


def _tested(count: int, *, actor: str = "api-test", **fields: Any) -> list[AuditEvent]:
    return [
        record(actor=Actor.system(actor), action="platform.tested", details={"n": n}, **fields)
        for n in range(count)
    ]


def _results(response: Any) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.content[:300]
    results: list[dict[str, Any]] = response.json()["results"]
    return results


# --- Who may search -------------------------------------------------------------------------------


def test_compliance_officer_searches_and_sees_every_field_of_an_event(officer: Client) -> None:
    [event] = _tested(1, target=AuditTarget("customers.customer", CUSTOMER), reason="checked")

    [shown] = _results(officer.get(EVENTS, {"action": "platform.tested"}))

    stored = AuditEvent.objects.get(pk=event.pk)
    assert shown == {
        "id": stored.pk,
        "occurred_at": stored.occurred_at.isoformat().replace("+00:00", "Z"),
        "actor_kind": "system",
        "actor_id": "api-test",
        "action": "platform.tested",
        "target_type": "customers.customer",
        "target_id": CUSTOMER,
        "outcome": "allowed",
        "reason": "checked",
        "request_id": "",
        "ip": None,
        "user_agent": "",
        "details": {"n": 0},
        "chain": stored.chain,
        "seq": stored.seq,
        "prev_hash": stored.prev_hash,
        "hash": stored.hash,
    }


@pytest.mark.parametrize("persona", ["agent", "supervisor"])
def test_agents_and_supervisors_are_refused_and_the_refusal_is_audited(
    client: Client, persona: str, request: pytest.FixtureRequest
) -> None:
    person: User = request.getfixturevalue(persona)

    response = signed_in(client, person).get(EVENTS)

    assert response.status_code == 403
    assert error_of(response)["code"] == "forbidden"
    denied = AuditEvent.objects.get(action="access.denied")
    assert (denied.actor_id, denied.outcome, denied.target_type) == (
        str(person.pk),
        "denied",
        "api",
    )
    assert denied.target_id == f"GET {EVENTS}"
    assert denied.details == {
        "rule": "audit.read_events",
        "via": "api",
        "resource": f"GET {EVENTS}",
        "why": "missing_permission:audit.view_auditevent",
    }
    assert not AuditEvent.objects.filter(action="audit.searched").exists()


def test_key_with_audit_read_searches_and_is_audited_as_the_key(auditor_key: Integrator) -> None:
    _tested(2)

    response = Client().get(EVENTS, {"action": "platform.tested"}, headers=as_key(auditor_key))

    assert len(_results(response)) == 2
    searched = AuditEvent.objects.get(action="audit.searched")
    assert searched.actor_kind == "api_key"
    assert searched.details == {
        "via": "api",
        "view": "api",
        "filter": {"action": "platform.tested"},
        "page_size": 50,
        "shown": 2,
        "continued": False,
    }


def test_key_without_audit_read_is_refused_and_audited(integrator: Integrator) -> None:
    response = Client().get(EVENTS, headers=as_key(integrator))

    assert response.status_code == 403
    denied = AuditEvent.objects.get(action="access.denied")
    assert (denied.actor_kind, denied.target_type, denied.target_id) == (
        "api_key",
        "api",
        f"GET {EVENTS}",
    )
    assert denied.details == {
        "rule": "audit.read_events",
        "via": "api",
        "resource": f"GET {EVENTS}",
        "why": "missing_scope:audit:read",
    }


def test_without_signing_in_the_api_answers_401(client: Client) -> None:
    assert client.get(EVENTS).status_code == 401
    assert client.get(f"{EVENTS}export/?format=csv").status_code == 401


# --- Filters --------------------------------------------------------------------------------------


def test_filters_narrow_the_results(officer: Client, agent: User) -> None:
    about = AuditTarget("customers.customer", CUSTOMER)
    _tested(2, actor="job-one")
    [by_agent] = [record(actor=Actor.user(agent.pk), action="customer.viewed", target=about)]
    [refused] = [
        record(actor=Actor.system("job-two"), action="customer.revealed", outcome="denied")
    ]

    def ids(**filters: str) -> set[int]:
        return {row["id"] for row in _results(officer.get(EVENTS, filters))}

    assert ids(actor="system:job-one") == {
        e.pk for e in AuditEvent.objects.filter(actor_id="job-one")
    }
    assert ids(actor=agent.username) == {by_agent.pk}
    assert ids(customer=CUSTOMER) == {by_agent.pk}
    assert ids(action="customer.*") == {by_agent.pk, refused.pk}
    assert ids(action="customer.*", outcome="denied") == {refused.pk}


def test_time_filters_take_since_inclusive_and_until_exclusive(officer: Client) -> None:
    before, inside = _tested(2)
    since = AuditEvent.objects.get(pk=inside.pk).occurred_at
    until = since + dt.timedelta(microseconds=1)

    found = _results(officer.get(EVENTS, {"since": since.isoformat(), "until": until.isoformat()}))

    assert [row["id"] for row in found] == [inside.pk]
    assert before.pk not in {row["id"] for row in found}


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"customer": "not-a-uuid"}, "customer"),
        ({"action": "DROP TABLE"}, "action"),
        ({"outcome": "maybe"}, "outcome"),
        ({"since": "yesterday-ish"}, "since"),
        ({"since": "2026-01-02T00:00:00Z", "until": "2026-01-01T00:00:00Z"}, "until"),
        ({"actor": "nobody.with.this.name"}, "actor"),
        ({"limit": "0"}, "limit"),
        ({"limit": "501"}, "limit"),
        ({"limit": "many"}, "limit"),
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"acton": "customer.viewed"}, "acton"),
    ],
)
def test_malformed_filters_and_paging_get_a_400_naming_the_field(
    officer: Client, query: dict[str, str], field: str
) -> None:
    response = officer.get(EVENTS, query)

    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "invalid"
    assert list(error["fields"]) == [field]
    assert not AuditEvent.objects.filter(action="audit.searched").exists()


# --- Pages ----------------------------------------------------------------------------------------


@pytest.fixture
def same_instant(monkeypatch: pytest.MonkeyPatch) -> Iterator[dt.datetime]:
    """Events recorded meanwhile all carry one timestamp (a busy second on a real system)."""
    moment = timezone.now()
    monkeypatch.setattr(timezone, "now", lambda: moment)
    yield moment
    monkeypatch.undo()


def test_pages_cover_every_event_once_even_at_one_timestamp(
    officer: Client, same_instant: dt.datetime
) -> None:
    recorded = _tested(7, actor="busy-a") + _tested(6, actor="busy-b")
    seen: list[int] = []
    url: str | None = f"{EVENTS}?action=platform.tested&limit=4"
    pages = 0
    while url:
        body = officer.get(url).json()
        seen += [row["id"] for row in body["results"]]
        url, pages = body["next"], pages + 1

    assert pages == 4
    assert len(seen) == len(set(seen)) == 13
    assert set(seen) == {event.pk for event in recorded}
    assert seen == sorted(seen, reverse=True)  # newest first; ties broken by id


def test_next_link_keeps_the_filters_and_the_last_page_has_none(officer: Client) -> None:
    _tested(3)

    first = officer.get(EVENTS, {"action": "platform.tested", "limit": "2"}).json()
    second = officer.get(first["next"]).json()

    assert first["next"].startswith("http://testserver/api/v1/audit/events/?")
    assert "action=platform.tested" in first["next"]
    assert len(second["results"]) == 1
    assert second["next"] is None


def test_each_search_is_audited_once_with_its_filters(officer: Client) -> None:
    _tested(3)
    first = officer.get(EVENTS, {"action": "platform.tested", "limit": "2"}).json()
    officer.get(first["next"])

    searched = list(AuditEvent.objects.filter(action="audit.searched").order_by("id"))
    assert [
        (event.details["page_size"], event.details["shown"], event.details["continued"])
        for event in searched
    ] == [(2, 2, False), (2, 1, True)]
    assert all(event.details["filter"] == {"action": "platform.tested"} for event in searched)


def test_a_page_costs_the_same_few_queries_whatever_its_size(officer: Client) -> None:
    _tested(60)

    def queries(limit: int) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert len(_results(officer.get(EVENTS, {"limit": str(limit)}))) == limit
        return len(captured)

    assert queries(5) == queries(50)


# --- One event ------------------------------------------------------------------------------------


def test_one_event_is_shown_and_the_read_is_audited(officer: Client) -> None:
    [event] = _tested(1)

    response = officer.get(f"{EVENTS}{event.pk}/")

    assert response.status_code == 200
    assert response.json()["hash"] == event.hash
    viewed = AuditEvent.objects.get(action="audit.event_viewed")
    assert (viewed.target_type, viewed.target_id) == ("audit.auditevent", str(event.pk))


@pytest.mark.parametrize("event_id", ["999999999", "99999999999999999999999999"])
def test_a_missing_event_is_a_404_in_the_house_format(officer: Client, event_id: str) -> None:
    response = officer.get(f"{EVENTS}{event_id}/")

    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


# --- Nothing changes an event ---------------------------------------------------------------------


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
@pytest.mark.parametrize("suffix", ["", "{id}/", "export/"])
def test_no_method_changes_or_deletes_an_event(
    officer: Client, auditor_key: Integrator, method: str, suffix: str
) -> None:
    [event] = _tested(1)
    url = f"{EVENTS}{suffix.format(id=event.pk)}"
    body = {"action": "platform.rewritten", "reason": "cover tracks"}

    by_officer = getattr(officer, method)(url, body, content_type="application/json")
    by_key = getattr(Client(), method)(
        url, body, content_type="application/json", headers=as_key(auditor_key)
    )

    assert by_officer.status_code == by_key.status_code == 405
    assert error_of(by_officer)["code"] == "method_not_allowed"
    stored = AuditEvent.objects.get(pk=event.pk)
    assert (stored.action, stored.reason, stored.hash) == ("platform.tested", "", event.hash)


def test_an_unknown_event_path_does_not_exist(officer: Client) -> None:
    assert officer.delete(f"{EVENTS}{uuid.uuid4()}/").status_code == 404


def test_security_admin_reads_events_through_the_view_permission_of_the_role(
    client: Client, security_admin: User
) -> None:
    # accounts/roles.py gives the security admin audit.view_auditevent (for the read-only
    # admin), and this endpoint asks for exactly that permission. Export, verification and
    # alerts stay refused (tests in test_api_export, test_api_verify, test_api_alerts).
    assert security_admin.has_perm("audit.view_auditevent")

    assert signed_in(client, security_admin).get(EVENTS).status_code == 200
