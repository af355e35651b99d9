"""Walk the hash chains and report the first broken link of each; sign the intact heads.

A full run walks every chain from its first link in one pass over the (chain, seq) index and
also re-checks every stored checkpoint. An incremental run starts each chain at its newest
checkpoint (whose signature and event it re-checks) and walks only what came after. Both run
in one REPEATABLE READ snapshot on PostgreSQL, so events appended meanwhile neither confuse
the walk nor the comparison with the chain heads.

What each check catches:
- a sequence number that skips → deleted rows;
- `prev_hash` unlike the previous link's hash → a reordered, replaced or inserted row;
- columns unlike the stored canonical text → an edited column;
- `hash` unlike sha256 of its own content → an edited canonical text or hash;
- a chain ending before its head (or before a checkpoint) → a truncated tail;
- an event unlike its signed checkpoint, or a bad signature → a rewritten table.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from audit.archive_seals import archived_starts
from audit.chaining import EventFields, canonical_text, link_hash
from audit.checkpoints import latest_checkpoints, make_checkpoint, signature_valid
from audit.models import ChainHead, Checkpoint, VerificationRun
from audit.models.chains import GENESIS_HASH, VerificationKind

FETCH_SIZE = 5000
PROGRESS_EVERY = 100_000

_COLUMNS = (
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


class _Walk:
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
        event_id, chain, seq, prev_hash, hash_, canonical = row[:6]
        report = self.report
        if seq != self.expected_seq:
            report.broken(
                chain,
                self.expected_seq,
                None,
                f"link {self.expected_seq} is missing: the next link is {seq} (deleted rows)",
            )
        elif prev_hash != self.prev_hash:
            report.broken(
                chain, seq, event_id, "does not follow the link before it (reordered or replaced)"
            )
        elif link_hash(prev_hash, chain, seq, canonical) != hash_:
            report.broken(chain, seq, event_id, "hash does not match its content (edited)")
        elif _canonical_of(row) != canonical:
            report.broken(chain, seq, event_id, "columns differ from the hashed text (edited)")
        else:
            report.events_checked += 1
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


def _check_checkpoints(report: Report, checkpoints: Iterable[Checkpoint]) -> None:
    """Each checkpoint's signature, and that the event it names still has its hash."""
    wanted = list(checkpoints)
    if not wanted:
        return
    found: dict[tuple[int, int], str] = {}
    with connection.cursor() as cursor:
        for start in range(0, len(wanted), 500):
            part = wanted[start : start + 500]
            condition = " OR ".join("(chain = %s AND seq = %s)" for _ in part)
            cursor.execute(
                f"SELECT chain, seq, hash FROM audit_auditevent WHERE {condition}",  # noqa: S608
                [value for checkpoint in part for value in (checkpoint.chain, checkpoint.seq)],
            )
            found.update({(chain, seq): hash_ for chain, seq, hash_ in cursor.fetchall()})
    for checkpoint in wanted:
        report.chains.add(checkpoint.chain)
        stored = found.get((checkpoint.chain, checkpoint.seq))
        if not signature_valid(checkpoint):
            report.broken(
                checkpoint.chain, checkpoint.seq, None, "the checkpoint's signature is invalid"
            )
        elif stored is None:
            report.broken(
                checkpoint.chain,
                checkpoint.seq,
                checkpoint.event_id,
                "a signed checkpoint names this link, which is gone (deleted or truncated)",
            )
        elif stored != checkpoint.hash:
            report.broken(
                checkpoint.chain,
                checkpoint.seq,
                checkpoint.event_id,
                "differs from its signed checkpoint (rewritten)",
            )


def _rows(query: str, params: Sequence[Any]) -> Iterable[Sequence[Any]]:
    cursor = connection.chunked_cursor()
    try:
        cursor.execute(query, params)
        while rows := cursor.fetchmany(FETCH_SIZE):
            yield from rows
    finally:
        cursor.close()


def _archived(report: Report) -> dict[int, tuple[int, str]]:
    """Where each chain resumes after dropped archive ranges; a forged seal is a break."""
    archived = archived_starts()
    for archive in archived.forged:
        for chain, (first, _last, _hash) in archive.chains.items():
            report.broken(int(chain), first, None, "the seal of its dropped archive is invalid")
    return archived.starts


