"""Bulk import of customers from CSV or JSON Lines: streamed, checked row by row, saved in batches.

The file is read one row at a time and saved `batch_size` rows at a time (customers, whose
rows carry their wrapped data keys, and lookups: each with one COPY on PostgreSQL, one
bulk_create elsewhere), so memory stays flat whatever the file size. Every row goes through
`customer_build`, the same checks and encryption as a customer created by hand. A bad row
is reported with its line number and field messages, never its values.

Two modes: by default the good rows are loaded and the bad ones reported; `all_or_nothing`
loads nothing if any row is bad (one transaction, rolled back).
"""

from __future__ import annotations

import csv
import datetime as dt
import gc
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from django.db import transaction

from accounts.selectors import Team
from audit.services import Outcome, audit_record
from ccplatform.callers import Caller
from ccplatform.errors import ServiceError
from ccplatform.gate import require
from customers.actions import CUSTOMERS_IMPORT_FAILED, CUSTOMERS_IMPORTED
from customers.fields import FIELDS, Kind
from customers.models import Customer, CustomerLookup
from customers.permissions import can_import_customers
from customers.services.copying import insert_many
from customers.services.records import customer_build

FORMATS = ("csv", "jsonl")
EXTENSIONS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}
# Several phones, emails or addresses share one CSV cell, separated by this character.
LIST_SEPARATOR = "|"
DEFAULT_BATCH_SIZE = 1000
MAX_BATCH_SIZE = 10_000
# Row errors kept for the report; beyond this only the count grows (memory stays flat).
MAX_KEPT_ERRORS = 1000
ROW = "row"  # the error key of a problem with the whole row rather than one field
MAX_LINE_BYTES = 1024 * 1024

Built = tuple[Customer, list[CustomerLookup]]


class ImportFileError(ServiceError):
    """The file as a whole cannot be read: no or bad header, broken CSV quoting, not UTF-8.

    `report` says what was loaded before the problem (nothing in all-or-nothing mode).
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.report: ImportReport | None = None


@dataclass(frozen=True)
class SourceRow:
    """One record of the file: its first line number and its values, or why it is unusable."""

    line: int
    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, list[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class RowError:
    line: int
    fields: dict[str, list[str]]

    def describe(self) -> str:
        parts = [
            f"{name}: {' '.join(messages)}" if name != ROW else " ".join(messages)
            for name, messages in self.fields.items()
        ]
        return f"line {self.line}: {'; '.join(parts)}"


@dataclass
class ImportReport:
    """What an import did. `loaded` counts rows saved and committed."""

    all_or_nothing: bool = False
    loaded: int = 0
    valid: int = 0
    rejected: int = 0
    batches: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def rolled_back(self) -> bool:
        return self.all_or_nothing and self.rejected > 0

    def reject(self, line: int, fields: dict[str, list[str]]) -> None:
        self.rejected += 1
        if len(self.errors) < MAX_KEPT_ERRORS:
            self.errors.append(RowError(line, fields))

    def summary(self) -> str:
        text = f"loaded {self.loaded}, rejected {self.rejected}"
        if self.rolled_back:
            text += f" ({self.valid} valid rows not loaded: all or nothing)"
        return text


# --- Reading -------------------------------------------------------------------------------


def format_for(path: Path, given: str | None = None) -> str:
    """The file format: `given`, or from the file name's extension."""
    if given:
        if given not in FORMATS:
            raise ServiceError(f"Unknown format {given!r}; choose from {', '.join(FORMATS)}.")
        return given
    try:
        return EXTENSIONS[path.suffix.lower()]
    except KeyError:
        raise ServiceError(
            f"Cannot tell the format of {path.name!r} from its extension "
            f"({', '.join(EXTENSIONS)}); pass --format."
        ) from None


def _value(name: str, raw: object) -> tuple[object, str | None]:
    """The field value of one cell or JSON member, or an error message. None: left empty."""
    if raw is None or raw == "":
        return None, None
    kind = FIELDS[name].kind
    if kind == Kind.LIST:
        items = raw if isinstance(raw, list) else [raw]
        texts = [item.strip() for item in items if isinstance(item, str)]
        if len(texts) != len(items):
            return None, "Give text values."
        kept = [text for text in texts if text]
        return kept or None, None
    if not isinstance(raw, str):
        return None, "Give a text value."
    text = raw.strip()
    if kind == Kind.DATE and text:
        try:
            return dt.date.fromisoformat(text), None
        except ValueError:
            return None, "Enter a date as YYYY-MM-DD."
    return text or None, None


