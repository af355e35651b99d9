"""Walk the hash chains and report the first broken link of each (read only).

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

Storing the run, signing the intact heads, recording `audit.verified` and raising the alerts
is one service, audit.services.verification.audit_verify, which every caller uses.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import connection, transaction

from audit.models import ChainHead
from audit.verification.plans import full_plan, incremental_plan, walk_chains
from audit.verification.postgresql import verify_in_postgresql
from audit.verification.walk import ChainBreak, Report

__all__ = ["ChainBreak", "Report", "verify_chains"]


def verify_chains(*, full: bool = True, progress: Callable[[int], None] | None = None) -> Report:
    """Check the chains (every link, or from each chain's newest checkpoint) and report."""
    report = Report()
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
    return report
