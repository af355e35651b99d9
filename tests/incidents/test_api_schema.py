"""The incidents endpoints in the OpenAPI description, with their errors and permissions."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from drf_spectacular.validation import validate_schema
from rest_framework.views import APIView

from ccplatform.gate import GatePermission
from ccplatform.permissions import rule_name
from customers.api.views.common import SharedUrl
from tests.ccplatform.url_walk import iter_endpoints, permission_problem

pytestmark = pytest.mark.django_db

BASE = "/api/v1/incidents/"
INCIDENT = f"{BASE}{{incident_id}}/"
NOTICE = f"{INCIDENT}obligations/{{obligation_id}}/"
OPERATIONS = {
    (BASE, "get"): ("incidents_list", "200"),
    (BASE, "post"): ("incidents_create", "201"),
    (f"{BASE}obligations/", "get"): ("incidents_obligations_open_list", "200"),
    (INCIDENT, "get"): ("incidents_retrieve", "200"),
    (INCIDENT, "patch"): ("incidents_partial_update", "200"),
    (f"{INCIDENT}transition/", "post"): ("incidents_transition", "200"),
    (f"{INCIDENT}notes/", "post"): ("incidents_notes_create", "201"),
    (f"{INCIDENT}affected/", "get"): ("incidents_affected_list", "200"),
    (f"{INCIDENT}affected/", "post"): ("incidents_affected_request", "202"),
    (f"{INCIDENT}affected/{{set_id}}/customers/", "get"): (
        "incidents_affected_customers_list",
        "200",
    ),
    (f"{NOTICE}decision/", "post"): ("incidents_obligations_decide", "200"),
    (f"{NOTICE}draft/", "put"): ("incidents_obligations_draft_update", "200"),
    (f"{INCIDENT}containment/", "post"): ("incidents_containment", "200"),
    (f"{INCIDENT}review/", "post"): ("incidents_review_create", "201"),
}
ERRORS = {"401", "403", "404", "429"}
WITHOUT_INPUT = {(INCIDENT, "get")}  # no body, no query: no 400 to document
# The rule the gate asks for each operation (incidents.permissions).
ROUTE = "api/v1/incidents/<uuid:incident_id>/"
HANDLE = "incidents.handle"
RULES = {
    ("api/v1/incidents/", "get"): "incidents.view",
    ("api/v1/incidents/", "post"): "incidents.report",
    ("api/v1/incidents/obligations/", "get"): HANDLE,
    (ROUTE, "get"): "incidents.view",
    (ROUTE, "patch"): HANDLE,
    (f"{ROUTE}transition/", "post"): HANDLE,
    (f"{ROUTE}notes/", "post"): "incidents.view",
    (f"{ROUTE}affected/", "get"): HANDLE,
    (f"{ROUTE}affected/", "post"): HANDLE,
    (f"{ROUTE}affected/<int:set_id>/customers/", "get"): HANDLE,
    (f"{ROUTE}obligations/<int:obligation_id>/decision/", "post"): HANDLE,
    (f"{ROUTE}obligations/<int:obligation_id>/draft/", "put"): HANDLE,
    (f"{ROUTE}containment/", "post"): HANDLE,
    (f"{ROUTE}review/", "post"): HANDLE,
}


def _operations_of(view_class: type[APIView]) -> list[type[APIView]]:
    """The one-operation views a URL's view joins (SharedUrl), or the view itself."""
    joined = [
        base for base in view_class.__bases__ if issubclass(base, APIView) and base is not SharedUrl
    ]
    return joined if issubclass(view_class, SharedUrl) else [view_class]


@pytest.fixture(scope="module")
def schema(django_db_blocker: Any) -> dict[str, Any]:
    with django_db_blocker.unblock():
        response = Client().get("/api/schema/?format=json")
    assert response.status_code == 200
    document: dict[str, Any] = json.loads(response.content)
    return document


def test_the_schema_stays_a_valid_openapi_document(schema: dict[str, Any]) -> None:
    validate_schema(schema)


@pytest.mark.parametrize(("path", "method"), list(OPERATIONS), ids=str)
def test_every_incidents_operation_is_documented_with_its_errors(
    schema: dict[str, Any], path: str, method: str
) -> None:
    operation = schema["paths"][path][method]
    responses = operation["responses"]
    operation_id, success = OPERATIONS[(path, method)]
    expected = ERRORS if (path, method) in WITHOUT_INPUT else ERRORS | {"400"}

    assert operation["operationId"] == operation_id
    assert operation["tags"] == ["incidents"]
    assert operation["summary"]
    assert success in responses
    assert set(responses) >= expected, sorted(expected - set(responses))
    for code in expected:
        body = responses[code]["content"]["application/json"]["schema"]
        assert body == {"$ref": "#/components/schemas/ErrorBody"}, code


def test_no_other_method_is_published_and_none_deletes(schema: dict[str, Any]) -> None:
    published = {
        (path, method)
        for path, item in schema["paths"].items()
        if path.startswith(BASE)
        for method in item
        if method != "parameters"
    }

    assert published == set(OPERATIONS)


def test_write_bodies_document_exactly_the_accepted_fields(schema: dict[str, Any]) -> None:
    components = schema["components"]["schemas"]

    assert set(components["IncidentReportInput"]["properties"]) == {
        "title",
        "nature",
        "kind",
        "severity",
        "risk",
        "aware_at",
        "discovered_at",
        "discovered_reason",
        "description",
        "data_categories",
        "systems",
        "team_ids",
        "alert_ids",
        "is_exercise",
        "consequences",
        "measures",
    }
    assert set(components["IncidentReportInput"]["required"]) == {
        "title",
        "nature",
        "kind",
        "severity",
    }
    assert "reason" in components["PatchedIncidentUpdateInput"]["properties"]
    assert "is_exercise" not in components["PatchedIncidentUpdateInput"]["properties"]
    assert set(components["IncidentObligationDecisionInput"]["properties"]) == {
        "decision",
        "filed_at",
        "reference",
        "sent_copy",
        "reason",
        "approver_id",
        "exemption",
    }


def test_notices_document_their_deadline_in_utc_and_as_shown(schema: dict[str, Any]) -> None:
    notice = schema["components"]["schemas"]["IncidentObligation"]["properties"]

    assert notice["deadline"]["format"] == "date-time"
    assert {"deadline_shown", "seconds_left", "basis", "status", "draft"} <= set(notice)


def test_the_customers_lookup_kind_keeps_its_enum_name(schema: dict[str, Any]) -> None:
    """Incidents have a `kind` too: documented as listed values, it renames no component."""
    components = schema["components"]["schemas"]

    assert components["KindEnum"]["enum"] == ["phone", "email", "account_number"]
    assert not [name for name in components if name.startswith("Kind") and name != "KindEnum"]


def test_every_incidents_operation_asks_its_rule_of_the_gate() -> None:
    asked = {}
    for endpoint in iter_endpoints():
        if not endpoint.route.startswith("api/v1/incidents/"):
            continue
        assert permission_problem(endpoint) is None, endpoint.route
        view_class = endpoint.callback.cls  # type: ignore[attr-defined]
        for operation in _operations_of(view_class):
            [gate] = operation.permission_classes
            assert isinstance(gate, type), operation
            assert issubclass(gate, GatePermission), operation
            for method in ("get", "post", "put", "patch", "delete"):
                if method in vars(operation):
                    asked[(endpoint.route, method)] = rule_name(gate.predicate)

    assert asked == RULES
