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
from dataclasses import dataclass
from datetime import time
from pathlib import Path
from typing import Any, NoReturn
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import dj_database_url

from ccplatform.crypto.keyring import KeyRing, KeyRingError, LocalKeyFile, parse_keyring

_TRUE = {"1", "true", "yes", "on"}
_RATE = re.compile(r"^\s*(\d+)\s*/\s*(second|minute|hour|day)\s*$")
_PERIODS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}
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

    def rate(self, name: str, default: str) -> Rate:
        """`N/second|minute|hour|day` (the form DRF's throttles read too), N at least 1."""
        value = self._environ.get(name, "").strip() or default
        match = _RATE.match(value.lower())
        if match is None or int(match.group(1)) < 1:
            raise ConfigurationError(
                f"{name} must look like 30/hour (a whole number of at least 1, then "
                f"second, minute, hour or day), got {value!r}"
            )
        return Rate(int(match.group(1)), match.group(2))

    def choice(self, name: str, choices: tuple[str, ...], default: str) -> str:
        value = self._environ.get(name, "").strip().lower() or default
        if value not in choices:
            raise ConfigurationError(f"{name} must be one of {', '.join(choices)}, got {value!r}")
        return value

    def subset(self, name: str, choices: tuple[str, ...], default: list[str]) -> list[str]:
        """A comma-separated list, each item one of `choices` (compared case-insensitively);
        `none` for an empty list (unset gives the default)."""
        items = [item.lower() for item in self.items(name, default)]
        if items == ["none"]:
            return []
        unknown = sorted(set(items) - set(choices))
        if unknown:
            raise ConfigurationError(
                f"{name} takes {', '.join(choices)} (comma-separated), got {', '.join(unknown)}"
            )
        return sorted(set(items))

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


@dataclass(frozen=True)
class Rate:
    """How many per period: parsed once at start, so a bad value never reaches a request."""

    count: int
    period: str

    @property
    def seconds(self) -> int:
        return _PERIODS[self.period]

    def __str__(self) -> str:
        return f"{self.count}/{self.period}"


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


# --- Blocks of settings that take more than one variable ------------------------------------


def encryption_keyrings(
    env: Env, *, production: bool, key_file: Path
) -> tuple[KeyRing, KeyRing, bool]:
    """The field-encryption and blind-index key rings, and whether they came from the local
    key file (the embedded default: generated once, with a loud warning at start)."""
    field_keys = env.secret("FIELD_ENCRYPTION_KEYS")
    blind_keys = env.secret("BLIND_INDEX_KEYS")
    try:
        if field_keys and blind_keys:
            return (
                parse_keyring(
                    field_keys,
                    env.optional("FIELD_ENCRYPTION_ACTIVE_KEY"),
                    name="FIELD_ENCRYPTION_KEYS",
                ),
                parse_keyring(
                    blind_keys, env.optional("BLIND_INDEX_ACTIVE_KEY"), name="BLIND_INDEX_KEYS"
                ),
                False,
            )
        if field_keys or blind_keys:
            missing, given = (
                ("BLIND_INDEX_KEYS", "FIELD_ENCRYPTION_KEYS")
                if field_keys
                else ("FIELD_ENCRYPTION_KEYS", "BLIND_INDEX_KEYS")
            )
            raise ConfigurationError(
                f"{missing} (or {missing}_FILE) is required with {given} "
                "(`python -m ccplatform.crypto.keygen` prints a pair)"
            )
        if production:
            raise ConfigurationError(
                "FIELD_ENCRYPTION_KEYS and BLIND_INDEX_KEYS (or their _FILE variants) are "
                "required in production (`python -m ccplatform.crypto.keygen` prints a pair)"
            )
        key_file.parent.mkdir(exist_ok=True)
        field_ring, blind_ring, _created = LocalKeyFile(key_file).load_or_create()
        return field_ring, blind_ring, True
    except KeyRingError as error:
        raise ConfigurationError(str(error)) from None


def checkpoint_keyring(env: Env, *, production: bool, key_file: Path) -> KeyRing:
    """The key ring that signs audit checkpoints and archive seals."""
    keys = env.secret("AUDIT_CHECKPOINT_KEYS")
    try:
        if keys:
            return parse_keyring(
                keys, env.optional("AUDIT_CHECKPOINT_ACTIVE_KEY"), name="AUDIT_CHECKPOINT_KEYS"
            )
        if production:
            raise ConfigurationError(
                "AUDIT_CHECKPOINT_KEYS (or AUDIT_CHECKPOINT_KEYS_FILE) is required in production "
                "(`python -m ccplatform.crypto.keygen` prints one)"
            )
        key_file.parent.mkdir(exist_ok=True)
        return LocalKeyFile(key_file).extra_ring("audit_checkpoint")
    except KeyRingError as error:
        raise ConfigurationError(str(error)) from None


def mailers(env: Env, *, production: bool) -> dict[str, Any]:
    """Django's MAILERS: SMTP when EMAIL_HOST is set (required in production), else the
    process output (development)."""
    host = env.optional("EMAIL_HOST")
    if production and not host:
        # People are told by email when their password or second factor changes.
        raise ConfigurationError("EMAIL_HOST is required in production (security notifications)")
    if not host:
        return {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}
    return {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": host,
                "port": env.integer("EMAIL_PORT", 587, minimum=1),
                "username": env.optional("EMAIL_HOST_USER") or "",
                "password": env.secret("EMAIL_HOST_PASSWORD") or "",
                "use_tls": env.flag("EMAIL_USE_TLS", True),
            },
        }
    }


