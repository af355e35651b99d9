"""The (chain, seq) unique index carries each link's prev_hash and hash (PostgreSQL).

Verification then checks how the links follow one another with an index-only scan, in seq
order, without reading the table; the table itself is read once, in physical order, for the
checks of each row on its own (audit.verification.postgresql). The index stays the one that
makes a fork impossible: the constraint keeps its name and its key columns, so the model's
UniqueConstraint(chain, seq) describes it on every database. (Django's own `include=` is not
used: on SQLite it would drop the constraint altogether.)

The event table only grows, so vacuum's insert trigger is set low for it: the visibility map
that index-only scans rely on keeps up with the newest pages instead of lagging by a fifth of
the table.

The new index is built CONCURRENTLY (about 2 s per million events on 2 cores, appends go on
meanwhile), then takes the old one's place in one ALTER TABLE, which holds appends back only
for that instant. Hence a migration outside a transaction; run again after an interruption,
it starts over from a clean slate.
"""

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

TABLE = "audit_auditevent"
CONSTRAINT = "audit_event_chain_seq"


def _unique_links(schema_editor: BaseDatabaseSchemaEditor, include: str) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    building = f"{CONSTRAINT}_building"
    for statement in (
        f"DROP INDEX CONCURRENTLY IF EXISTS {building}",  # left invalid by an interrupted run
        f"CREATE UNIQUE INDEX CONCURRENTLY {building} ON {TABLE} (chain, seq){include}",
        # One statement: the table is never without its fork-proof constraint.
        f"ALTER TABLE {TABLE} DROP CONSTRAINT {CONSTRAINT}, "
        f"ADD CONSTRAINT {CONSTRAINT} UNIQUE USING INDEX {building}",
    ):
        schema_editor.execute(statement, params=None)


def forward(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    _unique_links(schema_editor, " INCLUDE (prev_hash, hash)")
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"ALTER TABLE {TABLE} SET (autovacuum_vacuum_insert_scale_factor = 0.01)",
            params=None,
        )


def backward(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    _unique_links(schema_editor, "")
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"ALTER TABLE {TABLE} RESET (autovacuum_vacuum_insert_scale_factor)", params=None
        )


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run in a transaction

    dependencies = [("audit", "0005_customers_named_index")]

    operations = [migrations.RunPython(forward, backward)]
