"""Data keys per subject: create, unwrap (cached for one object), re-wrap, shred."""

from __future__ import annotations

import os

from django.utils import timezone

from ccplatform.crypto.providers import WrappedKey, key_provider
from ccplatform.models import DataKey

DATA_KEY_BYTES = 32


def data_key_build(subject: str) -> tuple[DataKey, bytes]:
    """A new random data key for `subject`, wrapped but not saved (bulk import saves many
    rows with one bulk_create); returns the unsaved row and the key."""
    plain = os.urandom(DATA_KEY_BYTES)
    wrapped = key_provider().wrap(plain, context=subject)
    row = DataKey(subject=subject, kek_version=wrapped.kek_version, wrapped=wrapped.blob)
    return row, plain


def data_key_create(subject: str) -> tuple[DataKey, bytes]:
    """A new random data key for `subject`, stored wrapped; returns the row and the key."""
    row, plain = data_key_build(subject)
    row.save(force_insert=True)
    return row, plain


def data_key_unwrap(row: DataKey) -> bytes:
    """The plaintext data key (raises DecryptionError if the wrapping was tampered with)."""
    return key_provider().unwrap(
        WrappedKey(kek_version=row.kek_version, blob=row.wrapped), context=row.subject
    )


def data_key_rewrap(row: DataKey) -> bool:
    """Wrap the key again under the active KEK; False if it already was."""
    provider = key_provider()
    if row.kek_version == provider.active_version:
        return False
    plain = data_key_unwrap(row)
    wrapped = provider.wrap(plain, context=row.subject)
    row.kek_version, row.wrapped, row.rewrapped_at = (
        wrapped.kek_version,
        wrapped.blob,
        timezone.now(),
    )
    row.save(update_fields=["kek_version", "wrapped", "rewrapped_at"])
    return True
