"""Each event is a link of its chain: hashed over stored canonical text, gap-free, fork-proof."""

from __future__ import annotations

import contextlib
import itertools
import threading
from datetime import UTC, datetime

import pytest
from django.db import IntegrityError, connection, transaction

from audit.chaining import EventFields, canonical_text, chain_for, fields_of, link_hash
from audit.models import AuditEvent, ChainHead
from audit.models.chains import GENESIS_HASH
from audit.services import audit_record
from ccplatform.context import Actor, RequestInfo, request_context
from tests.actions import TESTED
from tests.audit.tampering import on_one_chain, record_events


@pytest.mark.django_db
def test_links_follow_one_another_and_hash_their_stored_text() -> None:
    with request_context(RequestInfo("req-chain-1", "2001:DB8::0:1", "pytest")):
        recorded = record_events(3)
    events = on_one_chain([AuditEvent.objects.get(pk=event.pk) for event in recorded])
    assert [event.seq for event in events] == [1, 2, 3]
    assert events[0].prev_hash == GENESIS_HASH
    for before, after in itertools.pairwise(events):
        assert after.prev_hash == before.hash
    for stored, returned in zip(events, sorted(recorded, key=lambda e: e.seq), strict=True):
        # The database (SQL function on PostgreSQL) and Python agree on every byte.
        assert stored.canonical == canonical_text(fields_of(stored)) == returned.canonical
        assert stored.hash == link_hash(
            stored.prev_hash, stored.chain, stored.seq, stored.canonical
        )
        assert stored.hash == returned.hash
    assert events[0].ip == "2001:db8::1"  # stored as the database prints it back
    head = ChainHead.objects.get(chain=events[0].chain)
    assert (head.seq, head.hash) == (3, events[-1].hash)


def test_canonical_text_pins_the_time_zone_and_key_order() -> None:
    fields = EventFields(
        occurred_at=datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=UTC),
        actor_kind="user",
        actor_id="u1",
        action="customer.viewed",
        target_type="customers.customer",
        target_id="c1",
        outcome="allowed",
        reason="",
        request_id="r1",
        ip=None,
        user_agent="",
        details={"b": 1, "a": ["x"]},
    )
    text = canonical_text(fields)
    assert '"occurred_at":"2026-01-02T03:04:05.000006+00:00"' in text
    assert text.index('"a":["x"]') < text.index('"b":1')
    assert " " not in text


@pytest.mark.django_db
def test_an_actor_keeps_to_one_chain_and_actors_spread_over_chains() -> None:
    chains = {chain_for("user", f"user-{number}") for number in range(200)}
    assert len(chains) > 1
    first, second = record_events(2, actor="same-actor")
    assert first.chain == second.chain == chain_for("system", "same-actor")


def _record_then_fail(count: int) -> None:
    with transaction.atomic():
        record_events(count, actor="rollback-actor")
        raise RuntimeError("the audited action failed")


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_transaction_leaves_no_gap() -> None:
    record_events(1, actor="rollback-actor")
    with pytest.raises(RuntimeError):
        _record_then_fail(2)
    with transaction.atomic():
        with pytest.raises(RuntimeError):
            _record_then_fail(1)  # in a savepoint, rolled back
        record_events(1, actor="other-actor")
    record_events(1, actor="rollback-actor")
    # Only the committed events of the test (the flush's role sync wrote one more).
    assert AuditEvent.objects.filter(actor_id__in=["rollback-actor", "other-actor"]).count() == 3
    for chain in {event.chain for event in AuditEvent.objects.all()}:
        links = list(AuditEvent.objects.filter(chain=chain).order_by("seq"))
        assert [link.seq for link in links] == list(range(1, len(links) + 1))
        assert [link.prev_hash for link in links] == [GENESIS_HASH] + [
            link.hash for link in links[:-1]
        ]
        head = ChainHead.objects.get(chain=chain)
        assert (head.seq, head.hash) == (links[-1].seq, links[-1].hash)


@pytest.mark.django_db
def test_a_second_link_with_the_same_number_is_refused() -> None:
    (event,) = record_events(1)
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO audit_auditevent (occurred_at, actor_kind, actor_id, action, "
            "target_type, target_id, outcome, reason, request_id, ip, user_agent, details, "
            "chain, seq, prev_hash, hash, canonical) VALUES (%s, 'system', 'fork', "
            "'platform.forked', '', '', 'allowed', '', '', NULL, '', '{}', %s, %s, %s, %s, '')",
            [event.occurred_at, event.chain, event.seq, event.prev_hash, "f" * 64],
        )


def _actors_on_distinct_chains() -> tuple[Actor, Actor]:
    """Two actors whose chains differ: (lower chain, higher chain)."""
    by_chain: dict[int, Actor] = {}
    number = 0
    while len(by_chain) < 2:
        actor = Actor.system(f"lock-order-{number}")
        by_chain.setdefault(chain_for("system", actor.id), actor)
        number += 1
    low, high = sorted(by_chain)
    return by_chain[low], by_chain[high]


@pytest.mark.django_db(transaction=True)
def test_transactions_appending_to_two_chains_in_opposite_orders_do_not_deadlock() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has one writer at a time: there are no row locks to order")
    low, high = _actors_on_distinct_chains()
    both_hold_one = threading.Barrier(2, timeout=20)
    failures: list[BaseException] = []

    def write(first: Actor, second: Actor) -> None:
        try:
            with transaction.atomic():
                audit_record(actor=first, action=TESTED)
                # Broken when the other transaction already waits for our chain: fine.
                with contextlib.suppress(threading.BrokenBarrierError):
                    both_hold_one.wait()
                audit_record(actor=second, action=TESTED)
        except BaseException as error:  # reported by the assertion below
            failures.append(error)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=write, args=(low, high)),
        threading.Thread(target=write, args=(high, low)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not failures, failures
    assert AuditEvent.objects.filter(actor_id__in=[low.id, high.id]).count() == 4
    # The transaction that began on the higher chain kept its later event on that chain.
    high_chain = chain_for("system", high.id)
    assert AuditEvent.objects.filter(actor_id=low.id, chain=high_chain).count() == 1


def test_the_sql_function_names_the_setting_and_the_columns_the_python_side_uses() -> None:
    from audit.chaining import APPENDED_COLUMNS, HELD_CHAIN_SETTING, POSTGRESQL_APPEND_FUNCTION

    assert POSTGRESQL_APPEND_FUNCTION.count(HELD_CHAIN_SETTING) == 2
    written = " ".join(
        POSTGRESQL_APPEND_FUNCTION.split("INSERT INTO audit_auditevent (")[1].split(")")[0].split()
    )
    assert written == " ".join(APPENDED_COLUMNS.split())
