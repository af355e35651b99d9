"""Affected customers of a breach: the audit query, the reading of each touch, state counts.

Creates N real encrypted customers (default 10,000, through the import service, in four
teams, with addresses in US states weighted roughly by population, a few abroad, a few
without one), then loads M chained events (default 5,000,000) spread over a year
(bench/incidents_common.py: ~1,000 actors, people and integrator API keys of uneven
activity and a few system jobs; ~200,000 customers of uneven popularity, the N real ones
among them; each kind of actor with its own action mix; nearly all allowed; COPY with the
secondary indexes built afterwards, then VACUUM ANALYZE as autovacuum would). Then times
what affected_compute runs before it freezes a set, in windows that end --window-end days
before the newest event (an investigation starts some weeks after the fact):

1. one actor over 30 days: collect(customer_touches(ExposureQuery(actor=…, since, until))),
   the touches consumed fully, for the busiest person and the busiest API key; baseline:
   COUNT(*) of that actor's events in the window (on the actor index);
2. every actor over 24 hours: the same with ExposureQuery(since, until); baseline: COUNT(*)
   of the window's events (on the time index);
3. per-state counts of the N real customers as affected: customer_residences with a
   system caller (every address decrypted), then counts_of; baseline: the same rows read
   by primary key in the same batches, ids and teams only.

Each figure is the median of R runs after a first one (shown too: the coldest), with its
ratio to its baseline timed in the same rounds. Goals: 1 and 2 under 1 s, 3 under 5 s. The
EXPLAIN ANALYZE of a query that misses its goal is printed (with --explain, of every one).
Like the other benchmarks it builds its data in a throwaway database, dropped at the end
(the fill takes about 7 minutes on 2 cores). Run on PostgreSQL:
  DATABASE_URL=postgres://postgres@127.0.0.1:5432/NAME .venv/bin/python -m bench.incidents_affected
Options: --events N, --actors N, --customers N (ids the events name), --real-customers N,
--days N (span of the log, default 365), --window-end DAYS (default 45), --repeat R
(default 5), --explain.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from bench.harness import throwaway_database

TEAMS = 4
ACTOR_DAYS = 30
ACTOR_GOAL_S = 1.0
WINDOW_GOAL_S = 1.0
REGIONS_GOAL_S = 5.0
PLAN_WIDTH = 300


@dataclass
class Figure:
    name: str
    goal_s: float
    first_s: float
    median_s: float
    baseline_s: float
    found: str


def seconds(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def measure(
    name: str,
    *,
    goal_s: float,
    action: Callable[[], object],
    baseline: Callable[[], object],
    found: str,
    repeat: int,
) -> Figure:
    """A first run, then `repeat` rounds of the action and its baseline, interleaved, so
    that drift on the machine reaches both alike."""
    first_s = seconds(action)
    baseline()
    runs, baselines = [], []
    for _ in range(repeat):
        runs.append(seconds(action))
        baselines.append(seconds(baseline))
    return Figure(
        name, goal_s, first_s, statistics.median(runs), statistics.median(baselines), found
    )


def statement_of(action: Callable[[], object], *, table: str) -> tuple[str, Any]:
    """The first statement `action` sends that reads `table`, with its parameters."""
    from django.db import connection

    seen: list[tuple[str, Any]] = []

    def spy(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        if f'"{table}"' in sql and not seen:
            seen.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(spy):
        action()
    if not seen:
        raise RuntimeError(f"nothing read {table}")
    return seen[0]


def explained(sql: str, params: Any) -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
        lines = [row[0] for row in cursor.fetchall()]
    # A filter on thousands of ids would fill the screen: its start says enough.
    return "\n".join(line if len(line) <= PLAN_WIDTH else f"{line[:PLAN_WIDTH]}…" for line in lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=5_000_000)
    parser.add_argument("--actors", type=int, default=1_000)
    parser.add_argument("--customers", type=int, default=200_000)
    parser.add_argument("--real-customers", type=int, default=10_000)
    parser.add_argument("--days", type=float, default=365)
    parser.add_argument("--window-end", type=float, default=45)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--explain", action="store_true", help="print every query's plan, not only slow ones"
    )
    args = parser.parse_args()
    if args.window_end + ACTOR_DAYS > args.days:
        parser.error(f"--days must cover --window-end plus the {ACTOR_DAYS}-day window")

    # Imported after bench.harness has configured Django.
    from django.db import connection
    from django.db.models import Max

    from audit.exposure import ExposureQuery, Touch, customer_touches
    from audit.models import AuditEvent
    from ccplatform.callers import Caller
    from ccplatform.context import ActorKind
    from customers.models import Customer
    from customers.selectors import REGION_BATCH, customer_residences
    from incidents.services.affected import collect, counts_of

    if connection.vendor != "postgresql":
        raise SystemExit("The log is loaded with COPY: set DATABASE_URL to PostgreSQL.")

    with throwaway_database():
        # Defines the customers benchmarks' plaintext models: only once the database is set up.
        from bench.incidents_common import Population, load_year, located_customers_create

        started = time.perf_counter()
        real_ids = located_customers_create(args.real_customers, teams=TEAMS)
        print(
            f"created {len(real_ids):,} encrypted customers in "
            f"{time.perf_counter() - started:.0f} s",
            flush=True,
        )
        population = Population.make(
            actors=args.actors, customers=args.customers, real_ids=real_ids
        )
        load_year(population, events=args.events, days=args.days)

        newest = AuditEvent.objects.aggregate(newest=Max("occurred_at"))["newest"]
        until = newest - timedelta(days=args.window_end)
        figures: list[Figure] = []
        plans: list[str] = []

        def plan_when_slow(figure: Figure, action: Callable[[], object], table: str) -> None:
            if figure.median_s >= figure.goal_s or args.explain:
                plan = explained(*statement_of(action, table=table))
                plans.append(f"{figure.name} (median {figure.median_s:.3f} s):\n{plan}")

        def affected_by(query: ExposureQuery) -> Callable[[], object]:
            return lambda: collect(customer_touches(query))

        # 1. One actor over 30 days: the busiest person, the busiest integration key.
        since = until - timedelta(days=ACTOR_DAYS)
        for kind, label in ((ActorKind.USER, "person"), (ActorKind.API_KEY, "API key")):
            actor = population.busiest(kind)
            query = ExposureQuery(actor=(str(kind), actor.id), since=since, until=until)
            events = AuditEvent.objects.filter(
                actor_kind=kind, actor_id=actor.id, occurred_at__gte=since, occurred_at__lt=until
            )
            action = affected_by(query)
            touched = collect(customer_touches(query))
            figure = measure(
                f"1. busiest {label}, {ACTOR_DAYS} days",
                goal_s=ACTOR_GOAL_S,
                action=action,
                baseline=events.count,
                found=f"{events.count():,} events, {len(touched):,} customers",
                repeat=args.repeat,
            )
            figures.append(figure)
            plan_when_slow(figure, action, AuditEvent._meta.db_table)

        # 2. Every actor over 24 hours.
        day_since = until - timedelta(days=1)
        query = ExposureQuery(since=day_since, until=until)
        events = AuditEvent.objects.filter(occurred_at__gte=day_since, occurred_at__lt=until)
        action = affected_by(query)
        touched = collect(customer_touches(query))
        figure = measure(
            "2. every actor, 24 hours",
            goal_s=WINDOW_GOAL_S,
            action=action,
            baseline=events.count,
            found=f"{events.count():,} events, {len(touched):,} customers",
            repeat=args.repeat,
        )
        figures.append(figure)
        plan_when_slow(figure, action, AuditEvent._meta.db_table)

        # 3. Per-state counts of the real customers as affected (viewed, a quarter revealed).
        affected = collect(
            Touch(customer_id, "customer.revealed", ("addresses",))
            if number % 4 == 0
            else Touch(customer_id, "customer.viewed")
            for number, customer_id in enumerate(real_ids)
        )
        system = Caller.system("incidents")
        counts: dict[str, Any] = {}

        def per_state() -> None:
            residences = customer_residences(system, affected)
            counts.update(counts_of(affected, {k: v.region for k, v in residences.items()}))

        def rows_alone() -> None:
            for first in range(0, len(real_ids), REGION_BATCH):
                ids = real_ids[first : first + REGION_BATCH]
                list(Customer.objects.filter(pk__in=ids).values_list("pk", "team_id"))

        figure = measure(
            f"3. per-state counts, {len(affected):,} customers",
            goal_s=REGIONS_GOAL_S,
            action=per_state,
            baseline=rows_alone,
            found="",
            repeat=args.repeat,
        )
        figure.found = f"{len(counts['regions'])} regions"
        figures.append(figure)
        plan_when_slow(figure, per_state, Customer._meta.db_table)

    baselines = {
        "1": "COUNT(*) of the actor's events in the window",
        "2": "COUNT(*) of the window's events",
        "3": "the same rows by primary key, same batches, ids and teams only",
    }
    print(
        f"\naffected customers among {args.events:,} audit events ({args.actors:,} actors, "
        f"{args.customers:,} customers named, {args.days:g} days; windows end "
        f"{args.window_end:g} days before the newest event); median of {args.repeat} rounds "
        "after a first run\n"
    )
    width = max(len(figure.name) for figure in figures)
    print(
        f"  {'query':{width}}  {'first s':>8}  {'median s':>8}  {'baseline ms':>11}  "
        f"{'x baseline':>10}  goal"
    )
    for figure in figures:
        verdict = "met" if figure.median_s < figure.goal_s else "MISSED"
        print(
            f"  {figure.name:{width}}  {figure.first_s:8.3f}  {figure.median_s:8.3f}  "
            f"{figure.baseline_s * 1000:11.2f}  {figure.median_s / figure.baseline_s:10.1f}  "
            f"< {figure.goal_s:g} s {verdict}"
        )
    print()
    for figure in figures:
        print(f"  {figure.name:{width}}  {figure.found}")
    for number, text in baselines.items():
        print(f"  baseline of {number}: {text}")
    print(f"\n  regions of the {len(real_ids):,} customers: {counts['regions']}")
    for plan in plans:
        print(f"\nEXPLAIN ANALYZE of {plan}")


if __name__ == "__main__":
    main()
