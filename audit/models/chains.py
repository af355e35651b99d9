"""Chain heads, signed checkpoints and verification runs: the proof that the log is intact."""

from __future__ import annotations

from django.db import models

GENESIS_HASH = "0" * 64


class ChainHead(models.Model):
    """The last link of one chain. Appending locks this row, so one chain has one writer.

    Written only by the append function (audit.chaining), in the appending transaction: a
    rollback restores the head, so a chain never has a gap.
    """

    chain = models.PositiveSmallIntegerField(primary_key=True)
    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64, default=GENESIS_HASH)

    def __str__(self) -> str:
        return f"chain {self.chain} at {self.seq}"


class Checkpoint(models.Model):
    """A chain head signed with the checkpoint key (HMAC-SHA256), made after verifying it.

    Someone able to rewrite the whole event table can recompute every hash, but not these
    signatures without the key; exported checkpoints held elsewhere catch even a rewrite of
    this table. Append-only, like the events.
    """

    created_at = models.DateTimeField()
    chain = models.PositiveSmallIntegerField()
    seq = models.BigIntegerField()
    hash = models.CharField(max_length=64)
    event_id = models.BigIntegerField()
    key_version = models.CharField(max_length=16)
    signature = models.CharField(max_length=64)

    class Meta:
        ordering = ["chain", "-seq"]
        constraints = [
            models.UniqueConstraint(fields=["chain", "seq"], name="audit_checkpoint_chain_seq")
        ]

    def __str__(self) -> str:
        return f"checkpoint of chain {self.chain} at {self.seq}"


class VerificationKind(models.TextChoices):
    FULL = "full", "Full (every chain from its first link)"
    INCREMENTAL = "incremental", "Incremental (from each chain's last checkpoint)"


class VerificationRun(models.Model):
    """One walk over the chains and what it found; the chain status page lists these."""

    started_at = models.DateTimeField()
    finished_at = models.DateTimeField()
    kind = models.CharField(max_length=16, choices=VerificationKind.choices)
    trigger = models.CharField(max_length=32, help_text="command, schedule or api")
    events_checked = models.BigIntegerField()
    chains_checked = models.IntegerField()
    ok = models.BooleanField()
    breaks = models.JSONField(
        default=list,
        blank=True,
        help_text="first broken link of each broken chain: chain, seq, event id, problem",
    )
    checkpoints_made = models.IntegerField(default=0)

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        verdict = "intact" if self.ok else f"{len(self.breaks)} broken"
        return f"{self.kind} verification {self.started_at:%Y-%m-%d %H:%M}: {verdict}"
