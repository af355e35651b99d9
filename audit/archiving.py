"""Retention of the audit log itself: what sealing writes and checks (the services that seal
and drop are in audit.services.archives).

Rows are never deleted one by one. An archive is made in two steps, run by an operator:

1. `seal`: verify every chain, then write the events that happened before a date (for each
   chain the longest run of links from the previous archive's end that are all older) to a
   JSON Lines file with every column, canonical text and hash, and store a manifest: per
   chain the first and last link and the last hash, the file's sha256, all sealed with an
   HMAC under the checkpoint key ring. Only ranges older than AUDIT_HOT_DAYS can be sealed.
2. `drop`: once the file is stored elsewhere (WORM storage, kept until AUDIT_RETENTION_DAYS),
   re-hash it, and in one transaction run as the table's owner delete each chain's sealed
   range with a single statement. Verification then starts each chain at the sealed last
   link, so the chains stay provable across the cut, and `check_file` re-verifies the file.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection
from django.utils import timezone

from audit.archive_seals import archived_starts, seal_valid
from audit.chaining import link_hash
from audit.exporting import event_record
from audit.models import AuditArchive, AuditEvent
from audit.models.chains import GENESIS_HASH
from ccplatform.errors import ServiceError

FETCH_SIZE = 5000


class ArchiveError(ServiceError):
    """Sealing, dropping or checking an archive was refused; the message says why."""


# --- Sealing ------------------------------------------------------------------------------


def _boundaries(before: datetime, after: dict[int, tuple[int, str]]) -> dict[int, int]:
    """Per chain, the last link of the run of links older than `before` (after `after`)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT chain, MIN(CASE WHEN occurred_at >= %s THEN seq END), MAX(seq) "
            "FROM audit_auditevent GROUP BY chain",
            [before],
        )
        rows = cursor.fetchall()
    boundaries = {}
    for chain, first_newer, last in rows:
        end = (first_newer - 1) if first_newer is not None else last
        if end > after.get(chain, (0, GENESIS_HASH))[0]:
            boundaries[chain] = end
    return boundaries


def _archived_rows(
    boundaries: dict[int, int], after: dict[int, tuple[int, str]]
) -> Iterator[AuditEvent]:
    for chain in sorted(boundaries):
        start = after.get(chain, (0, GENESIS_HASH))[0]
        yield from (
            AuditEvent.objects.filter(chain=chain, seq__gt=start, seq__lte=boundaries[chain])
            .order_by("seq")
            .iterator(chunk_size=FETCH_SIZE)
        )


@dataclass(frozen=True)
class SealedFile:
    """What was written: the file's name and sha256, per chain [first, last, last hash]."""

    file_name: str
    sha256: str
    chains: dict[str, list[Any]]
    event_count: int


def plan_range(before: datetime) -> tuple[dict[int, tuple[int, str]], dict[int, int]]:
    """Where each chain's archived part ends now, and where the new range would end."""
    hot_limit = timezone.now() - timedelta(days=settings.AUDIT_HOT_DAYS)
    if before > hot_limit:
        raise ArchiveError(
            f"Only events older than AUDIT_HOT_DAYS ({settings.AUDIT_HOT_DAYS} days) can be "
            f"archived: choose a date before {hot_limit:%Y-%m-%d}."
        )
    previous = archived_starts().starts
    return previous, _boundaries(before, previous)


def write_file(
    *,
    before: datetime,
    directory: Path,
    previous: dict[int, tuple[int, str]],
    boundaries: dict[int, int],
) -> SealedFile:
    """Write the range to a new file in `directory` (never overwriting one), synced to disk."""
    file_name = f"audit-archive-{before:%Y%m%d}-{timezone.now():%Y%m%dT%H%M%S}.jsonl"
    digest = hashlib.sha256()
    chains: dict[str, list[Any]] = {}
    count = 0
    fd = os.open(directory / file_name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        for event in _archived_rows(boundaries, previous):
            line = archive_line(event)
            handle.write(line)
            digest.update(line.encode())
            entry = chains.setdefault(str(event.chain), [event.seq, event.seq, event.hash])
            entry[1:] = [event.seq, event.hash]
            count += 1
        handle.flush()
        os.fsync(handle.fileno())
    return SealedFile(file_name, digest.hexdigest(), chains, count)


def archive_line(event: AuditEvent) -> str:
    record: dict[str, Any] = {
        **event_record(event),
        "prev_hash": event.prev_hash,
        "canonical": event.canonical,
    }
    return json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"


# --- Checking a file --------------------------------------------------------------------


def check_file(archive: AuditArchive, path: Path) -> None:
    """The file is the one sealed, and its links chain from one to the next."""
    if not seal_valid(archive):
        raise ArchiveError("This archive's seal is invalid: its manifest was changed.")
    digest = hashlib.sha256()
    last: dict[str, tuple[int, str]] = {}
    try:
        with path.open(encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                digest.update(line.encode())
                event = json.loads(line)
                chain = str(event["chain"])
                seq, prev = last.get(chain, (archive.chains[chain][0] - 1, event["prev_hash"]))
                if (
                    event["seq"] != seq + 1
                    or event["prev_hash"] != prev
                    or event["hash"]
                    != (
                        link_hash(
                            event["prev_hash"], event["chain"], event["seq"], event["canonical"]
                        )
                    )
                ):
                    raise ArchiveError(f"{path}: line {number} breaks chain {chain}.")
                last[chain] = (event["seq"], event["hash"])
    except OSError as error:
        raise ArchiveError(f"Cannot read {path}: {error.strerror}.") from None
    except (ValueError, KeyError, TypeError):
        raise ArchiveError(f"{path} is not an audit archive file.") from None
    if digest.hexdigest() != archive.file_sha256:
        raise ArchiveError(f"{path} is not the sealed file: its sha256 differs.")
    ends = {chain: [entry[1], entry[2]] for chain, entry in archive.chains.items()}
    if {chain: [seq, hash_] for chain, (seq, hash_) in last.items()} != ends:
        raise ArchiveError(f"{path} does not end where the sealed manifest says.")
