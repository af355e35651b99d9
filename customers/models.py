"""Customers: encrypted personal fields, blind-index lookups, interactions and notes."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from ccplatform.crypto.blind_index import LookupKind
from ccplatform.models import DataKeyFields


class Customer(DataKeyFields):
    """One data subject served by a team. Every personal field is stored encrypted.

    Columns ending in `_enc` hold `e1.<data key id>.<sealed value>` (ccplatform.crypto.fields),
    bound to this row and column; the data key is the customer's own, kept wrapped on this
    row (`data_key_*`, from DataKeyFields), so destroying it shreds the customer.
    Exact-match search goes through CustomerLookup.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    team = models.ForeignKey("accounts.Team", on_delete=models.PROTECT, related_name="customers")
    assigned_to = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="assigned_customers"
    )
    name_enc = models.TextField()
    date_of_birth_enc = models.TextField(blank=True)
    addresses_enc = models.TextField(blank=True)
    phones_enc = models.TextField(blank=True)
    emails_enc = models.TextField(blank=True)
    account_number_enc = models.TextField(blank=True)
    card_token_enc = models.TextField(blank=True)
    card_last4_enc = models.TextField(blank=True)
    medical_notes_enc = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(default=timezone.now)
    # Sealed: nobody reveals the record's fields until it is released (an incident's
    # containment, a restriction of processing). `sealed_by` names why, never a person's data.
    sealed_at = models.DateTimeField(null=True, blank=True)
    sealed_by = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["-created_at", "id"]
        permissions = [
            ("reveal_customer", "Can reveal a customer's masked fields (with a reason)"),
            ("view_medical", "Can see and reveal medical fields"),
        ]
        indexes = [models.Index(fields=["team", "created_at"], name="customers_team_created")]

    def __str__(self) -> str:
        return f"customer {self.pk}"


class CustomerLookup(models.Model):
    """A blind-index digest of one phone number, email or account number of a customer."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="lookups")
    kind = models.CharField(
        max_length=20, choices=[(kind.value, kind.value) for kind in LookupKind]
    )
    digest = models.CharField(max_length=64)
    key_version = models.CharField(max_length=16)

    class Meta:
        indexes = [models.Index(fields=["kind", "digest"], name="customers_lookup_digest")]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "kind", "digest"], name="customers_lookup_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} lookup of {self.customer_id}"


class InteractionChannel(models.TextChoices):
    CALL = "call", "Call"
    CHAT = "chat", "Chat"
    EMAIL = "email", "Email"


class InteractionOutcome(models.TextChoices):
    RESOLVED = "resolved", "Resolved"
    FOLLOW_UP = "follow_up", "Follow-up needed"
    ESCALATED = "escalated", "Escalated"
    NO_ANSWER = "no_answer", "No answer"


class Interaction(models.Model):
    """One call, chat or email with a customer, by an agent, and how it ended.

    The summary is free text: it is scanned for card numbers before saving and encrypted.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="interactions")
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="interactions"
    )
    channel = models.CharField(max_length=10, choices=InteractionChannel.choices)
    outcome = models.CharField(max_length=20, choices=InteractionOutcome.choices)
    summary_enc = models.TextField(blank=True)
    occurred_at = models.DateTimeField(default=timezone.now)
    # Version of the card-data scanner the summary last went through (rescan_notes).
    scanned_version = models.PositiveSmallIntegerField(default=1)

    class Meta:
        ordering = ["-occurred_at"]
        indexes = [
            models.Index(fields=["customer", "occurred_at"], name="customers_interaction_time")
        ]

    def __str__(self) -> str:
        return f"{self.channel} with {self.customer_id} ({self.outcome})"


class Note(models.Model):
    """A free-text note on a customer: scanned for card numbers, then encrypted."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="customer_notes"
    )
    body_enc = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    # Version of the card-data scanner the body last went through (rescan_notes).
    scanned_version = models.PositiveSmallIntegerField(default=1)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["customer", "created_at"], name="customers_note_time")]

    def __str__(self) -> str:
        return f"note on {self.customer_id}"
