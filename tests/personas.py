"""Named people and service accounts for tests, made through the real services."""

from __future__ import annotations

from dataclasses import dataclass

from django.test import Client
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.middleware import SIGNED_IN_AT
from accounts.models import Role, Team, User
from accounts.services.api_keys import api_key_create
from accounts.services.users import user_create
from ccplatform.context import Actor

PASSWORD = "a long test passphrase 4 persona"
SETUP = Actor.system("test-setup")


def make_person(username: str, role: Role, *teams: Team, email: str = "") -> User:
    """A person with PASSWORD and a confirmed authenticator device."""
    user = user_create(
        actor=SETUP,
        username=username,
        role=role,
        email=email or f"{username}@staff.example",
        teams=teams,
        password=PASSWORD,
    )
    TOTPDevice.objects.create(user=user, name="test phone", confirmed=True)
    return user


def current_code(user: User) -> str:
    """The code the user's authenticator shows now."""
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def login_verified(client: Client, user: User) -> Client:
    """A session as if both sign-in steps had passed (the flow itself is tested separately)."""
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.get(user=user, confirmed=True).persistent_id
    session[SIGNED_IN_AT] = timezone.now().isoformat()
    session.save()
    return client


def sign_in_through_the_pages(client: Client, user: User) -> Client:
    """Both real steps: password, then the current authenticator code."""
    response = client.post("/accounts/login/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302, response.content[:300]
    response = client.post("/accounts/verify/", {"code": current_code(user)})
    assert response.status_code == 302, response.content[:300]
    return client


@dataclass
class Integrator:
    user: User
    key: str

    def headers(self) -> dict[str, str]:
        return {"HTTP_AUTHORIZATION": f"Api-Key {self.key}"}


def make_integrator(
    username: str = "crm.sync", scopes: tuple[str, ...] = ("customers:read",)
) -> Integrator:
    user = user_create(actor=SETUP, username=username, role=Role.INTEGRATOR)
    _, key = api_key_create(actor=SETUP, user=user, name="CRM", scopes=scopes, expires_at=None)
    return Integrator(user=user, key=key)
