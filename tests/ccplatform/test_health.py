"""/healthz and /readyz: for load balancers, no login, real checks against real components."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.cache import cache, caches
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


@pytest.mark.skipif(not settings.REDIS_URL, reason="needs Redis (REDIS_URL), as in CI")
def test_clearing_the_cache_keeps_other_keys_in_the_shared_redis_database() -> None:
    # The Celery broker keeps its queues in the same Redis database as the cache.
    client = caches["default"]._cache.get_client(None, write=True)  # type: ignore[attr-defined]
    client.set("celery-like-key", "queued task")
    cache.set("ours", "value")
    try:
        cache.clear()
        assert cache.get("ours") is None
        assert client.get("celery-like-key") == b"queued task"
    finally:
        client.delete("celery-like-key")
