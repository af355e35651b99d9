"""Long jobs run by Celery tasks: one copy at a time, and a time budget per task.

A broker redelivers a task whose worker died (acks_late), and Redis does so once the task's
message has been unacknowledged for the visibility timeout (CELERY_VISIBILITY_SECONDS). Two
rules keep that safe:

- **A lease per job** (`exclusive`): a copy of a job starts only while no other copy runs.
  The lease dies with its holder (a PostgreSQL session advisory lock, released when the
  connection closes; on the embedded SQLite default an fcntl lock on a file under VAR_DIR),
  so a killed worker never blocks the job, and a second copy handed out while the first
  still runs refuses to start instead of running twice.
- **A budget per task** (`Budget`): a job that can take long works in batches and stops after
  TASK_SLICE_SECONDS, then sends itself again from where it stopped, so no task outlives
  the task time limit, which is itself shorter than the visibility timeout (checked at
  start). A redelivered slice repeats at most one slice's batches, which are idempotent.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import structlog
from django.conf import settings
from django.db import connection

from ccplatform.errors import ConflictError

log = structlog.get_logger(__name__)


class JobRunningError(ConflictError):
    """Another copy of the job holds its lease; this one must not run (409)."""

    code = "job_running"


def _busy(name: str) -> JobRunningError:
    return JobRunningError(f"{name} is already running elsewhere; this copy did not start.")


@contextmanager
def exclusive(name: str) -> Iterator[None]:
    """Hold the lease of job `name` for the block, or raise JobRunningError at once."""
    digest = hashlib.sha256(f"ccplatform-job:{name}".encode()).digest()
    if connection.vendor == "postgresql":
        with _advisory_lock(int.from_bytes(digest[:8], "big", signed=True), name):
            yield
    else:
        with _file_lock(Path(settings.VAR_DIR) / "locks" / f"job-{digest.hex()[:32]}", name):
            yield


@contextmanager
def _advisory_lock(key: int, name: str) -> Iterator[None]:
    # Session-level, so it outlives the transactions inside the block and ends with the
    # connection; it needs a session, so not behind a transaction-pooling PgBouncer.
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
        os.close(descriptor)  # also releases the lock


def run_exclusively[T](name: str, work: Callable[[], T]) -> T | dict[str, object]:
    """`work()` under the job's lease; if another copy holds it, a clear refusal instead:
    logged, and returned as the task's result (`{"job": name, "skipped": ...}`)."""
    try:
        with exclusive(name):
            return work()
    except JobRunningError as refusal:
        log.warning("job_already_running", job=name)
        return {"job": name, "skipped": refusal.message}


@dataclass
class Budget:
    """How long one task may keep taking batches (TASK_SLICE_SECONDS by default)."""

    seconds: float = field(default_factory=lambda: float(settings.TASK_SLICE_SECONDS))
    started: float = field(default_factory=time.monotonic)

    @property
    def spent(self) -> bool:
        return time.monotonic() - self.started >= self.seconds
