"""Production settings, as a deployed process sees them: secure values and fail-fast config.

Settings are read once per process, so each case runs in a fresh interpreter with only the
variables a deployment would set (nothing inherited from the test run or a developer's .env).
No case connects to the database or the broker: the URLs only have to be well-formed.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.utils.csp import CSP

from ccplatform.crypto.keyring import new_key, parse_keyring

BASE_DIR: Path = settings.BASE_DIR

# Prints the settings a production process ends up with (SECURE_CSP holds StrEnum members).
DUMP_SETTINGS = """
import json
from django.conf import settings as s
database = s.DATABASES["default"]
print(json.dumps({
    "DEBUG": s.DEBUG,
    "SECRET_KEY": s.SECRET_KEY,
    "SECURE_HSTS_SECONDS": s.SECURE_HSTS_SECONDS,
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": s.SECURE_HSTS_INCLUDE_SUBDOMAINS,
    "SECURE_SSL_REDIRECT": s.SECURE_SSL_REDIRECT,
    "SESSION_COOKIE_NAME": s.SESSION_COOKIE_NAME,
    "SESSION_COOKIE_SECURE": s.SESSION_COOKIE_SECURE,
    "SESSION_COOKIE_HTTPONLY": s.SESSION_COOKIE_HTTPONLY,
    "CSRF_COOKIE_NAME": s.CSRF_COOKIE_NAME,
    "CSRF_COOKIE_SECURE": s.CSRF_COOKIE_SECURE,
    "CSRF_COOKIE_HTTPONLY": s.CSRF_COOKIE_HTTPONLY,
    "PASSWORD_HASHERS": s.PASSWORD_HASHERS,
    "ENGINE": database["ENGINE"],
    "CONN_MAX_AGE": database["CONN_MAX_AGE"],
    "CONN_HEALTH_CHECKS": database["CONN_HEALTH_CHECKS"],
    "TIME_ZONE": s.TIME_ZONE,
    "USE_TZ": s.USE_TZ,
    "X_FRAME_OPTIONS": s.X_FRAME_OPTIONS,
    "SECURE_CSP": {k: [str(v) for v in vs] for k, vs in s.SECURE_CSP.items()},
    "ALLOWED_HOSTS": s.ALLOWED_HOSTS,
    "CACHE_BACKEND": s.CACHES["default"]["BACKEND"],
    "CELERY_BROKER_URL": s.CELERY_BROKER_URL,
    "KEYS_FROM_LOCAL_FILE": s.KEYS_FROM_LOCAL_FILE,
    "FIELD_KEYS": {v: k.hex() for v, k in s.FIELD_ENCRYPTION_KEYRING.keys.items()},
    "FIELD_ACTIVE": s.FIELD_ENCRYPTION_KEYRING.active,
    "BLIND_KEYS": {v: k.hex() for v, k in s.BLIND_INDEX_KEYRING.keys.items()},
    "BLIND_ACTIVE": s.BLIND_INDEX_KEYRING.active,
}))
"""


def _production_env(**overrides: str | None) -> dict[str, str]:
    """A deployment's environment; an override of None leaves the variable out."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "DJANGO_SETTINGS_MODULE": "ccplatform.settings",
        "CCPLATFORM_READ_DOTENV": "0",
        "CCPLATFORM_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "DATABASE_URL": "postgres://ccplatform@127.0.0.1:5432/ccplatform",
        "REDIS_URL": "redis://127.0.0.1:6379/15",
        "ALLOWED_HOSTS": "example.com",
        # Without a mail server Django's deploy check fails (mail.E001): breach and DSAR
        # notices would only be printed.
        "EMAIL_HOST": "smtp.example.com",
        "FIELD_ENCRYPTION_KEYS": f"1:{new_key()}",
        "BLIND_INDEX_KEYS": f"1:{new_key()}",
        "AUDIT_CHECKPOINT_KEYS": f"1:{new_key()}",
    }
    for name, value in overrides.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture(scope="module")
