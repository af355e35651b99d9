"""Shared by the audit benchmarks: a made-up contact center's audit log, loaded fast.

The events look like a real deployment's: ~2,000 actors (agents, a few integrator API keys
and system jobs) of uneven activity, ~200,000 customers of uneven popularity as targets, an
action mix led by record views, list pages that name 50 customers in `details`, and times
spread over a number of days. They are valid chains: the canonical text and link hashes are
computed in Python with audit.chaining's own functions, the chain heads are set, so
verification finds them intact. Loading goes through COPY from an in-memory buffer (the
append function's one transaction per event would take hours for millions of rows).

Import this module after bench.harness (which configures Django), as the benchmarks do.
"""

from __future__ import annotations

import csv
import io
import itertools
import random
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import connection

from audit.chaining import (
    APPENDED_COLUMNS,
    EventFields,
    canonical_text,
    chain_for,
    field_values,
    link_hash,
)
from audit.models import ChainHead, Outcome
from audit.models.chains import GENESIS_HASH
from audit.search import CUSTOMER_TYPE
from ccplatform.context import Actor, ActorKind

EVENTS_TABLE = "audit_auditevent"
COPY_BATCH = 50_000
NULL = r"\N"
_AGENTS_PER_API_KEY = 50
_SYSTEM_JOBS = ("verify", "forwarder", "keys", "retention", "import")
_USER_AGENTS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 Version/18.1 Safari",
    "crm-sync/2.4 python-requests/2.32",
)
_FIELDS = ("phones", "emails", "addresses", "account_number", "card_last4", "date_of_birth")


