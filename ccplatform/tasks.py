"""Platform-level Celery tasks: liveness of the worker and beat, key rotation."""

from __future__ import annotations

from celery import shared_task
from django.core.cache import cache
from django.utils import timezone

from ccplatform.callers import Caller
from ccplatform.crypto.rotation import DEFAULT_BATCH_SIZE, RunResult, rotation_job, rotation_run
from ccplatform.jobs import Budget, run_exclusively

HEARTBEAT_CACHE_KEY = "ccplatform:heartbeat"
TASK_MAX_BATCHES = 100


@shared_task(name="ccplatform.tasks.heartbeat")
def heartbeat() -> str:
    """Record that beat scheduled and a worker ran a task; /readyz reports the time."""
    now = timezone.now().isoformat()
    cache.set(HEARTBEAT_CACHE_KEY, now, timeout=None)
    return now


@shared_task(name="ccplatform.tasks.ping")
def ping() -> str:
    """Answer 'pong': the smallest proof that a worker consumes from the broker."""
    return "pong"


@shared_task(name="ccplatform.tasks.rotate_keys")
def rotate_keys(
    *,
    job: str,
    after: str | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    max_batches: int = TASK_MAX_BATCHES,
) -> dict[str, object]:
    """Run rotation batches of one job (`manage.py rotate_keys` does the same in the shell).

    Takes a job name and a row id to resume after, never personal data. After `max_batches`
    or TASK_SLICE_SECONDS it sends itself again from where it stopped, so no task outlives
    the visibility timeout and a redelivered task (its worker died) repeats at most one
    task's batches, which are no-ops for rows already rotated. One copy of a job runs at a
    time (ccplatform.jobs): a second copy handed out meanwhile does nothing and says so.
    """

    def slice_of_batches() -> RunResult:
        return rotation_run(
            rotation_job(job),
            caller=Caller.system("rotate_keys task"),
            batch_size=batch_size,
            max_batches=max_batches,
            after=after,
            budget=Budget(),
        )

    result = run_exclusively(f"rotate_keys:{job}", slice_of_batches)
    if not isinstance(result, RunResult):
        return result  # another copy holds the job's lease
    if not result.complete:
        # Sent once the lease is released, so the next slice can take it.
        rotate_keys.delay(
            job=job, after=result.last, batch_size=batch_size, max_batches=max_batches
        )
    return {
        "job": job,
        "rotated": result.rotated,
        "failed": len(result.failed),
        "batches": result.batches,
        "complete": result.complete,
        "remaining": result.remaining,
    }
