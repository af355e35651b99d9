"""The breach register: incidents, their append-only timeline, the obligations with clocks,
the affected customers frozen from the audit log, and the post-incident review.

Nothing here holds a personal value: affected customers are ids with their exposure, the
categories of data involved and a region code (from an address decrypted in the job that
found them, never copied); free text (notes, drafts, reasons) is scanned for card numbers
by the services before it is saved.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from incidents.rules import CLIENT_SOURCE_PREFIX, RECIPIENT_LABELS, Recipient


class Status(models.TextChoices):
    REPORTED = "reported", "Reported"
    TRIAGE = "triage", "Triage"
    CONTAINED = "contained", "Contained"
    NOTIFIED = "notified", "Notified"
    RECOVERED = "recovered", "Recovered"
    CLOSED = "closed", "Closed"


class Nature(models.TextChoices):
    """Which security property was breached (the CIA triad)."""

    CONFIDENTIALITY = "confidentiality", "Confidentiality"
    INTEGRITY = "integrity", "Integrity"
    AVAILABILITY = "availability", "Availability"


class Kind(models.TextChoices):
    """What happened to the data (GDPR Art. 4(12))."""

    DESTRUCTION = "destruction", "Destruction"
    LOSS = "loss", "Loss"
    ALTERATION = "alteration", "Alteration"
    DISCLOSURE = "unauthorised_disclosure", "Unauthorised disclosure"
    ACCESS = "unauthorised_access", "Unauthorised access"


class Severity(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"
    CRITICAL = "critical", "Critical"


class Risk(models.TextChoices):
    """The risk to people's rights and freedoms (GDPR Art. 33/34)."""

    NONE = "none", "Unlikely to result in a risk"
    RISK = "risk", "A risk"
    HIGH = "high", "A high risk"


class DataCategory(models.TextChoices):
    """Categories of data an incident involves: the customer field categories
    (customers.fields.Category), their free-text history, and staff credentials."""

    CONTACT = "contact", "Contact details"
    FINANCIAL = "financial", "Financial data"
    MEDICAL = "medical", "Medical data (PHI)"
    HISTORY = "history", "Notes and interactions"
    CREDENTIALS = "credentials", "Staff credentials"


class OpenedVia(models.TextChoices):
    PAGE = "page", "Compliance page"
    API = "api", "API"
    ALERT = "alert", "Monitoring alert"


