"""Second factors: authenticator-app enrolment, recovery codes, resets."""

from __future__ import annotations

import secrets

from django.db import transaction

from accounts.actions import (
    KEYS_REWRAPPED,
    MFA_ENROLLED,
    MFA_ENROLMENT_STARTED,
    MFA_RECOVERY_CODES_REGENERATED,
    MFA_RESET,
)
from accounts.callers import user_of
from accounts.models import AuthenticatorDevice, RecoveryCode, RecoveryCodeDevice, User, UserSession
from accounts.models.security import hash_recovery_code
from accounts.notifications import notify_security_change
from accounts.permissions import can_manage_own_security, can_reset_mfa, can_sign_in
from audit.services import Outcome, audit_record
from ccplatform.callers import Caller
from ccplatform.context import Actor
from ccplatform.crypto.rotation import DataKeyRewrap
from ccplatform.errors import ServiceError
from ccplatform.gate import require

RECOVERY_CODE_COUNT = 10
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: codes are read aloud and typed


def _new_recovery_code() -> str:
    raw = "".join(secrets.choice(_ALPHABET) for _ in range(10))
    return f"{raw[:5]}-{raw[5:]}"


def confirmed_totp_device(user: User) -> AuthenticatorDevice | None:
    return AuthenticatorDevice.objects.filter(user=user, confirmed=True).first()


def _replace_recovery_codes(user: User) -> list[str]:
    device, _ = RecoveryCodeDevice.objects.get_or_create(
        user=user, defaults={"name": "Recovery codes", "confirmed": True}
    )
    device.codes.all().delete()
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
    RecoveryCode.objects.bulk_create(
        RecoveryCode(device=device, code_hash=hash_recovery_code(code)) for code in codes
    )
    return codes


@transaction.atomic
def mfa_enrolment_device(*, user: User) -> AuthenticatorDevice:
    """The unconfirmed authenticator device a user is setting up (made on first call)."""
    if confirmed_totp_device(user) is not None:
        raise ServiceError("A second factor is already set up for this account.")
    device = AuthenticatorDevice.objects.filter(user=user, confirmed=False).first()
    if device is not None and not device.secret_readable():
        device.delete()  # never confirmed, so nothing is lost: set up a new one
        device = None
    if device is None:
        device = AuthenticatorDevice.objects.create_with_secret(
            user=user, name="Authenticator app", confirmed=False
        )
        audit_record(
            actor=Actor.user(user.pk),
            action=MFA_ENROLMENT_STARTED,
            target=user,
            details={"device": "totp"},
        )
    return device


@transaction.atomic
def mfa_enrolment_confirm(*, user: User, code: str) -> list[str] | None:
    """Confirm the authenticator with a valid code; return the new recovery codes, or None.

    A wrong code is not recorded here: the sign-in flow (signin_enrolment_confirm) counts it
    as a failed attempt. An account that may not sign in (locked) confirms nothing.
    """
    user = User.objects.select_for_update().get(pk=user.pk)  # the lock as it is now
    if not (allowed := can_sign_in(user)):
        raise ServiceError(allowed.message)
    devices = AuthenticatorDevice.objects.select_for_update()
    device = devices.filter(user=user, confirmed=False).first()
    if device is None:
        raise ServiceError("There is no authenticator being set up; start again.")
    if not device.verify_token(code.strip()):
        return None
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    codes = _replace_recovery_codes(user)
    audit_record(
        actor=Actor.user(user.pk),
        action=MFA_ENROLLED,
        target=user,
        details={"device": "totp", "recovery_codes": len(codes)},
    )
    notify_security_change(user, "mfa.enrolled")
    return codes


def mfa_recovery_codes_regenerate(*, caller: Caller) -> list[str]:
    """New recovery codes for the signed-in caller; the old ones stop working."""
    require(caller, can_manage_own_security(caller), resource=user_of(caller))
    user = user_of(caller)
    if confirmed_totp_device(user) is None:
        raise ServiceError("Set up an authenticator app first.")
    with transaction.atomic():
        codes = _replace_recovery_codes(user)
        audit_record(
            actor=caller.actor,
            action=MFA_RECOVERY_CODES_REGENERATED,
            target=user,
            details={"recovery_codes": len(codes)},
        )
        notify_security_change(user, "mfa.recovery_codes_regenerated")
    return codes


def mfa_reset(*, caller: Caller, user: User, reason: str) -> None:
    """Remove a user's factors (lost phone); they enrol again at their next sign-in."""
    require(caller, can_reset_mfa(caller), resource=user)
    if not reason.strip():
        raise ServiceError("A reason is required.", fields={"reason": ["This field is required."]})
    with transaction.atomic():
        _mfa_reset(caller, user, reason)


def _mfa_reset(caller: Caller, user: User, reason: str) -> None:
    totp, _ = AuthenticatorDevice.objects.filter(user=user).delete()
    RecoveryCodeDevice.objects.filter(user=user).delete()
    sessions, _ = UserSession.objects.filter(user=user).delete()
    audit_record(
        actor=caller.actor,
        action=MFA_RESET,
        target=user,
        reason=reason.strip(),
        details={"devices_removed": totp, "sessions_ended": sessions},
    )
    notify_security_change(user, "mfa.reset")


class AuthenticatorSecretRewrap(DataKeyRewrap):
    """Authenticator apps' shared secrets wrapped under a retired KEK version (a KEK
    rotation re-wraps them with the customers' data keys); the ids reported are device ids."""

    name = "authenticator_secrets"
    label = "authenticator secrets"
    model = AuthenticatorDevice
    columns = (*DataKeyRewrap.columns, "user")  # the wrapping is bound to the user

    def record_batch(self, *, caller: Caller, failed: bool, details: dict[str, object]) -> None:
        outcome = Outcome.FAILED if failed else Outcome.ALLOWED
        audit_record(actor=caller.actor, action=KEYS_REWRAPPED, outcome=outcome, details=details)
