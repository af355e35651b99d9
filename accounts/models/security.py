"""Second factors and password history."""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone
from django_otp.models import Device, TimestampMixin


def hash_recovery_code(code: str) -> str:
    """Keyed hash of a normalised recovery code: the code itself is never stored."""
    normalised = "".join(code.split()).replace("-", "").lower()
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, f"recovery:{normalised}".encode(), hashlib.sha256).hexdigest()


class RecoveryCodeDevice(TimestampMixin, Device):  # type: ignore[misc]  # django-otp is untyped
    """A user's set of single-use recovery codes, as a django-otp device.

    Codes are shown once when generated and stored only as keyed hashes; a used code is
    deleted, so it can never be accepted twice.
    """

    class Meta:
        verbose_name = "recovery code set"

    def verify_token(self, token: object) -> bool:
        if not isinstance(token, str) or not token.strip():
            return False
        digest = hash_recovery_code(token)
        with transaction.atomic():
            deleted, _ = self.codes.filter(code_hash=digest).delete()
            if deleted:
                self.set_last_used_timestamp(commit=True)
        return bool(deleted)

    def remaining(self) -> int:
        return int(self.codes.count())


class RecoveryCode(models.Model):
    """One unused recovery code (its keyed hash)."""

    device = models.ForeignKey(RecoveryCodeDevice, on_delete=models.CASCADE, related_name="codes")
    code_hash = models.CharField(max_length=64)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["device", "code_hash"], name="accounts_recoverycode_unique_per_device"
            ),
        ]

    def __str__(self) -> str:
        return f"recovery code {self.pk}"


class PasswordHistory(models.Model):
    """A password hash a user had before; the last few may not be chosen again."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="password_history"
    )
    password = models.CharField(max_length=256)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "created_at"], name="accounts_pwhistory_user")]

    def __str__(self) -> str:
        return f"earlier password of {self.user_id} from {self.created_at:%Y-%m-%d}"
