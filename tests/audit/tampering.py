"""Tampering with the audit log as an attacker with database access would (tests only).

The append-only triggers are suspended the way tests/conftest.py does for flushing; the
product has no such bypass.
"""

from __future__ import annotations

from typing import Any

from django.db import connection

from audit.chaining import link_hash
from audit.models import AuditEvent
from audit.services import audit_record
from ccplatform.context import Actor
from tests.actions import TESTED
from tests.conftest import audit_append_only_suspended


def raw(sql: str, params: list[Any] | None = None) -> None:
    with audit_append_only_suspended(), connection.cursor() as cursor:
        cursor.execute(sql, params or [])


def rewrite_chain(
    chain: int, *, column: str, value: str, canonical_change: tuple[str, str]
) -> None:
    """Change `column` of every link of `chain` and recompute every hash consistently, as an
    attacker with the whole database would; only signed checkpoints can tell."""
    prev = ""
    for link in AuditEvent.objects.filter(chain=chain).order_by("seq"):
        prev = prev or link.prev_hash
        canonical = link.canonical.replace(*canonical_change)
        new_hash = link_hash(prev, link.chain, link.seq, canonical)
        raw(
            f"UPDATE audit_auditevent SET {column} = %s, canonical = %s, prev_hash = %s, "  # noqa: S608
            "hash = %s WHERE id = %s",
            [value, canonical, prev, new_hash, link.pk],
        )
        prev = new_hash
    raw("UPDATE audit_chainhead SET hash = %s WHERE chain = %s", [prev, chain])


def record_events(count: int, *, actor: str = "tamper-test") -> list[AuditEvent]:
    """`count` events by one actor, so they share one chain, oldest first."""
    return [
        audit_record(actor=Actor.system(actor), action=TESTED, details={"n": number})
        for number in range(count)
    ]


def on_one_chain(events: list[AuditEvent]) -> list[AuditEvent]:
    assert len({event.chain for event in events}) == 1
    return sorted(events, key=lambda event: event.seq)
