"""Key-encryption-key (KEK) providers: they wrap and unwrap the per-subject data keys.

Models and services only see `KeyProvider`; the local provider uses the key ring from the
settings. A KMS or Vault transit provider implements the same three members.
"""

from __future__ import annotations

import base64
import binascii
import os
from dataclasses import dataclass
from functools import cache
from typing import Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.utils.module_loading import import_string

from ccplatform.crypto.keyring import KeyRing

NONCE_BYTES = 12


class DecryptionError(Exception):
    """A value or key failed its integrity check: wrong key, tampered, or moved elsewhere."""


@dataclass(frozen=True)
class WrappedKey:
    """A data key encrypted under one KEK version."""

    kek_version: str
    blob: str


class KeyProvider(Protocol):
    @property
    def active_version(self) -> str: ...

    def wrap(self, data_key: bytes, *, context: str) -> WrappedKey: ...

    def unwrap(self, wrapped: WrappedKey, *, context: str) -> bytes: ...


class LocalKeyProvider:
    """AES-256-GCM key wrapping with the KEKs of the settings' key ring.

    `context` (the subject the key belongs to) is bound as associated data, so a wrapped
    key copied to another subject does not unwrap.
    """

    def __init__(self, ring: KeyRing) -> None:
        self.ring = ring
        self._keks: dict[str, AESGCM] = {}  # built once per version: every read unwraps

    def _kek(self, version: str) -> AESGCM:
        if version not in self._keks:
            self._keks[version] = AESGCM(self.ring.key(version))
        return self._keks[version]

    @property
    def active_version(self) -> str:
        return self.ring.active

    def wrap(self, data_key: bytes, *, context: str) -> WrappedKey:
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._kek(self.ring.active).encrypt(nonce, data_key, context.encode())
        blob = base64.b64encode(nonce + sealed).decode()
        return WrappedKey(kek_version=self.ring.active, blob=blob)

    def unwrap(self, wrapped: WrappedKey, *, context: str) -> bytes:
        try:
            raw = base64.b64decode(wrapped.blob, validate=True)
            kek = self._kek(wrapped.kek_version)
            return kek.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], context.encode())
        except (InvalidTag, binascii.Error, ValueError) as error:
            raise DecryptionError(f"data key for {context} failed its integrity check") from error


@cache
def key_provider() -> KeyProvider:
    """The configured provider (FIELD_ENCRYPTION_PROVIDER), built once per process."""
    factory = import_string(settings.FIELD_ENCRYPTION_PROVIDER)
    provider: KeyProvider = factory(settings.FIELD_ENCRYPTION_KEYRING)
    return provider
