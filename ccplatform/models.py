"""Platform-wide data: the wrapped data keys of field encryption."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone


class DataKey(models.Model):
    """One data subject's data key (DEK), wrapped by a key-encryption key (KEK).

    Every encrypted value of the subject names this key's id. Deleting the row is
    crypto-shredding: the subject's values can never be decrypted again, backups included.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    subject = models.CharField(max_length=100, unique=True)  # e.g. "customers.customer:<uuid>"
    kek_version = models.CharField(max_length=16, db_index=True)
    wrapped = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    rewrapped_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"data key of {self.subject} (KEK v{self.kek_version})"
