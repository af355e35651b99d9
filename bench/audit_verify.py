"""Chain verification speed: events/s of a full walk, and of an incremental one.

Loads N valid chained events (bench/audit_common.py: canonical text and link hashes computed
with audit.chaining's functions, COPY, heads set), then times what the nightly job and the
monitor run:

- full: audit_verify(full=True, make_checkpoints=False), every chain from its first link;
- incremental: after a full run has signed each chain's head, M more events are appended and
  audit_verify(full=False, make_checkpoints=False) walks only those (plus each chain's
  checkpoint re-check).

Both through the one verification service, as every caller runs it (the run stored, the
audit.verified event written).

Every run must find the chains intact (a benchmark of a broken walk would measure nothing).
Goal: verification >= 100,000 events/s.
Run on PostgreSQL:
  DATABASE_URL=postgres://postgres@127.0.0.1:5432/NAME .venv/bin/python -m bench.audit_verify
Options: --events N (default 1000000), --after N (events after the checkpoints, default
50000), --repeat N (timed runs of each kind, median reported; default 3).
"""

from __future__ import annotations

import argparse
import statistics
import time

from bench.harness import throwaway_database


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
    from audit.services.verification import audit_verify
    from ccplatform.callers import Caller, Via

    bench = Caller.system("bench", via=Via.COMMAND)

    with throwaway_database():
        from bench.audit_common import chained_load, fake_events, load_log, tables_settle

        population = load_log(
            events=args.events, actors=args.actors, customers=args.customers, days=30
        )

        def timed(*, full: bool) -> tuple[float, VerificationRun]:
            started = time.perf_counter()
            run = audit_verify(caller=bench, full=full, trigger="bench", make_checkpoints=False).run
            elapsed = time.perf_counter() - started
            if not run.ok:
                raise SystemExit(f"verification found breaks, the load is wrong: {run.breaks}")
            return elapsed, run

        full = [timed(full=True) for _ in range(args.repeat)]
        full_s = statistics.median(seconds for seconds, _ in full)
        full_events = full[0][1].events_checked

        # Sign every head (as the scheduled run does), then append more and walk only those.
        audit_verify(caller=bench, full=True, trigger="bench", make_checkpoints=True)
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
    print(
        f"\n  full walk of all {full_events + incremental_events:,} events (one run): "
        f"{full_after_s:.2f} s; the incremental run took "
        f"{incremental_s / full_after_s:.1%} of it\n"
        "  goal: >= 100,000 events/s"
    )


if __name__ == "__main__":
    main()
