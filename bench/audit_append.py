"""Audit append speed: the hash-chained append vs a plain INSERT of the same row.

Both sides run the real service, audit.services.audit_record: the same validation,
scrubbing, canonical text and one transaction per event. Only its last step differs:

- chained: audit.chaining.append, one call to the audit_append SQL function (lock the
  chain's head, hash, advance the head, insert);
- plain: one INSERT … RETURNING id of the same columns and values into bench_plain_event,
  a copy of the event table (LIKE … INCLUDING ALL, so the same indexes and checks) without
  the (chain, seq) unique constraint, which only chaining needs. Chain and seq are filled
  in as audit_record would pick them; the two hash columns hold 64-character placeholders.

Measured with 1 writer (this process: interleaved rounds of N events each, median), then
with W concurrent writers: separate processes, each with its own connection, each event
from one of ~2,000 actors picked at random so that the chains spread as in a contact
center; each phase runs for a fixed time, plain and chained phases interleaved, repeated for
every AUDIT_CHAINS value given. Ratios are chained ÷ plain rows/s of the same run.
Goals: 1 writer, chained time per event <= 1.2x plain (rows/s ratio >= 0.83);
8 writers, chained >= 0.6x plain rows/s.
Run on PostgreSQL:
  DATABASE_URL=postgres://postgres@127.0.0.1:5432/NAME .venv/bin/python -m bench.audit_append
Options: --events N (per single-writer round, default 2000), --rounds N (default 5),
--writers N (default 8), --seconds S (per concurrent phase, default 8), --chains N [N …]
(AUDIT_CHAINS values for the concurrent phases, default: 64 8), --synchronous-commit off
(commits stop waiting for the disk flush, which dominates both sides: shows the CPU cost).
"""

from __future__ import annotations

import argparse
import multiprocessing
import random
import statistics
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from typing import Any
from unittest import mock

from bench.harness import throwaway_database

PLAIN_TABLE = "bench_plain_event"
PLACEHOLDER_HASH = "f" * 64
ACTORS = 2_000


# --- What each writer does (in this process, or in a worker process) ---------------------


def plain_append(fields: Any, *, chain: int) -> Any:
    """audit.chaining.append's place in audit_record, without the chain: one plain INSERT."""

    from django.db import connection

    from audit.chaining import APPENDED_COLUMNS, Link, canonical_text, field_values

    canonical = canonical_text(fields)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {PLAIN_TABLE} ({APPENDED_COLUMNS}) "  # noqa: S608  # nosec B608
            f"VALUES ({', '.join(['%s'] * 17)}) RETURNING id",
            [*field_values(fields), chain, 0, PLACEHOLDER_HASH, PLACEHOLDER_HASH, canonical],
        )
        (event_id,) = cursor.fetchone()
    return Link(event_id, chain, 0, PLACEHOLDER_HASH, PLACEHOLDER_HASH, canonical)


def _writing(method: str) -> AbstractContextManager[Any]:
    """audit_record as it is ('chained'), or with the plain INSERT as its last step."""
    if method == "plain":
        return mock.patch("audit.services.recording.append", plain_append)
    return nullcontext()


def _one_event(chooser: random.Random) -> Callable[[], object]:
    """A callable that records one record view by a random actor of a random customer."""
    import uuid

    from audit.services import AuditTarget, audit_record
    from ccplatform.context import Actor
    from customers.actions import CUSTOMER_VIEWED

    people = [Actor.user(uuid.UUID(int=number + 1)) for number in range(ACTORS)]

    def record() -> object:
        customer = AuditTarget("customers.customer", str(uuid.UUID(int=chooser.getrandbits(64))))
        return audit_record(
            actor=chooser.choice(people),
            action=CUSTOMER_VIEWED,
            target=customer,
            details={"via": "search"},
        )

    return record


def session_set(synchronous_commit: str) -> None:
    """Set the session's synchronous_commit (the connection stays open for the whole run)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('synchronous_commit', %s, false)", [synchronous_commit])


def _worker(database: str, synchronous_commit: str, commands: Any, results: Any) -> None:
    """A concurrent writer: own process, own connection; writes until each phase's end."""
    # Importing this module (bench.harness, above) has set Django up in this fresh process.
    from django.conf import settings
    from django.db import connection

    settings.DATABASES["default"]["NAME"] = database
    connection.settings_dict["NAME"] = database
    session_set(synchronous_commit)
    record = _one_event(random.Random())
    while (command := commands.get()) is not None:
        method, chains, start_at, end_at = command
        settings.AUDIT_CHAINS = chains
        with _writing(method):
            record()  # the connection is open before the clock starts
            while time.time() < start_at:
                time.sleep(0.001)
            written = 0
            while time.time() < end_at:
                record()
                written += 1
        results.put(written)


# --- The benchmark ---------------------------------------------------------------------