class Incident(models.Model):
    """One security incident or suspected personal-data breach, from report to closure.

    `discovered_at` is when the breach was (or should have been) known, `aware_at` when the
    organisation had reasonable certainty of it (GDPR's clock); both are entered or proposed
    (the earliest linked alert) and never later than the report. An exercise (tabletop or
    test, PCI DSS 12.10.2) runs the same workflow and is left out of every statistic.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    reference = models.CharField(max_length=20, unique=True)
    title = models.CharField(max_length=200)
    nature = models.CharField(max_length=20, choices=Nature.choices)
    kind = models.CharField(max_length=30, choices=Kind.choices)
    description = models.TextField(blank=True)
    discovered_at = models.DateTimeField()
    aware_at = models.DateTimeField()
    reported_at = models.DateTimeField(default=timezone.now)
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="incidents_reported"
    )
    opened_via = models.CharField(max_length=10, choices=OpenedVia.choices)
    severity = models.CharField(max_length=10, choices=Severity.choices)
    risk = models.CharField(max_length=10, choices=Risk.choices)
    data_categories = models.JSONField(default=list, blank=True)
    systems = models.CharField(max_length=300, blank=True)
    affected_teams = models.ManyToManyField("accounts.Team", blank=True, related_name="+")
    alerts = models.ManyToManyField("audit.Alert", blank=True, related_name="+")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.REPORTED)
    is_exercise = models.BooleanField(default=False)
    # What the notices must say (GDPR Art. 33(3)(c), (d)).
    consequences = models.TextField(blank=True)
    measures = models.TextField(blank=True)
    contained_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-reported_at"]
        permissions = [
            ("handle_incident", "Can run the incident workflow and its containment actions"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(aware_at__gte=models.F("discovered_at")),
                name="incidents_incident_aware_after_discovery",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=Status.values),
                name="incidents_incident_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"


class EntryKind(models.TextChoices):
    OPENED = "opened", "Opened"
    STATUS = "status", "Status changed"
    FACTS = "facts", "Facts changed"
    NOTE = "note", "Note"
    OVERRIDE = "override", "Proposed time overridden"
    AFFECTED = "affected", "Affected customers computed"
    OBLIGATION = "obligation", "Obligation"
    REMINDER = "reminder", "Reminder"
    CONTAINMENT = "containment", "Containment action"
    REVIEW = "review", "Post-incident review"


TIMELINE_TABLE = "incidents_timelineentry"


class TimelineEntry(models.Model):
    """One thing that happened in an incident, in order; append-only (a database trigger
    refuses UPDATE and DELETE, as for the audit log)."""

    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="timeline")
    at = models.DateTimeField(default=timezone.now)
    actor = models.CharField(max_length=100)  # "user:<id>", "api_key:<prefix>", "system:<job>"
    kind = models.CharField(max_length=12, choices=EntryKind.choices)
    text = models.TextField(blank=True)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.kind}"


class ClockBasis(models.TextChoices):
    LAW = "law", "Set by law"
    CONTRACT = "contract", "Set by contract"
    TARGET = "target", "Platform target (the law says 'without undue delay')"


class Exemption(models.TextChoices):
    NONE = "", "None"
    ENCRYPTED = "encrypted", "Data unintelligible to the intruder (GDPR Art. 34(3)(a))"


class ObligationStatus(models.TextChoices):
    PENDING = "pending_decision", "Pending decision"
    NOT_REQUIRED = "not_required", "Not required"
    FILED = "filed", "Filed"
    LATE = "late", "Filed late"


class Obligation(models.Model):
    """One notice the incident may owe: to one recipient under one rule, with its clock.

    `rule` names a row of incidents.rules (or "client:<id>" for a client's contractual
    clock). The deadline is stored in UTC with the zone its days were counted in; `basis`
    says whether law, a contract or (where the law sets no period) the platform set it. Closing
    one takes a decision: filed (when, reference, the copy sent; after the deadline with the
    reasons for the delay), or not required (why, and who approved it).
    """

    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="obligations")
    rule = models.CharField(max_length=60)
    regime = models.CharField(max_length=20)
    recipient = models.CharField(max_length=30)
    place = models.CharField(max_length=10, blank=True)  # "US-CA", "GB": whose residents
    # The rule as it read when the obligation was made (the table may change later).
    source = models.CharField(max_length=200)
    summary = models.TextField()
    starts_at = models.DateTimeField()
    deadline = models.DateTimeField()
    zone = models.CharField(max_length=40)
    basis = models.CharField(max_length=10, choices=ClockBasis.choices, default=ClockBasis.LAW)
    # False once the facts no longer call for it (kept, with its history; never deleted).
    applies = models.BooleanField(default=True)
    status = models.CharField(
        max_length=20, choices=ObligationStatus.choices, default=ObligationStatus.PENDING
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField(blank=True)  # why not required, or why late
    exemption = models.CharField(max_length=12, choices=Exemption.choices, blank=True)
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    filed_at = models.DateTimeField(null=True, blank=True)
    reference = models.CharField(max_length=120, blank=True)
    draft = models.TextField(blank=True)
    draft_edited = models.BooleanField(default=False)  # edited drafts are no longer regenerated
    sent_copy = models.TextField(blank=True)
    reminders = models.JSONField(default=list, blank=True)  # shares reminded: 50, 80, 100, missed

    class Meta:
        ordering = ["deadline", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "rule", "place"], name="incidents_obligation_one_per_rule"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.regime} {self.recipient}{f' {self.place}' if self.place else ''}"

    @property
    def recipient_label(self) -> str:
        """Whom the notice goes to, as people read it (a client by its name)."""
        if self.recipient == Recipient.CLIENT:
            return self.source.removeprefix(CLIENT_SOURCE_PREFIX)
        return RECIPIENT_LABELS.get(Recipient(self.recipient), self.recipient)

    @property
    def open(self) -> bool:
        return self.applies and self.status == ObligationStatus.PENDING


class Exposure(models.TextChoices):
    PLAINTEXT = "plaintext", "Plaintext exposed"
    CIPHERTEXT = "ciphertext", "Ciphertext only"


class AffectedSet(models.Model):
    """The customers one query of the audit log found, frozen: the query, when, and counts.

    The newest set of an incident is its current one; computing again (after containment,
    for the review) adds a set and keeps the earlier ones.
    """

    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="affected_sets")
    computed_at = models.DateTimeField(default=timezone.now)
    computed_by = models.CharField(max_length=100)
    query = models.JSONField()
    total = models.PositiveIntegerField(default=0)
    plaintext = models.PositiveIntegerField(default=0)
    counts = models.JSONField(default=dict)  # {"categories": {...}, "regions": {...}}

    class Meta:
        ordering = ["-computed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.total} customers ({self.plaintext} plaintext), {self.computed_at:%Y-%m-%d}"


class AffectedCustomer(models.Model):
    """One customer of an affected set: how their data was exposed, which categories, where
    they live (a region code), never a value."""

    affected_set = models.ForeignKey(
        AffectedSet, on_delete=models.CASCADE, related_name="customers"
    )
    customer_id = models.UUIDField()
    exposure = models.CharField(max_length=12, choices=Exposure.choices)
    categories = models.JSONField(default=list)  # every category touched
    plaintext_categories = models.JSONField(default=list)  # those shown in plain text
    actions = models.JSONField(default=list)
    region = models.CharField(max_length=10, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["affected_set", "customer_id"], name="incidents_affected_one_per_set"
            ),
        ]

    def __str__(self) -> str:
        return f"customer {self.customer_id} ({self.exposure})"


class Review(models.Model):
    """The post-incident review, required before an incident is closed."""

    incident = models.OneToOneField(Incident, on_delete=models.PROTECT, related_name="review")
    cause = models.TextField()
    measures = models.TextField()
    lessons = models.TextField()
    rerun = models.ForeignKey(AffectedSet, on_delete=models.PROTECT, related_name="+")
    written_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    written_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"review of {self.incident_id}"


class FollowUp(models.Model):
    """An action the review decided on: what, who owns it, by when."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="follow_ups")
    action = models.CharField(max_length=300)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    due_on = models.DateField()
    done_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.action} (due {self.due_on})"


class Client(models.Model):
    """A client whose customers we serve as a processor (business associate), with the
    clock its contract sets for being told of a breach (at most the law's 72 hours)."""

    name = models.CharField(max_length=120, unique=True)
    contact = models.CharField(max_length=200, help_text="Who receives breach notices.")
    notify_within_hours = models.PositiveIntegerField(default=72)
    teams = models.ManyToManyField("accounts.Team", blank=True, related_name="+")

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(notify_within_hours__gte=1, notify_within_hours__lte=72),
                name="incidents_client_clock_within_the_law",
            ),
        ]

    def __str__(self) -> str:
        return self.name
