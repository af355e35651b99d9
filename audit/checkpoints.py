"""Signed checkpoints of chain heads: HMAC-SHA256 with the checkpoint key ring.

A checkpoint says "on this date, link `seq` of chain `chain` had hash `hash`", signed with a
key the database never sees. Whoever rewrites the whole event table (and recomputes every
hash) cannot forge these; exporting them off the machine (`manage.py audit_checkpoints
--export`) also covers a rewrite of the checkpoint table itself.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.conf import settings
from django.db.models import OuterRef, Subquery

from audit.models import Checkpoint
from ccplatform.crypto.keyring import KeyRing, KeyRingError


def _ring() -> KeyRing:
    ring: KeyRing = settings.AUDIT_CHECKPOINT_KEYRING
    return ring


def signature(chain: int, seq: int, hash_: str, *, version: str) -> str:
    message = f"ccplatform audit checkpoint\n{chain}\n{seq}\n{hash_}".encode()
    return hmac.new(_ring().key(version), message, hashlib.sha256).hexdigest()


def signature_valid(checkpoint: Checkpoint | ExportedCheckpoint) -> bool:
    try:
        expected = signature(
            checkpoint.chain, checkpoint.seq, checkpoint.hash, version=checkpoint.key_version
        )
    except KeyRingError:
        return False  # signed with a key version this key ring does not hold
    return hmac.compare_digest(expected, checkpoint.signature)


def latest_checkpoints() -> dict[int, Checkpoint]:
    """The newest checkpoint of each chain."""
    newest_seq = (
        Checkpoint.objects.filter(chain=OuterRef("chain")).order_by("-seq").values("seq")[:1]
    )
    return {
        checkpoint.chain: checkpoint
        for checkpoint in Checkpoint.objects.filter(seq=Subquery(newest_seq))
    }


# --- Export and re-check of exported checkpoints -------------------------------------------


@dataclass(frozen=True)
class ExportedCheckpoint:
    created_at: str
    chain: int
    seq: int
    hash: str
    event_id: int
    key_version: str
    signature: str


def export_lines(checkpoints: Iterable[Checkpoint]) -> Iterator[str]:
    """One JSON line per checkpoint, oldest first within each chain."""
    for checkpoint in checkpoints:
        yield json.dumps(
            {
                "created_at": checkpoint.created_at.isoformat(),
                "chain": checkpoint.chain,
                "seq": checkpoint.seq,
                "hash": checkpoint.hash,
                "event_id": checkpoint.event_id,
                "key_version": checkpoint.key_version,
                "signature": checkpoint.signature,
            },
            separators=(",", ":"),
        )


class ExportFormatError(ValueError):
    """A line of an exported checkpoint file is not a checkpoint; the message says which."""


def parse_export(lines: Iterable[str]) -> Iterator[ExportedCheckpoint]:
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            yield ExportedCheckpoint(
                created_at=str(data["created_at"]),
                chain=int(data["chain"]),
                seq=int(data["seq"]),
                hash=str(data["hash"]),
                event_id=int(data["event_id"]),
                key_version=str(data["key_version"]),
                signature=str(data["signature"]),
            )
        except (ValueError, KeyError, TypeError):
            raise ExportFormatError(f"line {number} is not an exported checkpoint") from None
