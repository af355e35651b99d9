"""Audit events as RFC 5424 syslog messages, framed for TCP (RFC 6587) or UDP (RFC 5426).

    <PRI>1 TIMESTAMP HOSTNAME ccplatform - MSGID [ccp@32473 id="…" chain="…" seq="…"] MSG

MSGID is the action; the structured data carries the event's id and chain position, by which
a receiver drops a batch it got twice; MSG is the event's JSON line, the same text as the
JSON Lines export. 32473 is the private enterprise number RFC 5612 sets aside for examples;
an operator with their own number changes SD_ID.
"""

from __future__ import annotations

import socket
from datetime import UTC, datetime

from audit.exporting import json_line
from audit.models import AuditEvent, Outcome

VERSION = 1
APP_NAME = "ccplatform"
SD_ID = "ccp@32473"
NIL = "-"
BOM = "\ufeff"
# RFC 5424 section 6.2.1 severities.
SEVERITY: dict[str, int] = {Outcome.ALLOWED: 6, Outcome.DENIED: 4, Outcome.FAILED: 3}
SEVERITY_UNKNOWN = 5  # notice: an outcome this module does not know yet
# A datagram this size passes most networks and receivers (rsyslog's default is 8 KiB); the
# protocol limit is 65,507 bytes. Events are ids and field names, so they rarely come close.
UDP_MAX_BYTES = 8192


def printable(text: str, limit: int) -> str:
    """RFC 5424 header fields are printable US-ASCII (33-126) without spaces, or "-"."""
    kept = "".join(char if 33 <= ord(char) <= 126 else "_" for char in text[:limit])
    return kept or NIL


def sd_value(value: object) -> str:
    """A PARAM-VALUE with `"`, `\\` and `]` escaped as RFC 5424 section 6.3.3 requires."""
    text = str(value)
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("]", "\\]")


def syslog_message(event: AuditEvent, *, facility: int, hostname: str) -> str:
    """The RFC 5424 message of one event (without transport framing)."""
    priority = facility * 8 + SEVERITY.get(event.outcome, SEVERITY_UNKNOWN)
    timestamp = rfc3339_utc(event.occurred_at)
    structured = (
        f'[{SD_ID} id="{sd_value(event.pk)}" chain="{sd_value(event.chain)}" '
        f'seq="{sd_value(event.seq)}"]'
    )
    body = json_line(event).rstrip("\n")
    if not body.isascii():
        body = BOM + body  # RFC 5424 section 6.4: UTF-8 text starts with a byte order mark
    return (
        f"<{priority}>{VERSION} {timestamp} {printable(hostname, 255)} {APP_NAME} {NIL} "
        f"{printable(event.action, 32)} {structured} {body}"
    )


def rfc3339_utc(moment: datetime) -> str:
    """RFC 3339 time in UTC with microseconds (RFC 5424 allows up to six digits)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def octet_counted(message: str) -> bytes:
    """RFC 6587 section 3.4.1 framing: "LENGTH SP MESSAGE", the length in bytes."""
    data = message.encode()
    return f"{len(data)} ".encode() + data


def datagram(message: str) -> bytes:
    """One UDP datagram; a message over UDP_MAX_BYTES is cut at a character boundary (the
    structured data with the event id comes before MSG, so the cut never loses it)."""
    data = message.encode()
    if len(data) <= UDP_MAX_BYTES:
        return data
    return data[:UDP_MAX_BYTES].decode(errors="ignore").encode()


def local_hostname() -> str:
    return socket.gethostname() or NIL
