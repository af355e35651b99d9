"""Who is acting and in which request: carried in context variables, read by the audit log.

The middleware sets the request context for each request; Celery tasks and management
commands act as `Actor.system(...)` with no request. Nothing here holds personal data.
"""

from __future__ import annotations

import contextvars
import ipaddress
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from django.conf import settings

if TYPE_CHECKING:
    from django.http import HttpRequest

# An upstream id is trusted only if it looks like one: it ends up in logs and headers.
_REQUEST_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{7,63}$")


class ActorKind(StrEnum):
    USER = "user"
    API_KEY = "api_key"
    SYSTEM = "system"


@dataclass(frozen=True)
class Actor:
    """The user, API key or system job on whose behalf an action happens."""

    kind: ActorKind
    id: str

    @classmethod
    def system(cls, name: str) -> Actor:
        return cls(kind=ActorKind.SYSTEM, id=name)

    @classmethod
    def user(cls, user_id: object) -> Actor:
        return cls(kind=ActorKind.USER, id=str(user_id))

    @classmethod
    def api_key(cls, key_id: object) -> Actor:
        return cls(kind=ActorKind.API_KEY, id=str(key_id))

    def __str__(self) -> str:
        return f"{self.kind}:{self.id}"


@dataclass(frozen=True)
class RequestInfo:
    """What the audit log records about the request an action came from."""

    request_id: str
    ip: str | None = None
    user_agent: str = ""


_current: contextvars.ContextVar[RequestInfo | None] = contextvars.ContextVar(
    "ccplatform_request", default=None
)


def current_request() -> RequestInfo | None:
    return _current.get()


@contextmanager
def request_context(info: RequestInfo) -> Iterator[RequestInfo]:
    token = _current.set(info)
    try:
        yield info
    finally:
        _current.reset(token)


def new_request_id(upstream: str | None = None) -> str:
    """`upstream` if it is a well-formed id (from a proxy or a client), else a fresh one."""
    if upstream and _REQUEST_ID.fullmatch(upstream):  # not match(): "$" allows a final \n
        return upstream
    return uuid.uuid4().hex


def client_ip(request: HttpRequest) -> str | None:
    """The client address: REMOTE_ADDR, or counted from the right of X-Forwarded-For.

    Only as many forwarded hops as TRUSTED_PROXY_COUNT are believed; anything further left
    in the header is client-controlled and ignored.
    """
    hops = settings.TRUSTED_PROXY_COUNT
    candidate: str | None = request.META.get("REMOTE_ADDR")
    if hops:
        forwarded = [
            part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        ]
        forwarded = [part for part in forwarded if part]
        if len(forwarded) >= hops:
            candidate = forwarded[-hops]
    if not candidate:
        return None
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return None
