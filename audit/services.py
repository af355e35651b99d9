"""The one way to write the audit log."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from audit.models import AuditEvent, Outcome
from ccplatform.context import Actor, current_request
from ccplatform.errors import ServiceError
from ccplatform.redaction import redact

_ACTION = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")


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


def _clean_details(value: Any) -> Any:
    """Details are ids, names and counts; any text is scrubbed as a second line of defence."""
    if isinstance(value, str):
        return redact(value).text
    if isinstance(value, Mapping):
        return {str(key): _clean_details(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_clean_details(item) for item in value]
    if value is None or isinstance(value, bool | int | float):
        return value
    return str(value)


def audit_record(
    *,
    actor: Actor,
    action: str,
    target: models.Model | AuditTarget | None = None,
    outcome: Outcome | str = Outcome.ALLOWED,
    reason: str = "",
    details: Mapping[str, Any] | None = None,
) -> AuditEvent:
    """Record one event in the caller's transaction: if the caller rolls back, so does it.

    The request id, client IP and user agent come from the request context, when there is
    one. `details` must hold no personal values; text in it is scrubbed all the same.
    """
    if not _ACTION.match(action):
        raise ServiceError(f"Audit action {action!r} is not a dotted verb such as 'user.created'.")
    if outcome not in Outcome.values:
        raise ServiceError(f"Audit outcome {outcome!r} is not one of {', '.join(Outcome.values)}.")
    target_type, target_id = _target_of(target)
    request = current_request()
    with transaction.atomic():
        return AuditEvent.objects.create(
            occurred_at=timezone.now(),
            actor_kind=str(actor.kind),
            actor_id=actor.id,
            action=action,
            target_type=target_type,
            target_id=target_id,
            outcome=str(outcome),
            reason=redact(reason.strip()).text[:500],
            request_id=request.request_id if request else "",
            ip=request.ip if request else None,
            user_agent=request.user_agent if request else "",
            details=_clean_details(dict(details or {})),
        )
