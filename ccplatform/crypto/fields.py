"""Encrypt and decrypt one field value with a data key (AES-256-GCM).

Stored form: `e1.<key id>.<base64(nonce | ciphertext | tag)>` — a format version, the id of
the data key, and the sealed value. Associated data binds the value to its table, column and
row, so a value pasted into another row or column fails to decrypt (DecryptionError), never
returning the wrong plaintext. Text (base64) rather than bytea keeps Django's fast bulk
insert path.
"""

from __future__ import annotations

import base64
import binascii
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ccplatform.crypto.providers import NONCE_BYTES, DecryptionError

FORMAT = "e1"


def binding(table: str, column: str, row_id: object) -> bytes:
    """The associated data of a value: where it belongs."""
    return f"{table}|{column}|{row_id}".encode()


class ValueCipher:
    """One data key, ready to seal and open many values: its AES-GCM context is built once
    (a list page opens several values of each of its customers)."""

    def __init__(self, data_key: bytes, key_id: str) -> None:
        self._aead = AESGCM(data_key)
        self.key_id = key_id

    def seal(self, plaintext: str, *, aad: bytes) -> str:
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, plaintext.encode(), aad)
        return f"{FORMAT}.{self.key_id}.{base64.b64encode(nonce + sealed).decode()}"

    def open(self, stored: str, *, aad: bytes) -> str:
        """The plaintext of `stored` (DecryptionError if malformed, tampered, moved, or
        sealed with another data key than the one it names)."""
        _, key_id, payload = _parts(stored)
        if key_id != self.key_id:
            raise DecryptionError("the value names another data key")
        try:
            raw = base64.b64decode(payload, validate=True)
            plain = self._aead.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], aad)
        except (InvalidTag, binascii.Error, ValueError) as error:
            raise DecryptionError("stored value failed its integrity check") from error
        return plain.decode()


def _parts(stored: str) -> list[str]:
    parts = stored.split(".", 2)
    if len(parts) != 3 or parts[0] != FORMAT:
        raise DecryptionError("stored value is not in a known encrypted format")
    return parts


def key_id_of(stored: str) -> str:
    """The data key id a stored value names (raises DecryptionError if malformed)."""
    return _parts(stored)[1]


def encrypt_value(data_key: bytes, key_id: str, plaintext: str, *, aad: bytes) -> str:
    return ValueCipher(data_key, key_id).seal(plaintext, aad=aad)


def decrypt_value(data_key: bytes, stored: str, *, aad: bytes) -> str:
    return ValueCipher(data_key, key_id_of(stored)).open(stored, aad=aad)
