"""Walk the hash chains and report the first broken link of each; sign the intact heads.

A full run walks every chain from its first link (on PostgreSQL: one pass over the table and
one over the (chain, seq) index) and also re-checks every stored checkpoint. An incremental
run starts each chain at its newest checkpoint (whose signature and event it re-checks) and
walks only what came after. Both run
in one REPEATABLE READ snapshot on PostgreSQL, so events appended meanwhile neither confuse
the walk nor the comparison with the chain heads.

What each check catches:
- a sequence number that skips → deleted rows;
- `prev_hash` unlike the previous link's hash → a reordered, replaced or inserted row;
- columns unlike the stored canonical text → an edited column;
- `hash` unlike sha256 of its own content → an edited canonical text or hash;
- a chain ending before its head (or before a checkpoint) → a truncated tail;
- an event unlike its signed checkpoint, or a bad signature → a rewritten table.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict

from django.db import connection, transaction
from django.utils import timezone

from audit.checkpoints import latest_checkpoints, make_checkpoint
from audit.models import ChainHead, VerificationRun
from audit.models.chains import VerificationKind
from audit.verification.plans import full_plan, incremental_plan, walk_chains
from audit.verification.postgresql import verify_in_postgresql
from audit.verification.walk import ChainBreak, Report

__all__ = ["ChainBreak", "Report", "verify_chains"]


def _sign_intact_heads(report: Report) -> int:
    made = 0
    signed = {chain: checkpoint.seq for chain, checkpoint in latest_checkpoints().items()}
    for chain, (seq, hash_, event_id) in sorted(report.intact_ends.items()):
        if signed.get(chain, 0) < seq:
            make_checkpoint(chain=chain, seq=seq, hash_=hash_, event_id=event_id)
            made += 1
    return made


def verify_chains(
    *,
    full: bool = True,
    trigger: str = "command",
    make_checkpoints: bool = True,
    progress: Callable[[int], None] | None = None,
) -> VerificationRun:
    """Verify the chains, store the run, and (when intact) sign each chain's head.

    The run is stored even when chains are broken; callers (audit.alerting.after_verification)
    record the audit event and raise the alert.
    """
    report = Report()
    started_at = timezone.now()
    tick = progress or (lambda _count: None)
    postgresql = connection.vendor == "postgresql"
    snapshot = postgresql and not connection.in_atomic_block
    with transaction.atomic():
        if snapshot:
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        heads = {head.chain: head for head in ChainHead.objects.all()}
        plan = (full_plan if full else incremental_plan)(report, heads)
        if postgresql:
            verify_in_postgresql(report, plan, heads, tick, full=full, parallel=snapshot)
        else:
            walk_chains(report, plan, heads, tick)
    with transaction.atomic():
        made = _sign_intact_heads(report) if make_checkpoints else 0
        return VerificationRun.objects.create(
            started_at=started_at,
            finished_at=timezone.now(),
            kind=VerificationKind.FULL if full else VerificationKind.INCREMENTAL,
            trigger=trigger,
            events_checked=report.events_checked,
            chains_checked=len(report.chains),
            ok=not report.breaks,
            breaks=[asdict(report.breaks[chain]) for chain in sorted(report.breaks)],
            checkpoints_made=made,
        )
