"""Retroactive redaction: re-scan stored notes and interaction summaries for card data.

Text saved before the card-data scanner existed, or by an older version of it, is decrypted,
scanned with the current scanner, and re-encrypted only where something was masked. Rows are
read in primary-key order with keyset pagination, one transaction and one audit event per
batch; each row scanned is marked with the scanner version, so an interrupted run resumes
where it stopped and a finished one has nothing left to do.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import models, transaction

from audit.services import Outcome, audit_record
from ccplatform.callers import Caller
from ccplatform.crypto.providers import DecryptionError
from ccplatform.errors import ServiceError
from ccplatform.gate import require
from ccplatform.jobs import Budget
from ccplatform.redaction import CARD_SCANNER_VERSION, redact_card_data
from customers.actions import CUSTOMER_INTEGRITY_FAILED, NOTES_RESCANNED
from customers.crypto import CustomerCipher
from customers.models import Interaction, Note
from customers.permissions import can_rescan_notes
from customers.selectors import INTERACTION_TABLE, NOTE_TABLE

DEFAULT_BATCH_SIZE = 500
MAX_BATCH_SIZE = 10_000


@dataclass(frozen=True)
class _Source:
    """One kind of stored free text: its model, table and encrypted column."""

    kind: str
    model: type[Note] | type[Interaction]
    table: str
    column: str

    @property
    def attribute(self) -> str:
        return f"{self.column}_enc"


SOURCES = (
    _Source(kind="notes", model=Note, table=NOTE_TABLE, column="body"),
    _Source(kind="interactions", model=Interaction, table=INTERACTION_TABLE, column="summary"),
)


@dataclass
class RescanProgress:
    """Where a rescan of one kind of text stands; counts only, never text."""

    kind: str
    total: int  # rows below the current scanner version when the run started
    scanned: int = 0
    redacted: int = 0
    failed: int = 0  # rows whose text failed its integrity check (left for the next run)
    batches: int = 0
    cards: int = 0
    removed: int = 0
    done: bool = False  # every row of this kind was looked at (not stopped by a limit)

    def line(self) -> str:
        text = f"{self.kind}: {self.scanned}/{self.total} scanned, {self.redacted} redacted"
        return text + (f", {self.failed} failed their integrity check" if self.failed else "")


@dataclass
class _Batch:
    scanned: list[str] = field(default_factory=list)
    redacted: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    cards: int = 0
    removed: int = 0
    last_pk: uuid.UUID | None = None


def _pending(source: _Source) -> models.QuerySet[Any]:
    return source.model.objects.filter(scanned_version__lt=CARD_SCANNER_VERSION)


@transaction.atomic
def _rescan_batch(
    source: _Source, *, caller: Caller, after: uuid.UUID | None, batch_size: int
) -> _Batch:
    """Scan the next `batch_size` rows after `after`; write changed text and versions."""
    rows_query = _pending(source).select_related("customer").order_by("pk")
    if after is not None:
        rows_query = rows_query.filter(pk__gt=after)
    # Two runs at once (a command beside the task) share the work instead of blocking.
    rows = list(rows_query.select_for_update(skip_locked=True, of=("self",))[:batch_size])
    batch = _Batch()
    if not rows:
        return batch
    ciphers: dict[uuid.UUID, CustomerCipher] = {}
    changed = []
    unchanged = []
    for row in rows:
        batch.scanned.append(str(row.pk))
        stored: str = getattr(row, source.attribute)
        if not stored:
            unchanged.append(row.pk)
            continue
        cipher = ciphers.setdefault(row.customer_id, CustomerCipher(row.customer))
        try:
            text = cipher.open(source.table, source.column, row.pk, stored)
        except DecryptionError:
            batch.failed.append(str(row.pk))
            audit_record(
                actor=caller.actor,
                action=CUSTOMER_INTEGRITY_FAILED,
                target=row.customer,
                outcome=Outcome.FAILED,
                details={"where": f"{source.kind}_rescan", "row": str(row.pk)},
            )
            continue
        result = redact_card_data(text)
        if not result.changed:
            unchanged.append(row.pk)
            continue
        setattr(
            row, source.attribute, cipher.seal(source.table, source.column, row.pk, result.text)
        )
        row.scanned_version = CARD_SCANNER_VERSION
        changed.append(row)
        batch.redacted.append(str(row.pk))
        batch.cards += result.cards
        batch.removed += result.removed
    if changed:
        source.model.objects.bulk_update(changed, [source.attribute, "scanned_version"])
    if unchanged:
        source.model.objects.filter(pk__in=unchanged).update(scanned_version=CARD_SCANNER_VERSION)
    batch.last_pk = rows[-1].pk
    audit_record(
        actor=caller.actor,
        action=NOTES_RESCANNED,
        details={
            "kind": source.kind,
            "scanner_version": CARD_SCANNER_VERSION,
            "first_id": batch.scanned[0],
            "last_id": batch.scanned[-1],
            "scanned": len(batch.scanned),
            "redacted": len(batch.redacted),
            "cards": batch.cards,
            "cvv_or_expiry_removed": batch.removed,
            "failed": len(batch.failed),
            "redacted_ids": batch.redacted,
            "failed_ids": batch.failed,
        },
    )
    return batch


def notes_rescan(
    *,
    caller: Caller,
    batch_size: int = DEFAULT_BATCH_SIZE,
    max_batches: int | None = None,
    progress: Callable[[RescanProgress], None] | None = None,
    budget: Budget | None = None,
) -> list[RescanProgress]:
    """Re-scan notes, then interaction summaries, below the current scanner version.

    Each batch commits on its own (a crash loses at most one batch of work) and records one
    `customers.notes_rescanned` event with counts and row ids. `max_batches` bounds the
    batches of each kind in this run (a quiet-hours window); `progress` is called after
    each batch; a spent `budget` (a task's slice of time) stops the run after a batch.
    Rows that fail their integrity check keep their version and are recorded as
    `customer.integrity_failed`.
    """
    require(caller, can_rescan_notes(caller), resource=("customers.note", "all"))
    if not isinstance(batch_size, int) or not 1 <= batch_size <= MAX_BATCH_SIZE:
        raise ServiceError(
            "The batch size is out of range.",
            fields={"batch_size": [f"Give a whole number from 1 to {MAX_BATCH_SIZE}."]},
        )
    if max_batches is not None and (not isinstance(max_batches, int) or max_batches < 1):
        raise ServiceError(
            "The number of batches is out of range.",
            fields={"max_batches": ["Give a whole number of at least 1."]},
        )
    reports = []
    for source in SOURCES:
        report = RescanProgress(kind=source.kind, total=_pending(source).count())
        after: uuid.UUID | None = None
        while max_batches is None or report.batches < max_batches:
            if budget is not None and budget.spent:
                break
            batch = _rescan_batch(source, caller=caller, after=after, batch_size=batch_size)
            if batch.last_pk is None:
                report.done = True
                break
            after = batch.last_pk
            report.batches += 1
            report.scanned += len(batch.scanned)
            report.redacted += len(batch.redacted)
            report.failed += len(batch.failed)
            report.cards += batch.cards
            report.removed += batch.removed
            if progress is not None:
                progress(report)
        reports.append(report)
    return reports
