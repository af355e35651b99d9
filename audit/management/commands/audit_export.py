"""Export a filtered range of the audit log as CSV or JSON Lines, streamed, and audited."""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from audit.exporting import FORMATS
from audit.search import EventFilter, EventFilterForm, filtered_events, iterate
from audit.services.reads import audit_exported
from ccplatform.callers import Caller, Via

OPERATOR = Caller.system("audit_export command", via=Via.COMMAND)
# Command-line option → EventFilterForm field.
FILTER_OPTIONS = {
    "--actor": "actor",
    "--customer": "customer",
    "--action": "action",
    "--outcome": "outcome",
    "--since": "since",
    "--until": "until",
    "--request-id": "request_id",
}
FILE_MODE = 0o600


def option_errors(form: EventFilterForm) -> str:
    """`--since: Enter a valid date/time.` for each invalid option, one per line."""
    option_of = {field: option for option, field in FILTER_OPTIONS.items()}
    return "\n".join(
        f"{option_of.get(field, '--' + field)}: {' '.join(str(message) for message in messages)}"
        for field, messages in form.errors.items()
    )


def write_atomically(path: Path, lines: Iterable[str]) -> int:
    """Write `lines` to a hidden temporary file beside `path` (mode 0600), fsync, then rename
    it to `path`, so a half-written export never sits under the name of a finished one.
    Returns the number of lines written."""
    descriptor, temporary = tempfile.mkstemp(
        dir=path.parent, prefix=f".{path.name}.", suffix=".part"
    )
    try:
        os.fchmod(descriptor, FILE_MODE)
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="") as out:
            count = write_lines(out.write, lines)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return count


def write_lines(write: Callable[[str], object], lines: Iterable[str]) -> int:
    count = 0
    for line in lines:
        write(line)
        count += 1
    return count


class Command(BaseCommand):
    help = (
        "Export audit events (newest first) as CSV (safe to open in a spreadsheet) or JSON "
        "Lines, with the same filters as the audit search. Streams with constant memory; a "
        "file is written under a temporary name (mode 0600) and renamed when complete. The "
        "export itself is recorded in the audit log."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--format", required=True, choices=sorted(FORMATS))
        parser.add_argument(
            "--output", metavar="FILE", help="where to write (default: standard output)"
        )
        form = EventFilterForm()
        for option, field in FILTER_OPTIONS.items():
            parser.add_argument(option, dest=field, help=str(form.fields[field].help_text or ""))

    def handle(self, *args: Any, **options: Any) -> None:
        event_filter = self._filter(options)
        fmt = options["format"]
        output = options["output"]
        path = Path(output).expanduser().absolute() if output and output != "-" else None
        if path is not None and not path.parent.is_dir():
            raise CommandError(f"--output: the folder {path.parent} does not exist.")
        audit_exported(caller=OPERATOR, event_filter=event_filter, fmt=fmt)
        _content_type, to_lines = FORMATS[fmt]
        lines = to_lines(iterate(filtered_events(event_filter)))
        if path is None:
            try:
                write_lines(lambda line: self.stdout.write(line, ending=""), lines)
            except BrokenPipeError:
                # The reader went away (`| head`): stop quietly, as command-line tools do.
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
                raise CommandError("Standard output was closed before the export ended.") from None
            return
        try:
            count = write_atomically(path, lines)
        except OSError as error:
            raise CommandError(
                f"--output: cannot write {path}: {error.strerror or error}."
            ) from None
        events = count - 1 if fmt == "csv" else count
        self.stderr.write(f"Exported {events} event(s) to {path}.")

    def _filter(self, options: dict[str, Any]) -> EventFilter:
        data = {
            field: options[field]
            for field in FILTER_OPTIONS.values()
            if options.get(field) is not None
        }
        form = EventFilterForm(data=data)
        if not form.is_valid():
            raise CommandError(option_errors(form))
        return EventFilter.from_form(form)
