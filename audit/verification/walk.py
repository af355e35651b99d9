"""Walking one chain in Python: the checks, the report they fill, and the messages.

Used as is on SQLite; PostgreSQL runs the same checks in SQL (audit.verification.postgresql)
and fast-forwards a Walk over the links it found intact.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.db import connection

from audit.chaining import EventFields, canonical_text, link_hash
from audit.models import ChainHead

FETCH_SIZE = 5000

EVENT_COLUMNS = (
    "id, chain, seq, prev_hash, hash, canonical, occurred_at, actor_kind, actor_id, action, "
    "target_type, target_id, outcome, reason, request_id, ip, user_agent, details"
)


@dataclass(frozen=True)
class ChainBreak:
    """The first broken link found in one chain."""

    chain: int
    seq: int
    event_id: int | None
    problem: str


@dataclass
class Report:
    events_checked: int = 0
    chains: set[int] = field(default_factory=set)
    breaks: dict[int, ChainBreak] = field(default_factory=dict)
    # chain → (seq, hash, event id) of the last link walked, where the chain was intact
    intact_ends: dict[int, tuple[int, str, int]] = field(default_factory=dict)

    def broken(self, chain: int, seq: int, event_id: int | None, problem: str) -> None:
        if chain not in self.breaks:  # the first break of a chain is the one that matters
            self.breaks[chain] = ChainBreak(chain, seq, event_id, problem)


def _aware(moment: datetime | str) -> datetime:
    """Raw SQLite rows give naive UTC datetimes (or text); PostgreSQL gives aware ones."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _canonical_of(row: Sequence[Any]) -> str:
    """The canonical text that the row's columns (occurred_at onwards) stand for."""
    details = row[17]
    return canonical_text(
        EventFields(
            occurred_at=_aware(row[6]),
            actor_kind=row[7],
            actor_id=row[8],
            action=row[9],
            target_type=row[10],
            target_id=row[11],
            outcome=row[12],
            reason=row[13],
            request_id=row[14],
            ip=row[15],
            user_agent=row[16],
            details=json.loads(details) if isinstance(details, str | bytes) else details,
        )
    )


def content_problem(row: Sequence[Any]) -> str | None:
    """What is wrong with one row (in `EVENT_COLUMNS` order) on its own, whatever its neighbours:
    "hash" if its hash is not sha256 of its content, "columns" if its columns differ from its
    canonical text; None when it is sound."""
    _event_id, chain, seq, prev_hash, hash_, canonical = row[:6]
    if link_hash(prev_hash, chain, seq, canonical) != hash_:
        return "hash"
    if _canonical_of(row) != canonical:
        return "columns"
    return None


MISSING = "link {expected} is missing: the next link is {found} (deleted rows)"
PROBLEMS = {
    "order": "does not follow the link before it (reordered or replaced)",
    "hash": "hash does not match its content (edited)",
    "columns": "columns differ from the hashed text (edited)",
}


class Walk:
    """Checks rows of one chain in seq order, from a trusted starting point."""

    def __init__(self, report: Report, chain: int, seq: int, prev_hash: str) -> None:
        self.report = report
        self.chain = chain
        self.expected_seq = seq + 1
        self.prev_hash = prev_hash
        self.last: tuple[int, str, int] | None = None

    @property
    def broken(self) -> bool:
        return self.chain in self.report.breaks

    def check(self, row: Sequence[Any]) -> None:
        if self.broken:
            return
        event_id, chain, seq, prev_hash, hash_ = row[:5]
        report = self.report
        if seq != self.expected_seq:
            missing = MISSING.format(expected=self.expected_seq, found=seq)
            report.broken(chain, self.expected_seq, None, missing)
        elif prev_hash != self.prev_hash:
            report.broken(chain, seq, event_id, PROBLEMS["order"])
        elif problem := content_problem(row):
            report.broken(chain, seq, event_id, PROBLEMS[problem])
        else:
            self.advance(seq, hash_, event_id, checked=1)

    def advance(self, seq: int, hash_: str, event_id: int, *, checked: int) -> None:
        """`checked` more links verified, the last of them (seq, hash_, event_id)."""
        self.report.events_checked += checked
        self.expected_seq = seq + 1
        self.prev_hash = hash_
        self.last = (seq, hash_, event_id)

    def finish(self, head: ChainHead | None) -> None:
        """Compare the walked end with the chain head: a shorter chain lost its tail."""
        report = self.report
        if self.broken:
            return
        walked_seq = self.expected_seq - 1
        if head is None:
            report.broken(self.chain, walked_seq, None, "the chain has no head row")
        elif head.seq != walked_seq:
            report.broken(
                self.chain,
                walked_seq + 1,
                None,
                f"the chain ends at link {walked_seq} but its head is at {head.seq} "
                "(truncated tail)",
            )
        elif head.hash != self.prev_hash:
            report.broken(
                self.chain, walked_seq, None, "the head's hash differs from the last link"
            )
        elif self.last is not None:
            report.intact_ends[self.chain] = self.last


def rows(query: str, params: Sequence[Any]) -> Iterable[Sequence[Any]]:
    cursor = connection.chunked_cursor()
    try:
        cursor.execute(query, params)
        while rows := cursor.fetchmany(FETCH_SIZE):
            yield from rows
    finally:
        cursor.close()


Start = tuple[int, str]  # (seq, hash) of the trusted link a chain's walk begins after


def walk_chain_in_python(report: Report, chain: int, start: Start) -> Walk:
    walk = Walk(report, chain, *start)
    for row in rows(
        f"SELECT {EVENT_COLUMNS} FROM audit_auditevent WHERE chain = %s AND seq > %s "  # noqa: S608  # nosec B608
        "ORDER BY seq",
        [chain, start[0]],
    ):
        walk.check(row)
    return walk
