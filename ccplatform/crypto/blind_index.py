"""Blind indexes: keyed HMAC-SHA256 digests of normalised values, for exact-match search.

The digest reveals nothing without the blind-index key (which is separate from the
encryption keys), yet equal inputs give equal digests, so an indexed column finds a customer
by phone, email or account number without decrypting anything. Each digest is stored with
the key version that made it, so the key can be rotated by recomputing.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable
from enum import StrEnum

import phonenumbers
from django.conf import settings

from ccplatform.crypto.keyring import KeyRing


class LookupKind(StrEnum):
    PHONE = "phone"
    EMAIL = "email"
    ACCOUNT_NUMBER = "account_number"


class NormalisationError(ValueError):
    """The value is not a valid phone number, email address or account number."""


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def normalise_phone(value: str) -> str:
    """E.164 (+15551234567); national numbers use PHONE_DEFAULT_REGION."""
    try:
        number = phonenumbers.parse(value, settings.PHONE_DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        raise NormalisationError("Enter a valid phone number, e.g. +1 555 123 4567.") from None
    if not phonenumbers.is_possible_number(number):
        raise NormalisationError("Enter a valid phone number, e.g. +1 555 123 4567.")
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


def normalise_email(value: str) -> str:
    folded = value.strip().casefold()
    if not _EMAIL.match(folded):
        raise NormalisationError("Enter a valid email address.")
    return folded


def normalise_account_number(value: str) -> str:
    digits = "".join(char for char in value if char.isdigit())
    if not 4 <= len(digits) <= 34:
        raise NormalisationError("An account number has 4 to 34 digits.")
    return digits


NORMALISERS: dict[LookupKind, Callable[[str], str]] = {
    LookupKind.PHONE: normalise_phone,
    LookupKind.EMAIL: normalise_email,
    LookupKind.ACCOUNT_NUMBER: normalise_account_number,
}


def normalise(kind: LookupKind, value: str) -> str:
    return NORMALISERS[kind](value)


def digest(kind: LookupKind, normalised: str, *, ring: KeyRing, version: str) -> str:
    """Hex HMAC-SHA256 of an already normalised value under one key version."""
    message = f"{kind}:{normalised}".encode()
    return hmac.new(ring.key(version), message, hashlib.sha256).hexdigest()


def blind_index(kind: LookupKind, value: str, *, version: str | None = None) -> tuple[str, str]:
    """(key version, digest) of `value` under the active (or given) blind-index key."""
    ring: KeyRing = settings.BLIND_INDEX_KEYRING
    use = version or ring.active
    return use, digest(kind, normalise(kind, value), ring=ring, version=use)


def blind_index_normalised(kind: LookupKind, normalised: str) -> tuple[str, str]:
    """(active key version, digest) of a value already normalised: callers that checked the
    value (normalising it) need not parse it again (phone parsing is the dear part)."""
    ring: KeyRing = settings.BLIND_INDEX_KEYRING
    return ring.active, digest(kind, normalised, ring=ring, version=ring.active)


def search_digests(kind: LookupKind, value: str) -> list[str]:
    """Digests of `value` under every key version, so search works during a key rotation."""
    ring: KeyRing = settings.BLIND_INDEX_KEYRING
    normalised = normalise(kind, value)
    return [digest(kind, normalised, ring=ring, version=version) for version in ring.keys]
