"""The audit app's tables: events and their chains, checkpoints, verification runs, alerts."""

from audit.models.alerts import Alert, AlertRule, AlertStatus, Severity
from audit.models.archives import AuditArchive
from audit.models.chains import ChainHead, Checkpoint, VerificationRun
from audit.models.events import ActorKind, AuditEvent, Outcome
from audit.models.forwarding import ForwardingCursor

__all__ = [
    "ActorKind",
    "Alert",
    "AlertRule",
    "AlertStatus",
    "AuditArchive",
    "AuditEvent",
    "ChainHead",
    "Checkpoint",
    "ForwardingCursor",
    "Outcome",
    "Severity",
    "VerificationRun",
]
