"""Sealing a range of the audit log into a file, and dropping a sealed range from the table.

Rows are never deleted one by one. An archive is made in two steps, run by an operator
(`manage.py audit_archive`, the system caller):

1. `archive_seal`: verify every chain (a break raises its alert, and nothing is sealed),
   then write the events that happened before a date (for each chain the longest run of
   links from the previous archive's end that are all older) to a JSON Lines file with
   every column, canonical text and hash, and store a manifest: per chain the first and
   last link and the last hash, the file's sha256, all sealed with an HMAC under the
   checkpoint key ring. Only ranges older than AUDIT_HOT_DAYS can be sealed.
2. `archive_drop`: once the file is stored elsewhere (WORM storage, kept until
   AUDIT_RETENTION_DAYS), re-hash it, and in one transaction run as the table's owner
   delete each chain's sealed range with a single statement. Verification then starts each
   chain at the sealed last link, so the chains stay provable across the cut, and
   `audit.archiving.check_file` re-verifies the file.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from audit.actions import AUDIT_ARCHIVE_DROPPED, AUDIT_ARCHIVE_SEALED
from audit.archive_seals import seal_signature
from audit.archiving import ArchiveError, check_file, plan_range, write_file
from audit.models import AuditArchive
from audit.permissions import can_archive
from audit.services.recording import audit_record
from audit.services.verification import LOG, audit_verify
from audit.triggers import append_only_lifted
from ccplatform.callers import Caller
from ccplatform.gate import require


def archive_seal(*, caller: Caller, before: datetime, directory: Path) -> AuditArchive:
    """Write the range before `before` to a file in `directory` and record its sealed manifest."""
    require(caller, can_archive(caller), resource=LOG)
    previous, boundaries = plan_range(before)
    if not directory.is_dir():
        raise ArchiveError(f"{directory} is not a folder.")
    if not audit_verify(caller=caller, full=True, trigger="archive").ok:
        raise ArchiveError(
            "The audit log does not verify (an alert was raised): run `audit_verify` and fix "
            "that first."
        )
    if not boundaries:
        raise ArchiveError(f"Nothing before {before:%Y-%m-%d} is left to archive.")
    written = write_file(
        before=before, directory=directory, previous=previous, boundaries=boundaries
    )
    version = settings.AUDIT_CHECKPOINT_KEYRING.active
    with transaction.atomic():
        archive = AuditArchive(
            created_at=timezone.now(),
            before=before,
            file_name=written.file_name,
            file_sha256=written.sha256,
            event_count=written.event_count,
            chains=written.chains,
            key_version=version,
        )
        archive.seal = seal_signature(archive, version)
        archive.save()
        audit_record(
            actor=caller.actor,
            action=AUDIT_ARCHIVE_SEALED,
            target=archive,
            details={
                "events": written.event_count,
                "chains": len(written.chains),
                "before": before.isoformat(),
            },
        )
    return archive


def archive_drop(archive: AuditArchive, *, caller: Caller, path: Path) -> int:
    """Delete the sealed range from the table (one statement per chain); returns rows gone."""
    require(caller, can_archive(caller), resource=archive)
    if archive.dropped_at is not None:
        raise ArchiveError("This archive's range was dropped already.")
    check_file(archive, path)
    deleted = 0
    try:
        with transaction.atomic():
            with append_only_lifted(connection), connection.cursor() as cursor:
                for chain, (first, last, _hash) in sorted(archive.chains.items()):
                    cursor.execute(
                        "DELETE FROM audit_auditevent WHERE chain = %s AND seq BETWEEN %s AND %s",
                        [int(chain), first, last],
                    )
                    deleted += cursor.rowcount
            if deleted != archive.event_count:
                raise ArchiveError(
                    f"The table holds {deleted} of the {archive.event_count} sealed events: "
                    "nothing was dropped."
                )
            AuditArchive.objects.filter(pk=archive.pk).update(dropped_at=timezone.now())
            audit_record(
                actor=caller.actor,
                action=AUDIT_ARCHIVE_DROPPED,
                target=archive,
                details={"events": deleted, "file_sha256": archive.file_sha256},
            )
    except DatabaseError as error:
        raise ArchiveError(
            "The database refused to drop the range; run this as the owner of the audit "
            f"table (the application's role may only SELECT and INSERT): {error}"
        ) from None
    archive.refresh_from_db()
    return deleted
