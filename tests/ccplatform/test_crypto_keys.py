"""Key rings: parsing with clear errors, the embedded default's local key file (owner-only,
with a system-check warning), new key versions for operators (generate_keys, keygen,
rotate_keys --new-...-version)."""

from __future__ import annotations

import base64
import json
import os
import stat
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.checks import Tags, run_checks
from django.core.management import CommandError, call_command
from django.test import override_settings
from hypothesis import given
from hypothesis import strategies as st

from audit.models import AuditEvent
from ccplatform.checks import local_key_file_warning
from ccplatform.crypto.keygen import spec_with_new_version
from ccplatform.crypto.keyring import (
    KEY_BYTES,
    KeyRing,
    KeyRingError,
    LocalKeyFile,
    format_keyring,
    new_key,
    parse_keyring,
)

BASE_DIR = Path(settings.BASE_DIR)
KEY = new_key()
OTHER_KEY = new_key()

# --- Parsing ------------------------------------------------------------------------------

rings = st.dictionaries(
    st.integers(min_value=1, max_value=10_000).map(str),
    st.binary(min_size=KEY_BYTES, max_size=KEY_BYTES),
    min_size=1,
    max_size=6,
)


@given(keys=rings, data=st.data())
def test_a_formatted_key_ring_parses_back_to_itself(
    keys: dict[str, bytes], data: st.DataObject
) -> None:
    active = data.draw(st.sampled_from(sorted(keys)))
    ring = KeyRing(keys=keys, active=active)
    assert parse_keyring(format_keyring(ring), active) == ring


@given(keys=rings)
def test_the_highest_version_is_active_unless_one_is_named(keys: dict[str, bytes]) -> None:
    ring = parse_keyring(format_keyring(KeyRing(keys=keys, active=next(iter(keys)))))
    assert ring.active == max(keys, key=int)
    assert ring.retired == sorted(version for version in keys if version != ring.active)


def test_padding_spaces_and_leading_zeros_are_tolerated() -> None:
    padded = base64.urlsafe_b64encode(base64.urlsafe_b64decode(KEY + "=")).decode()
    ring = parse_keyring(f" 01:{padded} , 2:{OTHER_KEY}, ", "1")
    assert sorted(ring.keys) == ["1", "2"]
    assert ring.active == "1"


@pytest.mark.parametrize(
    ("spec", "active", "message"),
    [
        ("", None, "FIELD_ENCRYPTION_KEYS is empty"),
        (" , ", None, "FIELD_ENCRYPTION_KEYS is empty"),
        (KEY, None, "FIELD_ENCRYPTION_KEYS: each entry must be VERSION:BASE64KEY"),
        (f"v1:{KEY}", None, "FIELD_ENCRYPTION_KEYS: each entry must be VERSION:BASE64KEY"),
        (f"-1:{KEY}", None, "FIELD_ENCRYPTION_KEYS: each entry must be VERSION:BASE64KEY"),
        ("1:abcde", None, "FIELD_ENCRYPTION_KEYS version 1 is not base64"),
        ("1:" + KEY[:20], None, "FIELD_ENCRYPTION_KEYS: key version '1' is not 32 bytes"),
        (f"1:{KEY},1:{OTHER_KEY}", None, "FIELD_ENCRYPTION_KEYS: version 1 appears twice"),
        (f"1:{KEY}", "2", "FIELD_ENCRYPTION_KEYS: the active key version '2' is not in the key"),
    ],
)
def test_a_bad_key_ring_spec_is_refused_with_a_clear_message(
    spec: str, active: str | None, message: str
) -> None:
    with pytest.raises(KeyRingError) as raised:
        parse_keyring(spec, active, name="FIELD_ENCRYPTION_KEYS")
    assert str(raised.value).startswith(message)
    # The message says what is wrong, never the key material itself.
    for key in (KEY, OTHER_KEY, KEY[:20]):
        assert key not in str(raised.value)


def test_a_key_ring_names_an_unknown_version_when_asked_for_it() -> None:
    ring = parse_keyring(f"1:{KEY}")
    with pytest.raises(KeyRingError, match="key version '3' is not in the key ring"):
        ring.key("3")


# --- The embedded default's local key file ------------------------------------------------


def test_the_local_key_file_is_created_owner_only_and_read_back(tmp_path: Path) -> None:
    key_file = LocalKeyFile(tmp_path / "var" / "keyring.json")

    field, blind, created = key_file.load_or_create()

    assert created is True
    assert stat.S_IMODE(os.stat(key_file.path).st_mode) == 0o600
    assert field.active == blind.active == "1"
    assert field.active_key != blind.active_key  # separate keys for separate purposes
    assert key_file.load_or_create() == (field, blind, False)


