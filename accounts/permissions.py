"""Who may do what in accounts: `can_*` predicates over the Caller, and the sign-in rule.

Pages, the admin, the API, templates and the services themselves ask these functions (the
gate, ccplatform.gate, enforces and records their refusals). Separation of duties is in the
roles (accounts/roles.py): security admins hold these permissions and none on customer data.
Commands and tasks act as the system, which may administer accounts too.
"""

from __future__ import annotations

from django.utils import timezone

from accounts.models import User
from ccplatform.callers import Caller
from ccplatform.permissions import (
    ALLOWED,
    ANY,
    Decision,
    allow_if,
    any_of,
    check,
    deny,
    first_refusal,
    rule,
)

# --- Signing in (no caller yet: the account that tries) ------------------------------------

SIGN_IN_RULE = "accounts.sign_in"
LOCKED_MESSAGE = "This account is locked after repeated failed attempts; try again later."


def can_sign_in(user: User) -> Decision:
    """An account may take a sign-in step (password, second factor or enrolment): a person's
    active account that is not locked. Every step asks this, so a locked account can
    confirm no factor and finish no sign-in, whatever django-otp's own delays allow."""
    if not user.is_active:
        decision = deny("account_disabled")
    elif user.is_service_account:
        decision = deny("service_account", "Service accounts sign in with API keys only.")
    elif user.is_locked(timezone.now()):
        decision = deny("account_locked", LOCKED_MESSAGE)
    else:
        return ALLOWED
    return decision.under(SIGN_IN_RULE)


# --- A person's own account ----------------------------------------------------------------


@rule("accounts.own_security")
def can_manage_own_security(caller: Caller) -> Decision:
    """Anyone signed in: their sessions, password, recovery codes, staying signed in."""
    return check(caller, person=ANY)


@rule("accounts.use_admin")
def can_use_admin(caller: Caller) -> Decision:
    """The admin site: staff roles (compliance officers, security admins) only."""
    return first_refusal(
        check(caller, person=ANY),
        allow_if(getattr(caller.user, "is_staff", False), "not_staff"),
    )


# --- Administering people, teams and keys ----------------------------------------------------


@rule("accounts.view_users")
def can_view_users(caller: Caller) -> Decision:
    return any_of(can_manage_users(caller), check(caller, person="accounts.view_user"))


@rule("accounts.manage_users")
def can_manage_users(caller: Caller) -> Decision:
    """Change people's roles and teams."""
    return check(caller, person="accounts.assign_role", system=True)


@rule("accounts.add_users")
def can_add_users(caller: Caller) -> Decision:
    return first_refusal(
        can_manage_users(caller), check(caller, person="accounts.add_user", system=True)
    )


@rule("accounts.disable_users")
def can_disable_users(caller: Caller) -> Decision:
    """Disable and re-enable accounts (the dormant-accounts task, as the system, too)."""
    return first_refusal(
        can_manage_users(caller), check(caller, person="accounts.disable_user", system=True)
    )


@rule("accounts.unlock_users")
def can_unlock_users(caller: Caller) -> Decision:
    return check(caller, person="accounts.unlock_user", system=True)


@rule("accounts.reset_mfa")
def can_reset_mfa(caller: Caller) -> Decision:
    return check(caller, person="accounts.reset_mfa", system=True)


@rule("accounts.view_roles")
def can_view_roles(caller: Caller) -> Decision:
    return any_of(can_manage_users(caller), check(caller, person="auth.view_group"))


@rule("accounts.view_teams")
def can_view_teams(caller: Caller) -> Decision:
    return any_of(can_manage_teams(caller), check(caller, person="accounts.view_team"))


@rule("accounts.add_teams")
def can_add_teams(caller: Caller) -> Decision:
    return check(caller, person="accounts.add_team", system=True)


@rule("accounts.manage_teams")
def can_manage_teams(caller: Caller) -> Decision:
    """Rename teams."""
    return check(caller, person="accounts.change_team", system=True)


@rule("accounts.view_api_keys")
def can_view_api_keys(caller: Caller) -> Decision:
    return any_of(can_manage_api_keys(caller), check(caller, person="accounts.view_serviceapikey"))


@rule("accounts.manage_api_keys")
def can_manage_api_keys(caller: Caller) -> Decision:
    """Create and revoke integrators' API keys."""
    return check(caller, person="accounts.manage_api_keys", system=True)
