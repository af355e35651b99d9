"""Building the one Caller of a request from what accounts knows: the verified person of a
session, or an integrator's API key. Nothing below this recomputes who is calling."""

from __future__ import annotations

from django.http import HttpRequest

from accounts.models import ServiceAPIKey, User
from ccplatform.callers import Caller, CallerKind, Via, attach_caller
from ccplatform.context import Actor, current_request


def via_of(request: HttpRequest) -> Via:
    """The door a browser or API request came through, by its path."""
    if request.path.startswith("/api/"):
        return Via.API
    if request.path.startswith("/admin/"):
        return Via.ADMIN
    return Via.PAGE


def caller_for_person(user: User, *, via: Via) -> Caller:
    """A person whose second factor is verified (the middleware has checked it)."""
    return Caller(
        kind=CallerKind.PERSON,
        via=via,
        audit_actor=Actor.user(user.pk),
        user=user,
        role=user.role,
        request=current_request(),
        load_permissions=lambda: frozenset(user.get_all_permissions()),
        load_team_ids=lambda: frozenset(user.teams.values_list("pk", flat=True)),
    )


def caller_for_key(key: ServiceAPIKey) -> Caller:
    """An integrator's API key (authenticated: known, not revoked, not expired, account
    active); it acts as its service account, with the key's scopes."""
    return Caller(
        kind=CallerKind.API_KEY,
        via=Via.API,
        audit_actor=Actor.api_key(key.prefix),
        user=key.user,
        key=key,
        key_prefix=key.prefix,
        role=key.user.role,
        scopes=frozenset(key.scopes),
        request=current_request(),
    )


def attach_request_caller(request: HttpRequest) -> Caller:
    """The session's caller: its verified person, or nobody."""
    user = request.user
    if isinstance(user, User) and user.is_authenticated and user.is_verified():  # type: ignore[attr-defined]
        return attach_caller(request, caller_for_person(user, via=via_of(request)))
    return attach_caller(request, Caller.anonymous(via=via_of(request)))


def user_of(caller: Caller) -> User:
    """The account behind a person or key caller (the person, or the key's service account)."""
    if not isinstance(caller.user, User):
        raise TypeError(f"{caller} acts for no account")
    return caller.user


def key_of(caller: Caller) -> ServiceAPIKey:
    if not isinstance(caller.key, ServiceAPIKey):
        raise TypeError(f"{caller} is not an API key")
    return caller.key
