"""Who is calling: one `Caller` per request or task, built once, passed to every selector
and service as `caller=`.

A caller is a person whose second factor is verified in this session, an API key of a
service account, the system (a task or a management command), or nobody (a request that
has not signed in). It is built by `accounts` (the session middleware and the API-key
authentication, which know the models) or by `Caller.system` at a task's or command's
entry, and never recomputed further down: predicates (ccplatform.permissions) read it,
the audit log names its `actor`, and refusals say through which door (`via`) it came.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property
from typing import TYPE_CHECKING, Any

from ccplatform.context import Actor, RequestInfo, current_request

if TYPE_CHECKING:
    from django.http import HttpRequest
    from rest_framework.request import Request


class CallerKind(StrEnum):
    PERSON = "person"
    API_KEY = "api_key"
    SYSTEM = "system"
    ANONYMOUS = "anonymous"


class Via(StrEnum):
    """The entry point an action came through (recorded with every refusal)."""

    PAGE = "page"
    API = "api"
    ADMIN = "admin"
    TASK = "task"
    COMMAND = "command"


def _nothing() -> frozenset[Any]:
    return frozenset()


@dataclass(frozen=True, eq=False)
class Caller:
    """The one principal of a request or task, and what it holds.

    `user` is the person, or the service account an API key belongs to (the one shared type,
    AUTH_USER_MODEL; `accounts.callers.user_of` gives it typed). Permissions and team ids
    are loaded on first use, once per caller: most requests need one of them, few need both.
    """

    kind: CallerKind
    via: Via
    audit_actor: Actor | None = None
    user: object | None = None
    key: object | None = None
    key_prefix: str = ""
    role: str = ""
    scopes: frozenset[str] = frozenset()
    request: RequestInfo | None = None
    load_permissions: Callable[[], frozenset[str]] = field(default=_nothing, repr=False)
    load_team_ids: Callable[[], frozenset[uuid.UUID]] = field(default=_nothing, repr=False)

    # --- Kinds -------------------------------------------------------------------------------

    @classmethod
    def system(cls, name: str, *, via: Via = Via.TASK) -> Caller:
        """A task, a command or a migration acting for the platform itself."""
        return cls(kind=CallerKind.SYSTEM, via=via, audit_actor=Actor.system(name))

    @classmethod
    def anonymous(cls, *, via: Via = Via.PAGE) -> Caller:
        """Nobody signed in (or a session without its second factor)."""
        return cls(kind=CallerKind.ANONYMOUS, via=via, request=current_request())

    @property
    def is_person(self) -> bool:
        return self.kind is CallerKind.PERSON

    @property
    def is_key(self) -> bool:
        return self.kind is CallerKind.API_KEY

    @property
    def is_system(self) -> bool:
        return self.kind is CallerKind.SYSTEM

    @property
    def is_anonymous(self) -> bool:
        return self.kind is CallerKind.ANONYMOUS

    # --- What it holds ---------------------------------------------------------------------

    @property
    def actor(self) -> Actor:
        """Whom the audit log names. Nobody acts anonymously: a gate stops such a caller."""
        if self.audit_actor is None:
            raise RuntimeError("An anonymous caller cannot act; a gate should have refused it.")
        return self.audit_actor

    @property
    def user_id(self) -> object | None:
        return getattr(self.user, "pk", None)

    @cached_property
    def permissions(self) -> frozenset[str]:
        """A person's permissions ("app.codename"); keys and the system hold none."""
        return self.load_permissions() if self.is_person else frozenset()

    @cached_property
    def team_ids(self) -> frozenset[uuid.UUID]:
        """The teams a person works in; empty for keys and the system."""
        return self.load_team_ids() if self.is_person else frozenset()

    def has_perm(self, permission: str) -> bool:
        return permission in self.permissions

    def has_scope(self, scope: str) -> bool:
        return self.is_key and scope in self.scopes

    def __str__(self) -> str:
        return f"{self.kind}:{self.audit_actor.id if self.audit_actor else '-'}"


CALLER_ATTRIBUTE = "caller"


def caller_of(request: HttpRequest | Request) -> Caller:
    """The caller the middleware (or the API-key authentication) attached to `request`.

    A request that no middleware saw (a unit test calling a view directly) is anonymous.
    """
    caller = getattr(request, CALLER_ATTRIBUTE, None)
    return caller if isinstance(caller, Caller) else Caller.anonymous()


def attach_caller(request: HttpRequest, caller: Caller) -> Caller:
    """Set the request's caller (the session middleware, then the API-key authentication)."""
    setattr(request, CALLER_ATTRIBUTE, caller)
    return caller
