"""/healthz and /readyz: for load balancers, no login, real checks against real components."""

from __future__ import annotations

import pytest
from django.test import Client, override_settings

pytestmark = pytest.mark.django_db

# Nothing listens on port 1: a Redis cache there fails the way an unreachable Redis does.
UNREACHABLE_CACHE = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
    }
}


def test_healthz_answers_ok_without_login(client: Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_answers_ok_when_database_broker_and_cache_work(client: Client) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"] == {"database": "ok", "broker": "ok", "cache": "ok"}
    assert "failing" not in body


def test_readyz_answers_503_naming_an_unreachable_cache(client: Client) -> None:
    with override_settings(CACHES=UNREACHABLE_CACHE):
        response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "failing"
    assert body["failing"] == ["cache"]
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["broker"] == "ok"
    assert body["checks"]["cache"].startswith("failing: ")
    # The class name is enough for an operator; hosts and ports stay out of the answer.
    assert "127.0.0.1" not in response.content.decode()
    assert body["last_heartbeat"] is None


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_health_endpoints_refuse_post_and_answer_head(client: Client, path: str) -> None:
    assert client.post(path).status_code == 405
    # Uptime monitors often probe with HEAD.
    assert client.head(path).status_code == 200
