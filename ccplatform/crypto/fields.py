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


def encrypt_value(data_key: bytes, key_id: str, plaintext: str, *, aad: bytes) -> str:
    nonce = os.urandom(NONCE_BYTES)
    sealed = AESGCM(data_key).encrypt(nonce, plaintext.encode(), aad)
    return f"{FORMAT}.{key_id}.{base64.b64encode(nonce + sealed).decode()}"


def key_id_of(stored: str) -> str:
    """The data key id a stored value names (raises DecryptionError if malformed)."""
    parts = stored.split(".", 2)
    if len(parts) != 3 or parts[0] != FORMAT:
        raise DecryptionError("stored value is not in a known encrypted format")
    return parts[1]


def decrypt_value(data_key: bytes, stored: str, *, aad: bytes) -> str:
    key_id_of(stored)
    payload = stored.split(".", 2)[2]
    try:
        raw = base64.b64decode(payload, validate=True)
        plain = AESGCM(data_key).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], aad)
    except (InvalidTag, binascii.Error, ValueError) as error:
        raise DecryptionError("stored value failed its integrity check") from error
    return plain.decode()