def test_saving_the_local_key_file_keeps_it_owner_only(tmp_path: Path) -> None:
    key_file = LocalKeyFile(tmp_path / "keyring.json")
    field, blind, _ = key_file.load_or_create()
    grown = KeyRing(keys={**field.keys, "2": b"2" * KEY_BYTES}, active="2")
    key_file.save(grown, blind)
    assert stat.S_IMODE(os.stat(key_file.path).st_mode) == 0o600
    assert key_file.load_or_create() == (grown, blind, False)


@pytest.mark.parametrize(
    "content", ["", "not json", "[]", json.dumps({"field": {"keys": "1:x", "active": "1"}})]
)
def test_a_damaged_local_key_file_is_refused_naming_the_file(tmp_path: Path, content: str) -> None:
    path = tmp_path / "keyring.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(KeyRingError, match=f"{path} is not a valid key file"):
        LocalKeyFile(path).load_or_create()


def test_keys_from_the_local_file_raise_a_security_warning() -> None:
    with override_settings(KEYS_FROM_LOCAL_FILE=True, KEY_FILE=Path("/srv/var/keyring.json")):
        (warning,) = local_key_file_warning()
        assert warning.id == "ccplatform.W001"
        assert "/srv/var/keyring.json" in warning.msg
        assert "FIELD_ENCRYPTION_KEYS" in (warning.hint or "")
        assert "ccplatform.W001" in [message.id for message in run_checks(tags=[Tags.security])]


def test_keys_from_the_environment_raise_no_warning() -> None:
    assert settings.KEYS_FROM_LOCAL_FILE is False  # tests/settings.py gives fixed keys
    assert local_key_file_warning() == []
    assert "ccplatform.W001" not in [message.id for message in run_checks(tags=[Tags.security])]


def test_local_key_files_stay_out_of_git() -> None:
    ignored = subprocess.run(
        ["git", "check-ignore", "--no-index", "var/keyring.json"],
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        check=False,
    )
    assert ignored.returncode == 0, "var/keyring.json would be committed"


# --- New key versions ---------------------------------------------------------------------


@pytest.fixture
def local_keys(tmp_path: Path) -> tuple[LocalKeyFile, KeyRing, KeyRing]:
    key_file = LocalKeyFile(tmp_path / "keyring.json")
    field, blind, _ = key_file.load_or_create()
    return key_file, field, blind


def _rotate(*arguments: str) -> str:
    out = StringIO()
    call_command("rotate_keys", *arguments, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_a_new_kek_version_is_added_active_to_the_local_key_file(
    local_keys: tuple[LocalKeyFile, KeyRing, KeyRing],
) -> None:
    key_file, field, blind = local_keys
    with override_settings(KEYS_FROM_LOCAL_FILE=True, KEY_FILE=key_file.path):
        output = _rotate("--new-kek-version")

    new_field, new_blind, _ = key_file.load_or_create()
    assert new_field.active == "2"
    assert new_field.keys["1"] == field.keys["1"]
    assert len(new_field.keys["2"]) == KEY_BYTES
    assert new_field.keys["2"] not in (field.keys["1"], blind.keys["1"])
    assert new_blind == blind
    assert stat.S_IMODE(os.stat(key_file.path).st_mode) == 0o600
    assert f"Added field-encryption key version 2 (now active) to {key_file.path}" in output
    assert "Restart every process (web, worker, beat)" in output
    assert "rotate_keys --kek" in output
    event = AuditEvent.objects.get(action="keys.version_added")
    assert event.details == {"ring": "kek", "version": "2", "where": "local key file"}


@pytest.mark.django_db
def test_a_new_blind_index_version_is_added_active_to_the_local_key_file(
    local_keys: tuple[LocalKeyFile, KeyRing, KeyRing],
) -> None:
    key_file, field, _ = local_keys
    with override_settings(KEYS_FROM_LOCAL_FILE=True, KEY_FILE=key_file.path):
        output = _rotate("--new-blind-index-version")
        _rotate("--new-blind-index-version")

    new_field, new_blind, _ = key_file.load_or_create()
    assert new_field == field
    assert sorted(new_blind.keys) == ["1", "2", "3"]
    assert new_blind.active == "3"
    assert "Added blind-index key version 2 (now active)" in output
    assert "rotate_keys --blind-index" in output
    assert AuditEvent.objects.filter(action="keys.version_added").count() == 2


@pytest.mark.django_db
def test_a_missing_local_key_file_is_not_silently_replaced(tmp_path: Path) -> None:
    missing = tmp_path / "keyring.json"
    with (
        override_settings(KEYS_FROM_LOCAL_FILE=True, KEY_FILE=missing),
        pytest.raises(CommandError, match="is missing; restore it from your backup"),
    ):
        _rotate("--new-kek-version")
    assert not missing.exists()
    assert not AuditEvent.objects.filter(action="keys.version_added").exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("option", "variable", "rotate_option"),
    [
        ("--new-kek-version", "FIELD_ENCRYPTION_KEYS", "--kek"),
        ("--new-blind-index-version", "BLIND_INDEX_KEYS", "--blind-index"),
    ],
)
def test_with_keys_from_the_environment_the_command_says_how_to_add_a_version(
    option: str, variable: str, rotate_option: str
) -> None:
    with pytest.raises(CommandError) as raised:
        _rotate(option)
    message = str(raised.value)
    assert f"Keys come from {variable} (or {variable}_FILE)" in message
    assert "python -m ccplatform.crypto.keygen --add-to -" in message
    assert "Restart every process" in message
    assert f"rotate_keys {rotate_option}" in message
    assert not AuditEvent.objects.filter(action="keys.version_added").exists()


