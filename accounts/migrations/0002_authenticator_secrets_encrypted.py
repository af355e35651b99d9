"""Authenticator secrets under the field encryption: AuthenticatorDevice replaces django-otp's
TOTPDevice, which kept each shared secret in plain hex.

Every existing TOTP device moves over with its secret wrapped under the active KEK (bound
to its user), its settings, drift, last accepted time step and throttling, so nobody has to
enrol again; the plain rows are then deleted. A session verified with an old device is
asked for a code again (its device id named the old table). Backwards, the secrets are
unwrapped into TOTPDevice rows again.
"""

import binascii
import uuid

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from ccplatform.crypto.providers import WrappedKey, key_provider

COPIED = (
    "user_id",
    "name",
    "confirmed",
    "throttling_failure_timestamp",
    "throttling_failure_count",
    "created_at",
    "last_used_at",
    "step",
    "t0",
    "digits",
    "tolerance",
    "drift",
    "last_t",
)


def _subject(user_id):
    # AuthenticatorDevice.data_key_subject (historical models have no properties).
    return f"accounts.authenticatordevice:user:{user_id}"


def wrap_secrets(apps, schema_editor):
    TOTPDevice = apps.get_model("otp_totp", "TOTPDevice")
    AuthenticatorDevice = apps.get_model("accounts", "AuthenticatorDevice")
    for old in TOTPDevice.objects.order_by("pk").iterator():
        wrapped = key_provider().wrap(
            binascii.unhexlify(old.key.encode()), context=_subject(old.user_id)
        )
        new = AuthenticatorDevice.objects.create(
            data_key_kek_version=wrapped.kek_version,
            data_key_wrapped=wrapped.blob,
            **{name: getattr(old, name) for name in COPIED},
        )
        # created_at is set on insert (auto_now_add): put the enrolment time back.
        AuthenticatorDevice.objects.filter(pk=new.pk).update(created_at=old.created_at)
    TOTPDevice.objects.all().delete()


def unwrap_secrets(apps, schema_editor):
    TOTPDevice = apps.get_model("otp_totp", "TOTPDevice")
    AuthenticatorDevice = apps.get_model("accounts", "AuthenticatorDevice")
    for new in AuthenticatorDevice.objects.order_by("pk").iterator():
        secret = key_provider().unwrap(
            WrappedKey(kek_version=new.data_key_kek_version, blob=new.data_key_wrapped),
            context=_subject(new.user_id),
        )
        old = TOTPDevice.objects.create(
            key=secret.hex(), **{name: getattr(new, name) for name in COPIED}
        )
        TOTPDevice.objects.filter(pk=old.pk).update(created_at=new.created_at)
    AuthenticatorDevice.objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("otp_totp", "0003_add_timestamps"),
    ]

    operations = [
        migrations.CreateModel(
            name="AuthenticatorDevice",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "name",
                    models.CharField(
                        help_text="The human-readable name of this device.", max_length=64
                    ),
                ),
                (
                    "confirmed",
                    models.BooleanField(default=True, help_text="Is this device ready for use?"),
                ),
                (
                    "throttling_failure_timestamp",
                    models.DateTimeField(
                        blank=True,
                        default=None,
                        help_text="A timestamp of the last failed verification attempt. Null if last attempt succeeded.",
                        null=True,
                    ),
                ),
                (
                    "throttling_failure_count",
                    models.PositiveIntegerField(
                        default=0, help_text="Number of successive failed attempts."
                    ),
                ),
                (
                    "created_at",
                    models.DateTimeField(
                        auto_now_add=True,
                        help_text="The date and time when this device was initially created in the system.",
                        null=True,
                    ),
                ),
                (
                    "last_used_at",
                    models.DateTimeField(
                        blank=True,
                        help_text="The most recent date and time this device was used.",
                        null=True,
                    ),
                ),
                ("data_key_id", models.UUIDField(default=uuid.uuid4, editable=False)),
                ("data_key_kek_version", models.CharField(editable=False, max_length=16)),
                ("data_key_wrapped", models.TextField(editable=False)),
                (
                    "data_key_rewrapped_at",
                    models.DateTimeField(blank=True, editable=False, null=True),
                ),
                (
                    "step",
                    models.PositiveSmallIntegerField(
                        default=30, help_text="The time step in seconds."
                    ),
                ),
                (
                    "t0",
                    models.BigIntegerField(
                        default=0, help_text="The Unix time steps are counted from."
                    ),
                ),
                ("digits", models.PositiveSmallIntegerField(choices=[(6, 6), (8, 8)], default=6)),
                (
                    "tolerance",
                    models.PositiveSmallIntegerField(
                        default=1, help_text="Time steps accepted before or after the current one."
                    ),
                ),
                (
                    "drift",
                    models.SmallIntegerField(
                        default=0,
                        help_text="Time steps the app is known to deviate from our clock.",
                    ),
                ),
                (
                    "last_t",
                    models.BigIntegerField(
                        default=-1,
                        help_text="The time step of the last code accepted: never accepted again.",
                    ),
                ),
                (
                    "user",
                    models.ForeignKey(
                        help_text="The user that this device belongs to.",
                        on_delete=django.db.models.deletion.CASCADE,
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "verbose_name": "authenticator app",
                "abstract": False,
            },
        ),
        migrations.RunPython(wrap_secrets, unwrap_secrets),
    ]
