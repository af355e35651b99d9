"""Shared by the incidents benchmarks: real customers who live somewhere, and a year of log.

The customers are real encrypted ones, created through the import service in a few teams,
with addresses such as "12 Main Street, Austin, TX 78701" in US states weighted roughly by
population (a few abroad, a few without an address), so that reading their regions decrypts
what a deployment's would. The log is bench/audit_common.py's kind of log (valid chains,
loaded through its COPY path with the indexes built afterwards) with the mix of a year of
contact-center work: people of uneven activity, integrator API keys, a few system jobs with
a small share; each kind with its own actions (record views, list and search pages naming
customers in `details`, reveals naming fields, notes and interactions shown, writes,
sign-ins and sign-outs; integrations list, read and write), nearly all allowed, on
~200,000 customers of uneven popularity of whom the real ones are a part.

Import this module after bench.harness (which configures Django), as the benchmarks do.
"""

from __future__ import annotations

import itertools
import random
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings

from accounts.models import Team
from audit.chaining import EventFields
from audit.models import Outcome
from bench.audit_common import (
    IndexesDropped,
    chained_load,
    customer_ids,
    skewed_weights,
    table_size,
    tables_settle,
)
from bench.customers_common import BENCH, fake_values
from ccplatform.context import Actor, ActorKind
from customers.models import Customer
from customers.services.importing import SourceRow, customers_import

CUSTOMER_TYPE = "customers.customer"
USER_TYPE = "accounts.user"

# --- Customers with an address in a state ----------------------------------------------------

# State, a city in it, a ZIP code there, weight (roughly its share of US residents).
_PLACES: Sequence[tuple[str, str, str, float]] = (
    ("CA", "Los Angeles", "90012", 11.7),
    ("TX", "Austin", "78701", 9.0),
    ("FL", "Miami", "33130", 6.7),
    ("NY", "New York", "10001", 5.9),
    ("PA", "Philadelphia", "19103", 3.9),
    ("IL", "Chicago", "60601", 3.8),
    ("OH", "Columbus", "43215", 3.5),
    ("GA", "Atlanta", "30303", 3.3),
    ("NC", "Raleigh", "27601", 3.2),
    ("MI", "Detroit", "48226", 3.0),
    ("NJ", "Newark", "07102", 2.8),
    ("VA", "Richmond", "23219", 2.6),
    ("WA", "Seattle", "98101", 2.3),
    ("AZ", "Phoenix", "85004", 2.2),
    ("TN", "Nashville", "37203", 2.1),
    ("MA", "Boston", "02108", 2.1),
    ("IN", "Indianapolis", "46204", 2.0),
    ("MO", "St. Louis", "63101", 1.8),
    ("MD", "Baltimore", "21201", 1.8),
    ("WI", "Milwaukee", "53202", 1.8),
    ("CO", "Denver", "80202", 1.7),
    ("MN", "Minneapolis", "55401", 1.7),
    ("OR", "Portland", "97204", 1.3),
    ("NV", "Las Vegas", "89101", 1.0),
    ("UT", "Salt Lake City", "84101", 1.0),
    ("DC", "Washington", "20001", 0.2),
    ("VT", "Burlington", "05401", 0.2),
    ("WY", "Cheyenne", "82001", 0.2),
    ("AK", "Anchorage", "99501", 0.2),
)
_PLACE_WEIGHTS = list(itertools.accumulate(weight for *_, weight in _PLACES))
_STREETS = ("Main Street", "Oak Avenue", "Maple Drive", "Cedar Lane", "Park Road", "Elm Street")
_ABROAD = ("221 Baker Street, London NW1 6XE", "48 Rue de Rivoli, Paris, France")


def addresses_of(number: int, chooser: random.Random) -> list[str]:
    """Customer `number`'s addresses: a US one for nearly all, 1% abroad, 1% none."""
    draw = chooser.random()
    if draw < 0.01:
        return []
    if draw < 0.02:
        return [_ABROAD[number % len(_ABROAD)]]
    state, city, zip_code, _ = chooser.choices(_PLACES, cum_weights=_PLACE_WEIGHTS)[0]
    street = f"{1 + number % 990} {_STREETS[number % len(_STREETS)]}"
    country = ", USA" if number % 5 == 0 else ""  # the country named too, now and then
    return [f"{street}, {city}, {state} {zip_code}{country}"]


def _located_rows(first: int, count: int, chooser: random.Random) -> Iterator[SourceRow]:
    for number in range(first, first + count):
        values = fake_values(number)
        addresses = addresses_of(number, chooser)
        if addresses:
            values["addresses"] = addresses
        else:
            del values["addresses"]
        yield SourceRow(number + 2, values)


