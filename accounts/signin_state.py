"""The half-way state between the password step and the second factor, kept in the session.

Nobody is signed in while this state exists: request.user stays anonymous until the second
factor passes, so a password alone opens no page and no API endpoint.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import login
from django.http import HttpRequest
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django_otp import login as otp_login
from django_otp.models import Device

from accounts.middleware import SIGNED_IN_AT
from accounts.models import User
from accounts.models.sessions import SESSION_IP_KEY, SESSION_USER_AGENT_KEY
from accounts.services.mfa import confirmed_totp_device
from accounts.services.signin import signin_succeeded
from ccplatform.context import client_ip

PENDING = "_ccp_pending_sign_in"
NEXT = "_ccp_next"
PENDING_LIFETIME = timedelta(minutes=5)
ENROL = "enrol"
VERIFY = "verify"


@dataclass(frozen=True)
class Pending:
    user: User
    stage: str


def start(request: HttpRequest, user: User, next_url: str | None) -> Pending:
    """After the password step: a new session id, and which second step comes next."""
    request.session.cycle_key()
    stage = VERIFY if confirmed_totp_device(user) is not None else ENROL
    request.session[PENDING] = {
        "user": str(user.pk),
        "stage": stage,
        "at": timezone.now().isoformat(),
    }
    if next_url and url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        request.session[NEXT] = next_url
    return Pending(user=user, stage=stage)


def current(request: HttpRequest) -> Pending | None:
    """The pending sign-in, unless it is missing, stale or for a disabled account."""
    data = request.session.get(PENDING)
    if not isinstance(data, dict):
        return None
    try:
        started = datetime.fromisoformat(data["at"])
    except (KeyError, ValueError):
        return None
    if timezone.now() - started > PENDING_LIFETIME:
        request.session.pop(PENDING, None)
        return None
    try:
        user_id = uuid.UUID(str(data.get("user")))
    except ValueError:
        return None
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None or user.is_service_account:
        return None
    return Pending(user=user, stage=str(data.get("stage")))


def complete(request: HttpRequest, user: User, device: Device) -> str:
    """Both factors passed: sign in (another new session id) and return where to go next."""
    next_url = request.session.get(NEXT) or settings.LOGIN_REDIRECT_URL
    request.session.pop(PENDING, None)
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    otp_login(request, device)
    request.session[SIGNED_IN_AT] = timezone.now().isoformat()
    request.session[SESSION_IP_KEY] = client_ip(request)
    request.session[SESSION_USER_AGENT_KEY] = request.META.get("HTTP_USER_AGENT", "")[:400]
    signin_succeeded(user=user, device=device)
    return str(next_url)
