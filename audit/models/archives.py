"""Sealed ranges of the audit log, exported to a file and (later) dropped from the table."""

from __future__ import annotations

from django.db import models


class AuditArchive(models.Model):
    """One archived range: which links of each chain it holds, and the file's digest.

    `chains` maps a chain number (text) to [first seq, last seq, hash of the last link];
    the last link is where verification resumes once the range is dropped. The seal is an
    HMAC (checkpoint key ring) over the manifest, so the boundaries cannot be moved quietly.
    """

    created_at = models.DateTimeField()
    before = models.DateTimeField(help_text="events that happened before this time")
    file_name = models.CharField(max_length=200)
    file_sha256 = models.CharField(max_length=64)
    event_count = models.BigIntegerField()
    chains = models.JSONField(default=dict)
    key_version = models.CharField(max_length=16)
    seal = models.CharField(max_length=64)
    dropped_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        state = "dropped" if self.dropped_at else "sealed, still in the table"
        return f"archive of events before {self.before:%Y-%m-%d} ({state})"