def located_customers_create(count: int, *, teams: int) -> list[str]:
    """`count` encrypted customers over `teams` teams, through the import service; their ids."""
    chooser = random.Random(9)
    per_team = -(-count // teams)
    for number in range(teams):
        team = Team.objects.create(name=f"Bench team {number + 1}")
        first = number * per_team
        rows = _located_rows(first, min(per_team, count - first), chooser)
        customers_import(caller=BENCH, team=team, rows=rows, batch_size=1000)
    return sorted(str(pk) for pk in Customer.objects.values_list("pk", flat=True))


# --- The log ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Act:
    action: str
    weight: float
    outcome: str = Outcome.ALLOWED


# Per kind of actor: an agent's shift, an integration's sync, the platform's jobs.
_ACTS: dict[ActorKind, Sequence[Act]] = {
    ActorKind.USER: (
        Act("customer.viewed", 30),
        Act("customer.searched", 12),
        Act("customer.listed", 5),
        Act("customer.revealed", 7),
        Act("customer.notes_viewed", 6),
        Act("customer.interactions_viewed", 3),
        Act("customer.updated", 4),
        Act("customer.note_added", 5),
        Act("customer.interaction_added", 4),
        Act("customer.created", 0.5),
        Act("customer.reveal_refused", 0.3, Outcome.DENIED),
        Act("access.denied", 1, Outcome.DENIED),
        Act("auth.password_accepted", 4),
        Act("auth.signed_in", 4),
        Act("auth.password_failed", 0.6, Outcome.DENIED),
        Act("auth.otp_failed", 0.2, Outcome.DENIED),
        Act("session.ended", 3.5),
        Act("password.changed", 0.05),
        Act("mfa.recovery_code_used", 0.02),
    ),
    ActorKind.API_KEY: (
        Act("customer.viewed", 30),
        Act("customer.listed", 22),
        Act("customer.searched", 20),
        Act("customer.updated", 12),
        Act("customer.created", 3),
        Act("customer.interaction_added", 8),
        Act("access.denied", 0.5, Outcome.DENIED),
    ),
    ActorKind.SYSTEM: (
        Act("audit.verified", 40),
        Act("customers.notes_rescanned", 10),
        Act("keys.rewrapped", 2),
    ),
}
_ACT_WEIGHTS = {
    kind: list(itertools.accumulate(act.weight for act in acts)) for kind, acts in _ACTS.items()
}
_PEOPLE_PER_KEY = 50
_SYSTEM_JOBS = ("verify", "notes-rescan", "keys")
_SYSTEM_SHARE = 0.003  # of all events
_USER_AGENTS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 Version/18.1 Safari",
    "crm-sync/2.4 python-requests/2.32",
)
_REVEALABLE = ("name", "date_of_birth", "addresses", "phones", "emails", "account_number")
_WRITABLE = (*_REVEALABLE, "card_last4")
_PAGE = 50


