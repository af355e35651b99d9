"""Versioned keys: the field-encryption KEKs and the blind-index keys.

A key ring is read from a spec `VERSION:BASE64KEY,VERSION:BASE64KEY` (environment variable or
secret file). The embedded default generates a local file instead, with a warning: fine for
trying the platform, never for production, where the settings refuse to start without keys.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

KEY_BYTES = 32


class KeyRingError(ValueError):
    """A key ring spec or file is malformed; the message says what and where."""


@dataclass(frozen=True)
class KeyRing:
    """Keys by version; `active` is the one new data is written with."""

    keys: dict[str, bytes]
    active: str

    def __post_init__(self) -> None:
        if not self.keys:
            raise KeyRingError("the key ring is empty")
        if self.active not in self.keys:
            raise KeyRingError(f"the active key version {self.active!r} is not in the key ring")
        for version, key in self.keys.items():
            if len(key) != KEY_BYTES:
                raise KeyRingError(f"key version {version!r} is not {KEY_BYTES} bytes")

    def key(self, version: str) -> bytes:
        try:
            return self.keys[version]
        except KeyError:
            raise KeyRingError(f"key version {version!r} is not in the key ring") from None

    @property
    def active_key(self) -> bytes:
        return self.keys[self.active]

    @property
    def retired(self) -> list[str]:
        return sorted(version for version in self.keys if version != self.active)


def _decode(text: str, where: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise KeyRingError(f"{where} is not base64") from None


def parse_keyring(spec: str, active: str | None = None, *, name: str = "key ring") -> KeyRing:
    """`1:BASE64,2:BASE64` → KeyRing; the active version defaults to the highest."""
    keys: dict[str, bytes] = {}
    for part in (item.strip() for item in spec.split(",")):
        if not part:
            continue
        version, sep, encoded = part.partition(":")
        if not sep or not (version.isascii() and version.isdigit()):
            raise KeyRingError(f"{name}: each entry must be VERSION:BASE64KEY (VERSION a number)")
        version = str(int(version))  # "01" and "1" are one version, as stored rows name it
        if version in keys:
            # Silently keeping one of the two would lose the other key, and its data.
            raise KeyRingError(f"{name}: version {version} appears twice")
        keys[version] = _decode(encoded, f"{name} version {version}")
    if not keys:
        raise KeyRingError(f"{name} is empty")
    try:
        return KeyRing(keys=keys, active=active or max(keys, key=int))
    except KeyRingError as error:
        raise KeyRingError(f"{name}: {error}") from None


def new_key() -> str:
    """A fresh key, base64 (url-safe), for a key ring spec."""
    return base64.urlsafe_b64encode(secrets.token_bytes(KEY_BYTES)).decode().rstrip("=")


def format_keyring(ring: KeyRing) -> str:
    return ",".join(
        f"{version}:{base64.urlsafe_b64encode(key).decode().rstrip('=')}"
        for version, key in sorted(ring.keys.items(), key=lambda item: int(item[0]))
    )


@dataclass(frozen=True)
class LocalKeyFile:
    """The embedded default's key file: both key rings, generated on first use."""

    path: Path

    def load_or_create(self) -> tuple[KeyRing, KeyRing, bool]:
        """(field ring, blind-index ring, whether the file was created now)."""
        created = False
        if not self.path.exists():
            self.path.parent.mkdir(parents=True, exist_ok=True)
            data = {
                "field": {"keys": f"1:{new_key()}", "active": "1"},
                "blind_index": {"keys": f"1:{new_key()}", "active": "1"},
            }
            # Created with owner-only permissions before anything is written into it.
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(data, handle, indent=2)
            created = True
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            field = parse_keyring(data["field"]["keys"], data["field"]["active"], name="field keys")
            blind = parse_keyring(
                data["blind_index"]["keys"], data["blind_index"]["active"], name="blind-index keys"
            )
        except (KeyError, TypeError, ValueError) as error:
            raise KeyRingError(f"{self.path} is not a valid key file ({error})") from None
        return field, blind, created

    def extra_ring(self, name: str) -> KeyRing:
        """Another ring kept in the same file (e.g. the audit checkpoint key), added on first use.

        The file is created if it does not exist yet (when the other keys come from the
        environment).
        """
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = json.loads(self.path.read_text(encoding="utf-8")) if self.path.exists() else {}
        if name not in data:
            data[name] = {"keys": f"1:{new_key()}", "active": "1"}
            self._write(data)
        try:
            return parse_keyring(data[name]["keys"], data[name]["active"], name=f"{name} keys")
        except (KeyError, TypeError) as error:
            raise KeyRingError(f"{self.path} is not a valid key file ({error})") from None

    def save(self, field: KeyRing, blind: KeyRing) -> None:
        data = json.loads(self.path.read_text(encoding="utf-8")) if self.path.exists() else {}
        data["field"] = {"keys": format_keyring(field), "active": field.active}
        data["blind_index"] = {"keys": format_keyring(blind), "active": blind.active}
        self._write(data)

    def _write(self, data: dict[str, object]) -> None:
        temporary = self.path.with_suffix(".tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=2)
        temporary.replace(self.path)
