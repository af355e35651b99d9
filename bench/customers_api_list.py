"""50-row API list: requests/s of GET /api/v1/customers/ vs the same endpoint over plaintext.

Loads N customers twice, encrypted and as plaintext twins of the same shape, then calls, as
an integrator key with customers:read, through the whole middleware stack (Django's test
client, in process):

- the real endpoint: GET /api/v1/customers/?page_size=50 (unwraps 50 data keys, decrypts
  and masks every field, audits the page);
- its plaintext twin (bench/customers_common.py): the same permission, paging, masking,
  audit event and serializer over the plaintext rows.

Goal (issue 4): the real endpoint >= 0.8x the requests/s of the plaintext one.
Run on PostgreSQL (REDIS_URL for the shared throttle cache, as in production):
  DATABASE_URL=postgres://postgres@127.0.0.1:5432/NAME REDIS_URL=redis://127.0.0.1:6379/N \\
    .venv/bin/python -m bench.customers_api_list
Options: --customers N (default 100000), --seconds S per round, --rounds N.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

# Far above what one process can send: the bench measures the endpoint, not its throttle
# (which both endpoints pass through alike).
os.environ.setdefault("API_THROTTLE_KEY", "100000000/minute")

from bench.harness import throwaway_database

LIST_URL = "/api/v1/customers/"
PAGE = {"page_size": "50"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    # Imported after bench.harness has configured Django.
    from django.db import connection
    from django.test import Client, override_settings
    from django.urls import Resolver404, resolve

    from accounts.models import Role, Team
    from accounts.services.api_keys import api_key_create
    from accounts.services.users import user_create

    with throwaway_database():
        # Defines the plaintext models: only once the database is set up without them.
        from bench.customers_common import (
            BENCH,
            PLAIN_LIST_URL,
            both_load,
            plain_tables_create,
            tables_settle,
        )

        try:
            resolve(LIST_URL)
        except Resolver404:
            raise SystemExit(
                f"{LIST_URL} is not in the URL conf yet: nothing to measure."
            ) from None
        plain_tables_create()
        team = Team.objects.create(name="Bench team")
        started = time.perf_counter()
        both_load(team, args.customers)
        tables_settle()
        print(
            f"loaded {args.customers:,} encrypted customers and {args.customers:,} plaintext "
            f"twins in {time.perf_counter() - started:.0f} s ({connection.vendor})"
        )
        service_account = user_create(caller=BENCH, username="bench.crm", role=Role.INTEGRATOR)
        _, key = api_key_create(
            caller=BENCH,
            user=service_account,
            name="bench",
            scopes=("customers:read",),
            expires_at=None,
        )
        client = Client(HTTP_AUTHORIZATION=f"Api-Key {key}")

        def get(url: str) -> dict[str, object]:
            response = client.get(url, PAGE)
            assert response.status_code == 200, (url, response.status_code, response.content[:300])
            body: dict[str, object] = response.json()
            return body

        def per_second(url: str) -> float:
            count, started = 0, time.perf_counter()
            deadline = started + args.seconds
            while time.perf_counter() < deadline:
                get(url)
                count += 1
            return count / (time.perf_counter() - started)

        with override_settings(ROOT_URLCONF="bench.customers_common"):
            real, plain = get(LIST_URL), get(PLAIN_LIST_URL)
            real_rows, plain_rows = real["results"], plain["results"]
            assert isinstance(real_rows, list)
            assert isinstance(plain_rows, list)
            assert len(real_rows) == len(plain_rows) == 50
            assert set(real_rows[0]) == set(plain_rows[0]), "the twin must answer the same shape"
            for url in (LIST_URL, PLAIN_LIST_URL) * 5:  # warm up
                get(url)
            rates: dict[str, list[float]] = {LIST_URL: [], PLAIN_LIST_URL: []}
            # Interleaved rounds, so drift on the machine hits both alike.
            for _ in range(args.rounds):
                for url in rates:
                    rates[url].append(per_second(url))
        vendor = connection.vendor

    real_rate = statistics.median(rates[LIST_URL])
    plain_rate = statistics.median(rates[PLAIN_LIST_URL])
    print(
        f"\nGET {LIST_URL}?page_size=50 among {args.customers:,} customers ({vendor}), "
        f"median of {args.rounds} rounds of {args.seconds:.0f} s\n"
    )
    print(f"  {'endpoint':34}  {'req/s':>7}  {'ms/req':>7}  {'x plaintext':>11}")
    for name, rate in (
        ("plaintext twin (same checks/audit)", plain_rate),
        ("encrypted (the real endpoint)", real_rate),
    ):
        print(f"  {name:34}  {rate:7.1f}  {1000 / rate:7.2f}  {rate / plain_rate:11.2f}")
    print("\n  goal: encrypted >= 0.8x plaintext requests/s")


if __name__ == "__main__":
    main()
