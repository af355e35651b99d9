"""Password changes and resets: validated, remembered for reuse checks, audited, notified."""

from __future__ import annotations

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.actions import (
    PASSWORD_CHANGE_REFUSED,
    PASSWORD_CHANGED,
    PASSWORD_RESET_COMPLETED,
    PASSWORD_RESET_REQUESTED,
)
from accounts.callers import user_of
from accounts.models import PasswordHistory, User, UserSession
from accounts.notifications import notify_security_change
from accounts.permissions import can_manage_own_security
from audit.services import Outcome, audit_record
from ccplatform.callers import Caller
from ccplatform.context import Actor
from ccplatform.errors import ServiceError
from ccplatform.gate import require

HISTORY_KEPT = 4


def password_record(user: User) -> None:
    """Remember the user's current hash and forget all but the last few."""
    PasswordHistory.objects.create(user=user, password=user.password)
    stale = user.password_history.values_list("pk", flat=True)[HISTORY_KEPT:]
    PasswordHistory.objects.filter(pk__in=list(stale)).delete()


def _validate_new_password(user: User, new_password: str) -> None:
    try:
        validate_password(new_password, user)
    except ValidationError as error:
        raise ServiceError(
            "The new password is not acceptable.", fields={"new_password": error.messages}
        ) from None


def _set_password(user: User, new_password: str) -> None:
    _validate_new_password(user, new_password)
    user.set_password(new_password)
    user.password_changed_at = timezone.now()
    user.save(update_fields=["password", "password_changed_at"])
    password_record(user)


def password_change_check(*, caller: Caller, current_password: str, new_password: str) -> None:
    """Raise ServiceError unless the caller's change would succeed; writes only the audit
    event of a wrong current password (a failed authentication, PCI DSS 10.2.1.4).

    The page runs this before it spends the one-time code, so a rejected new password does
    not use up the code. A wrong current password is not counted towards lockout: whoever
    holds the session could otherwise lock its owner out.
    """
    require(caller, can_manage_own_security(caller), resource=user_of(caller))
    user = user_of(caller)
    if not user.check_password(current_password):
        audit_record(
            actor=caller.actor,
            action=PASSWORD_CHANGE_REFUSED,
            target=user,
            outcome=Outcome.FAILED,
            details={"why": "wrong_current_password"},
        )
        raise ServiceError(
            "The current password is wrong.",
            fields={"current_password": ["The current password is wrong."]},
        )
    _validate_new_password(user, new_password)


def password_change(
    *, caller: Caller, current_password: str, new_password: str, keep_session_key: str | None
) -> int:
    """Change the caller's password (the page has checked a fresh second factor); end their
    other sessions. Returns how many other sessions were ended.
    """
    password_change_check(
        caller=caller, current_password=current_password, new_password=new_password
    )
    with transaction.atomic():
        return _password_change(caller, new_password, keep_session_key)


def _password_change(caller: Caller, new_password: str, keep_session_key: str | None) -> int:
    user = user_of(caller)
    _set_password(user, new_password)
    others = UserSession.objects.filter(user=user).exclude(session_key=keep_session_key or "")
    ended, _ = others.delete()
    audit_record(
        actor=caller.actor,
        action=PASSWORD_CHANGED,
        target=user,
        details={"other_sessions_ended": ended},
    )
    notify_security_change(user, "password.changed")
    return ended


@transaction.atomic
def password_reset_complete(*, user: User, new_password: str) -> None:
    """Set a password through a reset link; every session ends, sign-in needs both factors."""
    _set_password(user, new_password)
    ended, _ = UserSession.objects.filter(user=user).delete()
    audit_record(
        actor=Actor.user(user.pk),
        action=PASSWORD_RESET_COMPLETED,
        target=user,
        details={"sessions_ended": ended},
    )
    notify_security_change(user, "password.reset")


@transaction.atomic
def password_reset_request(*, user: User | None) -> None:
    """Record a reset request (for a known user only; the page says the same either way)."""
    if user is not None:
        audit_record(actor=Actor.user(user.pk), action=PASSWORD_RESET_REQUESTED, target=user)
