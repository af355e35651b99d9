"""Bulk import of customers from CSV or JSON Lines: streamed, checked row by row, saved in batches.

Reading the file is customers.import_rows (its names are re-exported here, where the import's
callers look for them).

The file is read one row at a time and saved `batch_size` rows at a time (customers, whose
rows carry their wrapped data keys, and lookups: each with one COPY on PostgreSQL, one
bulk_create elsewhere), so memory stays flat whatever the file size. Every row goes through
`customer_build`, the same checks and encryption as a customer created by hand. A bad row
is reported with its line number and field messages, never its values.

Two modes: by default the good rows are loaded and the bad ones reported; `all_or_nothing`
loads nothing if any row is bad (one transaction, rolled back).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from django.db import transaction

from accounts.selectors import Team
from audit.services import Outcome, audit_record
from ccplatform.callers import Caller
from ccplatform.errors import ServiceError
from ccplatform.gate import require
from ccplatform.memory import collector_paused
from customers.actions import CUSTOMERS_IMPORT_FAILED, CUSTOMERS_IMPORTED
from customers.import_rows import (
    EXTENSIONS,
    FORMATS,
    LIST_SEPARATOR,
    ROW,
    ImportFileError,
    ImportReport,
    RowError,
    SourceRow,
    format_for,
    read_rows,
    rows_from_csv,
    rows_from_jsonl,
    text_lines,
)
from customers.models import Customer, CustomerLookup
from customers.permissions import can_import_customers
from customers.services.copying import insert_many
from customers.services.records import customer_build

DEFAULT_BATCH_SIZE = 1000
MAX_BATCH_SIZE = 10_000

Built = tuple[Customer, list[CustomerLookup]]

__all__ = [
    "DEFAULT_BATCH_SIZE",
    "EXTENSIONS",
    "FORMATS",
    "LIST_SEPARATOR",
    "MAX_BATCH_SIZE",
    "ImportFileError",
    "ImportReport",
    "RowError",
    "SourceRow",
    "customers_build_many",
    "customers_import",
    "customers_import_batch",
    "format_for",
    "read_rows",
    "rows_from_csv",
    "rows_from_jsonl",
    "text_lines",
]


# --- Saving --------------------------------------------------------------------------------


def customers_build_many(
    *, team: Team, rows: Iterable[SourceRow]
) -> tuple[list[Built], list[RowError]]:
    """Unsaved customers (each with its new data key) for the good rows, and the bad rows'
    errors."""
    built: list[Built] = []
    errors: list[RowError] = []
    for row in rows:
        if row.errors:
            errors.append(RowError(row.line, row.errors))
            continue
        try:
            built.append(customer_build(team=team, values=row.values))
        except ServiceError as error:
            errors.append(RowError(row.line, error.fields or {ROW: [error.message]}))
    return built, errors


@transaction.atomic
def customers_import_batch(
    *, caller: Caller, team: Team, built: list[Built], number: int, rejected_lines: list[int]
) -> None:
    """Save one batch (customers with their data keys, lookups) and record it: ids and
    counts only."""
    insert_many(Customer, [customer for customer, _ in built])
    insert_many(CustomerLookup, [lookup for _, lookups in built for lookup in lookups])
    audit_record(
        actor=caller.actor,
        action=CUSTOMERS_IMPORTED,
        target=team,
        details={
            "batch": number,
            "loaded": len(built),
            "rejected": len(rejected_lines),
            "rejected_lines": rejected_lines,
            "customers": [str(customer.pk) for customer, _ in built],
        },
    )


def _batches(rows: Iterable[SourceRow], size: int) -> Iterator[list[SourceRow]]:
    batch: list[SourceRow] = []
    try:
        for row in rows:
            batch.append(row)
            if len(batch) >= size:
                yield batch
                batch = []
    except ImportFileError:
        # The rows read before the unreadable part are handled like any others.
        if batch:
            yield batch
        raise
    if batch:
        yield batch


@dataclass(frozen=True)
class _Job:
    caller: Caller
    team: Team
    report: ImportReport
    batch_size: int
    progress: Callable[[ImportReport], None] | None

    def load(self, rows: Iterable[SourceRow]) -> None:
        for batch in _batches(rows, self.batch_size):
            with collector_paused():
                self._save(*customers_build_many(team=self.team, rows=batch))
            del batch  # before the next batch is read: one batch in memory at a time

    def _save(self, built: list[Built], errors: list[RowError]) -> None:
        report = self.report
        report.valid += len(built)
        for error in errors:
            report.reject(error.line, error.fields)
        if report.all_or_nothing and report.rejected:
            return  # nothing will be kept: only check the remaining rows
        report.batches += 1
        customers_import_batch(
            caller=self.caller,
            team=self.team,
            built=built,
            number=report.batches,
            rejected_lines=[error.line for error in errors],
        )
        report.loaded += len(built)
        if self.progress:
            self.progress(report)


class _RollBackError(Exception):
    """Raised inside the all-or-nothing transaction to undo every saved batch."""


def customers_import(
    *,
    caller: Caller,
    team: Team,
    rows: Iterable[SourceRow],
    all_or_nothing: bool = False,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: Callable[[ImportReport], None] | None = None,
) -> ImportReport:
    """Load `rows` into `team`: one audit event per saved batch, one more if the import fails.

    By default each batch commits on its own and bad rows are skipped; with `all_or_nothing`
    everything runs in one transaction that is rolled back if any row is bad.
    """
    require(caller, can_import_customers(caller), resource=team)
    if not 1 <= batch_size <= MAX_BATCH_SIZE:
        raise ServiceError(
            f"The batch size must be between 1 and {MAX_BATCH_SIZE}.",
            fields={"batch_size": [f"Between 1 and {MAX_BATCH_SIZE}."]},
        )
    report = ImportReport(all_or_nothing=all_or_nothing)
    job = _Job(caller=caller, team=team, report=report, batch_size=batch_size, progress=progress)
    try:
        if not all_or_nothing:
            job.load(rows)
            return report
        try:
            with transaction.atomic():
                job.load(rows)
                if report.rejected:
                    raise _RollBackError
        except _RollBackError:
            report.loaded = report.batches = 0
            _record_failure(caller, team, report, why="rows_rejected")
    except ImportFileError as error:
        if all_or_nothing:
            report.loaded = report.batches = 0
        _record_failure(caller, team, report, why="file_unreadable")
        error.report = report
        raise
    return report


@transaction.atomic
def _record_failure(caller: Caller, team: Team, report: ImportReport, *, why: str) -> None:
    audit_record(
        actor=caller.actor,
        action=CUSTOMERS_IMPORT_FAILED,
        target=team,
        outcome=Outcome.FAILED,
        details={
            "why": why,
            "all_or_nothing": report.all_or_nothing,
            "loaded": report.loaded,
            "rejected": report.rejected,
            "rejected_lines": [error.line for error in report.errors[:100]],
        },
    )
