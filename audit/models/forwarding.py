"""Where each SIEM feed stopped: per chain, the last sequence number delivered."""

from __future__ import annotations

from django.db import models


class ForwardingCursor(models.Model):
    """The position of one named feed. Chains are gap-free and commit in `seq` order, so
    "everything up to seq N of each chain" is an exact position: nothing lost or repeated."""

    name = models.CharField(max_length=100, primary_key=True)
    positions = models.JSONField(default=dict, help_text="chain number (text) → last seq sent")
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.name
