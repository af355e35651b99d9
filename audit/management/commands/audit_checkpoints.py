"""Export the signed checkpoints, or check an exported file against the database."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from audit.checkpoints import ExportFormatError, export_lines, parse_export, signature_valid
from audit.models import AuditEvent, Checkpoint


class Command(BaseCommand):
    help = (
        "--export FILE writes every signed checkpoint as JSON Lines (keep the file off this "
        "machine); --check FILE compares an exported file with the events in the database, "
        "which catches a rewrite of the whole log, checkpoint table included."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        action = parser.add_mutually_exclusive_group(required=True)
        action.add_argument("--export", metavar="FILE", help="write checkpoints here ('-': stdout)")
        action.add_argument("--check", metavar="FILE", help="check an exported file")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["export"]:
            self._export(options["export"])
        else:
            self._check(Path(options["check"]))

    def _export(self, target: str) -> None:
        lines = export_lines(Checkpoint.objects.order_by("chain", "seq").iterator())
        count = 0
        if target == "-":
            for count, line in enumerate(lines, start=1):  # noqa: B007 - count is reported
                self.stdout.write(line)
        else:
            path = Path(target)
            try:
                with path.open("w", encoding="utf-8") as handle:
                    for count, line in enumerate(lines, start=1):  # noqa: B007
                        handle.write(line + "\n")
            except OSError as error:
                raise CommandError(f"cannot write {path}: {error.strerror}") from None
        self.stderr.write(f"exported {count} checkpoint(s)")

    def _check(self, path: Path) -> None:
        try:
            with path.open(encoding="utf-8") as handle:
                exported = list(parse_export(handle))
        except OSError as error:
            raise CommandError(f"cannot read {path}: {error.strerror}") from None
        except ExportFormatError as error:
            raise CommandError(f"{path}: {error}") from None
        problems = []
        for checkpoint in exported:
            stored = (
                AuditEvent.objects.filter(chain=checkpoint.chain, seq=checkpoint.seq)
                .values_list("hash", flat=True)
                .first()
            )
            where = f"chain {checkpoint.chain} seq {checkpoint.seq}"
            if not signature_valid(checkpoint):
                problems.append(f"{where}: the exported signature is invalid for this key ring")
            elif stored is None:
                problems.append(f"{where}: the event is gone")
            elif stored != checkpoint.hash:
                problems.append(f"{where}: the event differs from the exported checkpoint")
        for problem in problems:
            self.stdout.write(problem)
        if problems:
            raise CommandError(f"{len(problems)} of {len(exported)} checkpoint(s) do not match")
        self.stdout.write(f"all {len(exported)} exported checkpoint(s) match the log")
