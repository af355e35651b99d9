"""Audit actions for tests that need events of no particular service, and a shorthand to
record an event by its name (tests write synthetic logs; products record declared Actions)."""

from __future__ import annotations

from typing import Any

from audit.actions import INFO, Category, declare, declared
from audit.models import AuditEvent
from audit.services import audit_record
from ccplatform.context import Actor

TESTED = declare("platform.tested", Category.AUDIT_LOG, INFO, "An event written by a test.")


def record(*, actor: Actor, action: str, **fields: Any) -> AuditEvent:
    """audit_record with the action given by its stored name (it must be declared)."""
    return audit_record(actor=actor, action=declared(action), **fields)
