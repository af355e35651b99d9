"""One feed pass per target at a time, with a lock that dies with its holder.

Two passes to one target (a beat run overlapping a slow pass, or the command beside the
worker) would send the same events twice. The lock must vanish when its process is killed,
or a crash would block every restart: on PostgreSQL a session-level advisory lock (released
when the connection closes; needs a session, so not behind a transaction-pooling PgBouncer),
on the embedded SQLite default an fcntl lock on a file under VAR_DIR (one host, like SQLite).
"""

from __future__ import annotations

import fcntl
import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.db import connection

from audit.forwarding.base import FeedError


def _busy(name: str) -> FeedError:
    return FeedError(f"Another feed pass to {name} is running; try again when it ends.")


@contextmanager
def single_pass(name: str) -> Iterator[None]:
    digest = hashlib.sha256(f"audit-forward:{name}".encode()).digest()
    if connection.vendor == "postgresql":
        with _advisory_lock(int.from_bytes(digest[:8], "big", signed=True), name):
            yield
    else:
        with _file_lock(
            Path(settings.VAR_DIR) / "locks" / f"audit-forward-{digest.hex()[:32]}", name
        ):
            yield


@contextmanager
def _advisory_lock(key: int, name: str) -> Iterator[None]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
        (locked,) = cursor.fetchone()
    if not locked:
        raise _busy(name)
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [key])


@contextmanager
def _file_lock(path: Path, name: str) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise _busy(name) from None
        yield
    finally:
        os.close(descriptor)