@pytest.mark.django_db
def test_a_new_version_cannot_be_rotated_to_in_the_same_run() -> None:
    with pytest.raises(CommandError, match="every process must be restarted"):
        _rotate("--new-kek-version", "--kek")


# --- generate_keys and python -m ccplatform.crypto.keygen ---------------------------------


def _generate(*arguments: str, stdin: str = "") -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("generate_keys", *arguments, stdout=out, stderr=err, stdin=StringIO(stdin))
    return out.getvalue(), err.getvalue()


def _rings(output: str) -> dict[str, KeyRing]:
    lines = dict(line.split("=", 1) for line in output.strip().splitlines())
    assert set(lines) == {"FIELD_ENCRYPTION_KEYS", "BLIND_INDEX_KEYS", "AUDIT_CHECKPOINT_KEYS"}
    return {name: parse_keyring(spec, name=name) for name, spec in lines.items()}


def test_generate_keys_prints_fresh_independent_key_rings() -> None:
    first, _ = _generate()
    second, _ = _generate()
    rings = _rings(first)
    for ring in rings.values():
        assert list(ring.keys) == ["1"]
        assert len(ring.active_key) == KEY_BYTES
    assert len({ring.active_key for ring in rings.values()}) == 3
    assert _rings(second)["FIELD_ENCRYPTION_KEYS"] != rings["FIELD_ENCRYPTION_KEYS"]


def test_generate_keys_adds_the_next_version_to_a_spec() -> None:
    spec = f"1:{KEY},2:{OTHER_KEY}"
    output, note = _generate("--add-to", spec)
    new_spec = output.strip()
    assert new_spec.startswith(spec + ",3:")
    ring = parse_keyring(new_spec)
    assert ring.active == "3"
    assert ring.keys["3"] not in (ring.keys["1"], ring.keys["2"])
    assert "Version 3 added" in note
    assert "restart" in note


def test_generate_keys_reads_the_spec_from_standard_input() -> None:
    output, _ = _generate("--add-to", "-", stdin=f"1:{KEY}\n")
    assert sorted(parse_keyring(output.strip()).keys) == ["1", "2"]


@pytest.mark.parametrize("spec", ["", "1:short", f"x:{KEY}"])
def test_generate_keys_refuses_a_bad_spec_without_echoing_it(spec: str) -> None:
    with pytest.raises(CommandError, match="--add-to") as raised:
        _generate("--add-to", spec)
    if spec:
        assert spec not in str(raised.value)


@given(versions=st.lists(st.integers(min_value=1, max_value=500), min_size=1, unique=True))
def test_a_new_version_is_always_one_above_the_highest(versions: list[int]) -> None:
    spec = ",".join(f"{version}:{KEY}" for version in versions)
    grown, version = spec_with_new_version(spec)
    assert version == str(max(versions) + 1)
    assert parse_keyring(grown).active == version


def _run_keygen(*arguments: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    # No Django settings at all: what an operator has before production can start.
    return subprocess.run(
        [sys.executable, "-m", "ccplatform.crypto.keygen", *arguments],
        cwd=BASE_DIR,
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8"},
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_keygen_runs_without_any_configuration() -> None:
    result = _run_keygen()
    assert result.returncode == 0, result.stderr
    _rings(result.stdout)


def test_keygen_adds_a_version_from_standard_input() -> None:
    result = _run_keygen("--add-to", "-", stdin=f"1:{KEY}")
    assert result.returncode == 0, result.stderr
    assert parse_keyring(result.stdout.strip()).active == "2"
    assert KEY not in result.stderr


def test_keygen_refuses_a_bad_spec_with_one_line() -> None:
    result = _run_keygen("--add-to", "-", stdin="1:short")
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "keygen: the spec on standard input version 1 is not base64"
    ]
    assert result.stdout == ""