def actors(count: int) -> list[Actor]:
    """`count` actors: mostly agents (users), one API key per 50 agents, five system jobs."""
    keys = max(1, count // _AGENTS_PER_API_KEY)
    users = max(1, count - keys - len(_SYSTEM_JOBS))
    made = [Actor.user(uuid.UUID(int=number + 1)) for number in range(users)]
    made += [Actor.api_key(f"key{number:05d}") for number in range(keys)]
    made += [Actor.system(name) for name in _SYSTEM_JOBS]
    return made[:count]


def customer_ids(count: int) -> list[str]:
    return [str(uuid.UUID(int=(1 << 100) + number)) for number in range(count)]


def skewed_weights(count: int, exponent: float) -> list[float]:
    """Cumulative Zipf-like weights: item 0 is the busiest, the tail is long and quiet."""
    return list(itertools.accumulate(1.0 / (rank + 1) ** exponent for rank in range(count)))


# Action, weight, outcome. Agents' record work dominates, as in a contact center.
_ACTIONS: Sequence[tuple[str, float, str]] = (
    ("customer.viewed", 38, Outcome.ALLOWED),
    ("customer.searched", 14, Outcome.ALLOWED),
    ("customer.listed", 4, Outcome.ALLOWED),
    ("customer.revealed", 8, Outcome.ALLOWED),
    ("customer.updated", 7, Outcome.ALLOWED),
    ("customer.note_added", 5, Outcome.ALLOWED),
    ("customer.reveal_denied", 1, Outcome.DENIED),
    ("auth.signed_in", 6, Outcome.ALLOWED),
    ("auth.signed_in", 1, Outcome.FAILED),
    ("session.ended", 5, Outcome.ALLOWED),
    ("access.denied", 1, Outcome.DENIED),
    ("password.changed", 0.2, Outcome.ALLOWED),
    ("mfa.recovery_code_used", 0.1, Outcome.ALLOWED),
)
_ACTION_WEIGHTS = list(itertools.accumulate(weight for _, weight, _ in _ACTIONS))


@dataclass
class Population:
    """Who acts and on whom, with each one's share of the events."""

    actors: list[Actor]
    actor_weights: list[float]
    customers: list[str]
    customer_weights: list[float]

    @classmethod
    def make(cls, *, actor_count: int, customer_count: int) -> Population:
        made = actors(actor_count)
        # Busy and quiet ones among every kind (an integration can be the busiest actor).
        random.Random(3).shuffle(made)
        return cls(
            actors=made,
            # Mild skew for people (shifts and roles differ), strong for customers.
            actor_weights=skewed_weights(len(made), 0.6),
            customers=customer_ids(customer_count),
            customer_weights=skewed_weights(customer_count, 0.9),
        )


def fake_events(
    population: Population, count: int, *, days: float, seed: int = 7
) -> Iterator[EventFields]:
    """`count` events in time order, evenly spread over the `days` up to now."""
    chooser = random.Random(seed)
    started = datetime.now(UTC) - timedelta(days=days)
    step = timedelta(days=days) / max(count, 1)
    customers = population.customers
    block = 10_000
    for first in range(0, count, block):
        size = min(block, count - first)
        who = chooser.choices(population.actors, cum_weights=population.actor_weights, k=size)
        whom = chooser.choices(customers, cum_weights=population.customer_weights, k=size)
        what = chooser.choices(_ACTIONS, cum_weights=_ACTION_WEIGHTS, k=size)
        for offset in range(size):
            actor, customer, (action, _, outcome) = who[offset], whom[offset], what[offset]
            occurred_at = started + step * (first + offset)
            occurred_at += timedelta(microseconds=chooser.randrange(1_000_000))
            target_type, target_id, reason = "", "", ""
            details: dict[str, object] = {}
            if action == "customer.listed":
                start = chooser.randrange(len(customers) - 50)
                details = {"customers": customers[start : start + 50], "page": 1}
            elif action == "customer.searched":
                details = {"kind": "phone", "results": 1, "customers": [customer]}
            elif action.startswith("customer."):
                target_type, target_id = CUSTOMER_TYPE, customer
                if action in ("customer.revealed", "customer.updated"):
                    details = {"fields": sorted(chooser.sample(_FIELDS, 2))}
                if action == "customer.revealed":
                    reason = "Caller verified identity, needs the account number."
            elif action == "access.denied":
                details = {"permission": "customers.reveal_customer"}
            person = actor.kind != ActorKind.SYSTEM
            yield EventFields(
                occurred_at=occurred_at,
                actor_kind=str(actor.kind),
                actor_id=actor.id,
                action=action,
                target_type=target_type,
                target_id=target_id,
                outcome=str(outcome),
                reason=reason,
                request_id=uuid.UUID(int=chooser.getrandbits(128)).hex,
                ip=f"10.{offset // 250 % 250}.{offset % 250}.7" if person else None,
                user_agent=_USER_AGENTS[2 if actor.kind == ActorKind.API_KEY else offset % 2],
                details=details,
            )


def _copy(buffer: io.StringIO) -> None:
    buffer.seek(0)
    with connection.cursor() as cursor:
        cursor.copy_expert(  # psycopg2's COPY FROM STDIN
            f"COPY {EVENTS_TABLE} ({APPENDED_COLUMNS}) FROM STDIN WITH (FORMAT csv, NULL '{NULL}')",
            buffer,
        )


def chained_load(events: Iterator[EventFields], *, progress: bool = False) -> int:
    """Append `events` to the chains as audit_record would (same chain choice, canonical text
    and link hashes, continuing from the current heads), through COPY; then set the heads."""
    if connection.vendor != "postgresql":
        raise SystemExit("The audit benchmarks load with COPY: set DATABASE_URL to PostgreSQL.")
    heads = {head.chain: (head.seq, head.hash) for head in ChainHead.objects.all()}
    chain_of: dict[tuple[str, str], int] = {}
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    loaded = 0
    started = time.perf_counter()
    for fields in events:
        key = (fields.actor_kind, fields.actor_id)
        chain = chain_of.get(key)
        if chain is None:
            chain = chain_of[key] = chain_for(*key)
        seq, prev_hash = heads.get(chain, (0, GENESIS_HASH))
        seq += 1
        canonical = canonical_text(fields)
        new_hash = link_hash(prev_hash, chain, seq, canonical)
        heads[chain] = (seq, new_hash)
        values = [NULL if value is None else value for value in field_values(fields)]
        writer.writerow((*values, chain, seq, prev_hash, new_hash, canonical))
        loaded += 1
        if loaded % COPY_BATCH == 0:
            _copy(buffer)
            buffer.seek(0)
            buffer.truncate()
            if progress and loaded % (COPY_BATCH * 20) == 0:
                rate = loaded / (time.perf_counter() - started)
                print(f"  … {loaded:,} events loaded ({rate:,.0f}/s)", flush=True)
    if buffer.tell():
        _copy(buffer)
    ChainHead.objects.bulk_create(
        [ChainHead(chain=chain, seq=seq, hash=hash_) for chain, (seq, hash_) in heads.items()],
        update_conflicts=True,
        unique_fields=["chain"],
        update_fields=["seq", "hash"],
    )
    return loaded


class IndexesDropped:
    """Drop the event table's secondary indexes for a bulk load, and build them again after.

    Building an index once over sorted data is many times faster than maintaining six of
    them row by row; the rebuilt indexes are the migrations' own definitions, read back from
    pg_indexes. The primary key and the (chain, seq) constraint stay in place."""

    def __init__(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT indexname, indexdef FROM pg_indexes i WHERE tablename = %s "
                "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)",
                [EVENTS_TABLE],
            )
            self.definitions: list[tuple[str, str]] = cursor.fetchall()

    def __enter__(self) -> IndexesDropped:
        with connection.cursor() as cursor:
            for name, _ in self.definitions:
                cursor.execute(f'DROP INDEX "{name}"')
        return self

    def __exit__(self, *exc: object) -> None:
        with connection.cursor() as cursor:
            cursor.execute("SET maintenance_work_mem = '512MB'")
            for _, definition in self.definitions:
                cursor.execute(definition)
            cursor.execute("RESET maintenance_work_mem")


def tables_settle() -> None:
    """What autovacuum does soon after a bulk load: planner statistics, visibility map."""
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM ANALYZE {EVENTS_TABLE}")
        cursor.execute("VACUUM ANALYZE audit_chainhead")


def table_size() -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_size_pretty(pg_table_size(%s)), pg_size_pretty(pg_indexes_size(%s))",
            [EVENTS_TABLE, EVENTS_TABLE],
        )
        table, indexes = cursor.fetchone()
    return f"table {table}, indexes {indexes}"


def load_log(*, events: int, actors: int, customers: int, days: float) -> Population:
    """A settled log of `events` chained events by `actors` about `customers`, spread over the
    `days` up to now (indexes built after the load, then vacuumed); prints what it took."""
    population = Population.make(actor_count=actors, customer_count=customers)
    started = time.perf_counter()
    with IndexesDropped():
        chained_load(fake_events(population, events, days=days), progress=True)
    tables_settle()
    print(
        f"loaded {events:,} chained events over {days:g} days on {settings.AUDIT_CHAINS} "
        f"chains in {time.perf_counter() - started:.0f} s ({table_size()})",
        flush=True,
    )
    return population
