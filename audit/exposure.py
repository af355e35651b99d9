"""Which customers a compromised actor, key, address range or time window touched, read from
the audit log: the facts a breach investigation starts from.

Only events of the categories that touch a customer's record count: a masked record or a
list page shown (RECORD_READ, RECORDS_NAMED), fields revealed (RECORD_REVEALED), data
changed (RECORD_WRITE); allowed ones only (a refused attempt exposed nothing). The query runs
on the audit indexes (actor, time; time alone for a window) and streams its rows; what a
touch means for the customer (plain text or ciphertext, which categories) is the caller's
reading of the action and its fields (incidents.services.affected).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from django.db import connection
from django.db.models import QuerySet

from audit.actions import Category, names_in
from audit.models import AuditEvent, Outcome

CUSTOMER = "customers.customer"
TOUCHING = (
    Category.RECORD_READ,
    Category.RECORD_REVEALED,
    Category.RECORD_WRITE,
    Category.RECORDS_NAMED,
)
FETCH = 5000


@dataclass(frozen=True)
class ExposureQuery:
    """What was compromised: an actor ("user", id / "api_key", prefix), a client address
    range (CIDR), a time window; any combination, at least one of them."""

    actor: tuple[str, str] | None = None
    network: str = ""
    since: datetime | None = None
    until: datetime | None = None

    def __post_init__(self) -> None:
        if self.network:
            ipaddress.ip_network(self.network, strict=False)  # ValueError when malformed
        if not (self.actor or self.network or self.since or self.until):
            raise ValueError("name an actor, an address range or a time window")

    @classmethod
    def from_details(cls, details: dict[str, str]) -> ExposureQuery:
        """The query `as_details` wrote (a task's argument)."""
        kind, _, actor_id = details.get("actor", "").partition(":")
        return cls(
            actor=(kind, actor_id) if actor_id else None,
            network=details.get("network", ""),
            since=datetime.fromisoformat(details["since"]) if details.get("since") else None,
            until=datetime.fromisoformat(details["until"]) if details.get("until") else None,
        )

    def as_details(self) -> dict[str, str]:
        return {
            key: value
            for key, value in {
                "actor": ":".join(self.actor) if self.actor else "",
                "network": self.network,
                "since": self.since.isoformat() if self.since else "",
                "until": self.until.isoformat() if self.until else "",
            }.items()
            if value
        }


@dataclass(frozen=True)
class Touch:
    """One event's touch of one customer: the action and the fields it names (if any)."""

    customer_id: str
    action: str
    fields: tuple[str, ...] = ()


def _events(query: ExposureQuery) -> QuerySet[AuditEvent]:
    events = AuditEvent.objects.filter(action__in=names_in(*TOUCHING), outcome=Outcome.ALLOWED)
    if query.actor:
        events = events.filter(actor_kind=query.actor[0], actor_id=query.actor[1])
    if query.since:
        events = events.filter(occurred_at__gte=query.since)
    if query.until:
        events = events.filter(occurred_at__lt=query.until)
    if query.network and connection.vendor == "postgresql":
        # inet containment, done by the database (the column is inet there).
        events = events.extra(where=["ip <<= %s::inet"], params=[query.network])
    return events.order_by()


def customer_touches(query: ExposureQuery) -> Iterator[Touch]:
    """Every touch of a customer by the events `query` selects, streamed."""
    network = ipaddress.ip_network(query.network, strict=False) if query.network else None
    in_python = network is not None and connection.vendor != "postgresql"
    rows = _events(query).values_list("action", "target_type", "target_id", "details", "ip")
    for action, target_type, target_id, details, ip in rows.iterator(chunk_size=FETCH):
        if in_python and (not ip or ipaddress.ip_address(ip) not in network):  # type: ignore[operator]
            continue
        fields = tuple(details.get("fields") or ()) if isinstance(details, dict) else ()
        if target_type == CUSTOMER and target_id:
            yield Touch(target_id, action, fields)
        named = details.get("customers") if isinstance(details, dict) else None
        for customer_id in named if isinstance(named, list) else ():
            yield Touch(str(customer_id), action, ())
