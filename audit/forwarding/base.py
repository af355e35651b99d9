"""What every feed target does: report where it stopped, deliver a batch, and fail readably."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from audit.models import AuditEvent

# Chain number → last seq delivered. Chains are gap-free and commit in seq order, so this is
# an exact position: everything at or below it was delivered, nothing above it was.
Positions = dict[int, int]


class FeedError(Exception):
    """The feed cannot go on (target unreachable, position file damaged); the message is
    safe to print and the position was not advanced past what was delivered."""


class Sink(Protocol):
    """An open target. `deliver` returns only once the batch is out *and* its position is
    recorded; if it raises, the recorded position still matches what was delivered before."""

    def positions(self) -> Positions: ...

    def deliver(self, chain: int, events: Sequence[AuditEvent]) -> None: ...

    def close(self) -> None: ...


def positions_from_json(value: object) -> Positions:
    """Positions as stored (JSON object, chain number as text), checked on the way in."""
    if not isinstance(value, dict):
        raise ValueError("positions must be an object")
    positions: Positions = {}
    for chain, seq in value.items():
        if not (isinstance(seq, int) and seq >= 0 and str(chain).isdigit()):
            raise ValueError(f"bad position {chain!r}: {seq!r}")
        positions[int(chain)] = seq
    return positions


def positions_to_json(positions: Positions) -> dict[str, int]:
    return {str(chain): seq for chain, seq in sorted(positions.items())}
