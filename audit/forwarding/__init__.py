"""The SIEM feed: audit events sent to a syslog receiver or appended to a JSON Lines file,
resuming after a restart from the last position delivered (see feed.py and the targets)."""

from audit.forwarding.base import FeedError
from audit.forwarding.feed import DEFAULT_BATCH, PassReport, follow, forward_pass
from audit.forwarding.targets import Target, TargetError, parse_target

__all__ = [
    "DEFAULT_BATCH",
    "FeedError",
    "PassReport",
    "Target",
    "TargetError",
    "follow",
    "forward_pass",
    "parse_target",
]
