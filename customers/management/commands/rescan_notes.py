"""Re-scan stored notes and interaction summaries for card data (retroactive redaction)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ccplatform.callers import Caller, Via
from ccplatform.errors import ServiceError
from ccplatform.redaction import CARD_SCANNER_VERSION
from customers.services.rescan import DEFAULT_BATCH_SIZE, RescanProgress, notes_rescan

OPERATOR = Caller.system("rescan_notes", via=Via.COMMAND)


class Command(BaseCommand):
    help = (
        "Decrypt every note and interaction summary not yet scanned by the current card-data "
        f"scanner (version {CARD_SCANNER_VERSION}), mask card numbers and remove CVVs and expiry "
        "dates next to them, and re-encrypt the rows that changed. Runs in batches with "
        "progress, one audit event per batch; resumable: rows already scanned are skipped. "
        "Exits non-zero if some rows failed their integrity check."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--batch-size",
            type=int,
            default=DEFAULT_BATCH_SIZE,
            help=f"rows per batch (one transaction, one audit event; default {DEFAULT_BATCH_SIZE})",
        )
        parser.add_argument(
            "--max-batches",
            type=int,
            default=None,
            help="stop after this many batches of each kind (run again to continue)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        def show(progress: RescanProgress) -> None:
            self.stdout.write(progress.line())

        try:
            reports = notes_rescan(
                caller=OPERATOR,
                batch_size=options["batch_size"],
                max_batches=options["max_batches"],
                progress=show,
            )
        except ServiceError as error:
            problems = [problem for items in error.fields.values() for problem in items]
            raise CommandError(" ".join([error.message, *problems])) from None
        for report in reports:
            left = report.total - report.scanned
            state = "done" if left <= 0 else f"{left} left for the next run"
            self.stdout.write(
                self.style.SUCCESS(
                    f"{report.kind}: {state}; {report.scanned} scanned, {report.redacted} "
                    f"redacted ({report.cards} card numbers masked, {report.removed} CVVs or "
                    "expiry dates removed)"
                )
            )
        failed = sum(report.failed for report in reports)
        if failed:
            raise CommandError(
                f"{failed} rows failed their integrity check and were not re-scanned; they are "
                "recorded as customer.integrity_failed in the audit log."
            )
