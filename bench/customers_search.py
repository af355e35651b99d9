"""Exact-match phone search: blind index vs a plaintext indexed lookup vs decrypt-and-scan.

Loads N customers twice, encrypted (through the import service) and as plaintext twins of
the same shape (bench/customers_common.py), then looks phone numbers up the three ways, all
scoped to a supervisor's team as the search service does:

- plaintext: normalise the number, then one indexed query on the plaintext lookup table;
- blind index, same select: normalise and HMAC it, then the same query on CustomerLookup's
  digests (what the blind index itself costs);
- blind index + data keys: as the search service runs it, through the scoped selector,
  whose rows carry each customer's wrapped data key (needed to show the record, even
  masked; it used to be joined from a table of its own);
- decrypt-and-scan: unwrap every customer's data key and decrypt their phone numbers.

Goals (issue 4): blind index <= 1.2x the plaintext lookup, >= 500x faster than the scan.
Run on PostgreSQL:
  DATABASE_URL=postgres://postgres@127.0.0.1:5432/NAME .venv/bin/python -m bench.customers_search
Options: --customers N (default 100000), --lookups N, --rounds N, --scan-sample N (scan N
rows and extrapolate linearly, labelled as such, instead of scanning them all).
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable, Sized

from bench.harness import throwaway_database


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--lookups", type=int, default=300)
    parser.add_argument("--scan-sample", type=int, default=0, help="0: scan every row")
    parser.add_argument("--scan-repeat", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    # Imported after bench.harness has configured Django.
    from django.db import connection

    from accounts.callers import caller_for_person
    from accounts.models import Role, Team
    from accounts.services.users import user_create
    from ccplatform.callers import Via
    from ccplatform.crypto.blind_index import LookupKind, normalise, search_digests
    from customers.crypto import CustomerCipher
    from customers.models import Customer
    from customers.selectors import customers_visible_to
    from customers.services.search import customers_search

    with throwaway_database():
        # Defines the plaintext models: only once the database is set up without them.
        from bench.customers_common import (
            BENCH,
            PlainCustomer,
            both_load,
            fake_values,
            plain_tables_create,
            tables_settle,
        )

        plain_tables_create()
        team = Team.objects.create(name="Bench team")
        supervisor = user_create(
            caller=BENCH,
            username="bench.supervisor",
            role=Role.SUPERVISOR,
            teams=[team],
            password="a long benchmark passphrase 42",
        )
        # The selector's caller, as the session middleware builds it for the supervisor.
        searcher = caller_for_person(supervisor, via=Via.PAGE)
        started = time.perf_counter()
        both_load(team, args.customers)
        tables_settle()
        print(
            f"loaded {args.customers:,} encrypted customers and {args.customers:,} plaintext "
            f"twins in {time.perf_counter() - started:.0f} s ({connection.vendor})"
        )
        chooser = random.Random(4)
        numbers = [chooser.randrange(args.customers) for _ in range(args.lookups)]
        # As a caller would type them; the first phone of each chosen customer.
        phones = [fake_values(number)["phones"][0] for number in numbers]

        def plaintext(phone: str) -> list[PlainCustomer]:
            value = normalise(LookupKind.PHONE, phone)
            visible = PlainCustomer.objects.select_related("team").filter(
                team__in=supervisor.teams.all()
            )
            return list(
                visible.filter(
                    lookups__kind=LookupKind.PHONE, lookups__value__in=[value]
                ).distinct()[:50]
            )

        def blind_alone(phone: str) -> list[Customer]:
            """The plaintext query's select (customer and team), blind index instead of value."""
            digests = search_digests(LookupKind.PHONE, phone)
            visible = Customer.objects.select_related("team").filter(
                team__in=supervisor.teams.all()
            )
            return list(
                visible.filter(
                    lookups__kind=LookupKind.PHONE, lookups__digest__in=digests
                ).distinct()[:50]
            )

        def blind(phone: str) -> list[Customer]:
            """As the search service runs it: through the selector (rows with their data keys)."""
            digests = search_digests(LookupKind.PHONE, phone)
            visible = customers_visible_to(searcher)
            return list(
                visible.filter(
                    lookups__kind=LookupKind.PHONE, lookups__digest__in=digests
                ).distinct()[:50]
            )

        def service(phone: str) -> list[Customer]:
            # A new caller each time, as each request has its own: its teams are read anew.
            caller = caller_for_person(supervisor, via=Via.PAGE)
            return customers_search(caller=caller, kind=LookupKind.PHONE, value=phone)

        def per_lookup(action: Callable[[str], Sized]) -> float:
            for phone in phones[:20]:  # warm up caches and the connection
                action(phone)
            samples = []
            for phone in phones:
                started = time.perf_counter()
                found = action(phone)
                samples.append(time.perf_counter() - started)
                assert len(found) == 1, "every chosen phone belongs to one customer"
            return statistics.median(samples)

        # Interleaved rounds, so drift on the machine hits every method alike.
        methods: dict[str, Callable[[str], Sized]] = {
            "plain": plaintext,
            "alone": blind_alone,
            "blind": blind,
            "service": service,
        }
        rounds: dict[str, list[float]] = {key: [] for key in methods}
        for _ in range(args.rounds):
            for key, method in methods.items():
                rounds[key].append(per_lookup(method))
        plain_s, alone_s, blind_s, service_s = (statistics.median(rounds[key]) for key in methods)

        target = normalise(LookupKind.PHONE, phones[0])
        scope = customers_visible_to(searcher).only(
            "id",
            "phones_enc",
            "team",
            "data_key_id",
            "data_key_kek_version",
            "data_key_wrapped",
        )
        limit = args.scan_sample or args.customers
        to_scan = scope.order_by()[:limit]

        def scan() -> int:
            hits = 0
            for customer in to_scan.iterator(chunk_size=2000):
                phones_of = CustomerCipher(customer).decrypt("phones")
                hits += isinstance(phones_of, list) and target in phones_of
            return hits

        scan_samples = []
        for _ in range(args.scan_repeat):
            started = time.perf_counter()
            scan()
            scan_samples.append(time.perf_counter() - started)
        scan_s = statistics.median(scan_samples) * args.customers / limit

    scan_label = (
        f"decrypt-and-scan ({limit:,} rows scanned, extrapolated to {args.customers:,})"
        if args.scan_sample
        else f"decrypt-and-scan (all {args.customers:,} rows)"
    )
    rows = [
        ("plaintext indexed lookup", plain_s, "1.00", "baseline"),
        ("blind-index lookup, same select", alone_s, f"{alone_s / plain_s:.2f}", ""),
        ("blind-index lookup + data keys", blind_s, f"{blind_s / plain_s:.2f}", "goal <= 1.2"),
        ("search service (blind index + audit)", service_s, f"{service_s / plain_s:.2f}", ""),
        (scan_label, scan_s, f"{scan_s / plain_s:,.0f}", ""),
    ]
    print(
        f"\nexact-match phone search among {args.customers:,} customers, "
        f"median of {args.lookups} lookups, median of {args.rounds} interleaved rounds; "
        "scan: median of "
        f"{args.scan_repeat}\n"
    )
    width = max(len(row[0]) for row in rows)
    print(f"  {'method':{width}}  {'ms':>10}  {'x plaintext':>11}")
    for name, seconds, ratio, note in rows:
        print(f"  {name:{width}}  {seconds * 1000:10.3f}  {ratio:>11}  {note}")
    print(
        f"\n  blind index is {scan_s / blind_s:,.0f}x faster than decrypt-and-scan (goal >= 500x)"
    )


if __name__ == "__main__":
    main()
