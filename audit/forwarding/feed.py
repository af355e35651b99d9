"""The feed loop: send every event after the saved position, chain by chain, in batches.

Each chain is read `seq > position ORDER BY seq` up to the chain's head as the pass began,
so a pass ends even while events keep arriving (the next pass takes those). Only one pass
per target runs at a time (locking.py).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.db import DatabaseError, close_old_connections

from audit.forwarding.base import FeedError, Positions, Sink
from audit.forwarding.file_sink import JsonlFileSink
from audit.forwarding.locking import single_pass
from audit.forwarding.syslog_sinks import SyslogSink
from audit.forwarding.targets import Target, TargetKind
from audit.models import AuditEvent, ChainHead
from ccplatform.jobs import Budget

DEFAULT_BATCH = 500
MAX_BATCH = 5000
FIRST_RETRY_SECONDS = 1.0
MAX_RETRY_SECONDS = 300.0


@dataclass(frozen=True)
class PassReport:
    target: str
    delivered: int
    batches: int

    def __str__(self) -> str:
        noun = "event" if self.delivered == 1 else "events"
        return f"{self.delivered} {noun} in {self.batches} batch(es) to {self.target}"


def open_sink(target: Target) -> Sink:
    if target.kind is TargetKind.FILE:
        return JsonlFileSink(target.path)
    return SyslogSink(target)


def pending_chains(positions: Positions) -> list[tuple[int, int]]:
    """(chain, head seq) of each chain with events after its position, in chain order."""
    heads = ChainHead.objects.filter(seq__gt=0).order_by("chain").values_list("chain", "seq")
    return [(chain, head) for chain, head in heads if head > positions.get(chain, 0)]


def chain_batches(chain: int, *, after: int, upto: int, size: int) -> Iterator[list[AuditEvent]]:
    """The events of `chain` with after < seq <= upto, in seq order, `size` at a time."""
    while after < upto:
        batch = list(
            AuditEvent.objects.filter(chain=chain, seq__gt=after, seq__lte=upto)
            .defer("canonical", "prev_hash")
            .order_by("seq")[:size]
        )
        if not batch:
            return
        yield batch
        after = batch[-1].seq


def forward_pass(
    target: Target, *, batch_size: int = DEFAULT_BATCH, budget: Budget | None = None
) -> PassReport:
    """Send what `target` has not had yet; FeedError (position kept) if it cannot.

    With a `budget` (the scheduled task's slice of time) the pass stops after the batch that
    spends it; the next pass continues from the saved position.
    """
    size = max(1, min(batch_size, MAX_BATCH))
    delivered = batches = 0
    with single_pass(target.name):
        sink = open_sink(target)
        try:
            positions = sink.positions()
            for chain, head in pending_chains(positions):
                for batch in chain_batches(
                    chain, after=positions.get(chain, 0), upto=head, size=size
                ):
                    sink.deliver(chain, batch)
                    delivered += len(batch)
                    batches += 1
                    if budget is not None and budget.spent:
                        return PassReport(target.name, delivered, batches)
        finally:
            sink.close()
    return PassReport(target=target.name, delivered=delivered, batches=batches)


def follow(
    target: Target,
    *,
    batch_size: int,
    interval: float,
    say: Callable[[str], None],
    warn: Callable[[str], None],
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Pass after pass until interrupted; after a failure, wait longer each time (up to
    MAX_RETRY_SECONDS) and try again from the saved position."""
    failures = 0
    while True:
        try:
            report = forward_pass(target, batch_size=batch_size)
        except (FeedError, DatabaseError) as error:
            failures += 1
            wait = min(MAX_RETRY_SECONDS, FIRST_RETRY_SECONDS * 2 ** (failures - 1))
            warn(f"{error} Retrying in {wait:g} s.")
            if isinstance(error, DatabaseError):
                close_old_connections()  # drop a broken connection; the next pass reconnects
        else:
            failures = 0
            wait = interval
            if report.delivered:
                say(f"Forwarded {report}.")
        sleep(wait)
