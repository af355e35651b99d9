"""Bulk import: rows/s of import_customers vs plaintext bulk_create, and flat memory.

Writes a CSV file of N fake customers, then loads it three ways into a throwaway database:

- plaintext bulk_create: rows built beforehand, only the inserts are timed (the floor);
- plaintext import: the same file, reader and normalisation, bulk_create into plaintext
  twins of the same shape (bench/customers_common.py) — the like-for-like baseline;
- encrypted import: the import service the command runs (validation, a data key per
  customer, AES-GCM per field, blind indexes, audit per batch).

Then the peak Python memory (tracemalloc) of the encrypted import of a small and of the full
file: flat memory means about the same peak for both.
Goal (issue 4): encrypted import >= 0.5x plaintext bulk_create rows/s, memory flat.
Run on PostgreSQL:
  DATABASE_URL=postgres://postgres@127.0.0.1:5432/NAME .venv/bin/python -m bench.customers_import
Options: --customers N (default 100000), --small N (default 10000), --batch-size N.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

from bench.harness import throwaway_database

MIB = 1024 * 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--skip-memory", action="store_true")
    args = parser.parse_args()

    # Imported after bench.harness has configured Django.
    from django.db import connection, transaction

    from accounts.models import Team
    from customers.services.importing import customers_import, read_rows

    with tempfile.TemporaryDirectory() as folder, throwaway_database():
        # Defines the plaintext models: only once the database is set up without them.
        from bench.customers_common import (
            BENCH,
            PlainCustomer,
            PlainLookup,
            fake_csv_write,
            fake_rows,
            plain_build,
            plain_load,
            plain_tables_create,
        )

        big, small = Path(folder) / "big.csv", Path(folder) / "small.csv"
        fake_csv_write(big, args.customers)
        fake_csv_write(small, args.small)
        plain_tables_create()
        team = Team.objects.create(name="Bench team")

        def encrypted_import(path: Path) -> int:
            with path.open("rb") as handle:
                report = customers_import(
                    caller=BENCH,
                    team=team,
                    rows=read_rows("csv", handle),
                    batch_size=args.batch_size,
                )
            assert report.rejected == 0, report.errors[:3]
            return report.loaded

        def plain_import(path: Path) -> int:
            with path.open("rb") as handle:
                return plain_load(team, read_rows("csv", handle), batch_size=args.batch_size)

        def plain_bulk_create_only() -> float:
            """Seconds spent in bulk_create (and commit) only; building rows is not timed."""
            spent = 0.0
            rows = fake_rows(args.customers)
            while batch := [
                plain_build(team, row.values) for row in itertools.islice(rows, args.batch_size)
            ]:
                started = time.perf_counter()
                with transaction.atomic():
                    PlainCustomer.objects.bulk_create([customer for customer, _ in batch])
                    PlainLookup.objects.bulk_create([i for _, items in batch for i in items])
                spent += time.perf_counter() - started
            return spent

        def timed(action: Callable[[], object]) -> float:
            started = time.perf_counter()
            action()
            return time.perf_counter() - started

        plain_import_s = timed(lambda: plain_import(big))
        encrypted_s = timed(lambda: encrypted_import(big))
        # The same starting point for the inserts as the plaintext import had.
        PlainLookup.objects.all().delete()
        PlainCustomer.objects.all().delete()
        bulk_create_s = plain_bulk_create_only()

        peaks: dict[int, float] = {}
        if not args.skip_memory:
            for path, count in ((small, args.small), (big, args.customers)):
                gc.collect()
                tracemalloc.start()
                encrypted_import(path)
                peaks[count] = tracemalloc.get_traced_memory()[1] / MIB
                tracemalloc.stop()
        vendor = connection.vendor

    rate = {
        "bulk": args.customers / bulk_create_s,
        "plain": args.customers / plain_import_s,
        "encrypted": args.customers / encrypted_s,
    }
    print(
        f"\nbulk import of {args.customers:,} customers from CSV ({vendor}), "
        f"batches of {args.batch_size}\n"
    )
    rows = [
        ("plaintext bulk_create only (rows pre-built)", rate["bulk"]),
        ("plaintext import (same file, same checks)", rate["plain"]),
        ("encrypted import (import_customers)", rate["encrypted"]),
    ]
    width = max(len(name) for name, _ in rows)
    print(f"  {'method':{width}}  {'rows/s':>8}  {'x bulk_create':>13}  {'x plain import':>14}")
    for name, value in rows:
        print(
            f"  {name:{width}}  {value:8,.0f}  {value / rate['bulk']:13.2f}  "
            f"{value / rate['plain']:14.2f}"
        )
    print("\n  goal: encrypted import >= 0.5x plaintext bulk_create rows/s")
    if peaks:
        (few, few_peak), (many, many_peak) = sorted(peaks.items())
        print(
            f"\n  peak Python memory (tracemalloc) of the encrypted import: "
            f"{few:,} rows {few_peak:.1f} MiB, {many:,} rows {many_peak:.1f} MiB "
            f"({many_peak / few_peak:.2f}x for {many / few:.0f}x the rows; goal: flat)"
        )


if __name__ == "__main__":
    main()