def _walk_full(
    report: Report, heads: dict[int, ChainHead], progress: Callable[[int], None]
) -> None:
    starts = _archived(report)
    walk: _Walk | None = None
    for row in _rows(f"SELECT {_COLUMNS} FROM audit_auditevent ORDER BY chain, seq", []):  # noqa: S608
        if walk is None or row[1] != walk.chain:
            if walk is not None:
                walk.finish(heads.get(walk.chain))
            walk = _Walk(report, row[1], *starts.get(row[1], (0, GENESIS_HASH)))
            report.chains.add(walk.chain)
        walk.check(row)
        if report.events_checked % PROGRESS_EVERY == 0:
            progress(report.events_checked)
    if walk is not None:
        walk.finish(heads.get(walk.chain))
    for chain, head in heads.items():  # heads whose every event is gone
        if chain not in report.chains and head.seq > 0:
            report.chains.add(chain)
            _Walk(report, chain, *starts.get(chain, (0, GENESIS_HASH))).finish(head)
    _check_checkpoints(
        report,
        (
            checkpoint
            for checkpoint in Checkpoint.objects.order_by("chain", "seq")
            if checkpoint.seq > starts.get(checkpoint.chain, (0, ""))[0]  # not archived away
        ),
    )


def _walk_incremental(
    report: Report, heads: dict[int, ChainHead], progress: Callable[[int], None]
) -> None:
    archived = _archived(report)
    starts = {
        chain: checkpoint
        for chain, checkpoint in latest_checkpoints().items()
        if checkpoint.seq > archived.get(chain, (0, ""))[0]  # not archived away
    }
    _check_checkpoints(report, starts.values())
    for chain in sorted(set(heads) | set(starts)):
        report.chains.add(chain)
        if chain in report.breaks:
            continue
        start = starts.get(chain)
        begin = (start.seq, start.hash) if start else archived.get(chain, (0, GENESIS_HASH))
        walk = _Walk(report, chain, *begin)
        for row in _rows(
            f"SELECT {_COLUMNS} FROM audit_auditevent WHERE chain = %s AND seq > %s "  # noqa: S608
            "ORDER BY seq",
            [chain, walk.expected_seq - 1],
        ):
            walk.check(row)
        walk.finish(heads.get(chain))
        if walk.last is None and start is not None and chain not in report.breaks:
            report.intact_ends[chain] = (start.seq, start.hash, start.event_id)
        progress(report.events_checked)


def _sign_intact_heads(report: Report) -> int:
    made = 0
    signed = {chain: checkpoint.seq for chain, checkpoint in latest_checkpoints().items()}
    for chain, (seq, hash_, event_id) in sorted(report.intact_ends.items()):
        if signed.get(chain, 0) < seq:
            make_checkpoint(chain=chain, seq=seq, hash_=hash_, event_id=event_id)
            made += 1
    return made


def verify_chains(
    *,
    full: bool = True,
    trigger: str = "command",
    make_checkpoints: bool = True,
    progress: Callable[[int], None] | None = None,
) -> VerificationRun:
    """Verify the chains, store the run, and (when intact) sign each chain's head.

    The run is stored even when chains are broken; callers (audit.alerting.after_verification)
    record the audit event and raise the alert.
    """
    report = Report()
    started_at = timezone.now()
    on_postgresql = connection.vendor == "postgresql"
    snapshot = on_postgresql and not connection.in_atomic_block
    with transaction.atomic():
        if snapshot:
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        heads = {head.chain: head for head in ChainHead.objects.all()}
        walker = _walk_full if full else _walk_incremental
        walker(report, heads, progress or (lambda _count: None))
    with transaction.atomic():
        made = _sign_intact_heads(report) if make_checkpoints else 0
        return VerificationRun.objects.create(
            started_at=started_at,
            finished_at=timezone.now(),
            kind=VerificationKind.FULL if full else VerificationKind.INCREMENTAL,
            trigger=trigger,
            events_checked=report.events_checked,
            chains_checked=len(report.chains),
            ok=not report.breaks,
            breaks=[asdict(report.breaks[chain]) for chain in sorted(report.breaks)],
            checkpoints_made=made,
        )
