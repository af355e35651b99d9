"""The audit search page: who may open the compliance pages, filters, keyset pages, bad
input, and the page's own audit event."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from urllib.parse import unquote

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from audit.models import AuditEvent
from audit.search import CUSTOMER_TYPE
from audit.services import AuditTarget
from ccplatform.context import Actor
from tests.actions import record
from tests.personas import login_verified

pytestmark = pytest.mark.django_db

SEARCH = reverse("audit:events")
CUSTOMER = uuid.UUID("6f1c2d3e-4b5a-4c6d-8e7f-901234567890")


@pytest.fixture
def officer(client: Client, compliance_officer: User) -> Client:
    return login_verified(client, compliance_officer)


def _pages() -> list[str]:
    return [*_LOG_PAGES, *_OFFICER_ONLY_PAGES]


# Pages that need only audit.view_auditevent, which security admins also hold (accounts.roles:
# they read the same log in the admin); and pages that need a compliance officer's permission.
_LOG_PAGES = [
    SEARCH,
    reverse("audit:customer", kwargs={"customer_id": CUSTOMER}),
    reverse("audit:actor", kwargs={"kind": "system", "actor_id": "nightly job"}),
    reverse("audit:chains"),
]
_OFFICER_ONLY_PAGES = [
    reverse("audit:export", kwargs={"fmt": "csv"}),
    reverse("audit:alerts"),
]
# The rule each page asks, and the permission it names when it refuses.
_RULES = {
    **dict.fromkeys(_LOG_PAGES, ("audit.read_events", "audit.view_auditevent")),
    _OFFICER_ONLY_PAGES[0]: ("audit.export_events", "audit.export_auditevent"),
    _OFFICER_ONLY_PAGES[1]: ("audit.read_alerts", "audit.view_alert"),
}


def _shown_ids(response: object) -> list[int]:
    html = response.content.decode()  # type: ignore[attr-defined]
    return [int(found) for found in re.findall(r'data-event-id="(\d+)"', html)]


def _next_link(response: object) -> str | None:
    html = response.content.decode()  # type: ignore[attr-defined]
    found = re.search(r'<a href="(\?[^"]*)" rel="next">Older events', html)
    return found.group(1).replace("&amp;", "&") if found else None


# --- Who may open the pages ---------------------------------------------------------------


@pytest.mark.parametrize("page", _pages())
def test_compliance_officer_opens_every_page(officer: Client, page: str) -> None:
    assert officer.get(page).status_code == 200


def _refused(client: Client, user: User, page: str) -> None:
    response = login_verified(client, user).get(page)
    assert response.status_code == 403
    refusal = AuditEvent.objects.filter(action="access.denied").latest("id")
    assert (refusal.actor_kind, refusal.actor_id) == ("user", str(user.pk))
    assert refusal.outcome == "denied"
    entry_point = f"GET {unquote(page)}"  # the path as the request has it (decoded)
    assert (refusal.target_type, refusal.target_id) == ("page", entry_point[:64])
    rule, permission = _RULES[page]
    assert refusal.details == {
        "rule": rule,
        "via": "page",
        "resource": entry_point,
        "why": f"missing_permission:{permission}",
    }
    assert not AuditEvent.objects.filter(action__in=["audit.searched", "audit.exported"]).exists()


@pytest.mark.parametrize("persona", ["agent", "supervisor"])
@pytest.mark.parametrize("page", _pages())
def test_agents_and_supervisors_get_403_and_the_refusal_is_audited(
    client: Client, request: pytest.FixtureRequest, persona: str, page: str
) -> None:
    _refused(client, request.getfixturevalue(persona), page)


@pytest.mark.parametrize("page", _OFFICER_ONLY_PAGES)
def test_security_admins_get_403_on_exports_and_alerts(
    client: Client, security_admin: User, page: str
) -> None:
    _refused(client, security_admin, page)


@pytest.mark.parametrize("page", _LOG_PAGES)
def test_security_admins_read_the_log_they_already_read_in_the_admin(
    client: Client, security_admin: User, page: str
) -> None:
    assert login_verified(client, security_admin).get(page).status_code == 200


@pytest.mark.parametrize("page", _pages())
def test_anonymous_visitors_are_sent_to_sign_in(client: Client, page: str) -> None:
    response = client.get(page)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_password_only_session_is_sent_to_sign_in(client: Client, compliance_officer: User) -> None:
    client.force_login(compliance_officer)  # no verified second factor
    response = client.get(SEARCH)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.parametrize(
    "action",
    ["audit:verify", "audit:alert_acknowledge", "audit:alert_close"],
)
def test_other_roles_cannot_act(client: Client, agent: User, action: str) -> None:
    kwargs = {} if action == "audit:verify" else {"alert_id": uuid.uuid4()}
    response = login_verified(client, agent).post(reverse(action, kwargs=kwargs), {"note": "x"})
    assert response.status_code == 403


def test_home_links_the_audit_pages_for_compliance_officers_only(
    officer: Client, client: Client, agent: User
) -> None:
    assert SEARCH in officer.get("/").content.decode()
    other = Client()
    assert SEARCH not in login_verified(other, agent).get("/").content.decode()


# --- Filters ------------------------------------------------------------------------------


def test_filters_narrow_the_results(officer: Client, agent: User, supervisor: User) -> None:
    by_agent = record(actor=Actor.user(agent.pk), action="customer.viewed")
    on_customer = record(
        actor=Actor.user(supervisor.pk),
        action="customer.revealed",
        target=AuditTarget(CUSTOMER_TYPE, str(CUSTOMER)),
    )
    denied = record(actor=Actor.system("job"), action="platform.tested", outcome="denied")

    def ids(**query: str) -> set[int]:
        response = officer.get(SEARCH, query)
        assert response.status_code == 200
        return set(_shown_ids(response))

    assert ids(actor=agent.username) == {by_agent.pk}
    assert ids(actor=f"user:{supervisor.pk}") == {on_customer.pk}
    assert ids(customer=str(CUSTOMER)) == {on_customer.pk}
    assert ids(action="customer.*") == {by_agent.pk, on_customer.pk}
    assert ids(action="customer.viewed") == {by_agent.pk}
    assert ids(outcome="denied") == {denied.pk}
    assert ids(since=(timezone.now() + dt.timedelta(hours=1)).isoformat()) == set()
    everything = ids()
    assert {by_agent.pk, on_customer.pk, denied.pk} <= everything


def test_request_id_links_to_the_events_of_that_request(officer: Client) -> None:
    officer.get(SEARCH)  # its own audit event carries the request's id
    searched = AuditEvent.objects.filter(action="audit.searched").latest("id")
    assert searched.request_id
    response = officer.get(SEARCH, {"request_id": searched.request_id})
    assert _shown_ids(response) == [searched.pk]
    assert f"?request_id={searched.request_id}" in response.content.decode()


def test_user_actors_are_shown_by_username_in_one_query_per_page(
    officer: Client, agent: User, supervisor: User, security_admin: User
) -> None:
    record(actor=Actor.user(agent.pk), action="customer.viewed")

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            response = officer.get(SEARCH, {"action": "customer.*"})
        assert agent.username in response.content.decode()
        return len(captured)

    few = queries()
    for person in (supervisor, security_admin):
        record(actor=Actor.user(person.pk), action="customer.viewed")
    assert queries() == few


def test_user_actor_links_to_the_actor_page(officer: Client, agent: User) -> None:
    record(actor=Actor.user(agent.pk), action="customer.viewed")
    html = officer.get(SEARCH, {"action": "customer.viewed"}).content.decode()
    actor_page = reverse("audit:actor", kwargs={"kind": "user", "actor_id": str(agent.pk)})
    assert f'href="{actor_page}">{agent.username}</a>' in html


# --- Keyset pages -------------------------------------------------------------------------


def test_pages_walk_every_event_once_across_rows_with_the_same_time(
    officer: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    instant = timezone.now() - dt.timedelta(minutes=5)
    monkeypatch.setattr(timezone, "now", lambda: instant)
    same_time = [record(actor=Actor.system("walker"), action="platform.tested") for _ in range(7)]
    monkeypatch.undo()
    later = [record(actor=Actor.system("walker"), action="platform.tested") for _ in range(3)]
    expected = [event.pk for event in sorted(same_time + later, key=lambda e: e.pk, reverse=True)]

    seen: list[int] = []
    query: str | None = "?actor=system:walker&size=3"
    pages = 0
    while query is not None:
        response = officer.get(SEARCH + query)
        assert response.status_code == 200
        shown = _shown_ids(response)
        assert 0 < len(shown) <= 3
        seen.extend(shown)
        query = _next_link(response)
        pages += 1
    assert seen == expected  # newest first, no duplicates, no gaps
    assert pages == 4


# --- Bad input ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"action": "DROP TABLE"}, "Use a dotted action"),
        ({"customer": "not-a-uuid"}, "valid UUID"),
        ({"since": "yesterday-ish"}, "valid date/time"),
        ({"actor": "nobody.by.this.name"}, "No user has this username"),
        ({"outcome": "maybe"}, "Select a valid choice"),
        ({"since": "2026-01-02T00:00Z", "until": "2026-01-01T00:00Z"}, "Must be after"),
        ({"size": "0"}, "greater than or equal to 1"),
        ({"cursor": "bm90IGEgY3Vyc29y"}, "page cursor is not valid"),
    ],
)
def test_malformed_input_gets_400_with_the_message_and_no_results(
    officer: Client, query: dict[str, str], message: str
) -> None:
    response = officer.get(SEARCH, query)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert _shown_ids(response) == []
    assert not AuditEvent.objects.filter(action="audit.searched").exists()


# --- The page's own audit event -----------------------------------------------------------


def test_every_search_page_is_audited_with_its_filter_and_page_size(
    officer: Client, compliance_officer: User, agent: User
) -> None:
    record(actor=Actor.user(agent.pk), action="customer.viewed")
    officer.get(SEARCH, {"actor": agent.username, "action": "customer.*", "size": "20"})
    event = AuditEvent.objects.get(action="audit.searched")
    assert (event.actor_kind, event.actor_id) == ("user", str(compliance_officer.pk))
    assert event.details == {
        "via": "page",
        "view": "search",
        "filter": {"actor": f"user:{agent.pk}", "action": "customer.*"},
        "page_size": 20,
        "shown": 1,
        "continued": False,
    }
    assert agent.username not in str(event.details)  # ids, never names


def test_pages_walk_events_at_different_times_newest_first(officer: Client) -> None:
    events = [record(actor=Actor.system("walker"), action="platform.tested") for _ in range(5)]
    seen: list[int] = []
    query: str | None = "?actor=system:walker&size=2"
    while query is not None:
        response = officer.get(SEARCH + query)
        seen.extend(_shown_ids(response))
        query = _next_link(response)
    assert seen == [event.pk for event in reversed(events)]
    assert "← Newest events" in response.content.decode()
    assert (
        AuditEvent.objects.get(action="audit.searched", details__continued=False).details[
            "page_size"
        ]
        == 2
    )


def test_user_actor_ids_that_are_not_user_ids_are_shown_as_recorded(officer: Client) -> None:
    record(actor=Actor.user("legacy-42"), action="customer.viewed")
    response = officer.get(SEARCH, {"action": "customer.viewed"})
    assert response.status_code == 200
    assert "legacy-42" in response.content.decode()
