"""audit.exporting: CSV safe to open in a spreadsheet, JSON Lines, streamed downloads."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

import pytest

from audit.exporting import (
    COLUMNS,
    csv_lines,
    filter_summary,
    json_line,
    jsonl_lines,
    spreadsheet_safe,
    streaming_export,
)
from audit.models import AuditEvent
from audit.search import EventFilter
from audit.services.reads import audit_exported
from ccplatform.callers import Caller, Via
from ccplatform.context import Actor
from tests.actions import record


def event(number: int = 1, **fields: object) -> AuditEvent:
    """An event as loaded from the database (not saved: these tests need no rows)."""
    values: dict[str, object] = {
        "pk": number,
        "occurred_at": datetime(2026, 3, 1, 12, 0, number, 250, tzinfo=UTC),
        "actor_kind": "user",
        "actor_id": "11111111-2222-3333-4444-555555555555",
        "action": "customer.viewed",
        "target_type": "customers.customer",
        "target_id": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
        "outcome": "allowed",
        "reason": "",
        "request_id": "req-00000001",
        "ip": "203.0.113.7",
        "user_agent": "pytest",
        "details": {"fields": ["phone"]},
        "chain": 3,
        "seq": number,
        "hash": "ab" * 32,
        **fields,
    }
    return AuditEvent(**values)


def parsed_csv(lines: list[str]) -> list[list[str]]:
    return list(csv.reader(io.StringIO("".join(lines), newline="")))


@pytest.mark.parametrize(
    "text", ["=1+2", "+1", "-1", "@SUM(A1)", "\tcmd", "\rcmd", '=HYPERLINK("x")']
)
def test_a_cell_a_spreadsheet_would_run_gets_a_leading_quote(text: str) -> None:
    assert spreadsheet_safe(text) == "'" + text


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, ""), ("plain", "plain"), (5, "5"), ({"a": [1]}, '{"a":[1]}'), ("a=b", "a=b")],
)
def test_other_cells_are_unchanged(value: object, expected: str) -> None:
    assert spreadsheet_safe(value) == expected


def test_csv_has_the_header_then_one_row_per_event_and_parses_back() -> None:
    rows = parsed_csv(list(csv_lines([event(1), event(2, reason='said "no", twice\nthen left')])))
    assert rows[0] == list(COLUMNS)
    assert len(rows) == 3
    second = dict(zip(COLUMNS, rows[2], strict=True))
    assert second["reason"] == 'said "no", twice\nthen left'
    assert second["details"] == '{"fields":["phone"]}'
    assert second["occurred_at"] == "2026-03-01T12:00:02.000250+00:00"
    assert second["ip"] == "203.0.113.7"


def test_csv_quotes_formula_cells_in_every_column() -> None:
    hostile = event(
        actor_id="=cmd|' /C calc'!A0",
        target_id="+41",
        reason="-2+3",
        request_id="@SUM(1)",
        user_agent="\t=1",
        details={},
        action="customer.viewed",
    )
    row = dict(zip(COLUMNS, parsed_csv(list(csv_lines([hostile])))[1], strict=True))
    for column in ("actor_id", "target_id", "reason", "request_id", "user_agent"):
        assert row[column].startswith("'"), column
    assert row["reason"] == "'-2+3"


def test_empty_range_gives_the_csv_header_and_no_json_lines() -> None:
    assert parsed_csv(list(csv_lines([]))) == [list(COLUMNS)]
    assert list(jsonl_lines([])) == []


def test_json_lines_are_one_object_per_line_with_the_record() -> None:
    lines = list(jsonl_lines([event(1), event(2, reason="café")]))
    assert len(lines) == 2
    assert all(line.endswith("\n") and line.count("\n") == 1 for line in lines)
    first, second = (json.loads(line) for line in lines)
    assert list(first) == list(COLUMNS)
    assert first["details"] == {"fields": ["phone"]}
    assert (second["id"], second["chain"], second["seq"]) == (2, 3, 2)
    assert second["reason"] == "café"
    assert "café" in json_line(event(2, reason="café"))  # UTF-8, not \\u escapes


def test_a_multiline_reason_stays_on_one_json_line() -> None:
    line = json_line(event(reason="one\ntwo\r\nthree"))
    assert line.count("\n") == 1
    assert json.loads(line)["reason"] == "one\ntwo\r\nthree"


@pytest.mark.parametrize(("fmt", "content_type"), [("csv", "text/csv"), ("jsonl", "ndjson")])
def test_streaming_export_is_a_streamed_attachment(fmt: str, content_type: str) -> None:
    response = streaming_export([event(1)], fmt=fmt, filename="audit-2026")
    assert response.streaming
    assert content_type in response["Content-Type"]
    assert response["Content-Disposition"] == f'attachment; filename="audit-2026.{fmt}"'
    body = b"".join(response.streaming_content).decode()  # type: ignore[arg-type]
    assert "customer.viewed" in body


def test_filter_summary_keeps_only_the_filters_that_were_set() -> None:
    summary = filter_summary(
        EventFilter(
            actor=("user", "7"),
            action="customer.*",
            since=datetime(2026, 1, 1, tzinfo=UTC),
        )
    )
    assert summary == {
        "actor": "user:7",
        "action": "customer.*",
        "since": "2026-01-01T00:00:00+00:00",
    }


@pytest.mark.django_db
def test_audit_exported_records_who_took_which_range_in_which_format() -> None:
    audit_exported(
        caller=Caller.system("test exporter", via=Via.COMMAND),
        event_filter=EventFilter(outcome="denied"),
        fmt="jsonl",
    )
    recorded = AuditEvent.objects.get(action="audit.exported")
    assert (recorded.actor_kind, recorded.actor_id) == ("system", "test exporter")
    # `via` is the caller's door (here a management command).
    assert recorded.details == {
        "format": "jsonl",
        "via": "command",
        "filter": {"outcome": "denied"},
    }


@pytest.mark.django_db
def test_a_recorded_event_exports_like_it_reads_back() -> None:
    written = record(actor=Actor.system("test"), action="platform.tested", reason="=1+1")
    stored = AuditEvent.objects.get(pk=written.pk)
    assert json_line(written) == json_line(stored)
    row = parsed_csv(list(csv_lines([stored])))[1]
    assert row[COLUMNS.index("reason")] == "'=1+1"
