"""Authenticator secrets are kept wrapped under the field-encryption KEK, bound to their user:
the database holds no usable second factor, a tampered or moved secret accepts no code (and
breaks nothing), and a KEK rotation re-wraps them."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import pytest
from django.apps.registry import Apps
from django.conf import settings
from django.db import connection
from django.test import Client, override_settings

from accounts.models import AuthenticatorDevice, User
from accounts.services import mfa, signin
from ccplatform.callers import Caller
from ccplatform.crypto.keyring import KeyRing
from ccplatform.crypto.providers import DecryptionError, key_provider
from ccplatform.crypto.rotation import rotation_job, rotation_run
from tests.migration_states import migrate, migrate_to_latest
from tests.personas import current_code, wrong_code_for_key

SYSTEM = Caller.system("authenticator secrets test")


def _raw_row(device: AuthenticatorDevice) -> str:
    """Every column of the device's row as stored, as one text."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT * FROM {AuthenticatorDevice._meta.db_table} WHERE id = %s",  # noqa: S608
            [device.pk],
        )
        return " ".join(str(value) for value in cursor.fetchone())


@pytest.mark.django_db
def test_an_enrolled_secret_is_stored_only_wrapped(agent: User) -> None:
    device = AuthenticatorDevice.objects.get(user=agent)
    secret = device.bin_key
    stored = _raw_row(device)
    for form in (
        secret.hex(),
        base64.b32encode(secret).decode(),
        base64.b64encode(secret).decode(),
    ):
        assert form not in stored
        assert form.lower() not in stored.lower()
    assert device.data_key_kek_version == key_provider().active_version
    assert len(secret) == 20


@pytest.mark.django_db
def test_a_new_enrolment_gets_a_fresh_wrapped_secret(agent: User, other_agent: User) -> None:
    AuthenticatorDevice.objects.filter(user=other_agent).delete()
    device = mfa.mfa_enrolment_device(user=other_agent)
    assert device.secret_readable()
    assert f"secret={base64.b32encode(device.bin_key).decode()}" in device.config_url
    assert device.bin_key != AuthenticatorDevice.objects.get(user=agent).bin_key


@pytest.mark.django_db
def test_a_secret_copied_to_another_persons_device_does_not_unwrap(
    agent: User, other_agent: User
) -> None:
    mine = AuthenticatorDevice.objects.get(user=agent)
    theirs = AuthenticatorDevice.objects.get(user=other_agent)
    AuthenticatorDevice.objects.filter(pk=theirs.pk).update(
        data_key_kek_version=mine.data_key_kek_version, data_key_wrapped=mine.data_key_wrapped
    )
    theirs.refresh_from_db()
    with pytest.raises(DecryptionError):
        theirs.bin_key  # noqa: B018
    # The code of the copied secret signs nobody in as the other person.
    result = signin.signin_second_factor(user=other_agent, code=current_code(agent))
    assert result.device is None


@pytest.mark.django_db
def test_a_tampered_secret_refuses_codes_with_a_clear_error_not_a_crash(
    agent: User, client: Client
) -> None:
    device = AuthenticatorDevice.objects.get(user=agent)
    code = current_code(agent)
    blob = bytearray(base64.b64decode(device.data_key_wrapped))
    blob[-1] ^= 1
    AuthenticatorDevice.objects.filter(pk=device.pk).update(
        data_key_wrapped=base64.b64encode(bytes(blob)).decode()
    )
    result = signin.signin_second_factor(user=agent, code=code)
    assert (result.device, result.failure) == (None, "invalid")


@pytest.mark.django_db
def test_an_unreadable_unfinished_enrolment_is_replaced(other_agent: User) -> None:
    AuthenticatorDevice.objects.filter(user=other_agent).delete()
    started = mfa.mfa_enrolment_device(user=other_agent)
    AuthenticatorDevice.objects.filter(pk=started.pk).update(data_key_wrapped="AAAA")
    again = mfa.mfa_enrolment_device(user=other_agent)
    assert again.pk != started.pk
    assert again.secret_readable()
    assert AuthenticatorDevice.objects.filter(user=other_agent).count() == 1