def secret_key_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("secrets") / "secret_key"
    path.write_text(secrets.token_urlsafe(50) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def key_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Docker-style secret files with a field-encryption ring (two versions) and a blind key."""
    folder = tmp_path_factory.mktemp("keys")
    specs = {
        "FIELD_ENCRYPTION_KEYS": f"1:{new_key()},2:{new_key()}",
        "BLIND_INDEX_KEYS": f"1:{new_key()}",
        "AUDIT_CHECKPOINT_KEYS": f"1:{new_key()}",
    }
    paths = {}
    for name, spec in specs.items():
        paths[name] = folder / name.lower()
        paths[name].write_text(spec + "\n", encoding="utf-8")
    return paths


@pytest.fixture(scope="module")
def production(secret_key_file: Path, key_files: dict[str, Path]) -> dict[str, Any]:
    """The settings of a production process whose secrets are Docker-style secret files."""
    env = _production_env(
        SECRET_KEY=None,
        SECRET_KEY_FILE=str(secret_key_file),
        FIELD_ENCRYPTION_KEYS=None,
        FIELD_ENCRYPTION_KEYS_FILE=str(key_files["FIELD_ENCRYPTION_KEYS"]),
        BLIND_INDEX_KEYS=None,
        BLIND_INDEX_KEYS_FILE=str(key_files["BLIND_INDEX_KEYS"]),
    )
    result = _run(["-c", DUMP_SETTINGS], env)
    assert result.returncode == 0, result.stderr
    values: dict[str, Any] = json.loads(result.stdout)
    return values


def test_deploy_check_is_clean_with_production_values() -> None:
    result = _run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], _production_env())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_reads_the_secret_key_from_its_file(
    production: dict[str, Any], secret_key_file: Path
) -> None:
    assert production["SECRET_KEY"] == secret_key_file.read_text(encoding="utf-8").strip()


def test_production_reads_the_encryption_keys_from_their_files(
    production: dict[str, Any], key_files: dict[str, Path]
) -> None:
    assert production["KEYS_FROM_LOCAL_FILE"] is False
    for name, prefix in (("FIELD_ENCRYPTION_KEYS", "FIELD"), ("BLIND_INDEX_KEYS", "BLIND")):
        ring = parse_keyring(key_files[name].read_text(encoding="utf-8").strip())
        assert production[f"{prefix}_KEYS"] == {v: key.hex() for v, key in ring.keys.items()}
    # The highest version is the active one unless FIELD_ENCRYPTION_ACTIVE_KEY names another.
    assert production["FIELD_ACTIVE"] == "2"
    assert production["BLIND_ACTIVE"] == "1"


def test_production_never_runs_in_debug_mode(production: dict[str, Any]) -> None:
    assert production["DEBUG"] is False


def test_production_enforces_https_with_a_year_of_hsts(production: dict[str, Any]) -> None:
    assert production["SECURE_SSL_REDIRECT"] is True
    assert production["SECURE_HSTS_SECONDS"] == 31_536_000
    assert production["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True


def test_production_cookies_are_host_pinned_secure_and_http_only(
    production: dict[str, Any],
) -> None:
    for kind in ("SESSION", "CSRF"):
        assert production[f"{kind}_COOKIE_NAME"].startswith("__Host-")
        assert production[f"{kind}_COOKIE_SECURE"] is True
        assert production[f"{kind}_COOKIE_HTTPONLY"] is True


def test_production_hashes_passwords_with_argon2_first(production: dict[str, Any]) -> None:
    assert production["PASSWORD_HASHERS"][0] == "django.contrib.auth.hashers.Argon2PasswordHasher"


def test_production_keeps_database_connections_open(production: dict[str, Any]) -> None:
    assert production["ENGINE"] == "django.db.backends.postgresql"
    assert production["CONN_MAX_AGE"] > 0
    assert production["CONN_HEALTH_CHECKS"] is True


def test_production_time_is_utc_and_aware(production: dict[str, Any]) -> None:
    assert production["TIME_ZONE"] == "UTC"
    assert production["USE_TZ"] is True


def test_production_pages_cannot_be_framed(production: dict[str, Any]) -> None:
    assert production["X_FRAME_OPTIONS"] == "DENY"
    assert production["SECURE_CSP"]["frame-ancestors"] == ["'none'"]


def test_production_csp_allows_scripts_only_from_self_or_with_the_nonce(
    production: dict[str, Any],
) -> None:
    script_src = production["SECURE_CSP"]["script-src"]
    assert str(CSP.NONCE) in script_src
    assert "'self'" in script_src
    assert not any("unsafe" in source for source in script_src)


def test_production_uses_redis_for_cache_and_broker(production: dict[str, Any]) -> None:
    assert production["CACHE_BACKEND"] == "ccplatform.cache.PrefixedRedisCache"
    assert production["CELERY_BROKER_URL"] == "redis://127.0.0.1:6379/15"
    assert production["ALLOWED_HOSTS"] == ["example.com"]


# id: (changes to a good production environment, what the one error line says)
BAD_CONFIGURATIONS: dict[str, tuple[dict[str, str | None], str]] = {
    "no-key": ({"SECRET_KEY": None}, "SECRET_KEY (or SECRET_KEY_FILE) is required"),
    "weak-key": ({"SECRET_KEY": "django-insecure-" + "x" * 60}, "SECRET_KEY is too weak"),
    "no-db": ({"DATABASE_URL": None}, "DATABASE_URL (or DATABASE_URL_FILE) is required"),
    "no-redis": ({"REDIS_URL": None}, "REDIS_URL (or CELERY_BROKER_URL) is required"),
    "bad-env": ({"CCPLATFORM_ENV": "staging"}, "CCPLATFORM_ENV must be one of"),
    "bad-int": ({"DB_CONN_MAX_AGE": "abc"}, "DB_CONN_MAX_AGE must be a whole number"),
    "no-encryption-keys": (
        {"FIELD_ENCRYPTION_KEYS": None, "BLIND_INDEX_KEYS": None},
        "FIELD_ENCRYPTION_KEYS and BLIND_INDEX_KEYS (or their _FILE variants) are required "
        "in production (`python -m ccplatform.crypto.keygen` prints a pair)",
    ),
    "no-field-keys": (
        {"FIELD_ENCRYPTION_KEYS": None},
        "FIELD_ENCRYPTION_KEYS (or FIELD_ENCRYPTION_KEYS_FILE) is required with BLIND_INDEX_KEYS",
    ),
    "no-blind-keys": (
        {"BLIND_INDEX_KEYS": None},
        "BLIND_INDEX_KEYS (or BLIND_INDEX_KEYS_FILE) is required with FIELD_ENCRYPTION_KEYS",
    ),
    "no-checkpoint-keys": (
        {"AUDIT_CHECKPOINT_KEYS": None},
        "AUDIT_CHECKPOINT_KEYS (or AUDIT_CHECKPOINT_KEYS_FILE) is required in production",
    ),
    "bad-working-hours": (
        {"AUDIT_WORKING_HOURS": "18:00-08:00"},
        "AUDIT_WORKING_HOURS must look like 08:00-18:00 (start before end)",
    ),
    "bad-working-days": (
        {"AUDIT_WORKING_DAYS": "mon,funday"},
        "AUDIT_WORKING_DAYS must list days from mon,tue,wed,thu,fri,sat,sun",
    ),
    "bad-time-zone": (
        {"AUDIT_WORKING_TIME_ZONE": "Mars/Olympus"},
        "AUDIT_WORKING_TIME_ZONE: unknown time zone 'Mars/Olympus'",
    ),
    "short-field-key": (
        {"FIELD_ENCRYPTION_KEYS": "1:tooshort"},
        "FIELD_ENCRYPTION_KEYS: key version '1' is not 32 bytes",
    ),
    "bad-active-key": (
        {"FIELD_ENCRYPTION_ACTIVE_KEY": "7"},
        "FIELD_ENCRYPTION_KEYS: the active key version '7' is not in the key ring",
    ),
    "bad-reveal-rate": (
        {"REVEAL_RATE": "30/hours"},
        "REVEAL_RATE must look like 30/hour (a whole number of at least 1, then second, "
        "minute, hour or day), got '30/hours'",
    ),
    "zero-reveal-rate": ({"REVEAL_RATE": "0/hour"}, "REVEAL_RATE must look like 30/hour"),
    "bad-api-throttle": ({"API_THROTTLE_KEY": "many"}, "API_THROTTLE_KEY must look like 30/hour"),
    "bad-email-port": ({"EMAIL_PORT": "smtp"}, "EMAIL_PORT must be a whole number"),
    "visibility-shorter-than-a-task": (
        {"CELERY_VISIBILITY_TIMEOUT_SECONDS": "120"},
        "CELERY_TASK_TIME_LIMIT_SECONDS (300) must be shorter than "
        "CELERY_VISIBILITY_TIMEOUT_SECONDS (120): a task still running when its message "
        "becomes visible again is handed to a second worker",
    ),
    "key-file-missing": (
        {"BLIND_INDEX_KEYS": None, "BLIND_INDEX_KEYS_FILE": "/run/secrets/not-mounted"},
        "BLIND_INDEX_KEYS_FILE points to '/run/secrets/not-mounted', which cannot be read",
    ),
}


@pytest.mark.parametrize(
    ("overrides", "expected"), list(BAD_CONFIGURATIONS.values()), ids=list(BAD_CONFIGURATIONS)
)
def test_bad_configuration_stops_with_one_line_naming_the_variable(
    overrides: dict[str, str | None], expected: str
) -> None:
    result = _run(["manage.py", "check"], _production_env(**overrides))
    assert result.returncode == 2, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("ccplatform: configuration error: ")
    assert expected in lines[0]
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
