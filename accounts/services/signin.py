"""The two sign-in steps, the shared failure counter and the lockout.

Password and second-factor failures count together: LOCKOUT_THRESHOLD consecutive failures
lock the account for LOCKOUT_MINUTES. Whether an account may take a step at all (active, a
person, not locked) is one rule, accounts.permissions.can_sign_in, asked by every step:
password, second factor and the confirmation of a new authenticator. Every outcome is
audited. An unknown username and a
wrong password look the same to the caller and take about as long (Django's ModelBackend
runs the hasher for unknown users too).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import authenticate
from django.db import transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone
from django_otp.models import Device
from django_otp.oath import TOTP

from accounts.actions import (
    MFA_RECOVERY_CODE_USED,
    OTP_FAILED,
    OTP_REPLAYED,
    PASSWORD_ACCEPTED,
    PASSWORD_FAILED,
    SESSION_ENDED,
    SIGNED_IN,
    USER_LOCKED,
)
from accounts.models import AuthenticatorDevice, RecoveryCodeDevice, User
from accounts.notifications import notify_security_change
from accounts.permissions import can_sign_in
from accounts.services.mfa import mfa_enrolment_confirm
from audit.services import AuditTarget, Outcome, audit_record
from ccplatform.context import Actor
from ccplatform.crypto.providers import DecryptionError

FAILED_STEP = {"password": PASSWORD_FAILED, "otp": OTP_FAILED}

_TOTP_CODE = re.compile(r"^\d{6}$")


@dataclass(frozen=True)
class SecondFactorResult:
    """The verified device, or why not: 'invalid', 'replayed', 'throttled' or 'locked'."""

    device: Device | None
    failure: str = ""


def _record_failure(user: User | None, *, step: str, failure: str) -> None:
    """Count a failed step for a known account, lock it at the threshold, audit both."""
    if user is None:
        # Nothing about the typed name is stored: it may be a password typed in the wrong box.
        audit_record(
            actor=Actor.system("sign-in"),
            action=FAILED_STEP[step],
            target=AuditTarget("accounts.user", "unknown"),
            outcome=Outcome.DENIED,
            details={"failure": failure},
        )
        return
    if failure != "locked":
        User.objects.filter(pk=user.pk).update(failed_sign_in_count=F("failed_sign_in_count") + 1)
        user.refresh_from_db(fields=["failed_sign_in_count", "locked_until"])
    action = OTP_REPLAYED if failure == "replayed" else FAILED_STEP[step]
    audit_record(
        actor=Actor.user(user.pk),
        action=action,
        target=user,
        outcome=Outcome.DENIED,
        details={"failure": failure, "consecutive_failures": user.failed_sign_in_count},
    )
    if user.failed_sign_in_count >= settings.LOCKOUT_THRESHOLD:
        user.locked_until = timezone.now() + timedelta(minutes=settings.LOCKOUT_MINUTES)
        user.failed_sign_in_count = 0
        user.save(update_fields=["locked_until", "failed_sign_in_count"])
        audit_record(
            actor=Actor.system("sign-in"),
            action=USER_LOCKED,
            target=user,
            details={"minutes": settings.LOCKOUT_MINUTES, "threshold": settings.LOCKOUT_THRESHOLD},
        )


@transaction.atomic
def signin_password(*, request: HttpRequest, username: str, password: str) -> User | None:
    """The first step: the user if the password is right and the account may sign in."""
    authenticated = authenticate(request, username=username, password=password)
    user = authenticated if isinstance(authenticated, User) else None
    known = user or User.objects.filter(username=username).first()
    if known is not None and can_sign_in(known).why == "account_locked":
        _record_failure(known, step="password", failure="locked")
        return None
    if user is None:
        _record_failure(known, step="password", failure="invalid")
        return None
    if not (allowed := can_sign_in(user)):
        _record_failure(user, step="password", failure=allowed.why.removeprefix("account_"))
        return None
    audit_record(actor=Actor.user(user.pk), action=PASSWORD_ACCEPTED, target=user)
    return user


def _is_replay(device: AuthenticatorDevice, code: str) -> bool:
    """Whether `code` was valid for a time step already used (so verify_token refused it)."""
    try:
        key = device.bin_key
    except DecryptionError:  # an unreadable secret accepts no code at all (it was logged)
        return False
    totp = TOTP(key, device.step, device.t0, device.digits, device.drift)
    return bool(totp.verify(int(code), device.tolerance)) and device.last_t >= 0


def _check_totp(user: User, code: str) -> SecondFactorResult:
    devices = AuthenticatorDevice.objects.select_for_update()
    device = devices.filter(user=user, confirmed=True).first()
    if device is None:
        return SecondFactorResult(None, "invalid")
    allowed, _ = device.verify_is_allowed()
    if not allowed:
        return SecondFactorResult(None, "throttled")
    if device.verify_token(code):
        return SecondFactorResult(device)
    return SecondFactorResult(None, "replayed" if _is_replay(device, code) else "invalid")


def _check_recovery_code(user: User, code: str) -> SecondFactorResult:
    device = RecoveryCodeDevice.objects.filter(user=user, confirmed=True).first()
    if device is not None and device.verify_token(code):
        return SecondFactorResult(device)
    return SecondFactorResult(None, "invalid")


@transaction.atomic
def signin_second_factor(*, user: User, code: str) -> SecondFactorResult:
    """The second step: an authenticator code (used once) or a recovery code (used once)."""
    user = User.objects.select_for_update().get(pk=user.pk)
    code = code.strip()
    if not can_sign_in(user):
        _record_failure(user, step="otp", failure="locked")
        return SecondFactorResult(None, "locked")
    check = _check_totp if _TOTP_CODE.match(code) else _check_recovery_code
    result = check(user, code)
    if result.device is None:
        _record_failure(user, step="otp", failure=result.failure)
    elif isinstance(result.device, RecoveryCodeDevice):
        audit_record(
            actor=Actor.user(user.pk),
            action=MFA_RECOVERY_CODE_USED,
            target=user,
            details={"remaining": result.device.remaining()},
        )
        notify_security_change(user, "mfa.recovery_code_used")
    return result


@transaction.atomic
def signin_enrolment_confirm(*, user: User, code: str) -> list[str] | None:
    """The second step of a first sign-in: confirm the new authenticator with a code.

    Returns the new recovery codes, or None: a wrong code counts like any failed step, and
    a locked account confirms nothing (its attempt is recorded like a locked OTP step).
    """
    user = User.objects.select_for_update().get(pk=user.pk)  # the lock as it is now
    if not can_sign_in(user):
        _record_failure(user, step="otp", failure="locked")
        return None
    codes = mfa_enrolment_confirm(user=user, code=code)
    if codes is None:
        _record_failure(user, step="otp", failure="invalid")
    return codes


@transaction.atomic
def signin_succeeded(*, user: User, device: Device) -> None:
    """Both steps passed: reset the failure counter and record the sign-in."""
    User.objects.filter(pk=user.pk).update(failed_sign_in_count=0)
    factor = "recovery_code" if isinstance(device, RecoveryCodeDevice) else "totp"
    audit_record(
        actor=Actor.user(user.pk), action=SIGNED_IN, target=user, details={"factor": factor}
    )


@transaction.atomic
def signout(*, user: User, reason: str = "signed_out") -> None:
    """Record the end of a session (the view deletes it)."""
    audit_record(
        actor=Actor.user(user.pk), action=SESSION_ENDED, target=user, details={"why": reason}
    )
