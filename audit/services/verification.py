"""Verification as one service: walk the chains, store the run, sign the intact heads,
record `audit.verified` and raise a critical alert per broken chain, whoever asks (the
command, the scheduled tasks, the API, the page, archiving, demo seeding).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from audit.actions import AUDIT_VERIFIED
from audit.checkpoints import latest_checkpoints, signature
from audit.models import Alert, AlertRule, Checkpoint, Outcome, Severity, VerificationRun
from audit.models.chains import VerificationKind
from audit.permissions import can_verify
from audit.services.alerts import Finding, alert_raise
from audit.services.recording import audit_record
from audit.verification import Report, verify_chains
from ccplatform.callers import Caller
from ccplatform.gate import require

LOG = ("audit.log", "chains")


@dataclass(frozen=True)
class Verification:
    """A stored run and the alerts it raised (one per broken chain)."""

    run: VerificationRun
    alerts: list[Alert]

    @property
    def ok(self) -> bool:
        return self.run.ok


def _sign_intact_heads(report: Report) -> int:
    """Sign each intact chain's last link walked, where no newer checkpoint exists."""
    version = settings.AUDIT_CHECKPOINT_KEYRING.active
    signed = {chain: checkpoint.seq for chain, checkpoint in latest_checkpoints().items()}
    made = [
        Checkpoint(
            created_at=timezone.now(),
            chain=chain,
            seq=seq,
            hash=hash_,
            event_id=event_id,
            key_version=version,
            signature=signature(chain, seq, hash_, version=version),
        )
        for chain, (seq, hash_, event_id) in sorted(report.intact_ends.items())
        if signed.get(chain, 0) < seq
    ]
    Checkpoint.objects.bulk_create(made)
    return len(made)


def _break_finding(run: VerificationRun, item: dict[str, object]) -> Finding:
    return Finding(
        rule=AlertRule.VERIFICATION_FAILED,
        severity=Severity.CRITICAL,
        subject=f"chain:{item['chain']}",
        summary=f"Audit chain {item['chain']} is broken at link {item['seq']}: {item['problem']}",
        event_count=1,
        first_seen=run.started_at,
        last_seen=run.finished_at,
        details={"run": run.pk, **item},
    )


def audit_verify(
    *,
    caller: Caller,
    full: bool = True,
    trigger: str,
    make_checkpoints: bool = True,
    progress: Callable[[int], None] | None = None,
) -> Verification:
    """Verify the chains, store the run (broken or not), sign intact heads when asked, record
    `audit.verified` (outcome failed when broken) and raise an alert for each broken chain.

    The walk reads in its own snapshot; what it found is stored in one transaction after it.
    """
    require(caller, can_verify(caller), resource=LOG)
    started_at = timezone.now()
    report = verify_chains(full=full, progress=progress)
    with transaction.atomic():
        made = _sign_intact_heads(report) if make_checkpoints else 0
        run = VerificationRun.objects.create(
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
        audit_record(
            actor=caller.actor,
            action=AUDIT_VERIFIED,
            target=run,
            outcome=Outcome.ALLOWED if run.ok else Outcome.FAILED,
            details={
                "kind": run.kind,
                "trigger": trigger,
                "events": run.events_checked,
                "chains": run.chains_checked,
                "broken_chains": [item["chain"] for item in run.breaks],
                "checkpoints_made": made,
            },
        )
        alerts = [alert_raise(_break_finding(run, item), caller=caller)[0] for item in run.breaks]
    return Verification(run, alerts)
