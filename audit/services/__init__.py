"""Every write of the audit app: the append itself (`audit_record`), the denial recorder,
alerts, verification, archives, and the records of what the log's readers looked at.

Other apps record their events through `audit_record` (with `AuditTarget` for records that
are not model instances and `Outcome` for refusals and failures), never the audit models.
"""

from audit.models import Outcome
from audit.services.recording import AuditTarget, audit_record

__all__ = ["AuditTarget", "Outcome", "audit_record"]
