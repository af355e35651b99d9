"""Password rules beyond Django's own: an upper length and no reuse of recent passwords."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.hashers import check_password
from django.core.exceptions import ValidationError


class MaximumLengthValidator:
    """At most `max_length` characters (long enough for passphrases, short of hash DoS)."""

    def __init__(self, max_length: int = 128) -> None:
        self.max_length = max_length

    def validate(self, password: str, user: Any = None) -> None:
        if len(password) > self.max_length:
            raise ValidationError(
                f"This password is too long: at most {self.max_length} characters.",
                code="password_too_long",
            )

    def get_help_text(self) -> str:
        return f"Your password can be at most {self.max_length} characters."


class PasswordHistoryValidator:
    """Not the current password nor any of the previous `remember` ones."""

    def __init__(self, remember: int = 4) -> None:
        self.remember = remember

    def validate(self, password: str, user: Any = None) -> None:
        if user is None or user.pk is None or user._state.adding:
            return
        recent = list(user.password_history.values_list("password", flat=True)[: self.remember])
        if any(check_password(password, encoded) for encoded in recent):
            raise ValidationError(
                f"Choose a password you have not used for your last {self.remember} passwords.",
                code="password_reused",
            )

    def get_help_text(self) -> str:
        return f"Your password cannot be one of your last {self.remember} passwords."
