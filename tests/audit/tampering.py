"""Tampering with the audit log as an attacker with database access would (tests only).

The append-only triggers are suspended the way tests/conftest.py does for flushing; the
product has no such bypass.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, cast

from django.db import connection
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

from audit.models import AuditEvent
from audit.services import audit_record
from audit.triggers import install_append_only, remove_append_only
from ccplatform.context import Actor


class _StatementRunner:
    """Runs trigger DDL on the current connection, inside the test's transaction (SQLite's
    schema editor refuses to run there)."""

    connection = connection

    def execute(self, sql: str, params: object = None) -> None:
        with connection.cursor() as cursor:
            cursor.execute(sql)


@contextmanager
def _triggers_off() -> Iterator[None]:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET session_replication_role = replica")
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute("RESET session_replication_role")
        return
    runner = cast(BaseDatabaseSchemaEditor, _StatementRunner())
    remove_append_only(runner)
    try:
        yield
    finally:
        install_append_only(runner)


def raw(sql: str, params: list[Any] | None = None) -> None:
    with _triggers_off(), connection.cursor() as cursor:
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
