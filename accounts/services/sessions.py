"""Ending sessions: those a person sees in their session list (their own, as the caller),
and every session of a team (a security incident's containment)."""

from __future__ import annotations

import hashlib

from django.db import transaction

from accounts.actions import (
    SESSION_REVOKE_REFUSED,
    SESSION_REVOKED,
    SESSIONS_OTHERS_ENDED,
    SESSIONS_TEAM_ENDED,
)
from accounts.callers import user_of
from accounts.models import Team, UserSession
from accounts.permissions import can_disable_users, can_manage_own_security
from audit.services import Outcome, audit_record
from ccplatform.callers import Caller
from ccplatform.errors import ServiceError
from ccplatform.gate import require


def session_end_others(*, caller: Caller, keep_session_key: str) -> int:
    """End every session of the caller except the current one; return how many ended."""
    require(caller, can_manage_own_security(caller), resource=user_of(caller))
    with transaction.atomic():
        return _end_others(caller, keep_session_key)


def _end_others(caller: Caller, keep_session_key: str) -> int:
    user = user_of(caller)
    ended, _ = UserSession.objects.filter(user=user).exclude(session_key=keep_session_key).delete()
    audit_record(
        actor=caller.actor,
        action=SESSIONS_OTHERS_ENDED,
        target=user,
        details={"sessions_ended": ended},
    )
    return ended


def session_end(*, caller: Caller, session_id: str) -> None:
    """End one of the caller's own sessions, named by its public id (a hash, not the key).

    A refusal is recorded and stays recorded (no transaction around it to roll back).
    """
    require(caller, can_manage_own_security(caller), resource=user_of(caller))
    user = user_of(caller)
    for session in UserSession.objects.filter(user=user):
        if session_public_id(session) == session_id:
            with transaction.atomic():
                session.delete()
                audit_record(actor=caller.actor, action=SESSION_REVOKED, target=user)
            return
    # Not one of theirs: ended already, or someone else's (whose id they cannot end).
    audit_record(
        actor=caller.actor,
        action=SESSION_REVOKE_REFUSED,
        target=user,
        outcome=Outcome.DENIED,
        details={"why": "not_a_session_of_this_user"},
    )
    raise ServiceError("That session does not exist or has already ended.")


def sessions_end_for_team(*, caller: Caller, team: Team, reason: str) -> int:
    """End every session of the team's members now (they sign in again, with both factors);
    how many ended. For whoever may disable accounts, and the system."""
    require(caller, can_disable_users(caller), resource=team)
    if not reason.strip():
        raise ServiceError("A reason is required.", fields={"reason": ["This field is required."]})
    with transaction.atomic():
        sessions = UserSession.objects.filter(user__teams=team)
        people = sorted({str(user_id) for user_id in sessions.values_list("user_id", flat=True)})
        ended, _ = UserSession.objects.filter(user__teams=team).delete()
        audit_record(
            actor=caller.actor,
            action=SESSIONS_TEAM_ENDED,
            target=team,
            reason=reason.strip(),
            details={"sessions_ended": ended, "people": people},
        )
    return ended


def session_public_id(session: UserSession) -> str:
    """An id to show and post back for a session; the session key itself is a credential."""
    return hashlib.sha256(f"session:{session.session_key}".encode()).hexdigest()[:16]
