"""Invariant 8 for the API: every error, 4xx or an unexpected 500, has one JSON shape.

The shape is {"error": {"code", "message", "fields"?}, "request_id"}, and request_id is the
response's X-Request-ID, so a caller can quote it to support.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from django.test.client import encode_multipart
from pytest_django import Settings
from rest_framework.throttling import AnonRateThrottle, SimpleRateThrottle

from accounts.models import User
from accounts.throttling import ApiKeyRateThrottle, PersonRateThrottle
from ccplatform.api.pagination import StandardPagination
from ccplatform.api.views import StatusApi
from tests.ccplatform.urls_for_tests import (
    EXPLOSION_TEXT,
    FORBIDDEN_NAME,
    LIMIT_MESSAGE,
    ROW_COUNT,
    RULE_MESSAGE,
)
from tests.personas import login_verified

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.ccplatform.urls_for_tests")]

ECHO = "/api/v1/test/echo/"
STATUS = "/api/v1/status/"


@pytest.fixture
def user(agent: User) -> User:
    return agent


@pytest.fixture
def signed_in(client: Client, user: User) -> Client:
    return login_verified(client, user)


def error_of(response: Any, status: int) -> dict[str, Any]:
    """The error object of an API error response, after checking the common shape."""
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    body = json.loads(response.content)
    assert set(body) == {"error", "request_id"}
    assert body["request_id"] == response["X-Request-ID"]
    assert {"code", "message"} <= set(body["error"]) <= {"code", "message", "fields"}
    assert isinstance(body["error"]["message"], str)
    assert body["error"]["message"]
    error: dict[str, Any] = body["error"]
    return error


def post_json(client: Client, path: str, body: str) -> Any:
    return client.post(path, data=body, content_type="application/json")


def test_valid_input_is_accepted(signed_in: Client) -> None:
    response = post_json(signed_in, ECHO, json.dumps({"name": "ada", "count": 2}))
    assert response.status_code == 201
    assert response.json() == {"name": "ada", "count": 2}


def test_unknown_api_route_gets_404_json_with_request_id(signed_in: Client) -> None:
    error = error_of(signed_in.get("/api/v1/no-such-endpoint/"), 404)
    assert error["code"] == "not_found"


def test_hidden_record_gets_the_same_404_body_without_the_reason(client: Client) -> None:
    error = error_of(client.get("/api/v1/test/hidden/"), 404)
    assert error["code"] == "not_found"
    assert "another team" not in error["message"]


def test_malformed_json_gets_400_with_request_id(signed_in: Client) -> None:
    error = error_of(post_json(signed_in, ECHO, '{"name": "ada", "count": '), 400)
    assert error["code"] == "invalid"
    assert "JSON" in error["message"]


def test_unsupported_method_gets_405(signed_in: Client) -> None:
    response = post_json(signed_in, STATUS, "{}")
    error = error_of(response, 405)
    assert error["code"] == "method_not_allowed"
    assert "POST" in error["message"]


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        pytest.param("application/x-www-form-urlencoded", "name=ada&count=2", id="form"),
        pytest.param("text/plain", "name=ada", id="text"),
    ],
)
def test_body_that_is_not_json_gets_415(signed_in: Client, content_type: str, body: str) -> None:
    response = signed_in.post(ECHO, data=body, content_type=content_type)
    error = error_of(response, 415)
    assert error["code"] == "unsupported_media_type"


def test_multipart_upload_gets_415(signed_in: Client) -> None:
    boundary = "BoUnDaRy"
    response = signed_in.post(
        ECHO,
        data=encode_multipart(boundary, {"name": "ada", "count": "2"}),
        content_type=f"multipart/form-data; boundary={boundary}",
    )
    assert error_of(response, 415)["code"] == "unsupported_media_type"


def test_body_larger_than_the_limit_gets_413(signed_in: Client, settings: Settings) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    body = json.dumps({"name": "ada", "count": 2, "padding": "x" * 2000})
    error = error_of(post_json(signed_in, ECHO, body), 413)
    assert error["code"] == "too_large"


def test_field_errors_get_400_naming_each_field(signed_in: Client) -> None:
    response = post_json(signed_in, ECHO, json.dumps({"name": "n" * 21, "count": 0}))
    error = error_of(response, 400)
    assert error["code"] == "invalid"
    assert set(error["fields"]) == {"name", "count"}
    assert all(isinstance(message, str) for message in error["fields"]["name"])
    assert any("20" in message for message in error["fields"]["name"])


def test_body_that_is_not_an_object_gets_400_with_non_field_errors(signed_in: Client) -> None:
    error = error_of(post_json(signed_in, ECHO, "[1, 2]"), 400)
    assert set(error["fields"]) == {"non_field_errors"}


def test_service_error_from_a_view_gets_400_rule_violated(signed_in: Client) -> None:
    response = post_json(signed_in, ECHO, json.dumps({"name": FORBIDDEN_NAME, "count": 1}))
    error = error_of(response, 400)
    assert error == {
        "code": "rule_violated",
        "message": "This name is reserved.",
        "fields": {"name": ["This name is reserved."]},
    }


def test_unauthenticated_caller_gets_401_in_the_same_shape(client: Client) -> None:
    for response in (client.get(STATUS), post_json(client, ECHO, "{}")):
        error = error_of(response, 401)
        assert error["code"] == "not_authenticated"
        assert "credentials" in error["message"]
        assert response["WWW-Authenticate"] == "Api-Key"


def test_session_post_without_csrf_token_gets_403_in_the_same_shape(user: User) -> None:
    client = login_verified(Client(enforce_csrf_checks=True), user)
    response = post_json(client, ECHO, json.dumps({"name": "ada", "count": 2}))
    error = error_of(response, 403)
    assert error["code"] == "forbidden"
    assert "CSRF" in error["message"]


def test_unexpected_exception_gets_500_json_without_internals() -> None:
    client = Client(raise_request_exception=False)
    response = client.get("/api/v1/test/explode/")
    error = error_of(response, 500)
    assert error["code"] == "server_error"
    text = response.content.decode()
    for leak in (EXPLOSION_TEXT, "Traceback", "RuntimeError", "urls_for_tests"):
        assert leak not in text


def test_browser_404_is_an_html_page_with_the_request_id(client: Client) -> None:
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert f"<code>{response['X-Request-ID']}</code>" in html
    assert "Traceback" not in html
    assert "Page not found" not in html  # Django's debug page never shows


def test_browser_500_is_an_html_page_with_the_request_id_and_no_traceback() -> None:
    client = Client(raise_request_exception=False)
    response = client.get("/test/explode/")
    assert response.status_code == 500
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert f"<code>{response['X-Request-ID']}</code>" in html
    for leak in (EXPLOSION_TEXT, "Traceback", "RuntimeError"):
        assert leak not in html


# --- Throttling ----------------------------------------------------------------------------


def test_api_views_use_the_configured_throttles() -> None:
    assert AnonRateThrottle in StatusApi.throttle_classes
    assert PersonRateThrottle in StatusApi.throttle_classes
    assert ApiKeyRateThrottle in StatusApi.throttle_classes
    assert set(SimpleRateThrottle.THROTTLE_RATES) == {"anon", "user", "api_key"}


def test_third_request_over_a_two_per_minute_rate_gets_429_with_retry_after(
    signed_in: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    # DRF copies DEFAULT_THROTTLE_RATES into a class attribute at import, so overriding
    # REST_FRAMEWORK (even with api_settings reloaded) would not reach the throttles.
    monkeypatch.setattr(
        SimpleRateThrottle,
        "THROTTLE_RATES",
        {"anon": "2/minute", "user": "2/minute", "api_key": "2/minute"},
    )
    assert signed_in.get(STATUS).status_code == 200
    assert signed_in.get(STATUS).status_code == 200
    response = signed_in.get(STATUS)
    error = error_of(response, 429)
    assert error["code"] == "throttled"
    assert 1 <= int(response["Retry-After"]) <= 60


# --- Pagination ----------------------------------------------------------------------------


def test_pagination_defaults_to_50_and_caps_requested_sizes_at_100() -> None:
    assert StandardPagination.page_size == 50
    assert StandardPagination.max_page_size == 100
    assert StandardPagination.page_size_query_param == "page_size"


@pytest.mark.parametrize(
    ("query", "expected_size"),
    [("", 50), ("?page_size=10", 10), ("?page_size=100", 100), ("?page_size=1000", 100)],
)
def test_list_endpoints_page_with_the_standard_pagination(
    client: Client, query: str, expected_size: int
) -> None:
    response = client.get(f"/api/v1/test/numbers/{query}")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == ROW_COUNT
    assert [row["value"] for row in body["results"]] == list(range(1, expected_size + 1))
    assert body["next"] is not None
    assert body["previous"] is None


def test_last_page_has_the_remaining_rows_and_no_next_link(client: Client) -> None:
    body = client.get("/api/v1/test/numbers/?page=5").json()
    assert [row["value"] for row in body["results"]] == list(range(201, 251))
    assert body["next"] is None


def test_page_past_the_end_gets_404_in_the_error_shape(client: Client) -> None:
    error = error_of(client.get("/api/v1/test/numbers/?page=6"), 404)
    assert error["code"] == "not_found"


# --- One map: the same error answers alike on a page and in the API ------------------------


def test_a_limit_raised_by_a_service_is_429_with_retry_after_on_pages_and_in_the_api() -> None:
    api = Client().get("/api/v1/test/error/limit/")
    page = Client().get("/test/error/limit/")
    assert (api.status_code, page.status_code) == (429, 429)
    assert api["Retry-After"] == page["Retry-After"] == "7"
    assert api.json()["error"] == {"code": "throttled", "message": LIMIT_MESSAGE}
    assert LIMIT_MESSAGE in page.content.decode()
    assert page["Content-Type"].startswith("text/html")


def test_a_broken_rule_raised_by_a_service_is_400_with_its_fields_on_pages_and_in_the_api() -> None:
    api = Client().get("/api/v1/test/error/rule/")
    page = Client().get("/test/error/rule/")
    assert (api.status_code, page.status_code) == (400, 400)
    assert api.json()["error"] == {
        "code": "rule_violated",
        "message": RULE_MESSAGE,
        "fields": {"name": ["Not this one."]},
    }
    text = page.content.decode()
    assert RULE_MESSAGE in text
    assert "Not this one." in text
