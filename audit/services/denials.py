"""The one denial recorder: every refusal of an access rule becomes one `access.denied` event.

Installed into the gate (ccplatform.gate) when the audit app starts. The details have one
shape whatever refused: `{rule, via, resource, why}`, where `rule` names the predicate that
said no, `via` the entry point (page, api, admin, task, command), `resource` what was asked
for (an entry point such as "GET /api/v1/customers/", or a record's type and id), and `why`
the condition that failed (e.g. "missing_permission:customers.reveal_customer").
"""

from __future__ import annotations

from django.db import models

from audit.actions import ACCESS_DENIED
from audit.models import Outcome
from audit.services.recording import AuditTarget, audit_record
from ccplatform.callers import Caller
from ccplatform.gate import Resource
from ccplatform.permissions import Decision

TARGET_ID_MAX = 64


def _target(caller: Caller, resource: Resource) -> tuple[models.Model | AuditTarget, str]:
    if isinstance(resource, models.Model):
        return resource, f"{resource._meta.label_lower}:{resource.pk}"
    if isinstance(resource, tuple):
        kind, ident = resource
        return AuditTarget(kind, ident), f"{kind}:{ident}"
    # An entry point: the target is the door itself, as "page" / "api" / "admin".
    return AuditTarget(str(caller.via), resource[:TARGET_ID_MAX]), resource


def access_denied_record(caller: Caller, decision: Decision, resource: Resource) -> None:
    """Record `decision` (a refusal) of `caller` about `resource`, in the caller's transaction."""
    target, described = _target(caller, resource)
    audit_record(
        actor=caller.actor,
        action=ACCESS_DENIED,
        target=target,
        outcome=Outcome.DENIED,
        details={
            "rule": decision.rule,
            "via": str(caller.via),
            "resource": described[:200],
            "why": decision.why,
        },
    )
