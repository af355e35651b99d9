"""Exporting the audit log over the API: streamed CSV and JSON Lines, audited before it starts."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest
from django.http import StreamingHttpResponse
from django.test import Client

from accounts.models import User
from audit.exporting import COLUMNS
from audit.models import AuditEvent
from audit.services import audit_record
from ccplatform.context import Actor
from tests.actions import TESTED
from tests.customers.api_support import as_key, error_of, signed_in
from tests.personas import Integrator, make_integrator

pytestmark = pytest.mark.django_db

EXPORT = "/api/v1/audit/events/export/"


@pytest.fixture
def officer(client: Client, compliance_officer: User) -> Client:
    return signed_in(client, compliance_officer)


def _tested(count: int, **fields: Any) -> list[AuditEvent]:
    return [
        audit_record(actor=Actor.system("export-test"), action=TESTED, **fields)
        for _ in range(count)
    ]


def _body(response: Any) -> str:
    assert response.status_code == 200, response.content[:300]
    assert isinstance(response, StreamingHttpResponse)
    return response.getvalue().decode()


def test_csv_export_streams_the_filtered_events_newest_first(officer: Client) -> None:
    events = _tested(3)

    response = officer.get(EXPORT, {"format": "csv", "action": "platform.tested"})

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="audit-events-')
    assert response["Content-Disposition"].endswith('.csv"')
    rows = list(csv.reader(io.StringIO(_body(response))))
    assert rows[0] == list(COLUMNS)
    assert [int(row[0]) for row in rows[1:]] == [event.pk for event in reversed(events)]


def test_jsonl_export_has_one_object_per_event(officer: Client) -> None:
    [event] = _tested(1, details={"fields": ["name"]})

    response = officer.get(EXPORT, {"format": "jsonl", "action": "platform.tested"})

    assert response["Content-Type"] == "application/x-ndjson"
    [line] = _body(response).splitlines()
    record = json.loads(line)
    assert (record["id"], record["hash"], record["details"]) == (
        event.pk,
        event.hash,
        {"fields": ["name"]},
    )


def test_an_empty_range_gives_the_header_line_or_nothing(officer: Client) -> None:
    empty = {"action": "nothing.happened"}

    csv_body = _body(officer.get(EXPORT, {"format": "csv", **empty}))
    jsonl_body = _body(officer.get(EXPORT, {"format": "jsonl", **empty}))

    assert csv_body.splitlines() == [",".join(COLUMNS)]
    assert jsonl_body == ""


def test_formula_like_values_are_quoted_for_spreadsheets(officer: Client) -> None:
    _tested(1, reason='=HYPERLINK("http://evil.example")')

    rows = list(csv.DictReader(io.StringIO(_body(officer.get(EXPORT, {"format": "csv"})))))

    tested = next(row for row in rows if row["action"] == "platform.tested")
    assert tested["reason"].startswith("'=")


def test_the_export_is_audited_before_it_streams(officer: Client) -> None:
    response = officer.get(EXPORT, {"format": "jsonl", "outcome": "denied"})

    exported = AuditEvent.objects.get(action="audit.exported")
    assert exported.details == {"format": "jsonl", "via": "api", "filter": {"outcome": "denied"}}
    _body(response)


def test_an_accept_header_does_not_change_the_format(officer: Client) -> None:
    _tested(1)

    response = officer.get(EXPORT, {"format": "csv"}, headers={"Accept": "text/csv"})

    assert _body(response).startswith("id,occurred_at,")


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({}, "format"),
        ({"format": "xlsx"}, "format"),
        ({"format": "csv", "customer": "42"}, "customer"),
        ({"format": "csv", "limit": "10"}, "limit"),
    ],
)
def test_a_bad_format_or_filter_is_a_400_naming_it(
    officer: Client, query: dict[str, str], field: str
) -> None:
    response = officer.get(EXPORT, query)

    assert response.status_code == 400
    assert list(error_of(response)["fields"]) == [field]
    assert not AuditEvent.objects.filter(action="audit.exported").exists()


def test_key_with_audit_read_exports(db: None) -> None:
    key = make_integrator("siem.export", scopes=("audit:read",))
    _tested(2)

    response = Client().get(
        EXPORT, {"format": "csv", "action": "platform.tested"}, headers=as_key(key)
    )

    assert len(_body(response).splitlines()) == 3
    assert AuditEvent.objects.get(action="audit.exported").actor_kind == "api_key"


def test_key_without_audit_read_cannot_export(integrator: Integrator) -> None:
    response = Client().get(EXPORT, {"format": "csv"}, headers=as_key(integrator))

    assert response.status_code == 403
    denied = AuditEvent.objects.get(action="access.denied")
    assert (denied.actor_kind, denied.target_type, denied.target_id) == (
        "api_key",
        "api",
        f"GET {EXPORT}",
    )
    assert denied.details == {
        "rule": "audit.export_events",
        "via": "api",
        "resource": f"GET {EXPORT}",
        "why": "missing_scope:audit:read",
    }


@pytest.mark.parametrize("persona", ["agent", "supervisor", "security_admin"])
def test_people_without_the_export_permission_are_refused(
    client: Client, persona: str, request: pytest.FixtureRequest
) -> None:
    person: User = request.getfixturevalue(persona)

    response = signed_in(client, person).get(EXPORT, {"format": "csv"})

    assert response.status_code == 403
    assert error_of(response)["code"] == "forbidden"
    denied = AuditEvent.objects.get(action="access.denied")
    assert (denied.actor_id, denied.outcome) == (str(person.pk), "denied")
    assert denied.details == {
        "rule": "audit.export_events",
        "via": "api",
        "resource": f"GET {EXPORT}",
        "why": "missing_permission:audit.export_auditevent",
    }
    assert not AuditEvent.objects.filter(action="audit.exported").exists()
