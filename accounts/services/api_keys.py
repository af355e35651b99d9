"""Integrator API keys: created for service accounts only, shown once, revocable, audited."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from accounts.actions import API_KEY_CREATED, API_KEY_DENIED, API_KEY_REVOKED
from accounts.models import ServiceAPIKey, User
from accounts.permissions import can_manage_api_keys
from audit.services import AuditTarget, Outcome, audit_record
from ccplatform.callers import Caller
from ccplatform.context import Actor
from ccplatform.errors import ServiceError
from ccplatform.gate import require
from ccplatform.scopes import Scope


def _audit_target_pair(key: ServiceAPIKey) -> tuple[str, str]:
    # The prefix names a key uniquely; the primary key also holds the hash, which is a
    # credential check value and longer than the audit log's target id column.
    return "accounts.serviceapikey", key.prefix


def _audit_target(key: ServiceAPIKey) -> AuditTarget:
    return AuditTarget(*_audit_target_pair(key))


def api_key_create(
    *,
    caller: Caller,
    user: User,
    name: str,
    scopes: Iterable[str],
    expires_at: datetime | None,
) -> tuple[ServiceAPIKey, str]:
    """Create a key for a service account; the plaintext key is returned once, never stored."""
    require(caller, can_manage_api_keys(caller), resource=user)
    with transaction.atomic():
        return _api_key_create(caller, user, name, scopes, expires_at)


def _api_key_create(
    caller: Caller, user: User, name: str, scopes: Iterable[str], expires_at: datetime | None
) -> tuple[ServiceAPIKey, str]:
    if not user.is_service_account:
        raise ServiceError(
            "API keys belong to service accounts (role integrator), never to people.",
            fields={"user": ["Not a service account."]},
        )
    if not user.is_active:
        raise ServiceError("The service account is disabled.", fields={"user": ["Disabled."]})
    wanted = sorted(set(scopes))
    known = [scope.value for scope in Scope]
    unknown = [scope for scope in wanted if scope not in known]
    if not wanted or unknown:
        raise ServiceError(
            "Give at least one known scope.",
            fields={"scopes": [f"Choose from {', '.join(known)}."]},
        )
    if expires_at is not None and expires_at <= timezone.now():
        raise ServiceError(
            "The expiry must be in the future.", fields={"expires_at": ["In the past."]}
        )
    if not name.strip():
        raise ServiceError("A name is required.", fields={"name": ["This field is required."]})
    key, plaintext = ServiceAPIKey.objects.create_key(
        user=user, name=name.strip()[:50], scopes=wanted, expiry_date=expires_at
    )
    assert isinstance(key, ServiceAPIKey)  # the library's manager is typed for its base class
    audit_record(
        actor=caller.actor,
        action=API_KEY_CREATED,
        target=_audit_target(key),
        details={
            "prefix": key.prefix,
            "service_account": str(user.pk),
            "scopes": wanted,
            "expires_at": expires_at.isoformat() if expires_at else None,
        },
    )
    return key, plaintext


def api_key_revoke(*, caller: Caller, key: ServiceAPIKey, reason: str) -> ServiceAPIKey:
    """Revoke a key for good (the library cannot un-revoke)."""
    require(caller, can_manage_api_keys(caller), resource=_audit_target_pair(key))
    if not reason.strip():
        raise ServiceError("A reason is required.", fields={"reason": ["This field is required."]})
    if key.revoked:
        return key
    with transaction.atomic():
        key.revoked = True
        key.save(update_fields=["revoked"])
        audit_record(
            actor=caller.actor,
            action=API_KEY_REVOKED,
            target=_audit_target(key),
            reason=reason.strip(),
            details={"prefix": key.prefix},
        )
    return key


@transaction.atomic
def api_key_use_denied(*, prefix: str, why: str) -> None:
    """Record a refused key (unknown, revoked, expired, wrong scope, in the query string)."""
    audit_record(
        actor=Actor.api_key(prefix or "unknown"),
        action=API_KEY_DENIED,
        target=AuditTarget("accounts.serviceapikey", prefix or "unknown"),
        outcome=Outcome.DENIED,
        details={"why": why},
    )
