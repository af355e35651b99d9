"""Chain verification speed: events/s of a full walk, and of an incremental one.

Loads N valid chained events (bench/audit_common.py: canonical text and link hashes computed
with audit.chaining's functions, COPY, heads set), then times what the nightly job and the
monitor run:

- full: verify_chains(full=True, make_checkpoints=False), every chain from its first link;
- incremental: after a full run has signed each chain's head, M more events are appended and
  verify_chains(full=False, make_checkpoints=False) walks only those (plus each chain's
  checkpoint re-check).

Every run must find the chains intact (a benchmark of a broken walk would measure nothing).
Goal (issue 6): verification >= 100,000 events/s.
Run on PostgreSQL:
  DATABASE_URL=postgres://postgres@127.0.0.1:5432/NAME .venv/bin/python -m bench.audit_verify
Options: --events N (default 1000000), --after N (events after the checkpoints, default
50000), --repeat N (timed runs of each kind, median reported; default 3).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

from bench.harness import throwaway_database

# Where a full walk's time goes, and what PostgreSQL alone takes for the link checks.
_LINKS_IN_SQL = """
SELECT count(*) FILTER (WHERE bad) FROM (
    SELECT hash <> encode(sha256(convert_to(
               prev_hash || E'\\n' || chain || E'\\n' || seq || E'\\n' || canonical, 'UTF8'
           )), 'hex')
        OR prev_hash <> coalesce(lag(hash) OVER links, %s)
        OR seq <> row_number() OVER links AS bad
    FROM audit_auditevent WINDOW links AS (PARTITION BY chain ORDER BY seq)
) AS checked
"""


def walk_costs() -> dict[str, Callable[[], int]]:
    """Parts of the full walk, each timed alone: reading the rows in (chain, seq) order as
    verify_chains does, reading and checking the links (no column re-check), and the link
    checks done by PostgreSQL in one query (a possible design, not the service's)."""
    from django.db import connection

    from audit.chaining import link_hash
    from audit.models.chains import GENESIS_HASH
    from audit.verification import _COLUMNS, FETCH_SIZE

    def rows(check: bool) -> int:
        cursor = connection.chunked_cursor()
        count, chain, prev = 0, -1, GENESIS_HASH
        try:
            cursor.execute(f"SELECT {_COLUMNS} FROM audit_auditevent ORDER BY chain, seq")  # noqa: S608
            while batch := cursor.fetchmany(FETCH_SIZE):
                count += len(batch)
                if not check:
                    continue
                for row in batch:
                    if row[1] != chain:
                        chain, prev = row[1], GENESIS_HASH
                    if row[3] != prev or link_hash(row[3], row[1], row[2], row[5]) != row[4]:
                        raise SystemExit(f"link check failed at {row[0]}")
                    prev = row[4]
        finally:
            cursor.close()
        return count

    def in_sql() -> int:
        with connection.cursor() as cursor:
            cursor.execute(_LINKS_IN_SQL, [GENESIS_HASH])
            (bad,) = cursor.fetchone()
        if bad:
            raise SystemExit(f"{bad} links failed the SQL check")
        return 0

    def atomic(action: Callable[[], int]) -> Callable[[], int]:
        from django.db import transaction

        def run() -> int:
            with transaction.atomic():  # the chunked cursor is a named cursor: needs one
                return action()

        return run

    return {
        "read the rows only": atomic(lambda: rows(check=False)),
        "read + link hashes (no column re-check)": atomic(lambda: rows(check=True)),
        "link checks in one SQL query": in_sql,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--after", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--actors", type=int, default=2_000)
    parser.add_argument("--customers", type=int, default=200_000)
    args = parser.parse_args()

    # Imported after bench.harness has configured Django.
    from django.conf import settings

    from audit.models import VerificationRun
    from audit.verification import verify_chains

    with throwaway_database():
        from bench.audit_common import (
            IndexesDropped,
            Population,
            chained_load,
            fake_events,
            table_size,
            tables_settle,
        )

        population = Population.make(actor_count=args.actors, customer_count=args.customers)
        started = time.perf_counter()
        with IndexesDropped():
            chained_load(fake_events(population, args.events, days=30), progress=True)
        tables_settle()
        print(
            f"loaded {args.events:,} chained events on {settings.AUDIT_CHAINS} chains in "
            f"{time.perf_counter() - started:.0f} s ({table_size()})",
            flush=True,
        )

        def timed(*, full: bool) -> tuple[float, VerificationRun]:
            started = time.perf_counter()
            run = verify_chains(full=full, trigger="bench", make_checkpoints=False)
            elapsed = time.perf_counter() - started
            if not run.ok:
                raise SystemExit(f"verification found breaks, the load is wrong: {run.breaks}")
            return elapsed, run

        full = [timed(full=True) for _ in range(args.repeat)]
        full_s = statistics.median(seconds for seconds, _ in full)
        full_events = full[0][1].events_checked
        parts = {}
        for name, action in walk_costs().items():
            samples = []
            for _ in range(args.repeat):
                started = time.perf_counter()
                action()
                samples.append(time.perf_counter() - started)
            parts[name] = statistics.median(samples)

        # Sign every head (as the scheduled run does), then append more and walk only those.
        verify_chains(full=True, trigger="bench", make_checkpoints=True)
        chained_load(fake_events(population, args.after, days=1, seed=8))
        tables_settle()
        incremental = [timed(full=False) for _ in range(args.repeat)]
        incremental_s = statistics.median(seconds for seconds, _ in incremental)
        incremental_events = incremental[0][1].events_checked
        full_after_s, _ = timed(full=True)

    print(f"\nchain verification, {settings.AUDIT_CHAINS} chains, median of {args.repeat} runs\n")
    rows = [
        (f"full, {full_events:,} events", full_s, full_events),
        (
            f"incremental, {incremental_events:,} events after the checkpoints",
            incremental_s,
            incremental_events,
        ),
    ]
    width = max(len(name) for name, _, _ in rows)
    print(f"  {'run':{width}}  {'seconds':>8}  {'events/s':>10}")
    for name, seconds, events in rows:
        print(f"  {name:{width}}  {seconds:8.2f}  {events / seconds:10,.0f}")
    print("\n  where a full walk's time goes (same rows, each part alone):")
    for name, seconds in parts.items():
        print(f"    {name:{width - 2}}  {seconds:8.2f}  {full_events / seconds:10,.0f}")
    print(
        f"\n  full walk of all {full_events + incremental_events:,} events (one run): "
        f"{full_after_s:.2f} s; the incremental run took "
        f"{incremental_s / full_after_s:.1%} of it\n"
        "  goal: >= 100,000 events/s"
    )


if __name__ == "__main__":
    main()
