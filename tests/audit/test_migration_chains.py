"""Events written before the chains existed are chained by the migration that adds them."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from audit.models import AuditEvent, ChainHead
from audit.verification import verify_chains
from ccplatform.context import Actor
from tests.actions import record
from tests.migration_states import migrate_to_latest

BEFORE = [("audit", "0002_append_only_triggers")]


def _migrate(target: list[tuple[str, str]]) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(target)


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_existing_events_are_chained_in_id_order_and_verify() -> None:
    _migrate(BEFORE)
    try:
        start = datetime(2026, 1, 1, tzinfo=UTC)
        with connection.cursor() as cursor:
            for number in range(6):
                cursor.execute(
                    "INSERT INTO audit_auditevent (occurred_at, actor_kind, actor_id, action, "
                    "target_type, target_id, outcome, reason, request_id, ip, user_agent, details) "
                    "VALUES (%s, 'user', %s, 'customer.viewed', 'customers.customer', %s, "
                    "'allowed', '', 'req-old', '198.51.100.4', 'old-browser', %s)",
                    [
                        start + timedelta(minutes=number),
                        f"user-{number % 2}",
                        f"customer-{number}",
                        json.dumps({"fields": ["name"], "n": number}),
                    ],
                )
    finally:
        migrate_to_latest()  # every app: those built on the audit app were unapplied too
    events = list(AuditEvent.objects.order_by("id"))
    # The six old events, and the role sync the test database already held (chained too).
    assert [event.request_id for event in events].count("req-old") == 6
    assert [event.action for event in events if event.request_id != "req-old"] == [
        "role.permissions_synced"
    ]
    for actor in ("user-0", "user-1"):
        mine = [event for event in events if event.actor_id == actor]
        assert [event.seq for event in mine] == [1, 2, 3]
        assert len({event.chain for event in mine}) == 1
    report = verify_chains(full=True)
    assert report.breaks == {}
    assert report.events_checked == len(events) == 6 + 1
    # New events continue the migrated chains.
    after = record(actor=Actor.user("user-0"), action="customer.viewed")
    head = ChainHead.objects.get(chain=after.chain)
    assert (after.seq, head.seq) == (4, 4)
    assert verify_chains(full=True).breaks == {}
