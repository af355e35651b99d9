"""One feed pass per target at a time, with a lock that dies with its holder.

Two passes to one target (a beat run overlapping a slow pass, or the command beside the
worker) would send the same events twice. The lease is the platform's job lease
(ccplatform.jobs.exclusive: a PostgreSQL session advisory lock, or a file lock on the
embedded SQLite default), which vanishes when its process is killed, so a crash never blocks
a restart.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from audit.forwarding.base import FeedError
from ccplatform.jobs import JobRunningError, exclusive


@contextmanager
def single_pass(name: str) -> Iterator[None]:
    try:
        with exclusive(f"audit-forward:{name}"):
            yield
    except JobRunningError:
        raise FeedError(
            f"Another feed pass to {name} is running; try again when it ends."
        ) from None
