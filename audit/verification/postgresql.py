"""Verification on PostgreSQL: the database does the checks, in parallel, in one snapshot.

The checks are those of the Python walk (audit.verification.walk), in two kinds:

- each row on its own: `hash` is sha256 of the row's content, and the columns say what its
  stored canonical text says (compared as jsonb, so key order and spacing do not matter,
  values do). A full run checks every row in one pass over the table in its physical order,
  split into ranges of blocks (TID range scans): no page is read twice and no index is read.
  An incremental run checks only the rows after each chain's checkpoint, chain by chain.
- the links between rows: each chain's sequence numbers follow one another and each
  `prev_hash` is the hash of the link before. These come from the (chain, seq) unique index,
  which carries prev_hash and hash (migration 0006): an index-only scan in seq order that
  touches no table page.

A chain's break is the first problem of either kind, in seq order. Only problems and totals
come back to Python. The work is spread over a few connections that share the run's snapshot
(pg_export_snapshot), so the database's cores do the hashing side by side.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from django.db import DatabaseError, connection, transaction

from audit.models import ChainHead
from audit.verification.walk import (
    EVENT_COLUMNS,
    MISSING,
    PROBLEMS,
    Report,
    Start,
    Walk,
    content_problem,
    rows,
)

MAX_WORKERS = 4
# 64 MiB of table per content query: even shares between the connections, and progress.
BLOCKS_PER_RANGE = 8192
AFTER_LAST_BLOCK = 2**32 - 1  # a TID's block number is 32 bits

# (seq, event id or None, message) of the first problem found in a chain.
Problem = tuple[int, int | None, str]

# The first row of each chain whose content is wrong on its own ('hash', then 'columns': the
# order of audit.verification.walk.content_problem). Completed below with the rows to check.
_CONTENT_PROBLEMS = """
SELECT DISTINCT ON (e.chain) e.chain, e.seq, e.id, checked.problem
FROM audit_auditevent AS e
CROSS JOIN LATERAL (SELECT CASE
    WHEN e.hash <> encode(sha256(convert_to(
        e.prev_hash || E'\\n' || e.chain || E'\\n' || e.seq || E'\\n' || e.canonical, 'UTF8'
    )), 'hex') THEN 'hash'
    WHEN e.canonical::jsonb <> jsonb_build_object(
        'action', e.action, 'actor_id', e.actor_id, 'actor_kind', e.actor_kind,
        'details', e.details, 'ip', host(e.ip),
        'occurred_at', to_char(
            e.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"'
        ),
        'outcome', e.outcome, 'reason', e.reason, 'request_id', e.request_id,
        'target_id', e.target_id, 'target_type', e.target_type, 'user_agent', e.user_agent
    ) THEN 'columns'
END AS problem) AS checked
"""
CONTENT_IN_BLOCKS = (
    _CONTENT_PROBLEMS
    + "JOIN unnest(%(chains)s::smallint[], %(starts)s::bigint[]) AS planned (chain, start_seq) "
    + "ON e.chain = planned.chain AND e.seq > planned.start_seq "
    + "WHERE e.ctid >= %(first)s::tid AND e.ctid < %(end)s::tid "
    + "AND checked.problem IS NOT NULL ORDER BY e.chain, e.seq"
)
CONTENT_OF_CHAIN = (
    _CONTENT_PROBLEMS
    + "WHERE e.chain = %(chain)s AND e.seq > %(start_seq)s AND checked.problem IS NOT NULL "
    + "ORDER BY e.chain, e.seq LIMIT 1"
)

# One chain's links, from the index alone: totals, and the first link that does not follow.
CHECK_LINKS = """
SELECT count(*), max(seq),
    (array_agg(seq ORDER BY seq) FILTER (WHERE problem IS NOT NULL))[1],
    (array_agg(previous_seq ORDER BY seq) FILTER (WHERE problem IS NOT NULL))[1],
    (array_agg(problem ORDER BY seq) FILTER (WHERE problem IS NOT NULL))[1]
