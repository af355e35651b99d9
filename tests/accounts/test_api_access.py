"""Who gets into the API: integrator keys in the header, verified sessions, scopes, throttles."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.throttling import SimpleRateThrottle

from accounts.models import ServiceAPIKey, User
from accounts.services.api_keys import api_key_create, api_key_revoke
from accounts.services.users import user_disable
from accounts.throttling import ApiKeyRateThrottle
from audit.models import AuditEvent
from tests.personas import PASSWORD, SETUP, Integrator, login_verified, make_integrator

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as TestResponse

pytestmark = pytest.mark.django_db

STATUS = "/api/v1/status/"
SCOPED = "/api/v1/test/scoped/"
PEOPLE_ONLY = "/api/v1/test/people-only/"
scoped_urls = pytest.mark.urls("tests.accounts.urls_scoped")


def _auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Api-Key {key}"}


def _prefix(integrator: Integrator) -> str:
    return integrator.key.partition(".")[0]


def _error(response: TestResponse) -> dict[str, Any]:
    body: dict[str, Any] = response.json()
    assert set(body) == {"error", "request_id"}
    assert body["request_id"] == response["X-Request-ID"]
    error: dict[str, Any] = body["error"]
    return error


def _assert_refused_key(response: TestResponse, says: str) -> None:
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Api-Key"
    error = _error(response)
    assert error["code"] == "not_authenticated"
    assert says in error["message"]


def _denials() -> list[tuple[str, str]]:
    """(actor id, why) of every recorded key refusal, oldest first."""
    events = AuditEvent.objects.filter(action="api_key.denied").order_by("id")
    assert all(event.actor_kind == "api_key" and event.outcome == "denied" for event in events)
    return [(event.actor_id, event.details["why"]) for event in events]


# --- Keys in the header ----------------------------------------------------------------------


def test_valid_key_in_the_header_authenticates_as_its_service_account(
    client: Client, integrator: Integrator
) -> None:
    response = client.get(STATUS, headers=_auth(integrator.key))

    assert response.status_code == 200
    assert response.json()["authenticated_as"] == str(integrator.user.pk)
    assert _denials() == []


def test_the_auth_scheme_name_is_case_insensitive(client: Client, integrator: Integrator) -> None:
    response = client.get(STATUS, headers={"Authorization": f"api-key {integrator.key}"})

    assert response.status_code == 200


@pytest.mark.parametrize(
    "header",
    [
        pytest.param("Api-Key {prefix}.wrong-secret-of-the-right-length-xx", id="wrong-secret"),
        pytest.param("Api-Key zzzzzzzz.{secret}", id="unknown-prefix"),
        pytest.param("Api-Key", id="no-key"),
        pytest.param("Api-Key not-a-key-at-all", id="no-dot"),
        pytest.param("Api-Key {key} extra", id="trailing-garbage"),
    ],
)
def test_a_bad_key_gets_401_with_the_standard_body_and_is_audited(
    client: Client, integrator: Integrator, header: str
) -> None:
    prefix, _, secret = integrator.key.partition(".")
    value = header.format(prefix=prefix, secret=secret, key=integrator.key)

    response = client.get(STATUS, headers={"Authorization": value})

    _assert_refused_key(response, "not valid")
    assert _denials() == [("unknown", "unknown_key")]


def test_another_auth_scheme_is_not_signed_in_and_is_told_which_scheme_to_use(
    client: Client, integrator: Integrator
) -> None:
    response = client.get(STATUS, headers={"Authorization": f"Bearer {integrator.key}"})

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Api-Key"
    assert _error(response)["code"] == "not_authenticated"


def test_revoked_key_gets_401_saying_revoked(client: Client, integrator: Integrator) -> None:
    key = ServiceAPIKey.objects.get(prefix=_prefix(integrator))
    api_key_revoke(caller=SETUP, key=key, reason="Rotated")

    response = client.get(STATUS, headers=_auth(integrator.key))

    _assert_refused_key(response, "revoked")
    actions = AuditEvent.objects.filter(action__startswith="api_key.").order_by("id")
    assert [event.action for event in actions] == [
        "api_key.created",
        "api_key.revoked",
        "api_key.denied",
    ]
    assert _denials() == [(key.prefix, "revoked")]


def test_expired_key_gets_401_saying_expired(client: Client, integrator: Integrator) -> None:
    ServiceAPIKey.objects.filter(prefix=_prefix(integrator)).update(
        expiry_date=timezone.now() - timedelta(minutes=1)
    )

    response = client.get(STATUS, headers=_auth(integrator.key))

    _assert_refused_key(response, "expired")
    assert _denials() == [(_prefix(integrator), "expired")]


@pytest.mark.parametrize("name", ["api_key", "key", "API_KEY"])
def test_a_key_in_the_query_string_is_refused_even_with_a_valid_header(
    client: Client, integrator: Integrator, name: str
) -> None:
    response = client.get(f"{STATUS}?{name}={integrator.key}", headers=_auth(integrator.key))

    _assert_refused_key(response, "not accepted in the URL")
    assert _denials() == [("unknown", "key_in_query_string")]
    secret = integrator.key.partition(".")[2]
    for event in AuditEvent.objects.all():
        assert secret not in repr(event.__dict__)


def test_disabling_the_service_account_ends_its_keys_at_once(
    client: Client, integrator: Integrator
) -> None:
    user_disable(caller=SETUP, user=integrator.user, reason="Contract ended")

    response = client.get(STATUS, headers=_auth(integrator.key))

    _assert_refused_key(response, "revoked")


def test_a_key_of_an_inactive_service_account_is_refused(
    client: Client, integrator: Integrator
) -> None:
    # A state the services never leave behind (disabling revokes the keys), checked all the same.
    User.objects.filter(pk=integrator.user.pk).update(is_active=False)

    response = client.get(STATUS, headers=_auth(integrator.key))

    _assert_refused_key(response, "disabled")
    assert _denials() == [(_prefix(integrator), "account_disabled")]


def test_last_used_is_written_at_most_once_a_minute(client: Client, integrator: Integrator) -> None:
    keys = ServiceAPIKey.objects.filter(prefix=_prefix(integrator))
    assert keys.get().last_used_at is None

    client.get(STATUS, headers=_auth(integrator.key))
    first = keys.get().last_used_at
    assert first is not None
    client.get(STATUS, headers=_auth(integrator.key))
    assert keys.get().last_used_at == first

    recent = timezone.now() - timedelta(seconds=30)
    keys.update(last_used_at=recent)
    client.get(STATUS, headers=_auth(integrator.key))
    assert keys.get().last_used_at == recent

    stale = timezone.now() - timedelta(minutes=2)
    keys.update(last_used_at=stale)
    client.get(STATUS, headers=_auth(integrator.key))
    last_used = keys.get().last_used_at
    assert last_used is not None
    assert last_used > stale + timedelta(minutes=1)


def test_each_key_has_its_own_request_allowance(
    client: Client, integrator: Integrator, monkeypatch: pytest.MonkeyPatch
) -> None:
    # DRF copies DEFAULT_THROTTLE_RATES into SimpleRateThrottle.THROTTLE_RATES when the module
    # is imported; override_settings reloads api_settings but not that class attribute, so
    # the lower rate is set on the key throttle itself.
    rates = {**SimpleRateThrottle.THROTTLE_RATES, "api_key": "3/minute"}
    monkeypatch.setattr(ApiKeyRateThrottle, "THROTTLE_RATES", rates)
    _, second_key = api_key_create(
        caller=SETUP, user=integrator.user, name="Second", scopes=["audit:read"], expires_at=None
    )

    statuses = [client.get(STATUS, headers=_auth(integrator.key)).status_code for _ in range(3)]
    throttled = client.get(STATUS, headers=_auth(integrator.key))
    other = client.get(STATUS, headers=_auth(second_key))

    assert statuses == [200, 200, 200]
    assert throttled.status_code == 429
    assert 0 < int(throttled["Retry-After"]) <= 60
    assert _error(throttled)["code"] == "throttled"
    assert other.status_code == 200


# --- Scopes and permissions ------------------------------------------------------------------


@scoped_urls
def test_key_with_the_scope_may_call_a_scoped_endpoint(
    client: Client, integrator: Integrator
) -> None:
    response = client.get(SCOPED, headers=_auth(integrator.key))

    assert response.status_code == 200
    assert not AuditEvent.objects.filter(action="access.denied").exists()


@scoped_urls
def test_key_without_the_scope_gets_403_and_the_attempt_is_audited(client: Client) -> None:
    auditor = make_integrator("audit.export", scopes=("audit:read",))

    response = client.get(SCOPED, headers=_auth(auditor.key))

    assert response.status_code == 403
    assert _error(response)["code"] == "forbidden"
    event = AuditEvent.objects.get(action="access.denied")
    assert (event.actor_kind, event.actor_id) == ("api_key", _prefix(auditor))
    assert event.outcome == "denied"
    assert event.details == {
        "rule": "customers.view",
        "via": "api",
        "resource": f"GET {SCOPED}",
        "why": "missing_scope:customers:read",
    }
    assert (event.target_type, event.target_id) == ("api", f"GET {SCOPED}")


@scoped_urls
def test_person_holding_the_permission_may_call_a_scoped_endpoint(
    client: Client, agent: User
) -> None:
    response = login_verified(client, agent).get(SCOPED)

    assert response.status_code == 200
    assert not AuditEvent.objects.filter(action="access.denied").exists()


@scoped_urls
def test_person_without_the_permission_gets_403_and_the_attempt_is_audited(
    client: Client, security_admin: User
) -> None:
    # Separation of duties: the security admin holds no permission on customer data.
    response = login_verified(client, security_admin).get(SCOPED)

    assert response.status_code == 403
    assert _error(response) == {
        "code": "forbidden",
        "message": "You do not have permission to do this.",
    }
    event = AuditEvent.objects.get(action="access.denied")
    assert (event.actor_kind, event.actor_id) == ("user", str(security_admin.pk))
    assert event.outcome == "denied"
    assert event.details == {
        "rule": "customers.view",
        "via": "api",
        "resource": f"GET {SCOPED}",
        "why": "missing_permission:customers.view_customer",
    }


@scoped_urls
def test_an_api_key_cannot_act_as_a_person(client: Client, integrator: Integrator) -> None:
    response = client.get(PEOPLE_ONLY, headers=_auth(integrator.key))

    assert response.status_code == 403
    assert _error(response)["message"] == "API keys cannot do this; it is for people."
    event = AuditEvent.objects.get(action="access.denied")
    assert (event.actor_kind, event.actor_id) == ("api_key", _prefix(integrator))
    assert event.details == {
        "rule": "accounts.own_security",
        "via": "api",
        "resource": f"GET {PEOPLE_ONLY}",
        "why": "keys_not_allowed",
    }


@scoped_urls
def test_a_verified_person_may_call_a_people_only_endpoint(client: Client, agent: User) -> None:
    response = login_verified(client, agent).get(PEOPLE_ONLY)

    assert response.status_code == 200
    assert not AuditEvent.objects.filter(action="access.denied").exists()


# --- Sessions --------------------------------------------------------------------------------


def test_a_verified_session_reaches_the_api(client: Client, agent: User) -> None:
    response = login_verified(client, agent).get(STATUS)

    assert response.status_code == 200
    assert response.json()["authenticated_as"] == str(agent.pk)


def test_a_session_past_only_the_password_step_is_not_signed_in(
    client: Client, agent: User
) -> None:
    signed_in = client.post("/accounts/login/", {"username": agent.username, "password": PASSWORD})
    assert signed_in.status_code == 302
    assert signed_in["Location"] == "/accounts/verify/"

    response = client.get(STATUS)

    assert response.status_code == 401
    assert _error(response)["code"] == "not_authenticated"
    assert "authenticated_as" not in response.json()


def test_a_session_logged_in_without_a_second_factor_is_ended(client: Client, agent: User) -> None:
    client.force_login(agent)
    assert agent.sessions.exists()

    first = client.get(STATUS)
    second = client.get(STATUS)

    assert [first.status_code, second.status_code] == [401, 401]
    assert _error(first)["code"] == "not_authenticated"
    assert not agent.sessions.exists()
    event = AuditEvent.objects.get(action="session.ended")
    assert event.details == {"why": "no_verified_factor"}


@scoped_urls
def test_unsafe_methods_need_the_csrf_token_with_a_session(agent: User) -> None:
    client = login_verified(Client(enforce_csrf_checks=True), agent)
    # The security page puts the token in a form and sets the cookie, as in the browser.
    assert client.get("/accounts/security/").status_code == 200
    token = client.cookies["csrftoken"].value

    refused = client.post(PEOPLE_ONLY, content_type="application/json")
    allowed = client.post(
        PEOPLE_ONLY, content_type="application/json", headers={"X-CSRFToken": token}
    )

    assert refused.status_code == 403
    assert "CSRF" in _error(refused)["message"]
    assert allowed.status_code == 200


@scoped_urls
def test_api_keys_need_no_csrf_token(integrator: Integrator) -> None:
    client = Client(enforce_csrf_checks=True)

    response = client.post(SCOPED, content_type="application/json", headers=_auth(integrator.key))

    assert response.status_code == 200