@pytest.mark.django_db
def test_kek_rotation_rewraps_the_secrets_and_codes_still_work(
    agent: User, other_agent: User
) -> None:
    secrets_before = {device.pk: device.bin_key for device in AuthenticatorDevice.objects.all()}
    ring: KeyRing = settings.FIELD_ENCRYPTION_KEYRING
    assert ring.active == "1"
    key_provider.cache_clear()
    try:
        with override_settings(FIELD_ENCRYPTION_KEYRING=KeyRing(keys=ring.keys, active="2")):
            key_provider.cache_clear()
            result = rotation_run(rotation_job("authenticator_secrets"), caller=SYSTEM)
            assert (result.rotated, result.failed, result.remaining) == (len(secrets_before), [], 0)
            for device in AuthenticatorDevice.objects.all():
                assert device.data_key_kek_version == "2"
                assert device.bin_key == secrets_before[device.pk]
            assert signin.signin_second_factor(user=agent, code=current_code(agent)).device
    finally:
        key_provider.cache_clear()


# --- The migration from django-otp's plain TOTP devices ---------------------------------------

BEFORE = [("accounts", "0001_initial"), ("otp_totp", "0003_add_timestamps")]
AFTER = [("accounts", "0002_authenticator_secrets_encrypted")]
SECRET = bytes(range(1, 21))


@pytest.fixture
def plain_device() -> Iterator[tuple[Apps, Any]]:
    """A TOTP device as django-otp stored it (plain hex secret), before the migration."""
    try:
        apps = migrate(BEFORE)
        user_model = apps.get_model("accounts", "User")
        user = user_model.objects.create(username="legacy.lee", role="agent")
        old = apps.get_model("otp_totp", "TOTPDevice").objects.create(
            user=user,
            name="phone",
            confirmed=True,
            key=SECRET.hex(),
            drift=1,
            last_t=42,
            throttling_failure_count=2,
        )
        yield apps, old
    finally:
        migrate_to_latest()  # every app, so later tests find the schema they expect


@pytest.mark.django_db(transaction=True)
def test_the_migration_wraps_existing_secrets_and_keeps_their_state(
    plain_device: tuple[Apps, Any],
) -> None:
    _apps, old = plain_device
    apps = migrate(AFTER)
    assert not apps.get_model("otp_totp", "TOTPDevice").objects.exists()
    device = AuthenticatorDevice.objects.get(user_id=old.user_id)
    assert device.bin_key == SECRET
    assert SECRET.hex() not in _raw_row(device)
    assert (device.name, device.confirmed, device.drift, device.last_t) == ("phone", True, 1, 42)
    assert device.throttling_failure_count == 2
    assert device.created_at == old.created_at
    # The person's app keeps working: a code it shows now is accepted, a wrong one is not.
    AuthenticatorDevice.objects.filter(pk=device.pk).update(throttling_failure_count=0)
    device.refresh_from_db()
    assert not device.verify_token(wrong_code_for_key(SECRET, drift=1))
    device.throttling_failure_count = 0
    device.throttling_failure_timestamp = None
    device.save()
    assert device.verify_token(current_code(device.user))


@pytest.mark.django_db(transaction=True)
def test_the_migration_backwards_unwraps_the_secrets_again(
    plain_device: tuple[Apps, Any],
) -> None:
    _apps, old = plain_device
    migrate(AFTER)
    apps = migrate(BEFORE)
    restored = apps.get_model("otp_totp", "TOTPDevice").objects.get(user_id=old.user_id)
    assert restored.key == SECRET.hex()
    assert (restored.drift, restored.last_t, restored.created_at) == (1, 42, old.created_at)
