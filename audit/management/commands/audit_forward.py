"""Send the audit log to a SIEM: one pass (--once, the default) or continuously (--follow)."""

from __future__ import annotations

import signal
import time
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from audit.forwarding import (
    DEFAULT_BATCH,
    FeedError,
    Target,
    TargetError,
    follow,
    forward_pass,
    parse_target,
)
from audit.forwarding.feed import MAX_BATCH

sleep = time.sleep  # between passes of --follow (a name tests can replace)


class Command(BaseCommand):
    help = (
        "Forward audit events to a SIEM: syslog+tcp://host:port, syslog+udp://host:port "
        "(RFC 5424; ?facility=local0..7|auth|authpriv) or file:///absolute/path.jsonl. "
        "Continues from where the last run stopped. --once (default) sends what is pending "
        "and exits (exit code 1 if the target cannot be reached); --follow keeps sending every "
        "AUDIT_FORWARD_SECONDS, retrying with a growing delay on errors, until Ctrl-C."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--target", metavar="URL", help="default: the AUDIT_FORWARD_TARGET setting"
        )
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument("--once", action="store_true", help="one pass, then exit (default)")
        mode.add_argument("--follow", action="store_true", help="keep forwarding until Ctrl-C")
        parser.add_argument(
            "--batch",
            type=int,
            default=DEFAULT_BATCH,
            metavar="N",
            help=f"events per batch (1-{MAX_BATCH}, default {DEFAULT_BATCH})",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        target = self._target(options["target"])
        batch = options["batch"]
        if not 1 <= batch <= MAX_BATCH:
            raise CommandError(f"--batch must be between 1 and {MAX_BATCH}.")
        if options["follow"]:
            self._follow(target, batch)
            return
        try:
            report = forward_pass(target, batch_size=batch)
        except FeedError as error:
            raise CommandError(f"{error} Nothing more was recorded as sent.") from None
        self.stdout.write(f"Forwarded {report}.")

    def _target(self, url: str | None) -> Target:
        url = url if url is not None else settings.AUDIT_FORWARD_TARGET
        if not url:
            raise CommandError("--target: give a target URL (or set AUDIT_FORWARD_TARGET).")
        try:
            return parse_target(url)
        except TargetError as error:
            raise CommandError(f"--target: {error}") from None

    def _follow(self, target: Target, batch: int) -> None:
        interval = settings.AUDIT_FORWARD_SECONDS
        self.stdout.write(f"Forwarding to {target} every {interval} s; Ctrl-C stops.")
        # A service manager stops the process with SIGTERM: end the same way as Ctrl-C.
        previous = signal.signal(signal.SIGTERM, _interrupt)
        try:
            follow(
                target,
                batch_size=batch,
                interval=interval,
                say=self.stdout.write,
                warn=self.stderr.write,
                sleep=sleep,
            )
        except KeyboardInterrupt:
            self.stdout.write("Stopped; the next run continues from the saved position.")
        finally:
            signal.signal(signal.SIGTERM, previous)


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt
