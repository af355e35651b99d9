"""The rows of an import file (CSV or JSON Lines): read one at a time, each with its line number
and its values, or the field messages saying why it cannot be used; and the report an import
gives. Nothing here writes: customers.services.importing saves the rows.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from ccplatform.errors import ServiceError
from customers.fields import FIELDS, Kind

FORMATS = ("csv", "jsonl")
EXTENSIONS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}
# Several phones, emails or addresses share one CSV cell, separated by this character.
LIST_SEPARATOR = "|"
# Row errors kept for the report; beyond this only the count grows (memory stays flat).
MAX_KEPT_ERRORS = 1000
ROW = "row"  # the error key of a problem with the whole row rather than one field
MAX_LINE_BYTES = 1024 * 1024


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
