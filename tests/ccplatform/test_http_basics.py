"""What every HTTP answer carries: a request id, security headers, and no caching."""

from __future__ import annotations

import re

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

PAGES = ["/", "/healthz", "/api/v1/status/", "/api/v1/no-such-thing/", "/no-such-page/"]


@pytest.mark.parametrize("path", PAGES)
def test_every_response_has_a_request_id(client: Client, path: str) -> None:
    response = client.get(path)
    assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"])


def test_each_request_gets_its_own_id(client: Client) -> None:
    ids = {client.get("/healthz")["X-Request-ID"] for _ in range(3)}
    assert len(ids) == 3


@pytest.mark.parametrize(
    "upstream", ["req-2026.11.28_abcdef", "0f8e2a4c9b7d4e1fa3c5b6d7e8f90123", "A" * 64]
)
def test_well_formed_incoming_request_id_is_echoed(client: Client, upstream: str) -> None:
    response = client.get("/healthz", headers={"X-Request-ID": upstream})
    assert response["X-Request-ID"] == upstream


@pytest.mark.parametrize(
    "upstream",
    [
        pytest.param("has spaces in it", id="spaces"),
        pytest.param("abcdefgh\nX-Injected: 1", id="newline"),
        pytest.param("abcdefgh\n", id="trailing-newline"),
        pytest.param("A" * 65, id="too-long"),
        pytest.param("short", id="too-short"),
        pytest.param("-starts-with-dash", id="leading-dash"),
        pytest.param("<script>alert(1)</script>", id="markup"),
        pytest.param("", id="empty"),
    ],
)
def test_malformed_incoming_request_id_is_replaced(client: Client, upstream: str) -> None:
    response = client.get("/healthz", headers={"X-Request-ID": upstream})
    assert response["X-Request-ID"] != upstream
    assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"])


@pytest.mark.parametrize("path", PAGES)
def test_security_headers_are_on_every_response(client: Client, path: str) -> None:
    response = client.get(path)
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "object-src 'none'" in policy
    assert "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy


@pytest.mark.urls("tests.ccplatform.urls_for_tests")
def test_inline_script_is_allowed_only_by_the_nonce_of_its_own_response(client: Client) -> None:
    nonces = []
    for _ in range(2):
        response = client.get("/test/nonce/")
        assert response.status_code == 200
        page_nonce = re.search(r'<script nonce="([^"]+)">', response.content.decode())
        assert page_nonce is not None
        script_src = re.search(r"script-src ([^;]+)", response["Content-Security-Policy"])
        assert script_src is not None
        assert script_src.group(1).split() == ["'self'", f"'nonce-{page_nonce.group(1)}'"]
        nonces.append(page_nonce.group(1))
    assert nonces[0] != nonces[1], "a nonce is never reused"


def test_home_page_renders_without_inline_code(client: Client) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert "<h1>Compliance-aware contact center</h1>" in html
    # The page uses no nonce, so the policy carries none and inline code cannot run.
    assert "<script>" not in html
    assert "<style>" not in html
    assert "nonce-" not in response["Content-Security-Policy"]


@pytest.mark.parametrize("path", PAGES)
def test_dynamic_responses_are_never_stored_by_caches(client: Client, path: str) -> None:
    response = client.get(path)
    directives = {part.strip() for part in response["Cache-Control"].split(",")}
    assert {"no-store", "private"} <= directives
