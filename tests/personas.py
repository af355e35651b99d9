"""Named people and service accounts for tests, made through the real services.

Also the sign-in steps they take, and the checks on what those steps leave in the audit log,
that several test modules share.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.test import Client
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP, totp

from accounts.callers import caller_for_key, caller_for_person
from accounts.middleware import SIGNED_IN_AT
from accounts.models import AuthenticatorDevice, Role, ServiceAPIKey, Team, User
from accounts.services.api_keys import api_key_create
from accounts.services.users import user_create
from audit.models import AuditEvent
from ccplatform.callers import Caller, Via

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as TestResponse

PASSWORD = "a long test passphrase 4 persona"
WRONG_PASSWORD = "not the right passphrase at all"
SETUP = Caller.system("test-setup")  # the system caller that prepares what tests start from

LOGIN = "/accounts/login/"
VERIFY = "/accounts/verify/"
SECURITY = "/accounts/security/"  # a page for anyone signed in, and for nobody else


def as_caller(user: User, *, via: Via = Via.PAGE) -> Caller:
    """The caller a request of `user` would have once both sign-in steps passed."""
    return caller_for_person(user, via=via)


def key_caller(integrator: Integrator) -> Caller:
    """The caller of an API request authenticated with the integrator's key."""
    prefix = integrator.key.partition(".")[0]
    return caller_for_key(ServiceAPIKey.objects.select_related("user").get(prefix=prefix))


def make_person(username: str, role: Role, *teams: Team, email: str = "") -> User:
    """A person with PASSWORD and a confirmed authenticator device."""
    user = user_create(
        caller=SETUP,
        username=username,
        role=role,
        email=email or f"{username}@staff.example",
        teams=teams,
        password=PASSWORD,
    )
    AuthenticatorDevice.objects.create_with_secret(user=user, name="test phone", confirmed=True)
    return user


def current_code(user: User) -> str:
    """The code the user's authenticator shows now."""
    device = AuthenticatorDevice.objects.get(user=user, confirmed=True)
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def wrong_code_for_key(
    key: bytes, *, step: int = 30, t0: int = 0, digits: int = 6, drift: int = 0
) -> str:
    """A 6-digit code that an authenticator with `key` does not show around now."""
    now = time.time()
    valid = set()
    for offset in range(-3, 4):
        token = TOTP(key, step, t0, digits, drift)
        token.time = now + offset * step
        valid.add(f"{token.token():06d}")
    return next(code for code in (f"{n:06d}" for n in range(1000)) if code not in valid)


def wrong_code(user: User) -> str:
    """A 6-digit code that the user's authenticator does not accept around now."""
    device = AuthenticatorDevice.objects.get(user=user, confirmed=True)
    return wrong_code_for_key(
        device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=device.drift
    )


def session_key(client: Client) -> str:
    """The key of the client's session, as its cookie carries it."""
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def login_verified(client: Client, user: User) -> Client:
    """A session as if both sign-in steps had passed (the flow itself is tested separately)."""
    client.force_login(user)
    session = client.session
    device = AuthenticatorDevice.objects.get(user=user, confirmed=True)
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session[SIGNED_IN_AT] = timezone.now().isoformat()
    session.save()
    return client


def password_step(
    client: Client, user: User, password: str = PASSWORD, query: str = ""
) -> TestResponse:
    """The first sign-in step: the sign-in form posted with `user`'s name and `password`."""
    return client.post(f"{LOGIN}{query}", {"username": user.username, "password": password})


def sign_in_through_the_pages(client: Client, user: User) -> Client:
    """Both real steps: password, then the current authenticator code."""
    response = password_step(client, user)
    assert response.status_code == 302, response.content[:300]
    response = client.post(VERIFY, {"code": current_code(user)})
    assert response.status_code == 302, response.content[:300]
    return client


def assert_event(event: AuditEvent, *, actor: str, target: User, outcome: str = "allowed") -> None:
    """`event` was done by `actor` ("kind:id") to the account `target`, with `outcome`."""
    assert f"{event.actor_kind}:{event.actor_id}" == actor
    assert (event.target_type, event.target_id) == ("accounts.user", str(target.pk))
    assert event.outcome == outcome


def audit_text() -> str:
    """Every audit row's recorded values, as one text to search for secrets."""
    rows = AuditEvent.objects.values_list(
        "actor_id", "action", "target_type", "target_id", "reason", "user_agent", "details"
    )
    return json.dumps([list(row) for row in rows], default=str)


def secrets_kept_out_of_the_audit_log(*secrets: str) -> Iterator[list[str]]:
    """For a fixture: the secrets a test types (it may add more), none of which may be audited.

    Yields the list; once the test has run, no audit row may hold any secret in it.
    """
    typed = list(secrets)
    yield typed
    text = audit_text()
    for secret in typed:
        assert secret not in text


@dataclass
class Integrator:
    user: User
    key: str

    def headers(self) -> dict[str, str]:
        return {"HTTP_AUTHORIZATION": f"Api-Key {self.key}"}


def make_service_account(username: str) -> User:
    """A service account (role integrator): no password, it acts only through API keys."""
    return user_create(caller=SETUP, username=username, role=Role.INTEGRATOR)


def make_integrator(
    username: str = "crm.sync", scopes: tuple[str, ...] = ("customers:read",)
) -> Integrator:
    user = make_service_account(username)
    _, key = api_key_create(caller=SETUP, user=user, name="CRM", scopes=scopes, expires_at=None)
    return Integrator(user=user, key=key)
