"""The one way to write the audit log: audit_record, which appends to the hash chains."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from audit.actions import Action, UndeclaredActionError, is_declared
from audit.chaining import EventFields, append, chain_for
from audit.models import AuditEvent, Outcome
from ccplatform.context import Actor, current_request
from ccplatform.redaction import redact


@dataclass(frozen=True)
class AuditTarget:
    """A record that is not a model instance at hand: its type label and id."""

    type: str
    id: str


def _target_of(target: models.Model | AuditTarget | None) -> tuple[str, str]:
    if target is None:
        return "", ""
    if isinstance(target, AuditTarget):
        return target.type, target.id
    return target._meta.label_lower, str(target.pk)


def _clean_text(value: str, limit: int | None = None) -> str:
    """Scrubbed of personal values; NUL removed (PostgreSQL text and jsonb refuse it)."""
    text = redact(value.replace("\x00", "")).text
    return text[:limit] if limit else text


def _clean_details(value: Any) -> Any:
    """Details are ids, names and counts; any text is scrubbed as a second line of defence."""
    if isinstance(value, str):
        return _clean_text(value)
    if isinstance(value, Mapping):
        return {_clean_text(str(key)): _clean_details(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_clean_details(item) for item in value]
    if value is None or isinstance(value, bool | int | float):
        return value
    return str(value)


def _normalised_ip(value: str | None) -> str | None:
    """The address as the database prints it back, so the canonical text matches the column."""
    try:
        return str(ipaddress.ip_address(value)) if value else None
    except ValueError:
        return None


def audit_record(
    *,
    actor: Actor,
    action: Action,
    target: models.Model | AuditTarget | None = None,
    outcome: Outcome | str = Outcome.ALLOWED,
    reason: str = "",
    details: Mapping[str, Any] | None = None,
) -> AuditEvent:
    """Record one event in the caller's transaction: if the caller rolls back, so does it.

    The request id, client IP and user agent come from the request context, when there is
    one. `details` must hold no personal values; text in it is scrubbed all the same.
    `action` is a declared Action (audit.actions); anything else is a programming error.
    """
    if not is_declared(action):
        raise UndeclaredActionError(f"{action!r} is not an action declared in the registry")
    if outcome not in Outcome.values:
        raise ValueError(f"Audit outcome {outcome!r} is not one of {', '.join(Outcome.values)}.")
    target_type, target_id = _target_of(target)
    request = current_request()
    fields = EventFields(
        occurred_at=timezone.now(),
        actor_kind=str(actor.kind),
        actor_id=_clean_text(actor.id, 64),
        action=action.name,
        target_type=target_type,
        target_id=_clean_text(target_id, 64),
        outcome=str(outcome),
        reason=_clean_text(reason.strip(), 500),
        request_id=_clean_text(request.request_id, 64) if request else "",
        ip=_normalised_ip(request.ip) if request else None,
        user_agent=_clean_text(request.user_agent, 400) if request else "",
        details=_clean_details(dict(details or {})),
    )
    with transaction.atomic():
        link = append(fields, chain=chain_for(fields.actor_kind, fields.actor_id))
    return AuditEvent(
        id=link.id,
        chain=link.chain,
        seq=link.seq,
        prev_hash=link.prev_hash,
        hash=link.hash,
        canonical=link.canonical,
        **vars(fields),
    )
