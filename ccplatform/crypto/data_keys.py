"""Data keys per subject, kept wrapped on the subject's row (ccplatform.models.DataKeyFields):
create, unwrap, re-wrap."""

from __future__ import annotations

import os

from django.utils import timezone

from ccplatform.crypto.providers import WrappedKey, key_provider
from ccplatform.models import DataKeyFields

DATA_KEY_BYTES = 32


def data_key_new(subject: DataKeyFields) -> bytes:
    """Give the unsaved `subject` a new random data key, wrapped; returns the plain key.

    The wrapped key is saved with the subject's row (bulk import saves many at once), so
    the subject's primary key must be set already: the wrapping is bound to it.
    """
    plain = os.urandom(DATA_KEY_BYTES)
    wrapped = key_provider().wrap(plain, context=subject.data_key_subject)
    subject.data_key_kek_version, subject.data_key_wrapped = wrapped.kek_version, wrapped.blob
    return plain


def data_key_unwrap(subject: DataKeyFields) -> bytes:
    """The plaintext data key (raises DecryptionError if the wrapping was tampered with,
    moved from another subject, or shredded)."""
    return key_provider().unwrap(
        WrappedKey(kek_version=subject.data_key_kek_version, blob=subject.data_key_wrapped),
        context=subject.data_key_subject,
    )


def data_key_rewrap(subject: DataKeyFields) -> bool:
    """Wrap the key again under the active KEK and save that; False if it already was."""
    provider = key_provider()
    if subject.data_key_kek_version == provider.active_version:
        return False
    plain = data_key_unwrap(subject)
    wrapped = provider.wrap(plain, context=subject.data_key_subject)
    subject.data_key_kek_version, subject.data_key_wrapped = wrapped.kek_version, wrapped.blob
    subject.data_key_rewrapped_at = timezone.now()
    subject.save(
        update_fields=["data_key_kek_version", "data_key_wrapped", "data_key_rewrapped_at"]
    )
    return True
