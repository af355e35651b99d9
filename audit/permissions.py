"""Who may use the audit log: `can_*` predicates, asked by its pages, API, admin and services.

People need the permission named (compliance officers hold them); integrator keys with
`audit:read` may read, export and verify, never act on alerts; sealing and dropping archives
is for an operator's command (the system), never a page.
"""

from __future__ import annotations

from ccplatform.callers import Caller
from ccplatform.permissions import Decision, check, rule
from ccplatform.scopes import Scope


@rule("audit.read_events")
def can_read_events(caller: Caller) -> Decision:
    return check(caller, person="audit.view_auditevent", key=Scope.AUDIT_READ)


@rule("audit.export_events")
def can_export_events(caller: Caller) -> Decision:
    return check(caller, person="audit.export_auditevent", key=Scope.AUDIT_READ, system=True)


@rule("audit.verify")
def can_verify(caller: Caller) -> Decision:
    """Run a verification, and read the signed checkpoints it relies on."""
    return check(caller, person="audit.verify_auditevent", key=Scope.AUDIT_READ, system=True)


@rule("audit.read_alerts")
def can_read_alerts(caller: Caller) -> Decision:
    return check(caller, person="audit.view_alert", key=Scope.AUDIT_READ)


@rule("audit.handle_alerts")
def can_handle_alerts(caller: Caller) -> Decision:
    """Acknowledge or close an alert: people only (no scope lets a key do it)."""
    return check(caller, person="audit.change_alert")


@rule("audit.archive")
def can_archive(caller: Caller) -> Decision:
    """Seal and drop ranges of the log: an operator's command, run as the table's owner."""
    return check(caller, system=True)
