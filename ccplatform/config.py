"""Typed readers for the environment, used only by settings.py.

Every value the platform reads from its environment goes through one of these helpers, so a
wrong or missing value fails in one place with a one-line message naming the variable
(`ConfigurationError`), before anything starts.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping
from datetime import time
from pathlib import Path
from typing import NoReturn
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}
_DOTENV_LINE = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$")


class ConfigurationError(Exception):
    """A configuration value is missing or malformed; the message names the variable."""


def fail(error: ConfigurationError) -> NoReturn:
    """Print `error` as one line and stop the process before anything starts."""
    sys.stderr.write(f"ccplatform: configuration error: {error}\n")
    raise SystemExit(2)


def read_dotenv(path: Path, environ: dict[str, str] | None = None) -> None:
    """Load KEY=VALUE lines from `path` into the environment without overriding set values.

    Values are taken literally (no `$VAR` expansion, surrounding quotes stripped), so a
    generated secret containing `$` stays what it is.
    """
    target = os.environ if environ is None else environ
    if not path.is_file():
        return
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = _DOTENV_LINE.match(line)
        if match is None:
            raise ConfigurationError(f"{path}:{number} is not a KEY=VALUE line")
        key, value = match.groups()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        target.setdefault(key, value)


class Env:
    """Typed access to an environment mapping (os.environ by default)."""

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self._environ = os.environ if environ is None else environ

    def text(self, name: str, default: str | None = None) -> str:
        value = self._environ.get(name)
        if value is None or value == "":
            if default is None:
                raise ConfigurationError(f"{name} is required and not set")
            return default
        return value

    def optional(self, name: str) -> str | None:
        value = self._environ.get(name, "")
        return value or None

    def flag(self, name: str, default: bool) -> bool:
        value = self._environ.get(name, "").strip().lower()
        if not value:
            return default
        if value in _TRUE:
            return True
        if value in _FALSE:
            return False
        raise ConfigurationError(f"{name} must be true or false, got {value!r}")

    def integer(self, name: str, default: int, *, minimum: int | None = None) -> int:
        value = self._environ.get(name, "").strip()
        if not value:
            return default
        try:
            number = int(value)
        except ValueError:
            raise ConfigurationError(f"{name} must be a whole number, got {value!r}") from None
        if minimum is not None and number < minimum:
            raise ConfigurationError(f"{name} must be at least {minimum}, got {number}")
        return number

    def items(self, name: str, default: list[str] | None = None) -> list[str]:
        value = self._environ.get(name, "")
        if not value.strip():
            return list(default or [])
        return [item.strip() for item in value.split(",") if item.strip()]

    def choice(self, name: str, choices: tuple[str, ...], default: str) -> str:
        value = self._environ.get(name, "").strip().lower() or default
        if value not in choices:
            raise ConfigurationError(f"{name} must be one of {', '.join(choices)}, got {value!r}")
        return value

    def secret(self, name: str) -> str | None:
        """`name` itself, or the contents of the file named by `name_FILE` (Docker secrets)."""
        direct = self._environ.get(name, "")
        file_name = self._environ.get(f"{name}_FILE", "")
        if direct and file_name:
            raise ConfigurationError(f"set {name} or {name}_FILE, not both")
        if file_name:
            try:
                return Path(file_name).read_text(encoding="utf-8").strip()
            except OSError as error:
                raise ConfigurationError(
                    f"{name}_FILE points to {file_name!r}, which cannot be read ({error.strerror})"
                ) from None
        return direct or None


def check_secret_key(name: str, value: str | None) -> str:
    """Refuse a missing, short, low-variety or Django-placeholder secret key."""
    if not value:
        raise ConfigurationError(f"{name} (or {name}_FILE) is required in production")
    if value.startswith("django-insecure") or len(value) < 50 or len(set(value)) < 10:
        raise ConfigurationError(
            f"{name} is too weak: use at least 50 random characters "
            '(python -c "import secrets; print(secrets.token_urlsafe(50))")'
        )
    return value


_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def working_hours(name: str, value: str) -> tuple[time, time]:
    """`HH:MM-HH:MM` → (start, end); the end is exclusive and after the start."""
    start_text, sep, end_text = value.strip().partition("-")
    problem = ConfigurationError(f"{name} must look like 08:00-18:00 (start before end)")
    try:
        start, end = time.fromisoformat(start_text.strip()), time.fromisoformat(end_text.strip())
    except ValueError:
        raise problem from None
    if not sep or start >= end:
        raise problem
    return start, end


def working_days(name: str, values: list[str]) -> frozenset[int]:
    """`mon,tue,...` → weekday numbers (Monday is 0)."""
    days = [value.strip().lower()[:3] for value in values]
    unknown = [day for day in days if day not in _WEEKDAYS]
    if unknown or not days:
        raise ConfigurationError(f"{name} must list days from {','.join(_WEEKDAYS)}")
    return frozenset(_WEEKDAYS.index(day) for day in days)


def time_zone(name: str, value: str) -> ZoneInfo:
    try:
        return ZoneInfo(value.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigurationError(
            f"{name}: unknown time zone {value!r} (e.g. Europe/Berlin)"
        ) from None
