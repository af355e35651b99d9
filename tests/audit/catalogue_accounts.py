"""Completeness catalogue: the accounts services and the events each owes.

Users and teams, API keys, second factors, passwords and sessions; every `entry(...)` here
registers in tests.audit.service_catalogue.CATALOGUE when this module is imported (by
tests/audit/test_completeness.py, which runs them). The sign-in flow is in catalogue_signin.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from accounts.callers import caller_for_key
from accounts.models import Role, ServiceAPIKey, Team, User, UserSession
from accounts.services import api_keys, mfa, passwords, sessions, teams, users
from audit.services import AuditTarget
from ccplatform.callers import Caller
from ccplatform.context import Actor
from ccplatform.errors import AccessDeniedError, ServiceError
from tests.audit.service_catalogue import (
    SYSTEM,
    Expect,
    after,
    by,
    denial,
    device_code,
    enrolling,
    entry,
    locked,
    new_person,
    raises,
    then,
)
from tests.personas import PASSWORD

NEW_PASSWORD = "an entirely fresh passphrase for the catalogue"
NEW_USER = AuditTarget("accounts.user", "new")


def key_target(key: ServiceAPIKey) -> AuditTarget:
    return AuditTarget("accounts.serviceapikey", key.prefix)


def long_ago(user: User) -> None:
    past = timezone.now() - dt.timedelta(days=200)
    User.objects.filter(pk=user.pk).update(last_login=past, active_since=past)


def session_of(user: User) -> UserSession:
    return UserSession.objects.create(
        session_key="catalogue-session-key-0123456789ab", session_data="", user=user,
        expire_date=timezone.now() + dt.timedelta(hours=1),
    )  # fmt: skip


def key_caller_of(service_account: User) -> Caller:
    """The caller of the service account's API key (the integrator persona's)."""
    return caller_for_key(ServiceAPIKey.objects.select_related("user").get(user=service_account))


# --- accounts: users and teams ---------------------------------------------------------------

# fmt: off
entry("user_create", users.user_create, "user.created",
      lambda w: lambda: Expect(w.admin, users.user_create(
    caller=w.admin, username="new.person", role=Role.AGENT, password=PASSWORD, teams=[w.team])))
entry("user_create_refused", users.user_create, "access.denied",
      lambda w: lambda: raises(AccessDeniedError, lambda: users.user_create(
          caller=w.as_user(w.supervisor), username="new.person", role=Role.AGENT,
          password=PASSWORD),
          denial(w.as_user(w.supervisor), NEW_USER, rule="accounts.add_users",
                 why="missing_permission:accounts.assign_role")))
entry("user_set_role", users.user_set_role, "user.role_changed", lambda w: lambda: Expect(
    w.admin, users.user_set_role(caller=w.admin, user=w.agent, role=Role.SUPERVISOR, reason="up")))
entry("user_set_teams", users.user_set_teams, "user.teams_changed", lambda w: lambda: Expect(
    w.admin, users.user_set_teams(caller=w.admin, user=w.agent, teams=[Team.objects.create(
        name="Night desk")])))
entry("user_disable", users.user_disable, "user.disabled", lambda w: lambda: Expect(
    w.admin, users.user_disable(caller=w.admin, user=w.agent, reason="left")))
entry("user_enable", users.user_enable, "user.enabled", lambda w: after(
    lambda: users.user_disable(caller=w.admin, user=w.agent, reason="leave"),
    lambda: Expect(w.admin, users.user_enable(caller=w.admin, user=w.agent, reason="back"))))
entry("user_unlock", users.user_unlock, "user.unlocked", lambda w: lambda: Expect(
    w.admin, users.user_unlock(caller=w.admin, user=locked(w.agent), reason="called in")))
entry("users_disable_dormant", users.users_disable_dormant, "user.disabled", lambda w: after(
    lambda: long_ago(w.agent), lambda: then(lambda: users.users_disable_dormant(inactive_days=90),
                                    Expect(Actor.system("dormant-accounts"), w.agent))),
      why="One user.disabled per dormant account; exactly one account is dormant here.")
entry("team_create", teams.team_create, "team.created", lambda w: lambda: Expect(
    w.admin, teams.team_create(caller=w.admin, name="Escalations")))
entry("team_rename", teams.team_rename, "team.renamed", lambda w: lambda: Expect(
    w.admin, teams.team_rename(caller=w.admin, team=w.team, name="Retention")))
entry("team_rename_refused", teams.team_rename, "access.denied", lambda w: lambda: raises(
    AccessDeniedError, lambda: teams.team_rename(
        caller=w.as_user(w.compliance_officer), team=w.team, name="Retention"),
    denial(w.as_user(w.compliance_officer), w.team, rule="accounts.manage_teams",
           why="missing_permission:accounts.change_team")))

# --- accounts: API keys --------------------------------------------------------------------------
entry("api_key_create", api_keys.api_key_create, "api_key.created", lambda w: lambda: Expect(
    w.admin, key_target(api_keys.api_key_create(
        caller=w.admin, user=w.service_account, name="CRM", scopes=["customers:read"],
        expires_at=None)[0])))
entry("api_key_revoke", api_keys.api_key_revoke, "api_key.revoked", lambda w: lambda: Expect(
    w.admin, key_target(api_keys.api_key_revoke(
        caller=w.admin, key=ServiceAPIKey.objects.get(user=w.service_account), reason="leaked"))))
entry("api_key_use_denied", api_keys.api_key_use_denied, "api_key.denied",
      lambda w: lambda: then(lambda:
    api_keys.api_key_use_denied(prefix="AbCdEfGh", why="revoked"),
    Expect(Actor.api_key("AbCdEfGh"), AuditTarget("accounts.serviceapikey", "AbCdEfGh"), "denied")))

# --- accounts: second factors ------------------------------------------------------------------
entry("mfa_enrolment_device", mfa.mfa_enrolment_device, "mfa.enrolment_started",
      lambda w: (lambda person: lambda: then(
          lambda: mfa.mfa_enrolment_device(user=person), by(person)))(new_person(w)))
entry("mfa_enrolment_device_again", mfa.mfa_enrolment_device, (),
      lambda w: (lambda made: lambda: then(
          lambda: mfa.mfa_enrolment_device(user=made[0]), by(made[0])))(enrolling(w)),
      why="The device is already being set up: handing it back again changes nothing.")
entry("mfa_enrolment_confirm", mfa.mfa_enrolment_confirm, "mfa.enrolled",
      lambda w: (lambda made: lambda: then(
          lambda: mfa.mfa_enrolment_confirm(user=made[0], code=device_code(made[1])),
          by(made[0])))(enrolling(w)))
entry("mfa_enrolment_confirm_wrong_code", mfa.mfa_enrolment_confirm, (), lambda w: (
    lambda made: lambda: then(lambda: mfa.mfa_enrolment_confirm(user=made[0], code="1234567x"),
                              by(made[0])))(enrolling(w)),
      why="A wrong code changes nothing here; the sign-in flow confirms through "
          "signin_enrolment_confirm (its own entries), which records it as a failed OTP step "
          "and counts it towards the lockout.")
entry("mfa_enrolment_confirm_locked", mfa.mfa_enrolment_confirm, (), lambda w: (
    lambda made: lambda: raises(ServiceError, lambda: mfa.mfa_enrolment_confirm(
        user=locked(made[0]), code=device_code(made[1])), by(made[0])))(enrolling(w)),
      why="A locked account confirms nothing (the sign-in rule); signin_enrolment_confirm "
          "records the attempt (its own entry).")
entry("mfa_recovery_codes_regenerate", mfa.mfa_recovery_codes_regenerate,
      "mfa.recovery_codes_regenerated", lambda w: lambda: then(lambda:
          mfa.mfa_recovery_codes_regenerate(caller=w.as_user(w.agent)), by(w.agent)))
entry("mfa_reset", mfa.mfa_reset, "mfa.reset", lambda w: lambda: then(lambda:
    mfa.mfa_reset(caller=w.admin, user=w.agent, reason="lost phone"), Expect(w.admin, w.agent)))
entry("mfa_reset_refused", mfa.mfa_reset, "access.denied", lambda w: lambda: raises(
    AccessDeniedError, lambda: mfa.mfa_reset(
        caller=w.as_user(w.supervisor), user=w.agent, reason="lost phone"),
    denial(w.as_user(w.supervisor), w.agent, rule="accounts.reset_mfa",
           why="missing_permission:accounts.reset_mfa")))

# --- accounts: passwords and sessions ----------------------------------------------------------
entry("password_change_check", passwords.password_change_check, "password.change_refused",
      lambda w: lambda: raises(ServiceError, lambda: passwords.password_change_check(
          caller=w.as_user(w.agent), current_password="wrong " * 4, new_password=NEW_PASSWORD),
          Expect(w.as_user(w.agent), w.agent, "failed")))
entry("password_record", passwords.password_record, (), lambda w: lambda: then(lambda:
    passwords.password_record(w.agent), by(w.agent)),
      why="A step of user_create, password_change and password_reset_complete (the history "
          "row for reuse checks), which record the event in the same transaction.")
entry("password_change", passwords.password_change, "password.changed",
      lambda w: lambda: then(lambda:
    passwords.password_change(caller=w.as_user(w.agent), current_password=PASSWORD,
                              new_password=NEW_PASSWORD, keep_session_key=None), by(w.agent)))
entry("password_reset_complete", passwords.password_reset_complete, "password.reset_completed",
      lambda w: lambda: then(lambda: passwords.password_reset_complete(
          user=w.agent, new_password=NEW_PASSWORD), by(w.agent)))
entry("password_reset_request", passwords.password_reset_request, "password.reset_requested",
      lambda w: lambda: then(lambda: passwords.password_reset_request(user=w.agent), by(w.agent)))
entry("password_reset_request_unknown", passwords.password_reset_request, (),
      lambda w: lambda: then(lambda: passwords.password_reset_request(user=None),
                             Expect(SYSTEM, None)),
      why="No such account: nobody to record it about, and the typed address is personal "
          "data that must not be stored (the page answers the same either way).")
entry("session_end_others", sessions.session_end_others, "session.others_ended",
      lambda w: after(lambda: session_of(w.agent), lambda: then(lambda:
          sessions.session_end_others(caller=w.as_user(w.agent), keep_session_key="current"),
          by(w.agent))))
entry("session_end_others_by_a_key", sessions.session_end_others, "access.denied",
      lambda w: (lambda key: lambda: raises(AccessDeniedError, lambda: sessions.session_end_others(
          caller=key, keep_session_key="current"), denial(
              key, w.service_account, rule="accounts.own_security", why="keys_not_allowed")))(
                  key_caller_of(w.service_account)))
entry("session_end", sessions.session_end, "session.revoked", lambda w: (
    lambda public_id: lambda: then(lambda: sessions.session_end(
        caller=w.as_user(w.agent), session_id=public_id), by(w.agent)))(
            sessions.session_public_id(session_of(w.agent))))
entry("session_end_unknown", sessions.session_end, "session.revoke_refused",
      lambda w: lambda: raises(
          ServiceError, lambda: sessions.session_end(
              caller=w.as_user(w.agent), session_id="0" * 16),
          Expect(w.as_user(w.agent), w.agent, "denied")))
# fmt: on
