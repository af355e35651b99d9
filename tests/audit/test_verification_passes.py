"""On PostgreSQL a full run checks rows on their own in one pass over the table and the links
in another (over the index); whichever pass finds a chain's problem first in seq order, that
is the break reported, and both passes see every row however the table is split up."""

from __future__ import annotations

import pytest
from django.db import connection, transaction

from audit.models import AuditEvent
from audit.verification import verify_chains
from audit.verification.postgresql import CHECK_LINKS
from tests.audit.tampering import on_one_chain, raw, record_events

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def one_block_per_range(monkeypatch: pytest.MonkeyPatch) -> None:
    """Many small content queries instead of one: their results must merge per chain."""
    monkeypatch.setattr("audit.verification.postgresql.BLOCKS_PER_RANGE", 1)


def _victims(count: int) -> list[list[AuditEvent]]:
    """`count` actors on distinct chains, with six consecutive links each (not necessarily
    the first of their chain), among other actors' events."""
    victims: dict[int, list[AuditEvent]] = {}
    number = 0
    while len(victims) < count:
        links = on_one_chain(record_events(6, actor=f"victim-{number}"))
        victims.setdefault(links[0].chain, links)
        record_events(1, actor=f"bystander-{number}")
        number += 1
    return list(victims.values())


def _breaks(*, full: bool) -> dict[int, tuple[int, int | None, str]]:
    report = verify_chains(full=full)
    assert report.breaks
    return {
        chain: (found.seq, found.event_id, found.problem) for chain, found in report.breaks.items()
    }


def _edit_action(event: AuditEvent) -> None:
    raw("UPDATE audit_auditevent SET action = 'platform.hidden' WHERE id = %s", [event.pk])


@pytest.mark.parametrize("full", [True, False], ids=["full", "incremental"])
def test_the_earlier_problem_of_a_chain_is_its_break_whichever_pass_finds_it(full: bool) -> None:
    gap_first, edit_first, only_edit = _victims(3)
    # A deleted link before an edited one; an edited row before a deleted one.
    raw("DELETE FROM audit_auditevent WHERE id = %s", [gap_first[1].pk])
    _edit_action(gap_first[3])
    _edit_action(edit_first[1])
    raw("DELETE FROM audit_auditevent WHERE id = %s", [edit_first[3].pk])
    _edit_action(only_edit[4])

    breaks = _breaks(full=full)

    assert set(breaks) == {gap_first[0].chain, edit_first[0].chain, only_edit[0].chain}
    seq, event_id, problem = breaks[gap_first[0].chain]
    assert (seq, event_id) == (gap_first[1].seq, None)
    assert "missing" in problem
    seq, event_id, problem = breaks[edit_first[0].chain]
    assert (seq, event_id) == (edit_first[1].seq, edit_first[1].pk)
    assert "columns differ" in problem
    assert breaks[only_edit[0].chain][:2] == (only_edit[4].seq, only_edit[4].pk)


def test_a_replaced_link_and_an_edit_of_the_same_row_report_the_link() -> None:
    """As in the Python walk: a row that does not follow its predecessor is reported as such,
    even if its own content is wrong too."""
    (links,) = _victims(1)
    raw(
        "UPDATE audit_auditevent SET prev_hash = %s, action = 'platform.hidden' WHERE id = %s",
        ["0" * 64, links[2].pk],
    )
    seq, event_id, problem = _breaks(full=True)[links[0].chain]
    assert (seq, event_id) == (links[2].seq, links[2].pk)
    assert "does not follow" in problem


def test_every_row_is_checked_across_many_ranges_of_blocks() -> None:
    events = record_events(40, actor="steady")
    report = verify_chains(full=True)
    assert report.breaks == {}
    assert report.events_checked == AuditEvent.objects.count()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(DISTINCT (ctid::text::point)[0]) FROM audit_auditevent")
            (blocks,) = cursor.fetchone()
        assert blocks > 2  # so the run above merged several ranges
    _edit_action(events[-1])  # its new version lies in the last block
    assert _breaks(full=True)[events[-1].chain][:2] == (events[-1].seq, events[-1].pk)


def test_the_link_check_reads_only_the_unique_index() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the covering (chain, seq) index is PostgreSQL's")
    (links,) = _victims(1)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE audit_auditevent")  # the visibility map, as autovacuum
    with transaction.atomic(), connection.cursor() as cursor:
        # A table this small is read whole whatever the query; what matters is that the
        # index can answer it alone.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute(
            "EXPLAIN " + CHECK_LINKS,
            {"chain": links[0].chain, "start_seq": 0, "start_hash": links[0].prev_hash},
        )
        plan = "\n".join(line for (line,) in cursor.fetchall())
    assert "Index Only Scan using audit_event_chain_seq" in plan, plan
