"""Alerts raised by the monitoring rules (and by a failed verification)."""

from __future__ import annotations

import uuid

from django.db import models


class AlertRule(models.TextChoices):
    BULK_ACCESS = "bulk_access", "Bulk record access"
    OFF_HOURS_REVEAL = "off_hours_reveal", "Reveal outside working hours"
    SIGNIN_FAILURES = "signin_failures", "Repeated sign-in or OTP failures"
    ACCESS_DENIED_BURST = "access_denied_burst", "Burst of denied access"
    BREAK_GLASS = "break_glass", "Break-glass access used"
    VERIFICATION_FAILED = "verification_failed", "Audit chain verification failed"


class Severity(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"
    CRITICAL = "critical", "Critical"


class AlertStatus(models.TextChoices):
    OPEN = "open", "Open"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    CLOSED = "closed", "Closed"


ACTIVE_STATUSES = [AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED]


class Alert(models.Model):
    """Something in the log that a person must look at.

    `subject` names who or what the alert is about ("user:<id>", "ip:<address>", "chain:3"),
    never personal values. While an alert is open or acknowledged, further matching events
    update it (count, window) instead of raising a second one. Every change of status is
    audited (audit.services.alerts).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    rule = models.CharField(max_length=32, choices=AlertRule.choices)
    severity = models.CharField(max_length=16, choices=Severity.choices)
    status = models.CharField(max_length=16, choices=AlertStatus.choices, default="open")
    subject = models.CharField(max_length=100)
    summary = models.CharField(max_length=300)
    event_count = models.IntegerField(default=0)
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField()
    details = models.JSONField(default=dict, blank=True)
    raised_at = models.DateTimeField()
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.CharField(max_length=100, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.CharField(max_length=100, blank=True)
    close_note = models.TextField(blank=True)

    class Meta:
        ordering = ["-raised_at"]
        indexes = [models.Index(fields=["status", "raised_at"], name="audit_alert_status_time")]
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "subject"],
                condition=models.Q(status__in=["open", "acknowledged"]),
                name="audit_alert_one_active_per_subject",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=AlertStatus.values), name="audit_alert_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_rule_display()} ({self.subject}): {self.status}"
