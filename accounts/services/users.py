"""Creating people and service accounts, and changing their role, teams and status."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from accounts.actions import (
    USER_CREATED,
    USER_DISABLED,
    USER_ENABLED,
    USER_ROLE_CHANGED,
    USER_TEAMS_CHANGED,
    USER_UNLOCKED,
)
from accounts.models import Role, ServiceAPIKey, Team, User, UserSession
from accounts.models.users import STAFF_ROLES
from accounts.permissions import (
    can_add_users,
    can_disable_users,
    can_manage_users,
    can_unlock_users,
)
from accounts.roles import group_name
from accounts.services.passwords import password_record
from audit.services import audit_record
from ccplatform.callers import Caller
from ccplatform.errors import ServiceError
from ccplatform.gate import require

DORMANCY = Caller.system("dormant-accounts")


def _require_reason(reason: str) -> str:
    if not reason.strip():
        raise ServiceError("A reason is required.", fields={"reason": ["This field is required."]})
    return reason.strip()


def _apply_role(user: User, role: Role) -> None:
    user.role = role
    user.is_staff = role in STAFF_ROLES
    user.is_superuser = False


def _keep_a_security_admin(*, caller: Caller, user: User, action: str) -> None:
    """Nobody removes their own access rights, and one active security admin always remains."""
    if caller.user_id == user.pk:
        raise ServiceError(f"You cannot {action} your own account; ask another security admin.")
    if user.role == Role.SECURITY_ADMIN and user.is_active:
        others = User.objects.filter(role=Role.SECURITY_ADMIN, is_active=True).exclude(pk=user.pk)
        if not others.exists():
            raise ServiceError(
                f"You cannot {action} the last active security admin: nobody could manage "
                "accounts afterwards."
            )


def _end_access(user: User) -> tuple[int, int]:
    """End every session and revoke every API key of `user`; return both counts."""
    sessions, _ = UserSession.objects.filter(user=user).delete()
    keys = ServiceAPIKey.objects.filter(user=user, revoked=False).update(revoked=True)
    return sessions, keys


def user_create(
    *,
    caller: Caller,
    username: str,
    role: Role | str,
    email: str = "",
    teams: Iterable[Team] = (),
    password: str | None = None,
) -> User:
    """Create a person (with a password) or a service account (role integrator, no password)."""
    require(caller, can_add_users(caller), resource=("accounts.user", "new"))
    with transaction.atomic():
        return _user_create(caller, username, role, email, teams, password)


def _user_create(
    caller: Caller,
    username: str,
    role: Role | str,
    email: str,
    teams: Iterable[Team],
    password: str | None,
) -> User:
    if role not in Role.values:
        raise ServiceError(
            f"Unknown role {role!r}.", fields={"role": [f"Choose one of {', '.join(Role.values)}."]}
        )
    role = Role(role)
    if User.objects.filter(username__iexact=username).exists():
        raise ServiceError("That username is taken.", fields={"username": ["Already in use."]})
    user = User(username=username, email=email)
    _apply_role(user, role)
    if role == Role.INTEGRATOR:
        if password:
            raise ServiceError("Service accounts have no password; they use API keys.")
        user.set_unusable_password()
    else:
        if not password:
            raise ServiceError("A password is required.", fields={"password": ["Required."]})
        try:
            validate_password(password, user)
        except ValidationError as error:
            raise ServiceError(
                "The password is not strong enough.", fields={"password": error.messages}
            ) from None
        user.set_password(password)
        user.password_changed_at = timezone.now()
    user.save()
    user.groups.set([Group.objects.get(name=group_name(role))])
    team_list = list(teams)
    user.teams.set(team_list)
    if role != Role.INTEGRATOR:
        password_record(user)
    audit_record(
        actor=caller.actor,
        action=USER_CREATED,
        target=user,
        details={"role": role.value, "teams": sorted(str(team.pk) for team in team_list)},
    )
    return user


def user_set_role(*, caller: Caller, user: User, role: Role | str, reason: str) -> User:
    """Change a role; the user's sessions and keys end at once (they carry the old rights)."""
    require(caller, can_manage_users(caller), resource=user)
    with transaction.atomic():
        return _user_set_role(caller, user, role, reason)


