"""The customers endpoints in the OpenAPI description, with their errors and permissions."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from drf_spectacular.validation import validate_schema

from tests.ccplatform.url_walk import iter_endpoints, permission_problem

pytestmark = pytest.mark.django_db

OPERATIONS = {
    ("/api/v1/customers/", "get"): "200",
    ("/api/v1/customers/", "post"): "201",
    ("/api/v1/customers/search/", "post"): "200",
    ("/api/v1/customers/{customer_id}/", "get"): "200",
    ("/api/v1/customers/{customer_id}/", "patch"): "200",
    ("/api/v1/customers/{customer_id}/reveal/", "post"): "200",
    ("/api/v1/customers/{customer_id}/notes/", "get"): "200",
    ("/api/v1/customers/{customer_id}/notes/", "post"): "201",
    ("/api/v1/customers/{customer_id}/interactions/", "get"): "200",
    ("/api/v1/customers/{customer_id}/interactions/", "post"): "201",
}
ERRORS = {"400", "401", "403", "404", "409", "429"}


@pytest.fixture(scope="module")
def schema(django_db_blocker: Any) -> dict[str, Any]:
    with django_db_blocker.unblock():
        response = Client().get("/api/schema/?format=json")
    assert response.status_code == 200
    document: dict[str, Any] = json.loads(response.content)
    return document


def test_the_schema_stays_a_valid_openapi_document(schema: dict[str, Any]) -> None:
    validate_schema(schema)


@pytest.mark.parametrize(("path", "method"), list(OPERATIONS), ids=lambda item: str(item))
def test_every_customers_operation_is_documented_with_its_errors(
    schema: dict[str, Any], path: str, method: str
) -> None:
    operation = schema["paths"][path][method]
    responses = operation["responses"]

    assert OPERATIONS[(path, method)] in responses
    assert set(responses) >= ERRORS, sorted(ERRORS - set(responses))
    for code in ERRORS:
        body = responses[code]["content"]["application/json"]["schema"]
        assert body == {"$ref": "#/components/schemas/ErrorBody"}, code
    assert operation["summary"]
    assert operation["operationId"].startswith("customers_")


def test_no_other_methods_are_published_on_the_customers_paths(schema: dict[str, Any]) -> None:
    published = {
        (path, method)
        for path, item in schema["paths"].items()
        if path.startswith("/api/v1/customers/")
        for method in item
        if method != "parameters"
    }

    assert published == set(OPERATIONS)


def test_write_bodies_are_documented_with_exactly_the_accepted_fields(
    schema: dict[str, Any],
) -> None:
    components = schema["components"]["schemas"]

    assert set(components["CustomerCreateInput"]["properties"]) == {
        "team",
        "name",
        "date_of_birth",
        "addresses",
        "phones",
        "emails",
        "account_number",
        "card_token",
        "card_last4",
        "medical_notes",
    }
    assert "team" not in components["PatchedCustomerUpdateInput"]["properties"]
    assert set(components["CustomerRevealInput"]["required"]) == {"fields", "reason"}


def test_every_customers_endpoint_declares_its_permission() -> None:
    endpoints = [
        endpoint for endpoint in iter_endpoints() if endpoint.route.startswith("api/v1/customers")
    ]

    assert len(endpoints) == 6
    assert {endpoint.view_name: permission_problem(endpoint) for endpoint in endpoints} == {
        endpoint.view_name: None for endpoint in endpoints
    }
