"""Completeness catalogue: sign-in and sign-out, and the events each step owes.

The failure paths are the audited ones that matter most: wrong, unknown, locked and
service-account passwords, the lockout, wrong and replayed codes, enrolment at sign-in.
Every `entry(...)` here registers in tests.audit.service_catalogue.CATALOGUE when this
module is imported (by tests/audit/test_completeness.py, which runs them).
"""

from __future__ import annotations

from django.test import RequestFactory

from accounts.models import AuthenticatorDevice, User
from accounts.services import mfa, signin
from audit.services import AuditTarget
from ccplatform.context import Actor
from tests.audit.service_catalogue import (
    Expect,
    after,
    by,
    device_code,
    enrolling,
    entry,
    locked,
    then,
)
from tests.personas import PASSWORD, current_code, wrong_code


def with_failures(user: User, count: int) -> User:
    User.objects.filter(pk=user.pk).update(failed_sign_in_count=count)
    return user


def sign_in(user_name: str, password: str) -> User | None:
    request = RequestFactory().post("/accounts/login/")
    return signin.signin_password(request=request, username=user_name, password=password)


def denied(user: User) -> Expect:
    return Expect(Actor.user(user.pk), user, "denied")


# fmt: off

entry("signin_password", signin.signin_password, "auth.password_accepted",
      lambda w: lambda: by(sign_in(w.agent.username, PASSWORD) or w.other_agent))
entry("signin_password_wrong", signin.signin_password, "auth.password_failed",
      lambda w: lambda: then(lambda: sign_in(w.agent.username, "wrong " * 4), denied(w.agent)))
entry("signin_password_unknown_user", signin.signin_password, "auth.password_failed",
      lambda w: lambda: then(lambda: sign_in("jane.roe@example.com", "wrong " * 4), Expect(
          Actor.system("sign-in"), AuditTarget("accounts.user", "unknown"), "denied")))
entry("signin_password_locked", signin.signin_password, "auth.password_failed",
      lambda w: lambda: then(lambda: sign_in(locked(w.agent).username, PASSWORD), denied(w.agent)))
entry("signin_password_service_account", signin.signin_password, "auth.password_failed",
      lambda w: lambda: then(lambda: sign_in(w.service_account.username, ""),
                             denied(w.service_account)))
entry("signin_password_lockout", signin.signin_password, ("auth.password_failed", "user.locked"),
      lambda w: lambda: then(lambda:
          sign_in(with_failures(w.agent, 9).username, "wrong " * 4),
          (denied(w.agent), Expect(Actor.system("sign-in"), w.agent))),
      why="The failure that reaches the threshold also locks the account: two events.")
entry("signin_second_factor_totp", signin.signin_second_factor, (), lambda w: lambda: then(lambda:
    signin.signin_second_factor(user=w.agent, code=current_code(w.agent)), by(w.agent)),
      why="A right code is one step of sign-in; signin_succeeded records the sign-in once.")
entry("signin_second_factor_recovery_code", signin.signin_second_factor, "mfa.recovery_code_used",
      lambda w: (lambda codes: lambda: then(lambda: signin.signin_second_factor(
          user=w.agent, code=codes[0]), by(w.agent)))(mfa.mfa_recovery_codes_regenerate(
              caller=w.as_user(w.agent))))
entry("signin_second_factor_wrong", signin.signin_second_factor, "auth.otp_failed",
      lambda w: lambda: then(
          lambda: signin.signin_second_factor(user=w.agent, code=wrong_code(w.agent)),
          denied(w.agent)))
entry("signin_second_factor_replayed", signin.signin_second_factor, "auth.otp_replayed",
      lambda w: (lambda code: after(
          lambda: signin.signin_second_factor(user=w.agent, code=code), lambda: then(
              lambda: signin.signin_second_factor(user=w.agent, code=code), denied(w.agent))))(
                  current_code(w.agent)))
entry("signin_second_factor_locked", signin.signin_second_factor, "auth.otp_failed",
      lambda w: lambda: then(lambda: signin.signin_second_factor(
          user=locked(w.agent), code=current_code(w.agent)), denied(w.agent)))
entry("signin_enrolment_confirm", signin.signin_enrolment_confirm, "mfa.enrolled",
      lambda w: (lambda made: lambda: then(lambda: signin.signin_enrolment_confirm(
          user=made[0], code=device_code(made[1])), by(made[0])))(enrolling(w)))
entry("signin_enrolment_confirm_wrong", signin.signin_enrolment_confirm, "auth.otp_failed",
      lambda w: (lambda made: lambda: then(lambda: signin.signin_enrolment_confirm(
          user=made[0], code="1234567x"), denied(made[0])))(enrolling(w)),
      why="A wrong code is a failed OTP step (it counts towards the lockout).")
entry("signin_enrolment_confirm_locked", signin.signin_enrolment_confirm, "auth.otp_failed",
      lambda w: (lambda made: lambda: then(lambda: signin.signin_enrolment_confirm(
          user=locked(made[0]), code=device_code(made[1])), denied(made[0])))(enrolling(w)),
      why="A locked account confirms nothing, even with the right code: a failed OTP step.")
entry("signin_succeeded", signin.signin_succeeded, "auth.signed_in", lambda w: lambda: then(lambda:
    signin.signin_succeeded(user=w.agent, device=AuthenticatorDevice.objects.get(user=w.agent)),
    by(w.agent)))
entry("signout", signin.signout, "session.ended",
      lambda w: lambda: then(lambda: signin.signout(user=w.agent), by(w.agent)))
# fmt: on
