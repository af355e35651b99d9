"""Audit search speed: a customer's or an actor's events among millions, first and deep pages.

Loads N chained events (default 5,000,000; bench/audit_common.py: ~2,000 actors and
~200,000 customers of uneven activity, a contact center's action mix, times over 90 days;
COPY with the secondary indexes built afterwards, then VACUUM ANALYZE as autovacuum would),
then times the search as the compliance pages and the API run it:

  page_of(filtered_events(EventFilter(customer=… or actor=…)), cursor=None)  # 50 rows

for a sample of hot subjects (the busiest) and cold ones (from the quiet tail), and a deep
page (page P, reached through the cursors) for the busiest ones. Reports p50/p95 ms, and
the EXPLAIN ANALYZE of the slowest first-page query of each kind when it misses the goal.
Goal: search by customer or actor over 5 million events answers in under 100 ms.
Run on PostgreSQL:
  DATABASE_URL=postgres://postgres@127.0.0.1:5432/NAME .venv/bin/python -m bench.audit_search
Options: --events N, --actors N, --customers N, --days N, --samples N (hot and cold subjects
of each kind, default 20 each), --passes N (times each is searched, default 3; p50/p95 are
medians over the passes), --deep-page P (default 100), --goal-ms MS (default 100),
--explain (print the slowest first page's plan of each group even when within the goal).
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable
from functools import partial
from typing import Any

from bench.harness import throwaway_database


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=5_000_000)
    parser.add_argument("--actors", type=int, default=2_000)
    parser.add_argument("--customers", type=int, default=200_000)
    parser.add_argument("--days", type=float, default=90)
    parser.add_argument("--samples", type=int, default=20)
    parser.add_argument("--deep-page", type=int, default=100)
    parser.add_argument("--goal-ms", type=float, default=100)
    parser.add_argument("--passes", type=int, default=3)
    parser.add_argument(
        "--explain", action="store_true", help="print the slowest queries' plans even in time"
    )
    args = parser.parse_args()

    # Imported after bench.harness has configured Django.
    from django.db.models import QuerySet

    from audit.models import AuditEvent
    from audit.search import EventFilter, filtered_events, page_of

    with throwaway_database():
        from bench.audit_common import load_log

        population = load_log(
            events=args.events, actors=args.actors, customers=args.customers, days=args.days
        )

        def events_of(kind: str, subject: Any) -> QuerySet[AuditEvent]:
            if kind == "customer":
                return filtered_events(EventFilter(customer=subject))
            return filtered_events(EventFilter(actor=(str(subject.kind), subject.id)))

        def ms(action: Callable[[], object]) -> float:
            started = time.perf_counter()
            action()
            return (time.perf_counter() - started) * 1000

        chooser = random.Random(6)
        # Both lists are in order of activity: Population's weights fall with the index.
        subjects: dict[str, list[Any]] = {
            "customer": population.customers,
            "actor": population.actors,
        }
        rows: list[tuple[str, float | None, float, float]] = []
        plans: list[str] = []
        for kind, ranked in subjects.items():
            tail = ranked[len(ranked) // 2 :]
            groups = {
                "hot": ranked[: args.samples],
                "cold": chooser.sample(tail, min(args.samples, len(tail))),
            }
            for subject in groups["hot"][:3]:  # warm up the connection and plans
                page_of(events_of(kind, subject), cursor=None)
            for group, chosen in groups.items():
                matched = [events_of(kind, subject).count() for subject in chosen]
                passes = []  # each pass times every subject once; medians over the passes
                for _ in range(args.passes):
                    timings = [
                        ms(partial(page_of, events_of(kind, subject), cursor=None))
                        for subject in chosen
                    ]
                    passes.append(timings)
                rows.append(
                    (
                        f"{kind}, {group}, first page",
                        statistics.median(matched),
                        statistics.median(percentile(timings, 0.5) for timings in passes),
                        statistics.median(percentile(timings, 0.95) for timings in passes),
                    )
                )
                worst = max(range(len(chosen)), key=lambda n: max(t[n] for t in passes))
                worst_ms = statistics.median(timings[worst] for timings in passes)
                if worst_ms > args.goal_ms or args.explain:
                    plan = events_of(kind, chosen[worst])[:51].explain(analyze=True, buffers=True)
                    plans.append(
                        f"{kind} ({group}) with the slowest first page ({matched[worst]:,} "
                        f"events, median {worst_ms:.1f} ms):\n{plan}"
                    )
            # A deep page of the busiest subjects: reached through the cursors, then timed.
            deep_timings = []
            for subject in groups["hot"][:5]:
                events = events_of(kind, subject)
                cursor = None
                for _ in range(args.deep_page - 1):
                    cursor = page_of(events, cursor=cursor).next_cursor
                    if cursor is None:
                        break
                if cursor is None:
                    continue
                for _ in range(3):
                    deep_timings.append(ms(partial(page_of, events, cursor=cursor)))
            if deep_timings:
                rows.append(
                    (
                        f"{kind}, hot, page {args.deep_page} via cursor",
                        None,
                        percentile(deep_timings, 0.5),
                        percentile(deep_timings, 0.95),
                    )
                )

    print(
        f"\naudit search over {args.events:,} events ({args.actors:,} actors, "
        f"{args.customers:,} customers, {args.days:g} days); 50-row pages; "
        f"{args.samples} subjects per group; median of {args.passes} passes\n"
    )
    width = max(len(row[0]) for row in rows)
    print(f"  {'query':{width}}  {'events/subject':>14}  {'p50 ms':>8}  {'p95 ms':>8}")
    for name, matched_median, p50, p95 in rows:
        matched_text = f"{matched_median:,.0f}" if matched_median is not None else ""
        print(f"  {name:{width}}  {matched_text:>14}  {p50:8.1f}  {p95:8.1f}")
    print(f"\n  goal: < {args.goal_ms:g} ms")
    for plan in plans:
        print(f"\nEXPLAIN ANALYZE of the {plan}")


if __name__ == "__main__":
    main()
