"""Database triggers that make the audit tables append-only, for PostgreSQL and SQLite.

Installed by migrations, so the rule holds for every client of the database, not only for
this application's Python code. Production should also grant the application's role only
SELECT and INSERT on these tables (README, "Security model").
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import cast

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

EVENTS = "audit_auditevent"
CHECKPOINTS = "audit_checkpoint"
VERIFICATION_RUNS = "audit_verificationrun"
APPEND_ONLY_TABLES = (EVENTS, CHECKPOINTS, VERIFICATION_RUNS)
REFUSAL = "audit records are append-only"

POSTGRESQL_FUNCTION = f"""
    CREATE OR REPLACE FUNCTION audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION '{REFUSAL}: % on % refused', TG_OP, TG_TABLE_NAME
            USING ERRCODE = 'insufficient_privilege';
    END
    $$
"""


def _postgresql_install(table: str) -> list[str]:
    return [
        POSTGRESQL_FUNCTION,
        f"""
        CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}
        FOR EACH ROW EXECUTE FUNCTION audit_refuse_change()
        """,
        f"""
        CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}
        FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change()
        """,
    ]


def _postgresql_remove(table: str) -> list[str]:
    # The shared function stays: other tables' triggers may use it.
    return [
        f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}",
        f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}",
    ]


# SQLite has no TRUNCATE; `DELETE FROM t` without WHERE fires the row trigger too.
def _sqlite_install(table: str) -> list[str]:
    return [
        f"""
        CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table}
        BEGIN SELECT RAISE(ABORT, '{REFUSAL}: UPDATE on {table} refused'); END
        """,
        f"""
        CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table}
        BEGIN SELECT RAISE(ABORT, '{REFUSAL}: DELETE on {table} refused'); END
        """,
    ]


def _sqlite_remove(table: str) -> list[str]:
    return [
        f"DROP TRIGGER IF EXISTS {table}_no_update",
        f"DROP TRIGGER IF EXISTS {table}_no_delete",
    ]


_STATEMENTS = {
    "postgresql": (_postgresql_install, _postgresql_remove),
    "sqlite": (_sqlite_install, _sqlite_remove),
}


def _run(schema_editor: BaseDatabaseSchemaEditor, tables: Sequence[str], *, install: bool) -> None:
    vendor = schema_editor.connection.vendor
    if vendor not in _STATEMENTS:
        raise NotImplementedError(f"append-only audit triggers are not written for {vendor}")
    statements = _STATEMENTS[vendor][0 if install else 1]
    for table in tables:
        for statement in statements(table):
            schema_editor.execute(statement, params=None)


def install_append_only(
    schema_editor: BaseDatabaseSchemaEditor, tables: Sequence[str] = APPEND_ONLY_TABLES
) -> None:
    _run(schema_editor, tables, install=True)


def remove_append_only(
    schema_editor: BaseDatabaseSchemaEditor, tables: Sequence[str] = APPEND_ONLY_TABLES
) -> None:
    _run(schema_editor, tables, install=False)


class CursorStatements:
    """Runs trigger DDL on a connection's cursor, in or out of a transaction (SQLite's schema
    editor refuses to run inside one). Stands in for a schema editor in the functions above."""

    def __init__(self, connection: BaseDatabaseWrapper) -> None:
        self.connection = connection

    def execute(self, sql: str, params: object = None) -> None:
        with self.connection.cursor() as cursor:
            cursor.execute(sql)


@contextmanager
def append_only_lifted(connection: BaseDatabaseWrapper) -> Iterator[None]:
    """Lift the events table's UPDATE/DELETE refusal for the enclosing transaction only.

    For one purpose: dropping a sealed and exported archive range (audit.archiving). On
    PostgreSQL it needs the table owner (ALTER TABLE ... DISABLE TRIGGER), which the
    application's role is not in production; the change is part of the transaction, so no
    other session ever sees the table unprotected.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("append_only_lifted must run inside transaction.atomic()")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"ALTER TABLE {EVENTS} DISABLE TRIGGER {EVENTS}_append_only")
        yield
        with connection.cursor() as cursor:
            cursor.execute(f"ALTER TABLE {EVENTS} ENABLE TRIGGER {EVENTS}_append_only")
        return
    runner = cast(BaseDatabaseSchemaEditor, CursorStatements(connection))
    remove_append_only(runner, [EVENTS])
    yield
    install_append_only(runner, [EVENTS])
