"""Exports of audit events: CSV (safe to open in a spreadsheet) and JSON Lines, streamed.

Both are generators of text lines, so an export of millions of events is written (or sent
over HTTP) with constant memory. An empty range gives the header line (CSV) or nothing
(JSON Lines). The compliance pages, the API, `manage.py audit_export` and the SIEM feed
all use these functions, so an event looks the same wherever it goes.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from typing import Any

from django.http import StreamingHttpResponse

from audit.chaining import utc_text
from audit.models import AuditEvent
from audit.search import EventFilter

COLUMNS = (
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
)
# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def event_record(event: AuditEvent) -> dict[str, Any]:
    """One event as plain data, in export column order."""
    return {
        "id": event.pk,
        "occurred_at": utc_text(event.occurred_at),
        "actor_kind": event.actor_kind,
        "actor_id": event.actor_id,
        "action": event.action,
        "target_type": event.target_type,
        "target_id": event.target_id,
        "outcome": event.outcome,
        "reason": event.reason,
        "request_id": event.request_id,
        "ip": event.ip,
        "user_agent": event.user_agent,
        "details": event.details,
        "chain": event.chain,
        "seq": event.seq,
        "hash": event.hash,
    }


def spreadsheet_safe(value: object) -> str:
    """The cell's text, with a leading quote when a spreadsheet would run it as a formula."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


class _Line:
    """A file-like sink for csv.writer that hands back what was written."""

    def write(self, value: str) -> str:
        return value


def csv_lines(events: Iterable[AuditEvent]) -> Iterator[str]:
    writer = csv.writer(_Line())
    yield writer.writerow(COLUMNS)
    for event in events:
        record = event_record(event)
        yield writer.writerow([spreadsheet_safe(record[column]) for column in COLUMNS])


def json_line(event: AuditEvent) -> str:
    return json.dumps(event_record(event), ensure_ascii=False, separators=(",", ":")) + "\n"


def jsonl_lines(events: Iterable[AuditEvent]) -> Iterator[str]:
    for event in events:
        yield json_line(event)


FORMATS = {
    "csv": ("text/csv; charset=utf-8", csv_lines),
    "jsonl": ("application/x-ndjson", jsonl_lines),
}


def streaming_export(
    events: Iterable[AuditEvent], *, fmt: str, filename: str
) -> StreamingHttpResponse:
    """A download of `events` in `fmt` ("csv" or "jsonl"), streamed row by row."""
    content_type, lines = FORMATS[fmt]
    response = StreamingHttpResponse(lines(events), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}.{fmt}"'
    return response


def filter_summary(event_filter: EventFilter) -> dict[str, str]:
    """The filter as text for an audit event (ids, actions and times: no personal values)."""
    summary = {
        "actor": ":".join(event_filter.actor) if event_filter.actor else "",
        "customer": event_filter.customer or "",
        "action": event_filter.action,
        "outcome": event_filter.outcome,
        "since": event_filter.since.isoformat() if event_filter.since else "",
        "until": event_filter.until.isoformat() if event_filter.until else "",
        "request_id": event_filter.request_id,
    }
    return {key: value for key, value in summary.items() if value}
