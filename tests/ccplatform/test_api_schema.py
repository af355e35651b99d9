"""The OpenAPI description integrators build on, and docs that need no CDN."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from typing import Any

import pytest
import yaml
from django.test import Client
from drf_spectacular.validation import validate_schema

pytestmark = pytest.mark.django_db

HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
COMMON_ERRORS = {"401", "403", "404", "429"}
EXTERNAL_URL = re.compile(r"""(?:https?:)?//[\w.-]+""")


@pytest.fixture
def schema(client: Client) -> dict[str, Any]:
    response = client.get("/api/schema/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.oai.openapi")
    document: dict[str, Any] = yaml.safe_load(response.content)
    return document


def test_schema_is_a_valid_openapi_3_document_listing_the_status_endpoint(
    schema: dict[str, Any],
) -> None:
    assert schema["openapi"].startswith("3.")
    validate_schema(schema)  # raises on any violation of the OpenAPI 3 JSON schema
    assert "/api/v1/status/" in schema["paths"]
    assert "get" in schema["paths"]["/api/v1/status/"]


@pytest.mark.parametrize(
    ("query", "accept"),
    [("?format=json", None), ("", "application/vnd.oai.openapi+json")],
    ids=["format-param", "accept-header"],
)
def test_schema_is_served_as_json_on_request(
    client: Client, schema: dict[str, Any], query: str, accept: str | None
) -> None:
    headers = {"Accept": accept} if accept else {}
    response = client.get(f"/api/schema/{query}", headers=headers)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.oai.openapi+json")
    assert json.loads(response.content) == schema


def test_every_operation_documents_the_common_errors_with_the_error_body(
    schema: dict[str, Any],
) -> None:
    operations = [
        (path, method, operation)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if method in HTTP_METHODS
    ]
    assert operations
    for path, method, operation in operations:
        responses = operation["responses"]
        missing = COMMON_ERRORS - set(responses)
        assert not missing, f"{method.upper()} {path} does not document {sorted(missing)}"
        assert any(code.startswith("2") for code in responses), f"{method.upper()} {path}"
        for code in COMMON_ERRORS:
            body = responses[code]["content"]["application/json"]["schema"]
            assert body == {"$ref": "#/components/schemas/ErrorBody"}, f"{path} {code}"


def test_error_body_schema_matches_what_the_api_sends(schema: dict[str, Any]) -> None:
    components = schema["components"]["schemas"]
    error_body = components["ErrorBody"]
    assert set(error_body["required"]) == {"error", "request_id"}
    detail = components[error_body["properties"]["error"]["$ref"].rsplit("/", 1)[-1]]
    assert set(detail["properties"]) == {"code", "message", "fields"}
    assert set(detail["required"]) == {"code", "message"}


class _Assets(HTMLParser):
    """The scripts and linked files of a page, and whether any script is inline."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.inline_scripts = 0
        self._in_inline_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "script":
            if values.get("src"):
                self.urls.append(str(values["src"]))
            else:
                self._in_inline_script = True
        elif tag == "link" and values.get("href"):
            self.urls.append(str(values["href"]))

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_inline_script = False

    def handle_data(self, data: str) -> None:
        if self._in_inline_script and data.strip():
            self.inline_scripts += 1


def test_swagger_ui_loads_only_our_own_files(client: Client) -> None:
    response = client.get("/api/docs/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert "swagger-ui" in html
    assert not EXTERNAL_URL.search(html), "no CDN or other outside URL in the page"

    assets = _Assets()
    assets.feed(html)
    assert assets.inline_scripts == 0, "inline scripts would need a CSP nonce"
    assert any(url.startswith("/static/drf_spectacular_sidecar/") for url in assets.urls)
    for url in assets.urls:
        assert url.startswith("/"), url
        asset = client.get(url)
        assert asset.status_code == 200, url
        if url.startswith("/api/docs/"):  # the split view's initialisation script
            assert asset["Content-Type"].startswith("application/javascript")
            assert not EXTERNAL_URL.search(asset.content.decode()), url
        asset.close()
