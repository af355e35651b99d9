"""No side doors: every page and endpoint that is not public needs both sign-in steps.

The URL conf is walked, so a page added later is checked without anyone listing it here.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.converters import IntConverter, UUIDConverter
from django.urls.resolvers import RegexPattern, RoutePattern
from rest_framework.permissions import AllowAny

from accounts.models import User, UserSession
from audit.models import AuditEvent
from ccplatform.permissions import PUBLIC, declared_permission
from tests.personas import (
    LOGIN,
    PASSWORD,
    SECURITY,
    VERIFY,
    Integrator,
    current_code,
    login_verified,
    password_step,
    secrets_kept_out_of_the_audit_log,
    session_key,
)

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as TestResponse

pytestmark = pytest.mark.django_db

LOGOUT = "/accounts/logout/"
METHODS = ("get", "post")

_ROUTE_PARAMETER = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")
_NAMED_GROUP = re.compile(r"\(\?P<(?P<name>\w+)>(?P<body>[^()]*)\)")
_ALTERNATIVES = re.compile(r"^\w+(\|\w+)*$")


@dataclass(frozen=True)
class Endpoint:
    url: str
    callback: Callable[..., Any]

    @property
    def is_api(self) -> bool:
        return self.url.startswith("/api/")

    def __str__(self) -> str:
        return self.url


def _fill_route(pattern: RoutePattern) -> str:
    """A route with each <converter:name> replaced by a plausible value of its type."""

    def value(match: re.Match[str]) -> str:
        converter = pattern.converters[match.group("name")]
        if isinstance(converter, UUIDConverter):
            return str(uuid.uuid4())
        if isinstance(converter, IntConverter):
            return "1"
        return "x"  # str, slug and path converters

    return _ROUTE_PARAMETER.sub(value, str(pattern))


def _fill_regex(pattern: RegexPattern) -> str:
    """A regex with anchors dropped and each named group replaced by a value it accepts."""

    def value(match: re.Match[str]) -> str:
        body = match.group("body")
        if _ALTERNATIVES.match(body):
            return body.split("|")[0]
        return "1" if body in {r"\d+", "[0-9]+"} else "x"

    return _NAMED_GROUP.sub(value, str(pattern).removeprefix("^").removesuffix("$"))


def _fill(pattern: RoutePattern | RegexPattern | Any) -> str:
    if isinstance(pattern, RoutePattern):
        return _fill_route(pattern)
    if isinstance(pattern, RegexPattern):
        return _fill_regex(pattern)
    raise AssertionError(f"unknown URL pattern type {type(pattern).__name__}: teach the walk")


def _walk(patterns: list[Any], prefix: str = "/") -> Iterator[Endpoint]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, prefix + _fill(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield Endpoint(prefix + _fill(entry.pattern), entry.callback)


def _is_public(callback: Callable[..., Any]) -> bool:
    if declared_permission(callback) == PUBLIC:
        return True
    # An API view declares its rule with permission_classes; AllowAny alone says "public".
    view_class = getattr(callback, "cls", None)
    classes = getattr(view_class, "permission_classes", None)
    return bool(classes) and all(cls is AllowAny for cls in classes)  # type: ignore[union-attr]


def _guarded_endpoints() -> list[Endpoint]:
    guarded = []
    for endpoint in _walk(get_resolver().url_patterns):
        if endpoint.url.startswith(settings.STATIC_URL) or _is_public(endpoint.callback):
            continue
        resolved = resolve(urlsplit(endpoint.url).path)
        assert resolved.func is endpoint.callback, (
            f"{endpoint}: the value filled in for a parameter reached another view; "
            "teach the walk a better value for this converter"
        )
        guarded.append(endpoint)
    return guarded


GUARDED = _guarded_endpoints()


def test_the_walk_finds_the_guarded_pages_of_every_area() -> None:
    urls = [endpoint.url for endpoint in GUARDED]
    assert "/accounts/security/" in urls
    assert "/accounts/session/keep-alive/" in urls
    assert "/admin/" in urls
    assert "/api/v1/status/" in urls
    assert any(url.startswith("/admin/accounts/user/") for url in urls)
    assert LOGIN not in urls  # public pages are left out


def _request(
    client: Client, method: str, url: str, headers: dict[str, str] | None = None
) -> TestResponse:
    if method == "get":
        return client.get(url, headers=headers)
    return client.post(url, headers=headers)


def _leads_to_sign_in(client: Client, response: TestResponse) -> bool:
    """A redirect to the sign-in page, possibly through the admin's own login redirect."""
    for _ in range(3):
        if response.status_code != 302:
            return False
        location = response["Location"]
        if urlsplit(location).path == LOGIN:
            return True
        response = client.get(location)
    return False


def _assert_refused(
    client: Client, endpoint: Endpoint, method: str, headers: dict[str, str] | None = None
) -> None:
    """Never 200, never a 500: the API says 401/403 in JSON, a page sends to sign in.

    A 500 would raise here: the test client re-raises a view's exception.
    """
    response = _request(client, method, endpoint.url, headers)
    where = f"{method.upper()} {endpoint}"
    if endpoint.is_api:
        assert response.status_code in (401, 403), f"{where} answered {response.status_code}"
        assert response["Content-Type"].startswith("application/json"), where
        assert "error" in response.json(), where
    else:
        assert response.status_code == 302, f"{where} answered {response.status_code}"
        assert _leads_to_sign_in(Client(), response), f"{where} led to {response['Location']}"