def _user_set_role(caller: Caller, user: User, role: Role | str, reason: str) -> User:
    if role not in Role.values:
        raise ServiceError(f"Unknown role {role!r}.", fields={"role": ["Unknown role."]})
    reason = _require_reason(reason)
    previous = user.role
    if previous == role:
        return user
    if Role.INTEGRATOR in (previous, role):
        raise ServiceError("A person cannot become a service account, nor the other way round.")
    _keep_a_security_admin(caller=caller, user=user, action="change the role of")
    _apply_role(user, Role(role))
    user.save(update_fields=["role", "is_staff", "is_superuser"])
    user.groups.set([Group.objects.get(name=group_name(role))])
    sessions, keys = _end_access(user)
    audit_record(
        actor=caller.actor,
        action=USER_ROLE_CHANGED,
        target=user,
        reason=reason,
        details={
            "from": previous,
            "to": str(role),
            "sessions_ended": sessions,
            "keys_revoked": keys,
        },
    )
    return user


def user_set_teams(*, caller: Caller, user: User, teams: Iterable[Team], reason: str = "") -> User:
    """Replace the teams a user works in."""
    require(caller, can_manage_users(caller), resource=user)
    with transaction.atomic():
        return _user_set_teams(caller, user, teams, reason)


def _user_set_teams(caller: Caller, user: User, teams: Iterable[Team], reason: str) -> User:
    wanted = {team.pk: team for team in teams}
    current = set(user.teams.values_list("pk", flat=True))
    added, removed = set(wanted) - current, current - set(wanted)
    if not added and not removed:
        return user
    user.teams.set(wanted.values())
    audit_record(
        actor=caller.actor,
        action=USER_TEAMS_CHANGED,
        target=user,
        reason=reason.strip(),
        details={"added": sorted(map(str, added)), "removed": sorted(map(str, removed))},
    )
    return user


def user_disable(*, caller: Caller, user: User, reason: str) -> User:
    """Disable an account: it can no longer sign in, and its sessions and keys end now."""
    require(caller, can_disable_users(caller), resource=user)
    with transaction.atomic():
        return _user_disable(caller, user, reason)


def _user_disable(caller: Caller, user: User, reason: str) -> User:
    reason = _require_reason(reason)
    if not user.is_active:
        return user
    if not caller.is_system:
        _keep_a_security_admin(caller=caller, user=user, action="disable")
    user.is_active = False
    user.save(update_fields=["is_active"])
    sessions, keys = _end_access(user)
    audit_record(
        actor=caller.actor,
        action=USER_DISABLED,
        target=user,
        reason=reason,
        details={"sessions_ended": sessions, "keys_revoked": keys},
    )
    return user


def user_enable(*, caller: Caller, user: User, reason: str) -> User:
    """Re-enable an account; its dormancy clock starts again."""
    require(caller, can_disable_users(caller), resource=user)
    with transaction.atomic():
        return _user_enable(caller, user, reason)


def _user_enable(caller: Caller, user: User, reason: str) -> User:
    reason = _require_reason(reason)
    if user.is_active:
        return user
    user.is_active = True
    user.active_since = timezone.now()
    user.save(update_fields=["is_active", "active_since"])
    audit_record(actor=caller.actor, action=USER_ENABLED, target=user, reason=reason)
    return user


def user_unlock(*, caller: Caller, user: User, reason: str) -> User:
    """Lift a lockout before its 30 minutes are over."""
    require(caller, can_unlock_users(caller), resource=user)
    reason = _require_reason(reason)
    with transaction.atomic():
        user.failed_sign_in_count = 0
        user.locked_until = None
        user.save(update_fields=["failed_sign_in_count", "locked_until"])
        audit_record(actor=caller.actor, action=USER_UNLOCKED, target=user, reason=reason)
    return user


def users_disable_dormant(*, inactive_days: int) -> int:
    """Disable people unused for `inactive_days`; one audited change per account.

    Service accounts are left out: they never sign in, and their keys expire instead.
    """
    cutoff = timezone.now() - timedelta(days=inactive_days)
    people = User.objects.filter(is_active=True).exclude(role=Role.INTEGRATOR)
    dormant = people.annotate(
        last_activity=Greatest(Coalesce("last_login", "active_since"), "active_since")
    ).filter(Q(last_activity__lt=cutoff))
    disabled = 0
    for user in dormant.iterator(chunk_size=500):
        user_disable(
            caller=DORMANCY,
            user=user,
            reason=f"No sign-in for {inactive_days} days",
        )
        disabled += 1
    return disabled
