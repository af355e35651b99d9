"""Load customers into a team from a CSV or JSON Lines file (streamed, batched, audited)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.selectors import team_named
from ccplatform.callers import Caller, Via
from ccplatform.errors import ServiceError
from customers.fields import FIELDS
from customers.services.importing import (
    DEFAULT_BATCH_SIZE,
    FORMATS,
    LIST_SEPARATOR,
    ImportFileError,
    ImportReport,
    customers_import,
    format_for,
    read_rows,
)

OPERATOR = Caller.system("import_customers", via=Via.COMMAND)
# Row errors printed; the count of the rest is printed after them.
MAX_PRINTED_ERRORS = 50


class Command(BaseCommand):
    help = (
        "Load customers into a team from a CSV file (header naming the columns: "
        f"{', '.join(FIELDS)}; several phones, emails or addresses in one cell separated by "
        f"'{LIST_SEPARATOR}') or a JSON Lines file (one object per line, lists as arrays). "
        "Each bad row is reported with its line number; by default the good rows are loaded, "
        "with --all-or-nothing nothing is loaded if any row is bad. Exits non-zero if any "
        "row was rejected."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the file to load (.csv, .jsonl or .ndjson)")
        parser.add_argument("--team", required=True, help="the team (queue) the customers join")
        parser.add_argument(
            "--format", choices=FORMATS, help="the file format (default: from the extension)"
        )
        parser.add_argument(
            "--all-or-nothing",
            action="store_true",
            help="load nothing if any row is bad (default: load the good rows)",
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=DEFAULT_BATCH_SIZE,
            help=f"rows saved (and audited) together (default {DEFAULT_BATCH_SIZE})",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        team = team_named(options["team"])
        if team is None:
            raise CommandError(f"There is no team named {options['team']!r}.")
        try:
            fmt = format_for(path, options["format"])
        except ServiceError as error:
            raise CommandError(error.message) from None
        try:
            source = path.open("rb")  # decoded line by line, to report bad bytes by line
        except OSError as error:
            raise CommandError(f"Cannot open {path}: {error.strerror}.") from None
        verbose = options["verbosity"] >= 2
        with source:
            try:
                report = customers_import(
                    caller=OPERATOR,
                    team=team,
                    rows=read_rows(fmt, source),
                    all_or_nothing=options["all_or_nothing"],
                    batch_size=options["batch_size"],
                    progress=self._progress if verbose else None,
                )
            except ImportFileError as error:
                if error.report is not None:
                    self._print_errors(error.report)
                    self.stdout.write(error.report.summary() + ", then stopped.")
                raise CommandError(f"{path}: {error.message}") from None
            except ServiceError as error:
                raise CommandError(error.message) from None
        self._print_errors(report)
        self.stdout.write(report.summary())
        if report.rejected:
            what = "nothing was loaded" if report.rolled_back else "the other rows were loaded"
            raise CommandError(f"{report.rejected} rows were rejected ({what}); see above.")

    def _progress(self, report: ImportReport) -> None:
        self.stdout.write(
            f"batch {report.batches}: loaded {report.loaded}, rejected {report.rejected}"
        )

    def _print_errors(self, report: ImportReport) -> None:
        for error in report.errors[:MAX_PRINTED_ERRORS]:
            self.stderr.write(error.describe())
        hidden = report.rejected - min(len(report.errors), MAX_PRINTED_ERRORS)
        if hidden > 0:
            self.stderr.write(f"... and {hidden} more rejected rows.")
