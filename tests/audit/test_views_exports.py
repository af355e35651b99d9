"""Downloading the current search as CSV or JSON Lines from the audit page."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest
from django.http import StreamingHttpResponse
from django.test import Client
from django.urls import reverse

from accounts.models import User
from audit.models import AuditEvent
from audit.services import AuditTarget
from ccplatform.context import Actor
from tests.actions import record
from tests.personas import login_verified

pytestmark = pytest.mark.django_db

CSV = reverse("audit:export", kwargs={"fmt": "csv"})
JSONL = reverse("audit:export", kwargs={"fmt": "jsonl"})


@pytest.fixture
def officer(client: Client, compliance_officer: User) -> Client:
    return login_verified(client, compliance_officer)


def _body(response: object) -> str:
    assert isinstance(response, StreamingHttpResponse)
    return b"".join(response.streaming_content).decode()  # type: ignore[arg-type]


def test_csv_of_an_empty_range_is_the_header_line(officer: Client) -> None:
    response = officer.get(CSV, {"since": "2001-01-01T00:00Z", "until": "2001-01-02T00:00Z"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith('attachment; filename="audit-events-')
    rows = list(csv.reader(io.StringIO(_body(response))))
    assert rows == [
        [
            "id",
            "occurred_at",
            "actor_kind",
            "actor_id",
            "action",
            "target_type",
            "target_id",
            "outcome",
            "reason",
            "request_id",
            "ip",
            "user_agent",
            "details",
            "chain",
            "seq",
            "hash",
        ]
    ]


def test_csv_cells_cannot_run_as_spreadsheet_formulas(officer: Client) -> None:
    record(
        actor=Actor.system("=HYPERLINK(evil)"),
        action="platform.tested",
        target=AuditTarget("thing", "+SUM(A1:A9)"),
        reason="@import",
    )
    response = officer.get(CSV, {"action": "platform.tested"})
    rows = list(csv.DictReader(io.StringIO(_body(response))))
    assert len(rows) == 1
    assert rows[0]["actor_id"] == "'=HYPERLINK(evil)"
    assert rows[0]["target_id"] == "'+SUM(A1:A9)"
    assert rows[0]["reason"] == "'@import"


def test_jsonl_holds_one_event_per_line_for_the_filter(officer: Client, agent: User) -> None:
    wanted = [record(actor=Actor.user(agent.pk), action="customer.viewed") for _ in range(3)]
    record(actor=Actor.system("other"), action="platform.tested")
    response = officer.get(JSONL, {"actor": agent.username})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/x-ndjson"
    lines = [json.loads(line) for line in _body(response).splitlines()]
    assert [line["id"] for line in lines] == [event.pk for event in reversed(wanted)]
    assert {line["actor_id"] for line in lines} == {str(agent.pk)}


def test_exports_are_audited_before_they_start(
    officer: Client, compliance_officer: User, agent: User
) -> None:
    since = (dt.datetime.now(dt.UTC) - dt.timedelta(days=1)).replace(microsecond=0)
    _body(officer.get(JSONL, {"actor": agent.username, "since": since.isoformat()}))
    event = AuditEvent.objects.get(action="audit.exported")
    assert (event.actor_kind, event.actor_id) == ("user", str(compliance_officer.pk))
    assert event.details == {
        "format": "jsonl",
        "via": "page",
        "filter": {"actor": f"user:{agent.pk}", "since": since.isoformat()},
    }


def test_a_malformed_export_filter_gets_400_with_the_field_message(officer: Client) -> None:
    response = officer.get(CSV, {"customer": "12345"})
    assert response.status_code == 400
    assert "valid UUID" in response.content.decode()
    assert not AuditEvent.objects.filter(action="audit.exported").exists()


def test_unknown_formats_are_not_found(officer: Client) -> None:
    assert officer.get("/compliance/audit/export/xlsx/").status_code == 404


def test_the_search_page_offers_downloads_of_the_current_filter(officer: Client) -> None:
    html = officer.get(reverse("audit:events"), {"action": "customer.*", "cursor": ""}).content
    assert f'href="{CSV}?action=customer.%2A"'.encode() in html
    assert f'href="{JSONL}?action=customer.%2A"'.encode() in html


def test_security_admins_see_no_download_buttons(client: Client, security_admin: User) -> None:
    html = login_verified(client, security_admin).get(reverse("audit:events")).content
    assert CSV.encode() not in html