def filesystem_broker(folder: Path) -> tuple[dict[str, Any], str]:
    """The embedded default's broker, which needs no server (messages are files under
    `folder`/broker), and its result backend; the folders are made here."""
    for name in ("broker/queue", "broker/processed", "broker/control", "celery-results"):
        (folder / name).mkdir(parents=True, exist_ok=True)
    options = {
        "data_folder_in": str(folder / "broker" / "queue"),
        "data_folder_out": str(folder / "broker" / "queue"),
        "processed_folder": str(folder / "broker" / "processed"),
        "store_processed": False,
        # Celery's broadcast (control) messages; the default is a folder in the cwd.
        "control_folder": str(folder / "broker" / "control"),
    }
    return options, f"file://{folder / 'celery-results'}"


def database(env: Env, *, production: bool, base_dir: Path, var_dir: Path) -> dict[str, Any]:
    """The default database from DATABASE_URL (an SQLite file under var/ in development),
    with persistent connections; SQLite in WAL mode with IMMEDIATE transactions."""
    url = env.secret("DATABASE_URL")
    if not url:
        if production:
            raise ConfigurationError("DATABASE_URL (or DATABASE_URL_FILE) is required")
        url = f"sqlite:///{var_dir / 'db.sqlite3'}"
        var_dir.mkdir(exist_ok=True)
    try:
        config: dict[str, Any] = dict(
            dj_database_url.parse(
                url,
                conn_max_age=env.integer("DB_CONN_MAX_AGE", 600, minimum=0),
                conn_health_checks=True,
            )
        )
    except ValueError as error:
        raise ConfigurationError(f"DATABASE_URL is not a database URL ({error})") from None
    if not config.get("ENGINE"):
        raise ConfigurationError("DATABASE_URL has an unsupported scheme")
    if config["ENGINE"] == "django.db.backends.sqlite3":
        if config["NAME"] != ":memory:":
            # sqlite:///var/db.sqlite3 is relative to the checkout, not to the current folder.
            config["NAME"] = str(base_dir / config["NAME"])
        # Web, worker and beat share one file: WAL lets readers run beside the writer, and
        # IMMEDIATE transactions take the write lock up front instead of failing mid-way.
        config["OPTIONS"] = {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    return config


def caches(redis_url: str | None, var_dir: Path) -> dict[str, Any]:
    """The shared cache (throttles must be shared by every process): Redis, or a folder."""
    if redis_url:
        return {
            "default": {
                "BACKEND": "ccplatform.cache.PrefixedRedisCache",
                "LOCATION": redis_url,
                "KEY_PREFIX": "ccplatform",
            }
        }
    return {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(var_dir / "cache"),
        }
    }


@dataclass(frozen=True)
class Delivery:
    """How long a task may run, against how long the broker keeps its message hidden."""

    visibility_timeout: int
    time_limit: int
    slice_seconds: int

    @property
    def soft_time_limit(self) -> int:
        """When a task is told to stop (SoftTimeLimitExceeded), before it is killed."""
        return self.time_limit - max(1, self.time_limit // 10)

    def transport_options(self) -> dict[str, Any]:
        """Redis (and SQS) hide a delivered message for `visibility_timeout`; a message whose
        worker died becomes deliverable again then, found by a sweep every few seconds (kombu
        scans only every 10th sweep by default, which makes a recovery take 100 s longer)."""
        return {
            "visibility_timeout": self.visibility_timeout,
            "unacked_restore_interval": min(10, max(1, self.visibility_timeout // 6)),
            "unacked_restore_throttle": 1,
        }


def task_delivery(env: Env) -> Delivery:
    """The three limits, which must nest: a slice of work < the task time limit < the
    visibility timeout. A task still running when its message becomes visible again would
    be handed to a second worker, so an order the other way round stops the process."""
    delivery = Delivery(
        visibility_timeout=env.integer("CELERY_VISIBILITY_TIMEOUT_SECONDS", 600, minimum=6),
        time_limit=env.integer("CELERY_TASK_TIME_LIMIT_SECONDS", 300, minimum=2),
        slice_seconds=env.integer("TASK_SLICE_SECONDS", 60, minimum=1),
    )
    if delivery.time_limit >= delivery.visibility_timeout:
        raise ConfigurationError(
            f"CELERY_TASK_TIME_LIMIT_SECONDS ({delivery.time_limit}) must be shorter than "
            f"CELERY_VISIBILITY_TIMEOUT_SECONDS ({delivery.visibility_timeout}): a task still "
            "running when its message becomes visible again is handed to a second worker"
        )
    if delivery.slice_seconds >= delivery.soft_time_limit:
        raise ConfigurationError(
            f"TASK_SLICE_SECONDS ({delivery.slice_seconds}) must be shorter than the task's "
            f"soft time limit ({delivery.soft_time_limit} s, from "
            "CELERY_TASK_TIME_LIMIT_SECONDS): a slice of batches must end before the task is "
            "told to stop"
        )
    return delivery