def _auth(integrator: Integrator) -> dict[str, str]:
    return {"Authorization": f"Api-Key {integrator.key}"}


def _password_only(user: User) -> Client:
    client = Client()
    assert password_step(client, user)["Location"] == VERIFY
    return client


@pytest.fixture(autouse=True)
def _password_never_audited(db: None) -> Iterator[list[str]]:
    yield from secrets_kept_out_of_the_audit_log(PASSWORD)


# --- (a) anonymous, (b) password only, (c) signed in without the second factor ------------


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("endpoint", GUARDED, ids=str)
def test_an_anonymous_visitor_is_refused(endpoint: Endpoint, method: str) -> None:
    _assert_refused(Client(), endpoint, method)


@pytest.mark.parametrize("method", METHODS)
def test_a_password_alone_opens_nothing(security_admin: User, method: str) -> None:
    client = _password_only(security_admin)

    for endpoint in GUARDED:
        _assert_refused(client, endpoint, method)

    assert not UserSession.objects.filter(user=security_admin).exists()
    # The half-way session was not spent by the walk: the code step is still open.
    assert client.post(VERIFY, {"code": current_code(security_admin)}).status_code == 302


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("persona", ["agent", "security_admin"])
def test_a_session_without_a_verified_factor_is_refused_and_ended(
    request: pytest.FixtureRequest, persona: str, method: str
) -> None:
    user: User = request.getfixturevalue(persona)

    for endpoint in GUARDED:
        client = Client()
        client.force_login(user)
        key = session_key(client)

        _assert_refused(client, endpoint, method)

        assert not UserSession.objects.filter(session_key=key).exists(), endpoint
    ended = AuditEvent.objects.filter(action="session.ended", target_id=str(user.pk))
    assert ended.count() == len(GUARDED)
    assert {event.details["why"] for event in ended} == {"no_verified_factor"}


# --- (d) an API key is not a person ----------------------------------------------------------


@pytest.mark.parametrize("method", METHODS)
def test_an_api_key_opens_no_browser_page_nor_the_admin(
    integrator: Integrator, method: str
) -> None:
    for endpoint in GUARDED:
        if endpoint.is_api:
            continue
        _assert_refused(Client(), endpoint, method, headers=_auth(integrator))


def test_an_api_key_on_a_public_page_signs_nobody_in(integrator: Integrator) -> None:
    response = Client().get("/", headers=_auth(integrator))

    assert response.status_code == 200
    assert not response.wsgi_request.user.is_authenticated


# --- (e) no "remember this device" -----------------------------------------------------------


def test_the_sign_in_pages_offer_no_way_to_skip_the_second_factor_next_time(agent: User) -> None:
    client = Client()
    sign_in_page = client.get(LOGIN).content.decode()
    password_step(client, agent)
    verify_page = client.get(VERIFY).content.decode()

    for html in (sign_in_page, verify_page):
        assert 'type="checkbox"' not in html
        assert "remember" not in html.lower()
        assert "trust this" not in html.lower()


def test_after_sign_out_the_password_always_leads_to_the_second_factor(agent: User) -> None:
    client = Client()
    password_step(client, agent)
    assert client.post(VERIFY, {"code": current_code(agent)}).status_code == 302
    client.post(LOGOUT)

    left = {name for name, cookie in client.cookies.items() if cookie.value}
    assert left <= {settings.CSRF_COOKIE_NAME}
    response = password_step(client, agent)

    assert response["Location"] == VERIFY
    assert not client.get(SECURITY).wsgi_request.user.is_authenticated


def test_the_admins_own_password_form_is_not_a_way_around_the_fresh_code(
    client: Client, security_admin: User
) -> None:
    login_verified(client, security_admin)
    response = client.get("/admin/password_change/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/security/password/"
    assert client.post("/admin/password_change/", {"old_password": PASSWORD}).status_code == 302
    security_admin.refresh_from_db()
    assert security_admin.check_password(PASSWORD)


def test_signing_out_of_the_admin_signs_out_of_the_platform(
    client: Client, security_admin: User
) -> None:
    login_verified(client, security_admin)
    response = client.post("/admin/logout/")
    assert response.status_code == 302
    assert response["Clear-Site-Data"] == '"cache", "cookies", "storage"'
    assert AuditEvent.objects.filter(
        action="session.ended", target_id=str(security_admin.pk)
    ).exists()
    assert client.get(SECURITY).status_code == 302


def test_a_signed_in_person_who_is_not_staff_is_refused_by_the_admin_and_it_is_recorded(
    client: Client, agent: User
) -> None:
    login_verified(client, agent)
    response = client.get("/admin/accounts/user/", follow=True)  # through the admin's login
    assert response.status_code == 403
    refused = AuditEvent.objects.get(action="access.denied", actor_id=str(agent.pk))
    assert refused.outcome == "denied"
    assert refused.details == {
        "rule": "accounts.use_admin",
        "via": "admin",
        "resource": "GET /admin/login/",
        "why": "not_staff",
    }
    assert client.get("/workspace/").status_code == 200  # still signed in, just not staff
