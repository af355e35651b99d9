"""Every write of the audit app: the append itself (`audit_record`), the denial recorder,
alerts, verification, archives, and the records of what the log's readers looked at."""

from audit.services.recording import AuditTarget, audit_record

__all__ = ["AuditTarget", "audit_record"]
