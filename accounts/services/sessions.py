"""Ending sessions a user can see in their session list."""

from __future__ import annotations

import hashlib

from django.db import transaction

from accounts.models import User, UserSession
from audit.models import Outcome
from audit.services import audit_record
from ccplatform.context import Actor
from ccplatform.errors import ServiceError


@transaction.atomic
def session_end_others(*, user: User, keep_session_key: str) -> int:
    """End every session of `user` except the current one; return how many ended."""
    ended, _ = UserSession.objects.filter(user=user).exclude(session_key=keep_session_key).delete()
    audit_record(
        actor=Actor.user(user.pk),
        action="session.others_ended",
        target=user,
        details={"sessions_ended": ended},
    )
    return ended


def session_end(*, user: User, session_id: str) -> None:
    """End one of the user's own sessions, named by its public id (a hash, not the key).

    A refusal is recorded and stays recorded (no transaction around it to roll back).
    """
    for session in UserSession.objects.filter(user=user):
        if session_public_id(session) == session_id:
            with transaction.atomic():
                session.delete()
                audit_record(actor=Actor.user(user.pk), action="session.revoked", target=user)
            return
    # Not one of theirs: ended already, or someone else's (whose id they cannot end).
    audit_record(
        actor=Actor.user(user.pk),
        action="session.revoke_refused",
        target=user,
        outcome=Outcome.DENIED,
        details={"why": "not_a_session_of_this_user"},
    )
    raise ServiceError("That session does not exist or has already ended.")


def session_public_id(session: UserSession) -> str:
    """An id to show and post back for a session; the session key itself is a credential."""
    return hashlib.sha256(f"session:{session.session_key}".encode()).hexdigest()[:16]