FROM (
    SELECT seq,
        lag(seq) OVER links AS previous_seq,
        CASE
            WHEN seq <> coalesce(lag(seq) OVER links, %(start_seq)s) + 1 THEN 'gap'
            WHEN prev_hash <> coalesce(lag(hash) OVER links, %(start_hash)s) THEN 'order'
        END AS problem
    FROM audit_auditevent
    WHERE chain = %(chain)s AND seq > %(start_seq)s
    WINDOW links AS (ORDER BY seq)
) AS linked
"""


def verify_in_postgresql(
    report: Report,
    plan: Sequence[tuple[int, Start]],
    heads: dict[int, ChainHead],
    progress: Callable[[int], None],
    *,
    full: bool,
    parallel: bool,
) -> None:
    """Check each (chain, start) of `plan` and compare its end with the chain's head.

    `full`: the plan covers the whole table, whose rows are then checked in physical order.
    `parallel`: the current transaction is REPEATABLE READ and its snapshot can be shared
    with other connections; otherwise everything runs here, in the caller's transaction.
    """
    report.chains.update(chain for chain, _ in plan)
    todo = [(chain, start) for chain, start in plan if chain not in report.breaks]
    workers = min(os.cpu_count() or 1, MAX_WORKERS) if parallel else 1
    content = _content_problems_of_table(todo, workers) if full else None

    def check_part(part: Sequence[tuple[int, Start]]) -> Report:
        found = Report()
        for chain, start in part:
            problem = content.get(chain) if content is not None else _content_of_chain(chain, start)
            walk = _check_links(found, chain, start, problem)
            walk.finish(heads.get(chain))
        return found

    parts = [part for index in range(workers) if (part := todo[index::workers])]
    for found in _map_in_snapshot(check_part, parts, workers):
        report.events_checked += found.events_checked
        report.intact_ends.update(found.intact_ends)
        for chain, link in found.breaks.items():
            report.broken(chain, link.seq, link.event_id, link.problem)
        progress(report.events_checked)


def _check_links(report: Report, chain: int, start: Start, content: Problem | None) -> Walk:
    """Walk `chain`'s links from `start`; its break is the earlier of the first link that does
    not follow and `content`, the first row wrong on its own."""
    walk = Walk(report, chain, *start)
    params: dict[str, int | str] = {"chain": chain, "start_seq": start[0], "start_hash": start[1]}
    with connection.cursor() as cursor:
        cursor.execute(CHECK_LINKS, params)
        count, last_seq, bad_seq, previous_seq, kind = cursor.fetchone()
        link: Problem | None = None
        if kind == "gap":
            expected = (previous_seq if previous_seq is not None else start[0]) + 1
            link = (expected, None, MISSING.format(expected=expected, found=bad_seq))
        elif kind == "order":
            link = (bad_seq, _link(cursor, chain, bad_seq)[1], PROBLEMS["order"])
        # At the same seq the link problem wins, as in the Python walk.
        first = min(
            (found for found in (link, content) if found),
            key=lambda found: found[0],
            default=None,
        )
        if first is not None:
            report.broken(chain, *first)
        elif count:
            walk.advance(last_seq, *_link(cursor, chain, last_seq), checked=count)
    return walk


def _link(cursor: Any, chain: int, seq: int) -> tuple[str, int]:
    """(hash, event id) of one link."""
    cursor.execute(
        "SELECT hash, id FROM audit_auditevent WHERE chain = %s AND seq = %s", [chain, seq]
    )
    hash_, event_id = cursor.fetchone()
    return hash_, event_id


def _content_problems_of_table(
    plan: Sequence[tuple[int, Start]], workers: int
) -> dict[int, Problem]:
    """The first row of each planned chain (after its start) that is wrong on its own, from
    one pass over the whole table, range of blocks by range of blocks."""
    with connection.cursor() as cursor:
        # Read inside the snapshot: every row it shows was written before, so lies below.
        cursor.execute(
            "SELECT pg_relation_size('audit_auditevent') / current_setting('block_size')::int"
        )
        (blocks,) = cursor.fetchone()
    firsts = range(0, max(blocks, 1), BLOCKS_PER_RANGE)
    ranges = [(first, first + BLOCKS_PER_RANGE) for first in firsts]
    ranges[-1] = (ranges[-1][0], AFTER_LAST_BLOCK)  # and whatever lies beyond

    def check_range(blocks: tuple[int, int]) -> dict[int, Problem]:
        return _content_in_blocks(plan, *blocks)

    found: dict[int, Problem] = {}
    for problems in _map_in_snapshot(check_range, ranges, workers):
        for chain, problem in problems.items():
            if chain not in found or problem[0] < found[chain][0]:
                found[chain] = problem
    return found


def _content_in_blocks(
    plan: Sequence[tuple[int, Start]], first: int, end: int
) -> dict[int, Problem]:
    starts = {chain: start[0] for chain, start in plan}
    first_tid, end_tid = f"({first},0)", f"({end},0)"
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                CONTENT_IN_BLOCKS,
                {
                    "chains": list(starts),
                    "starts": list(starts.values()),
                    "first": first_tid,
                    "end": end_tid,
                },
            )
            return {
                chain: (seq, event_id, PROBLEMS[kind])
                for chain, seq, event_id, kind in cursor.fetchall()
            }
    except DatabaseError:
        return _content_in_python(
            f"SELECT {EVENT_COLUMNS} FROM audit_auditevent "  # noqa: S608  # nosec B608
            "WHERE ctid >= %s::tid AND ctid < %s::tid",
            [first_tid, end_tid],
            starts,
        )


def _content_of_chain(chain: int, start: Start) -> Problem | None:
    params = {"chain": chain, "start_seq": start[0]}
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(CONTENT_OF_CHAIN, params)
            row = cursor.fetchone()
    except DatabaseError:
        return _content_in_python(
            f"SELECT {EVENT_COLUMNS} FROM audit_auditevent "  # noqa: S608  # nosec B608
            "WHERE chain = %s AND seq > %s",
            [chain, start[0]],
            {chain: start[0]},
        ).get(chain)
    return None if row is None else (row[1], row[2], PROBLEMS[row[3]])


def _content_in_python(query: str, params: list[Any], starts: dict[int, int]) -> dict[int, Problem]:
    """The same checks in Python, for rows the database cannot check: a canonical text that
    is not JSON at all (rewritten by hand) makes the query fail; here it is the row whose
    columns differ from its text."""
    found: dict[int, Problem] = {}
    for row in rows(query, params):
        event_id, chain, seq = row[:3]
        if chain not in starts or seq <= starts[chain]:
            continue
        if (chain not in found or seq < found[chain][0]) and (kind := content_problem(row)):
            found[chain] = (seq, event_id, PROBLEMS[kind])
    return found


def _map_in_snapshot[Item, Result](
    work: Callable[[Item], Result], items: Sequence[Item], workers: int
) -> Iterator[Result]:
    """`work` over `items`, in order; with several workers, each item runs on a connection of
    its own that sees the current transaction's snapshot (which must be REPEATABLE READ)."""
    if workers <= 1 or len(items) <= 1:
        yield from map(work, items)
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_export_snapshot()")
        (snapshot,) = cursor.fetchone()

    def in_snapshot(item: Item) -> Result:
        try:
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
                    cursor.execute("SET TRANSACTION SNAPSHOT %s", [snapshot])
                return work(item)
        finally:
            connection.close()  # this thread's own connection

    with ThreadPoolExecutor(max_workers=workers) as pool:
        yield from pool.map(in_snapshot, items)
