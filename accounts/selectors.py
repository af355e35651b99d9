"""Reads of accounts for other apps and pages, scoped to the caller.

Other apps reach teams through these functions, never through accounts' models: a person
chooses among their own teams, an integrator key or the system among all of them. `Team` is
exported for type annotations only.
"""

from __future__ import annotations

import uuid

from django.db.models import Q, QuerySet

from accounts.models import Role, ServiceAPIKey, Team, User, UserSession
from accounts.services.sessions import session_public_id
from ccplatform.callers import Caller

__all__ = [
    "ServiceAPIKey",
    "Team",
    "User",
    "UserSession",
    "all_accounts",
    "all_teams",
    "api_key_with_prefix",
    "is_last_security_admin",
    "people_holding",
    "person_with_id",
    "session_with_public_id",
    "team_for",
    "team_named",
    "teams_for",
]


def teams_for(caller: Caller) -> QuerySet[Team]:
    """The teams `caller` may put customers in: a person's own, every team for a key or the
    system, none for anyone else."""
    if caller.is_person:
        return Team.objects.filter(pk__in=caller.team_ids)
    if caller.is_key or caller.is_system:
        return Team.objects.all()
    return Team.objects.none()


def team_for(caller: Caller, team_id: uuid.UUID | str) -> Team | None:
    """One of `teams_for(caller)`, or None (missing and not allowed look alike)."""
    try:
        key = uuid.UUID(str(team_id))
    except ValueError:
        return None
    return teams_for(caller).filter(pk=key).first()


def team_named(name: str) -> Team | None:
    """The team with exactly this name (for operators' commands, which name teams)."""
    return Team.objects.filter(name=name).first()


def all_teams() -> QuerySet[Team]:
    """Every team, by name (for choosing the teams an incident affects)."""
    return Team.objects.order_by("name")


def people_holding(permission: str) -> QuerySet[User]:
    """Active people whose role grants `permission` ("app.codename"): who receives an
    incident's reminders, who may approve its decisions."""
    app_label, _, codename = permission.partition(".")
    held = Q(
        groups__permissions__content_type__app_label=app_label,
        groups__permissions__codename=codename,
    ) | Q(
        user_permissions__content_type__app_label=app_label,
        user_permissions__codename=codename,
    )
    return User.objects.filter(held, is_active=True).distinct().order_by("username")


def person_with_id(user_id: object) -> User | None:
    """The account with this id (any status), or None; for containment and approvals,
    whose services check what may be done with it."""
    try:
        key = uuid.UUID(str(user_id))
    except ValueError:
        return None
    return User.objects.filter(pk=key).first()


def api_key_with_prefix(prefix: str) -> ServiceAPIKey | None:
    """The API key with this public prefix, or None."""
    return ServiceAPIKey.objects.filter(prefix=prefix).first() if prefix else None


def session_with_public_id(public_id: str) -> UserSession | None:
    """The live signed-in session whose public id (session lists show it) this is."""
    for session in UserSession.objects.filter(user__isnull=False).only(
        "session_key", "user_id", "created_at", "ip"
    ):
        if session_public_id(session) == public_id:
            return session
    return None


def all_accounts() -> QuerySet[User]:
    """Every account, active or not, by username: the ones an incident may name as
    compromised (a disabled account's past activity still counts)."""
    return User.objects.order_by("username")


def is_last_security_admin(user: User) -> bool:
    """Whether `user` is the one active security admin: disabling them would leave nobody
    to manage accounts."""
    if user.role != Role.SECURITY_ADMIN or not user.is_active:
        return False
    return (
        not User.objects.filter(role=Role.SECURITY_ADMIN, is_active=True)
        .exclude(pk=user.pk)
        .exists()
    )
