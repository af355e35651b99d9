"""Who may call each audit endpoint: a person with the permission, or a key with the scope.

Every class is one line on top of audit.access.AuditApiAccess, which also audits a refusal
(`access.denied`). API keys only ever read: acting on alerts is for people.
"""

from __future__ import annotations

from audit.access import AuditApiAccess

AUDIT_READ = "audit:read"


class CanReadEvents(AuditApiAccess):
    scope = AUDIT_READ
    permission = "audit.view_auditevent"


class CanExportEvents(AuditApiAccess):
    scope = AUDIT_READ
    permission = "audit.export_auditevent"


class CanVerifyChains(AuditApiAccess):
    """Running a verification and reading the signed checkpoints it relies on."""

    scope = AUDIT_READ
    permission = "audit.verify_auditevent"


class CanReadAlerts(AuditApiAccess):
    scope = AUDIT_READ
    permission = "audit.view_alert"


class CanHandleAlerts(AuditApiAccess):
    """Acknowledge or close an alert: people only (no scope lets a key do it)."""

    scope = ""
    permission = "audit.change_alert"