def _source_row(line: int, raw: Mapping[str, object]) -> SourceRow:
    values: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for name, item in raw.items():
        value, error = _value(name, item)
        if error:
            errors[name] = [error]
        elif value is not None:
            values[name] = value
    return SourceRow(line, values, errors)


def _check_columns(columns: list[str]) -> None:
    unknown = [name for name in columns if name not in FIELDS]
    duplicated = sorted({name for name in columns if columns.count(name) > 1})
    problems = []
    if unknown:
        problems.append(f"unknown columns {', '.join(repr(name[:40]) for name in unknown)}")
    if duplicated:
        problems.append(f"repeated columns {', '.join(map(repr, duplicated))}")
    if "name" not in columns:
        problems.append("no 'name' column")
    if problems:
        raise ImportFileError(
            f"Line 1 (the header) is not valid: {'; '.join(problems)}. "
            f"Columns may be: {', '.join(FIELDS)}."
        )


def rows_from_csv(lines: Iterable[str]) -> Iterator[SourceRow]:
    """Rows of a CSV file whose first line names the columns (list cells split on '|')."""
    reader = csv.reader(lines, strict=True)
    try:
        header = next(reader, None)
    except csv.Error as error:
        raise ImportFileError(f"Line 1 (the header) is malformed CSV ({error}).") from None
    if header is None:
        raise ImportFileError("The file is empty: its first line must name the columns.")
    columns = [name.strip() for name in header]
    _check_columns(columns)
    last = reader.line_num
    while True:
        try:
            cells = next(reader, None)
        except csv.Error as error:
            # Quoting gone wrong: the rest of the file cannot be split into rows reliably.
            raise ImportFileError(f"Line {last + 1}: the CSV is malformed ({error}).") from None
        if cells is None:
            return
        line, last = last + 1, reader.line_num
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) != len(columns):
            message = f"The row has {len(cells)} cells; the header has {len(columns)}."
            yield SourceRow(line, errors={ROW: [message]})
            continue
        raw = {
            name: cell.split(LIST_SEPARATOR) if FIELDS[name].kind == Kind.LIST else cell
            for name, cell in zip(columns, cells, strict=True)
        }
        yield _source_row(line, raw)


def rows_from_jsonl(lines: Iterable[str]) -> Iterator[SourceRow]:
    """Rows of a JSON Lines file: one object per line, lists as arrays."""
    for line, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        try:
            data = json.loads(text.strip())
        except json.JSONDecodeError as error:
            message = f"Not valid JSON ({error.msg} at column {error.colno})."
            yield SourceRow(line, errors={ROW: [message]})
            continue
        if not isinstance(data, dict):
            yield SourceRow(line, errors={ROW: ["Each line must be a JSON object."]})
            continue
        unknown = [key for key in data if key not in FIELDS]
        if unknown:
            yield SourceRow(line, errors={str(key)[:40]: ["Unknown field."] for key in unknown})
            continue
        yield _source_row(line, data)


def text_lines(source: IO[bytes]) -> Iterator[str]:
    """The lines of a UTF-8 file (a leading byte-order mark dropped), decoded one by one so
    that an undecodable byte is reported on its own line. A line is read up to a length
    limit, so a file without line breaks is refused rather than read whole."""
    number = 0
    while data := source.readline(MAX_LINE_BYTES + 1):
        number += 1
        if len(data) > MAX_LINE_BYTES:
            raise ImportFileError(f"Line {number} is longer than {MAX_LINE_BYTES:,} bytes.")
        try:
            text = data.decode("utf-8-sig" if number == 1 else "utf-8")
        except UnicodeDecodeError:
            raise ImportFileError(f"Line {number}: the file is not UTF-8 text.") from None
        yield text


def read_rows(fmt: str, source: IO[bytes]) -> Iterator[SourceRow]:
    """The rows of a file opened in binary mode, read lazily."""
    lines = text_lines(source)
    return rows_from_csv(lines) if fmt == "csv" else rows_from_jsonl(lines)


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


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cycle collector while a batch is built and saved.

    A batch allocates hundreds of thousands of objects (rows, ciphertexts, SQL parameters),
    which sets the collector off dozens of times, each pass walking the objects that live
    on (about a twentieth of the import's time). The batch's objects form no cycles, so
    reference counting frees them when the batch is done (memory stays flat); between
    batches the collector runs as usual.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


@dataclass(frozen=True)
class _Job:
    caller: Caller
    team: Team
    report: ImportReport
    batch_size: int
    progress: Callable[[ImportReport], None] | None

    def load(self, rows: Iterable[SourceRow]) -> None:
        for batch in _batches(rows, self.batch_size):
            with _collector_paused():
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
