"""Authenticator apps (TOTP), with their shared secrets under the field encryption."""

from __future__ import annotations

import os
from typing import Any

import structlog
from django.db import models
from django_otp.models import Device, ThrottlingMixin, TimestampMixin
from django_otp.plugins.otp_totp.models import TOTPDevice

from ccplatform.crypto.data_keys import data_key_unwrap
from ccplatform.crypto.providers import DecryptionError, key_provider
from ccplatform.models import DataKeyFields

logger = structlog.get_logger(__name__)

SECRET_BYTES = 20  # 160 bits, as RFC 4226 recommends and every authenticator app accepts


class AuthenticatorDeviceManager(models.Manager["AuthenticatorDevice"]):
    def create_with_secret(
        self, *, user: Any, name: str, confirmed: bool, secret: bytes | None = None
    ) -> AuthenticatorDevice:
        """A saved device holding `secret` (new random bytes if None), wrapped."""
        device = self.model(user=user, name=name, confirmed=confirmed)
        device.secret_set(os.urandom(SECRET_BYTES) if secret is None else secret)
        device.save(force_insert=True)
        return device


# django-otp is untyped: mypy sees its base classes as Any.
class AuthenticatorDevice(TimestampMixin, ThrottlingMixin, DataKeyFields, Device):  # type: ignore[misc]
    """A person's authenticator app: a TOTP (RFC 6238) second factor, as a django-otp device.

    The shared secret is kept like a data key (DataKeyFields): wrapped under the active
    field-encryption KEK and bound to the user, so a copy of the database or a backup holds
    no usable second factor, and key rotation re-wraps it. Checking a code is django-otp's
    own TOTP logic (taken from its TOTPDevice, which reads the secret only through
    `bin_key`): tolerance, drift, throttling, and no time step accepted twice.
    """

    step = models.PositiveSmallIntegerField(default=30, help_text="The time step in seconds.")
    t0 = models.BigIntegerField(default=0, help_text="The Unix time steps are counted from.")
    digits = models.PositiveSmallIntegerField(choices=[(6, 6), (8, 8)], default=6)
    tolerance = models.PositiveSmallIntegerField(
        default=1, help_text="Time steps accepted before or after the current one."
    )
    drift = models.SmallIntegerField(
        default=0, help_text="Time steps the app is known to deviate from our clock."
    )
    last_t = models.BigIntegerField(
        default=-1, help_text="The time step of the last code accepted: never accepted again."
    )

    objects = AuthenticatorDeviceManager()

    class Meta(Device.Meta):  # type: ignore[misc]
        verbose_name = "authenticator app"

    get_throttle_factor = TOTPDevice.get_throttle_factor
    config_url = TOTPDevice.config_url
    _read_str_from_settings = TOTPDevice._read_str_from_settings

    @property
    def data_key_subject(self) -> str:
        """Bound to the user, who exists before the device is saved: a wrapped secret copied
        to another person's device does not unwrap."""
        return f"{self._meta.label_lower}:user:{self.user_id}"

    def secret_set(self, secret: bytes) -> None:
        """Wrap `secret` under the active KEK (the row is saved by the caller)."""
        wrapped = key_provider().wrap(secret, context=self.data_key_subject)
        self.data_key_kek_version, self.data_key_wrapped = wrapped.kek_version, wrapped.blob

    def verify_token(self, token: object) -> bool:
        """Whether `token` is a code of this app not used before; a secret whose wrapping
        fails its integrity check accepts no code (the person's factors must be reset)."""
        try:
            verified: bool = TOTPDevice.verify_token(self, token)
        except DecryptionError:
            logger.error("authenticator secret unreadable", device=self.pk, user=self.user_id)
            return False
        return verified

    def secret_readable(self) -> bool:
        """Whether the stored secret passes its integrity check."""
        try:
            self.bin_key  # noqa: B018  # unwrapping is the check
        except DecryptionError:
            return False
        return True

    @property
    def bin_key(self) -> bytes:
        """The shared secret (DecryptionError if the stored wrapping was tampered with)."""
        return data_key_unwrap(self)
