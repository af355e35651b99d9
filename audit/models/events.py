"""The audit log: one append-only table of recorded actions, hash-chained in shards."""

from __future__ import annotations

from django.db import models


class Outcome(models.TextChoices):
    ALLOWED = "allowed", "Allowed"
    DENIED = "denied", "Denied"
    FAILED = "failed", "Failed"


class ActorKind(models.TextChoices):
    USER = "user", "User"
    API_KEY = "api_key", "API key"
    SYSTEM = "system", "System"


class AuditEvent(models.Model):
    """One action on personal or security data: who, what, on which record, with what result.

    Rows are never changed or deleted: database triggers refuse UPDATE, DELETE and (on
    PostgreSQL) TRUNCATE. `details` holds ids and field names, never personal values.

    Each event is link `seq` of chain `chain` (chains are shards, chosen by actor, so that
    concurrent writers do not queue on one row). `canonical` is the exact text that was
    hashed, stored so that re-serialising cannot change it; `hash` is sha256 over the
    previous link's hash, the chain, the sequence number and `canonical` (audit.chaining).
    Only audit.services.audit_record writes rows.
    """

    occurred_at = models.DateTimeField()
    actor_kind = models.CharField(max_length=16, choices=ActorKind.choices)
    actor_id = models.CharField(max_length=64)
    action = models.CharField(max_length=100)
    target_type = models.CharField(max_length=100, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    reason = models.CharField(max_length=500, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=400, blank=True)
    details = models.JSONField(default=dict, blank=True)
    chain = models.PositiveSmallIntegerField()
    seq = models.BigIntegerField()
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)
    canonical = models.TextField()

    class Meta:
        ordering = ["-occurred_at", "-id"]
        permissions = [
            ("export_auditevent", "Can export audit events"),
            ("verify_auditevent", "Can run audit chain verification"),
        ]
        # Every search filter ends in (occurred_at, id): newest first, keyset pagination.
        indexes = [
            models.Index(fields=["occurred_at", "id"], name="audit_event_time"),
            models.Index(
                fields=["actor_kind", "actor_id", "occurred_at", "id"],
                name="audit_event_actor_time",
            ),
            models.Index(
                fields=["target_type", "target_id", "occurred_at", "id"],
                name="audit_event_target_time",
            ),
            models.Index(fields=["action", "occurred_at", "id"], name="audit_event_action_time"),
            models.Index(
                fields=["occurred_at", "id"],
                condition=~models.Q(outcome="allowed"),
                name="audit_event_unallowed_time",
            ),
            models.Index(fields=["request_id"], name="audit_event_request"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["chain", "seq"], name="audit_event_chain_seq"),
            models.CheckConstraint(
                condition=models.Q(outcome__in=Outcome.values),
                name="audit_auditevent_outcome_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(actor_kind__in=ActorKind.values),
                name="audit_auditevent_actor_kind_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M:%S} {self.action} {self.outcome}"
