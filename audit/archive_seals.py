"""The seals of audit archives, and where verification resumes after dropped ranges."""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass

from django.conf import settings

from audit.chaining import utc_text
from audit.models import AuditArchive
from audit.models.chains import GENESIS_HASH
from ccplatform.crypto.keyring import KeyRing, KeyRingError


def _ring() -> KeyRing:
    ring: KeyRing = settings.AUDIT_CHECKPOINT_KEYRING
    return ring


def _manifest(archive: AuditArchive) -> str:
    return json.dumps(
        {
            "before": utc_text(archive.before),
            "chains": archive.chains,
            "event_count": archive.event_count,
            "file_name": archive.file_name,
            "file_sha256": archive.file_sha256,
        },
        sort_keys=True,
        separators=(",", ":"),
    )


def seal_signature(archive: AuditArchive, version: str) -> str:
    message = f"ccplatform audit archive\n{_manifest(archive)}".encode()
    return hmac.new(_ring().key(version), message, hashlib.sha256).hexdigest()


def seal_valid(archive: AuditArchive) -> bool:
    try:
        return hmac.compare_digest(seal_signature(archive, archive.key_version), archive.seal)
    except KeyRingError:
        return False


# --- Where chains start once ranges are dropped -------------------------------------------


@dataclass(frozen=True)
class ArchivedStarts:
    """Per chain, the last archived link (seq, hash) verification resumes after."""

    starts: dict[int, tuple[int, str]]
    forged: list[AuditArchive]


def archived_starts() -> ArchivedStarts:
    starts: dict[int, tuple[int, str]] = {}
    forged = []
    for archive in AuditArchive.objects.filter(dropped_at__isnull=False).order_by("created_at"):
        if not seal_valid(archive):
            forged.append(archive)
            continue
        for chain, (_first, last, last_hash) in archive.chains.items():
            if last > starts.get(int(chain), (0, GENESIS_HASH))[0]:
                starts[int(chain)] = (last, last_hash)
    return ArchivedStarts(starts, forged)
