"""Verification on PostgreSQL: the database checks the links, in parallel, in one snapshot.

For each chain one query walks its links in seq order (the (chain, seq) index, no sort) and
applies the same checks as the Python walk (audit.verification.walk): the sequence number
follows the one before, `prev_hash` is the previous link's hash, `hash` is sha256 of the
link's content, and the columns say what the stored canonical text says (compared as jsonb,
so key order and spacing do not matter, values do). Only the first failing link of a chain
and a few totals come back to Python. Chains are independent, so they are spread over a few
connections that share the run's snapshot (pg_export_snapshot): the database's cores do the
hashing.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

from django.db import DatabaseError, connection, transaction

from audit.models import ChainHead
from audit.verification.walk import (
    MISSING,
    PROBLEMS,
    Report,
    Start,
    Walk,
    walk_chain_in_python,
)

MAX_WORKERS = 4

CHECK_CHAIN = """
SELECT count(*), max(seq),
    (array_agg(seq ORDER BY seq) FILTER (WHERE problem IS NOT NULL))[1],
    (array_agg(id ORDER BY seq) FILTER (WHERE problem IS NOT NULL))[1],
    (array_agg(previous_seq ORDER BY seq) FILTER (WHERE problem IS NOT NULL))[1],
    (array_agg(problem ORDER BY seq) FILTER (WHERE problem IS NOT NULL))[1]
FROM (
    SELECT id, seq,
        lag(seq) OVER links AS previous_seq,
        CASE
            WHEN seq <> coalesce(lag(seq) OVER links, %(start_seq)s) + 1 THEN 'gap'
            WHEN prev_hash <> coalesce(lag(hash) OVER links, %(start_hash)s) THEN 'order'
            WHEN hash <> encode(sha256(convert_to(
                prev_hash || E'\\n' || chain || E'\\n' || seq || E'\\n' || canonical, 'UTF8'
            )), 'hex') THEN 'hash'
            WHEN canonical::jsonb <> jsonb_build_object(
                'action', action, 'actor_id', actor_id, 'actor_kind', actor_kind,
                'details', details, 'ip', host(ip),
                'occurred_at', to_char(
                    occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"'
                ),
                'outcome', outcome, 'reason', reason, 'request_id', request_id,
                'target_id', target_id, 'target_type', target_type, 'user_agent', user_agent
            ) THEN 'columns'
        END AS problem
    FROM audit_auditevent
    WHERE chain = %(chain)s AND seq > %(start_seq)s
    WINDOW links AS (ORDER BY seq)
) AS checked
"""


def walk_chain_in_sql(report: Report, chain: int, start: Start) -> Walk:
    """One chain checked by the database; falls back to Python for a row it cannot parse."""
    walk = Walk(report, chain, *start)
    params: dict[str, int | str] = {"chain": chain, "start_seq": start[0], "start_hash": start[1]}
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(CHECK_CHAIN, params)
            count, last_seq, bad_seq, bad_id, previous_seq, problem = cursor.fetchone()
            last = None
            if problem is None and count:
                cursor.execute(
                    "SELECT hash, id FROM audit_auditevent WHERE chain = %s AND seq = %s",
                    [chain, last_seq],
                )
                last = cursor.fetchone()
    except DatabaseError:
        # A canonical text that is not JSON at all (rewritten by hand): the Python walk
        # reports it as the link whose columns differ from its text.
        return walk_chain_in_python(report, chain, start)
    if problem == "gap":
        expected = (previous_seq if previous_seq is not None else start[0]) + 1
        report.broken(chain, expected, None, MISSING.format(expected=expected, found=bad_seq))
    elif problem is not None:
        report.broken(chain, bad_seq, bad_id, PROBLEMS[problem])
    elif last is not None:
        walk.advance(last_seq, last[0], last[1], checked=count)
    return walk


Walker = Callable[
    [Report, Sequence[tuple[int, Start]], dict[int, ChainHead], Callable[[int], None]], None
]


def walk_in_parallel(
    report: Report,
    plan: Sequence[tuple[int, Start]],
    heads: dict[int, ChainHead],
    progress: Callable[[int], None],
    *,
    walk: Walker,
) -> None:
    """Spread the chains of `plan` over a few connections in the current transaction's
    snapshot (which must be REPEATABLE READ), and merge what they found into `report`."""
    workers = min(len(plan), os.cpu_count() or 1, MAX_WORKERS)
    if workers <= 1:
        walk(report, plan, heads, progress)
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_export_snapshot()")
        (snapshot,) = cursor.fetchone()

    def walk_part(part: Sequence[tuple[int, Start]]) -> Report:
        found = Report()
        found.breaks.update(report.breaks)  # chains already broken are not walked again
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
                cursor.execute("SET TRANSACTION SNAPSHOT %s", [snapshot])
                walk(found, part, heads, lambda _count: None)
        finally:
            connection.close()  # this thread's own connection
        return found

    with ThreadPoolExecutor(max_workers=workers) as pool:
        for found in pool.map(walk_part, [plan[index::workers] for index in range(workers)]):
            report.events_checked += found.events_checked
            report.chains |= found.chains
            report.intact_ends.update(found.intact_ends)
            for chain, link in found.breaks.items():
                report.breaks.setdefault(chain, link)
            progress(report.events_checked)
