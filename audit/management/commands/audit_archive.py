"""Archive old ranges of the audit log: seal to a file, check the file, drop the range."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from audit.archiving import ArchiveError, check_file
from audit.models import AuditArchive
from audit.services.archives import archive_drop, archive_seal
from ccplatform.callers import Caller, Via

OPERATOR = Caller.system("audit_archive command", via=Via.COMMAND)


def _date(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--before {value!r} is not a date such as 2026-01-01") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


class Command(BaseCommand):
    help = (
        "Retention of the audit log itself. `seal --before DATE --output DIR` writes the events "
        "older than DATE (and AUDIT_HOT_DAYS) to a sealed file; `check ID --file F` re-verifies "
        "a file; `drop ID --file F`, run as the table owner after the file is stored safely, "
        "removes the sealed range in one statement per chain; `list` shows the archives."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        steps = parser.add_subparsers(dest="step", required=True)
        sealing = steps.add_parser("seal", help="write a range to a sealed file")
        sealing.add_argument("--before", required=True, help="date (UTC), e.g. 2026-01-01")
        sealing.add_argument("--output", required=True, help="folder for the archive file")
        for name in ("check", "drop"):
            step = steps.add_parser(name, help=f"{name} an archive's file / range")
            step.add_argument("archive", type=int, help="archive id (see `list`)")
            step.add_argument("--file", required=True, help="the archive's file")
        steps.add_parser("list", help="list the archives")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            self._run(options)
        except ArchiveError as error:
            raise CommandError(str(error)) from None

    def _archive(self, archive_id: int) -> AuditArchive:
        archive = AuditArchive.objects.filter(pk=archive_id).first()
        if archive is None:
            raise CommandError(f"There is no archive {archive_id} (see `audit_archive list`).")
        return archive

    def _run(self, options: dict[str, Any]) -> None:
        step = options["step"]
        if step == "seal":
            archive = archive_seal(
                caller=OPERATOR,
                before=_date(options["before"]),
                directory=Path(options["output"]),
            )
            self.stdout.write(
                f"archive {archive.pk}: {archive.event_count} events on {len(archive.chains)} "
                f"chains sealed in {Path(options['output']) / archive.file_name} "
                f"(sha256 {archive.file_sha256}). Store the file off this machine, then run "
                f"`audit_archive drop {archive.pk} --file ...` as the table owner."
            )
        elif step == "check":
            archive = self._archive(options["archive"])
            check_file(archive, Path(options["file"]))
            self.stdout.write(f"{options['file']} is archive {archive.pk}, intact.")
        elif step == "drop":
            archive = self._archive(options["archive"])
            deleted = archive_drop(archive, caller=OPERATOR, path=Path(options["file"]))
            self.stdout.write(f"archive {archive.pk}: {deleted} events dropped from the table.")
        else:
            for archive in AuditArchive.objects.order_by("created_at"):
                state = (
                    f"dropped {archive.dropped_at:%Y-%m-%d}"
                    if archive.dropped_at
                    else "in the table"
                )
                self.stdout.write(
                    f"{archive.pk}: before {archive.before:%Y-%m-%d}, {archive.event_count} "
                    f"events, {archive.file_name}, {state}"
                )
