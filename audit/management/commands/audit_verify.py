"""Walk the audit hash chains, report the first broken link of each, sign intact heads."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from audit.models import VerificationRun
from audit.services.verification import audit_verify
from ccplatform.callers import Caller, Via

OPERATOR = Caller.system("audit_verify command", via=Via.COMMAND)


def report_lines(run: VerificationRun) -> list[str]:
    verdict = "intact" if run.ok else f"BROKEN ({len(run.breaks)} chain(s))"
    lines = [
        f"{run.kind} verification: {run.events_checked} events checked on "
        f"{run.chains_checked} chains in {(run.finished_at - run.started_at).total_seconds():.1f} s"
        f": {verdict}",
    ]
    lines += [
        f"  chain {item['chain']}: first broken link at seq {item['seq']}"
        f" (event {item['event_id'] if item['event_id'] is not None else 'missing'}): "
        f"{item['problem']}"
        for item in run.breaks
    ]
    if run.checkpoints_made:
        lines.append(f"  signed {run.checkpoints_made} new checkpoint(s)")
    return lines


class Command(BaseCommand):
    help = (
        "Verify the audit log's hash chains (full by default; --incremental starts at each "
        "chain's last signed checkpoint). Exits with status 1 when a chain is broken, and "
        "raises a critical alert for it."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--incremental",
            action="store_true",
            help="walk only what came after each chain's newest checkpoint",
        )
        parser.add_argument(
            "--no-checkpoints",
            action="store_true",
            help="do not sign the verified chain heads",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        def progress(count: int) -> None:
            if count:
                self.stderr.write(f"  {count} events checked…")

        run = audit_verify(
            caller=OPERATOR,
            full=not options["incremental"],
            trigger="command",
            make_checkpoints=not options["no_checkpoints"],
            progress=progress,
        ).run
        for line in report_lines(run):
            self.stdout.write(line)
        if not run.ok:
            sys.exit(1)
