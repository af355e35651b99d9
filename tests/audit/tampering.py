"""Tampering with the audit log as an attacker with database access would (tests only).

The append-only triggers are suspended the way tests/conftest.py does for flushing; the
product has no such bypass.
"""

from __future__ import annotations

from typing import Any

from django.db import connection

from audit.models import AuditEvent
from audit.services import audit_record
from ccplatform.context import Actor
from tests.conftest import audit_append_only_suspended


def raw(sql: str, params: list[Any] | None = None) -> None:
    with audit_append_only_suspended(), connection.cursor() as cursor:
        cursor.execute(sql, params or [])


def record_events(count: int, *, actor: str = "tamper-test") -> list[AuditEvent]:
    """`count` events by one actor, so they share one chain, oldest first."""
    return [
        audit_record(actor=Actor.system(actor), action="platform.tested", details={"n": number})
        for number in range(count)
    ]


def on_one_chain(events: list[AuditEvent]) -> list[AuditEvent]:
    assert len({event.chain for event in events}) == 1
    return sorted(events, key=lambda event: event.seq)
