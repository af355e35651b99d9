"""Chain status: is the log intact? The newest verification run and its breaks, recent runs,
the size of the log and the signed checkpoints; and "Verify now".

Every figure is cheap on a log of millions of events: the number of events is the sum of
the chain heads' sequence numbers (chains are gap-free), not a COUNT over the event table.
"Verify now" runs an incremental verification (from each chain's newest checkpoint), so it
takes seconds, not the hours a full walk may take; the nightly full run covers the rest.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.db.models import Count, Q, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from audit.checkpoints import latest_checkpoints
from audit.models import ChainHead, Checkpoint, VerificationRun
from audit.permissions import can_read_events, can_verify
from audit.services.verification import audit_verify
from audit.views.listing import utc
from ccplatform import gate
from ccplatform.callers import caller_of

RECENT_RUNS = 10


@dataclass(frozen=True)
class RunRow:
    run: VerificationRun
    started: str
    seconds: float


def _run_row(run: VerificationRun) -> RunRow:
    return RunRow(
        run=run,
        started=utc(run.started_at),
        seconds=round((run.finished_at - run.started_at).total_seconds(), 2),
    )


def _log_size() -> dict[str, Any]:
    heads = ChainHead.objects.aggregate(
        chains=Count("chain", filter=Q(seq__gt=0)), events=Sum("seq")
    )
    newest = sorted(latest_checkpoints().values(), key=lambda checkpoint: checkpoint.chain)
    return {
        "chain_count": heads["chains"] or 0,
        "event_count": heads["events"] or 0,
        "checkpoint_count": Checkpoint.objects.count(),
        "newest_checkpoints": [
            {"checkpoint": checkpoint, "created": utc(checkpoint.created_at)}
            for checkpoint in newest
        ],
    }


@gate.page(can_read_events)
@require_GET
def chain_status(request: HttpRequest) -> HttpResponse:
    runs = [_run_row(run) for run in VerificationRun.objects.order_by("-started_at")[:RECENT_RUNS]]
    context = {"latest": runs[0] if runs else None, "runs": runs, **_log_size()}
    return render(request, "audit/chains.html", context)


@gate.page(can_verify)
@require_POST
def verify_now(request: HttpRequest) -> HttpResponse:
    """Verify from the newest checkpoints, sign intact heads, alert on a break; then show it."""
    run = audit_verify(caller=caller_of(request), full=False, trigger="page").run
    if run.ok:
        messages.success(
            request, f"Verified: {run.events_checked} new events on {run.chains_checked} chains."
        )
    else:
        messages.error(
            request,
            f"{len(run.breaks)} broken chain(s) found; a critical alert was raised for each.",
        )
    return redirect("audit:chains")