@dataclass
class Population:
    """Who acts (people and keys by falling activity, then the system jobs) and on whom;
    weights are cumulative."""

    actors: list[Actor]
    actor_weights: list[float]
    customers: list[str]
    customer_weights: list[float]

    @classmethod
    def make(cls, *, actors: int, customers: int, real_ids: Sequence[str]) -> Population:
        keys = max(1, actors // _PEOPLE_PER_KEY)
        people = max(1, actors - keys - len(_SYSTEM_JOBS))
        made = [Actor.user(uuid.UUID(int=number + 1)) for number in range(people)]
        made += [Actor.api_key(f"key{number:05d}") for number in range(keys)]
        random.Random(3).shuffle(made)  # busy and quiet ones of both kinds
        weights = skewed_weights(len(made), 0.6)
        step = weights[-1] * _SYSTEM_SHARE / len(_SYSTEM_JOBS)
        for job in _SYSTEM_JOBS:
            made.append(Actor.system(job))
            weights.append(weights[-1] + step)
        # The real customers among made-up ones, at every level of popularity.
        everyone = [*real_ids, *customer_ids(max(0, customers - len(real_ids)))]
        random.Random(5).shuffle(everyone)
        return cls(made, weights, everyone, skewed_weights(len(everyone), 0.9))

    def busiest(self, kind: ActorKind) -> Actor:
        return next(actor for actor in self.actors if actor.kind == kind)


def _address(number: int, actor: Actor) -> str | None:
    if actor.kind == ActorKind.SYSTEM:
        return None
    if actor.kind == ActorKind.API_KEY:
        return f"192.0.2.{1 + number % 250}"
    return f"10.{number // 250 % 250}.{number % 250}.{10 + number % 200}"


def _shape(
    act: Act, actor: Actor, customer: str, customers: list[str], n: int, chooser: random.Random
) -> tuple[str, str, str, dict[str, object]]:
    """Target type, target id, reason and details of one event, as its producer writes them."""
    action = act.action
    if action == "customer.listed":
        start = chooser.randrange(len(customers) - _PAGE)
        return "", "", "", {"customers": customers[start : start + _PAGE], "page": 1 + n % 7}
    if action == "customer.searched":
        found = [customer] if n % 9 else []
        return "", "", "", {"kind": "phone", "results": len(found), "customers": found}
    if action in ("customer.revealed", "customer.reveal_refused"):
        fields = sorted(chooser.sample(_REVEALABLE, 1 + n % 2))
        if action == "customer.revealed":
            reason = "Caller verified identity, needs the account number."
            return CUSTOMER_TYPE, customer, reason, {"fields": fields}
        return CUSTOMER_TYPE, customer, "", {"fields": fields, "why": "reveal_rate"}
    if action == "customer.updated":
        return CUSTOMER_TYPE, customer, "", {"fields": sorted(chooser.sample(_WRITABLE, 1 + n % 3))}
    if action == "customer.created":
        return (
            CUSTOMER_TYPE,
            customer,
            "",
            {"fields": list(_WRITABLE), "team": str(uuid.UUID(int=n % 4))},
        )
    if action in ("customer.notes_viewed", "customer.interactions_viewed"):
        part = action.removeprefix("customer.").removesuffix("_viewed")
        shown = [str(uuid.UUID(int=(1 << 90) + n + offset)) for offset in range(1 + n % 5)]
        return CUSTOMER_TYPE, customer, "", {part: shown}
    if action in ("customer.note_added", "customer.interaction_added"):
        part = action.removeprefix("customer.").removesuffix("_added")
        return CUSTOMER_TYPE, customer, "", {part: str(uuid.UUID(int=(1 << 91) + n))}
    if action.startswith("customer."):
        return CUSTOMER_TYPE, customer, "", {}
    if action == "access.denied":
        return (
            CUSTOMER_TYPE,
            customer,
            "",
            {"rule": "customers.view", "why": "outside_scope_or_missing"},
        )
    if action in ("auth.password_failed", "auth.otp_failed"):
        return USER_TYPE, actor.id, "", {"failure": "invalid", "consecutive_failures": 1}
    if action == "auth.signed_in":
        return USER_TYPE, actor.id, "", {"factor": "totp"}
    if action == "session.ended":
        return USER_TYPE, actor.id, "", {"why": "signed_out" if n % 3 else "idle"}
    if action.startswith(("auth.", "password.", "mfa.")):
        return USER_TYPE, actor.id, "", {}
    if action == "audit.verified":
        return "", "", "", {"kind": "incremental", "events_checked": 1000 + n % 5000}
    return "", "", "", {}


def year_of_events(
    population: Population, count: int, *, days: float, seed: int = 7
) -> Iterator[EventFields]:
    """`count` events in time order, evenly spread over the `days` up to now."""
    chooser = random.Random(seed)
    started = datetime.now(UTC) - timedelta(days=days)
    step = timedelta(days=days) / max(count, 1)
    customers = population.customers
    addresses = {actor: _address(number, actor) for number, actor in enumerate(population.actors)}
    block = 10_000
    for first in range(0, count, block):
        size = min(block, count - first)
        who = chooser.choices(population.actors, cum_weights=population.actor_weights, k=size)
        whom = chooser.choices(customers, cum_weights=population.customer_weights, k=size)
        what = {
            kind: chooser.choices(acts, cum_weights=_ACT_WEIGHTS[kind], k=size)
            for kind, acts in _ACTS.items()
        }
        for offset in range(size):
            actor, number = who[offset], first + offset
            act = what[actor.kind][offset]
            target_type, target_id, reason, details = _shape(
                act, actor, whom[offset], customers, number, chooser
            )
            occurred_at = (
                started + step * number + timedelta(microseconds=chooser.randrange(1_000_000))
            )
            yield EventFields(
                occurred_at=occurred_at,
                actor_kind=str(actor.kind),
                actor_id=actor.id,
                action=act.action,
                target_type=target_type,
                target_id=target_id,
                outcome=str(act.outcome),
                reason=reason,
                request_id=uuid.UUID(int=chooser.getrandbits(128)).hex,
                ip=addresses[actor],
                user_agent=_USER_AGENTS[2 if actor.kind == ActorKind.API_KEY else offset % 2],
                details=details,
            )


def load_year(population: Population, *, events: int, days: float) -> None:
    """A settled log of `events` chained events over the `days` up to now (indexes built
    after the load, then vacuumed); prints what it took."""
    started = time.perf_counter()
    with IndexesDropped():
        chained_load(year_of_events(population, events, days=days), progress=True)
    tables_settle()
    print(
        f"loaded {events:,} chained events over {days:g} days on {settings.AUDIT_CHAINS} "
        f"chains in {time.perf_counter() - started:.0f} s ({table_size()})",
        flush=True,
    )
