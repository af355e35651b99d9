"""The audit endpoints in the OpenAPI description, with their errors and permissions."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from accounts.models import User
from tests.ccplatform.url_walk import iter_endpoints, permission_problem
from tests.customers.api_support import error_of
from tests.personas import login_verified

pytestmark = pytest.mark.django_db

OPERATIONS = {
    ("/api/v1/audit/events/", "get"): "audit_events_list",
    ("/api/v1/audit/events/{event_id}/", "get"): "audit_events_retrieve",
    ("/api/v1/audit/events/export/", "get"): "audit_events_export",
    ("/api/v1/audit/verify/", "get"): "audit_verify",
    ("/api/v1/audit/checkpoints/", "get"): "audit_checkpoints_list",
    ("/api/v1/audit/alerts/", "get"): "audit_alerts_list",
    ("/api/v1/audit/alerts/{alert_id}/acknowledge/", "post"): "audit_alerts_acknowledge",
    ("/api/v1/audit/alerts/{alert_id}/close/", "post"): "audit_alerts_close",
    ("/api/v1/audit/actions/", "get"): "audit_actions_list",
}
ERRORS = {"401", "403", "404", "429"}
# The one with no input beyond its path answers no 400.
WITHOUT_INPUT = {("/api/v1/audit/events/{event_id}/", "get")}


def _operations() -> list[Any]:
    return [pytest.param(path, method, id=str((path, method))) for path, method in OPERATIONS]


@pytest.fixture(scope="module")
def schema(django_db_blocker: Any) -> dict[str, Any]:
    with django_db_blocker.unblock():
        response = Client().get("/api/schema/?format=json")
    assert response.status_code == 200
    document: dict[str, Any] = json.loads(response.content)
    return document


@pytest.mark.parametrize(("path", "method"), _operations())
def test_every_audit_operation_is_documented_with_its_errors(
    schema: dict[str, Any], path: str, method: str
) -> None:
    operation = schema["paths"][path][method]
    responses = operation["responses"]
    expected = ERRORS if (path, method) in WITHOUT_INPUT else ERRORS | {"400"}

    assert operation["operationId"] == OPERATIONS[(path, method)]
    assert operation["summary"]
    assert "200" in responses
    assert set(responses) >= expected, sorted(expected - set(responses))
    for code in expected:
        body = responses[code]["content"]["application/json"]["schema"]
        assert body == {"$ref": "#/components/schemas/ErrorBody"}, code


def test_no_method_that_writes_events_is_published(schema: dict[str, Any]) -> None:
    published = {
        (path, method)
        for path, item in schema["paths"].items()
        if path.startswith("/api/v1/audit/")
        for method in item
        if method != "parameters"
    }

    assert published == set(OPERATIONS)


def test_the_search_documents_every_filter_and_the_paging(schema: dict[str, Any]) -> None:
    operation = schema["paths"]["/api/v1/audit/events/"]["get"]
    names = {parameter["name"] for parameter in operation["parameters"]}

    assert names == {
        "actor",
        "customer",
        "action",
        "outcome",
        "since",
        "until",
        "request_id",
        "cursor",
        "limit",
    }


def test_an_unknown_parameter_of_the_actions_list_is_a_400(
    client: Client, compliance_officer: User
) -> None:
    """What its description should say too (UNDOCUMENTED): the list takes no parameters."""
    response = login_verified(client, compliance_officer).get(
        "/api/v1/audit/actions/", {"colour": "red"}
    )
    assert response.status_code == 400
    assert list(error_of(response)["fields"]) == ["colour"]


def test_the_export_documents_both_file_formats(schema: dict[str, Any]) -> None:
    operation = schema["paths"]["/api/v1/audit/events/export/"]["get"]

    assert set(operation["responses"]["200"]["content"]) == {"text/csv", "application/x-ndjson"}
    [format_parameter] = [p for p in operation["parameters"] if p["name"] == "format"]
    assert format_parameter["required"] is True
    assert format_parameter["schema"]["enum"] == ["csv", "jsonl"]


def test_every_audit_endpoint_declares_its_permission() -> None:
    endpoints = [
        endpoint for endpoint in iter_endpoints() if endpoint.route.startswith("api/v1/audit/")
    ]

    assert len(endpoints) == len(OPERATIONS)
    assert {endpoint.view_name: permission_problem(endpoint) for endpoint in endpoints} == {
        endpoint.view_name: None for endpoint in endpoints
    }