def plain_table_create() -> None:
    """The event table's twin: same columns, defaults, checks and indexes; no chain key."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE {PLAIN_TABLE} (LIKE audit_auditevent INCLUDING ALL)")
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = %s "
            "AND indexdef LIKE '%%(chain, seq)%%'",
            [PLAIN_TABLE],
        )
        for (name,) in cursor.fetchall():
            cursor.execute(f'ALTER TABLE {PLAIN_TABLE} DROP CONSTRAINT "{name}"')


def single_writer(events: int, rounds: int) -> dict[str, float]:
    """Median rows/s of each method, in interleaved rounds of `events` events."""
    record = _one_event(random.Random(1))
    samples: dict[str, list[float]] = {"plain": [], "chained": []}
    for method in samples:  # warm-up: connection, statement plans, chain heads
        with _writing(method):
            for _ in range(200):
                record()
    for _ in range(rounds):
        for method, rates in samples.items():
            with _writing(method):
                started = time.perf_counter()
                for _ in range(events):
                    record()
                rates.append(events / (time.perf_counter() - started))
    return {method: statistics.median(rates) for method, rates in samples.items()}


def concurrent_writers(
    database: str,
    synchronous_commit: str,
    writers: int,
    seconds: float,
    chain_counts: list[int],
    rounds: int,
) -> dict[tuple[str, int], float]:
    """Median total rows/s of `writers` processes for each (method, AUDIT_CHAINS)."""
    context = multiprocessing.get_context("spawn")
    commands = [context.Queue() for _ in range(writers)]
    results = context.Queue()
    processes = [
        context.Process(target=_worker, args=(database, synchronous_commit, queue, results))
        for queue in commands
    ]
    for process in processes:
        process.start()
    samples: dict[tuple[str, int], list[float]] = {}
    try:
        for _ in range(rounds):
            for chains in chain_counts:
                for method in ("plain", "chained"):
                    # Spawned workers set Django up first: the first phase waits for them.
                    start_at = time.time() + (15 if not samples else 1.5)
                    for queue in commands:
                        queue.put((method, chains, start_at, start_at + seconds))
                    written = sum(results.get(timeout=seconds + 120) for _ in processes)
                    samples.setdefault((method, chains), []).append(written / seconds)
                    print(
                        f"  {writers} writers, {chains} chains, {method}: "
                        f"{written / seconds:,.0f} rows/s",
                        flush=True,
                    )
    finally:
        for queue in commands:
            queue.put(None)
        for process in processes:
            process.join(timeout=30)
    return {key: statistics.median(rates) for key, rates in samples.items()}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=2_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--concurrent-rounds", type=int, default=3)
    parser.add_argument("--chains", type=int, nargs="+", default=[64, 8])
    parser.add_argument(
        "--synchronous-commit",
        choices=["on", "off"],
        default="on",
        help="off: commits do not wait for the WAL flush, which shows the CPU cost alone",
    )
    args = parser.parse_args()

    from django.conf import settings
    from django.db import connection, connections

    with throwaway_database():
        if connection.vendor != "postgresql":
            raise SystemExit("Set DATABASE_URL to PostgreSQL: the goals are PostgreSQL's.")
        plain_table_create()
        session_set(args.synchronous_commit)
        single = single_writer(args.events, args.rounds)
        print(
            f"1 writer: plain {single['plain']:,.0f} rows/s, chained "
            f"{single['chained']:,.0f} rows/s ({settings.AUDIT_CHAINS} chains)",
            flush=True,
        )
        database = connection.settings_dict["NAME"]
        connections.close_all()
        many = concurrent_writers(
            database,
            args.synchronous_commit,
            args.writers,
            args.seconds,
            args.chains,
            args.concurrent_rounds,
        )

    ratio = single["chained"] / single["plain"]
    print(
        f"\naudit append, one transaction per event; 1 writer: median of {args.rounds} rounds "
        f"of {args.events:,} events; {args.writers} writers: median of "
        f"{args.concurrent_rounds} phases of {args.seconds:g} s; synchronous_commit "
        f"{args.synchronous_commit}\n"
    )
    print(f"  {'writers':>7}  {'chains':>6}  {'plain rows/s':>12}  {'chained rows/s':>14}  ratio")
    print(
        f"  {1:>7}  {settings.AUDIT_CHAINS:>6}  {single['plain']:12,.0f}  "
        f"{single['chained']:14,.0f}  {ratio:.2f}  "
        f"(chained costs {1 / ratio - 1:+.0%} per event; goal <= +20%)"
    )
    for chains in args.chains:
        plain, chained = many[("plain", chains)], many[("chained", chains)]
        print(
            f"  {args.writers:>7}  {chains:>6}  {plain:12,.0f}  {chained:14,.0f}  "
            f"{chained / plain:.2f}  (goal >= 0.60)"
        )


if __name__ == "__main__":
    main()
