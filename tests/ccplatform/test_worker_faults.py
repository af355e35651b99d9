"""A worker killed in the middle of a job: the job finishes by itself, exactly once.

Real Celery workers (prefork, as in production) run a key rotation over real customers on
the test database, with short limits set through the environment, as an operator would:
a visibility timeout of a few seconds, a task time limit inside it, slices of one second.
The worker is killed with SIGKILL mid-job and a new one started; the job must complete within
the visibility timeout plus a sweep, with every data key re-wrapped once (the batches' audit
events add up to the customers exactly). On RabbitMQ, which has no visibility timeout, the
message comes back as soon as the killed worker's connection closes. Two workers handed two
copies of the same job at once: one runs it, the other refuses on the record.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from kombu import Connection

from accounts.models import Team
from audit.models import AuditEvent
from ccplatform.celery import app as celery_app
from customers.import_rows import SourceRow
from customers.models import Customer
from customers.services.importing import customers_import
from tests.personas import SETUP
from tests.processes import child_database_url

pytestmark = [
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not settings.REDIS_URL,
        reason="needs Redis (REDIS_URL): its visibility timeout is what is drilled, as in CI",
    ),
]

BASE_DIR = Path(settings.BASE_DIR)
CUSTOMERS = 1500
BATCH = 5
VISIBILITY_SECONDS = 6
RABBITMQ_URL = os.environ.get("RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672//")
POLL_SECONDS = 0.05
STARTED_DEADLINE = 60.0
# Redis: the unacknowledged message becomes visible after VISIBILITY_SECONDS and a sweep (one
# a second with these limits) hands it to the new worker; the margin covers its start.
RECOVERY_DEADLINE = VISIBILITY_SECONDS + 45.0


def _rabbitmq_reachable() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 5672), timeout=1):
            return True
    except OSError:
        return False


@dataclass
class Workers:
    """Celery workers started as processes, each in its own session (one signal stops all)."""

    broker_url: str
    log_dir: Path
    processes: list[subprocess.Popen[bytes]]

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.settings",
            "DATABASE_URL": child_database_url("ccplatform-worker-drill"),
            "CELERY_BROKER_URL": self.broker_url,
            # The rotation to run: version 2 active, the customers' data keys under version 1.
            "FIELD_ENCRYPTION_ACTIVE_KEY": "2",
            "CELERY_VISIBILITY_TIMEOUT_SECONDS": str(VISIBILITY_SECONDS),
            "CELERY_TASK_TIME_LIMIT_SECONDS": "4",
            "TASK_SLICE_SECONDS": "1",
        }

    def start(self) -> subprocess.Popen[bytes]:
        number = len(self.processes)
        command = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "ccplatform",
            "worker",
            "--pool=prefork",
            "--concurrency=1",
            "--loglevel=INFO",
            f"--hostname=drill-{number}-{os.getpid()}@%h",
            "--without-mingle",
            "--without-gossip",
            # tests.settings runs tasks eagerly; a worker must send its next slice instead.
            "--",
            "task_always_eager=false",
        ]
        with (self.log_dir / f"worker-{number}.log").open("wb") as log:
            process = subprocess.Popen(
                command,
                cwd=BASE_DIR,
                env=self.env(),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.processes.append(process)
        return process

    def output(self) -> str:
        return "\n".join(
            path.read_text(encoding="utf-8", errors="replace")
            for path in sorted(self.log_dir.glob("worker-*.log"))
        )

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait()


def kill_9(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL to the worker and its pool child: nothing runs its shutdown, nothing acks."""
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def _publish(broker_url: str, **kwargs: Any) -> Any:
    with Connection(broker_url) as connection:
        return celery_app.send_task(
            "ccplatform.tasks.rotate_keys", kwargs=kwargs, connection=connection
        )


def _purge(broker_url: str) -> None:
    with Connection(broker_url) as connection:
        celery_app.control.purge(connection=connection)


def _customers_on_the_old_key() -> int:
    return Customer.objects.filter(data_key_kek_version="1").count()


def _rewrapped() -> list[dict[str, Any]]:
    return [event.details for event in AuditEvent.objects.filter(action="keys.rewrapped")]


def _wait(until: Callable[[], bool], seconds: float, what: str, workers: Workers) -> float:
    started = time.monotonic()
    while not until():
        if time.monotonic() - started > seconds:
            pytest.fail(f"{what} did not happen in {seconds:.0f} s\n{workers.output()[-6000:]}")
        time.sleep(POLL_SECONDS)
    return time.monotonic() - started


@pytest.fixture
def customers() -> int:
    team = Team.objects.create(name="Drill team")
    rows = [
        SourceRow(line=number, values={"name": f"Drill {number}"}) for number in range(CUSTOMERS)
    ]
    customers_import(caller=SETUP, team=team, rows=rows, batch_size=500)
    assert _customers_on_the_old_key() == CUSTOMERS
    return CUSTOMERS


def _workers(broker_url: str, tmp_path: Path) -> Iterator[Workers]:
    _purge(broker_url)
    workers = Workers(broker_url, tmp_path, [])
    # Unit tests run tasks eagerly (tests/settings.py); here results come from the workers.
    celery_app.conf.task_always_eager = False
    try:
        yield workers
    finally:
        celery_app.conf.task_always_eager = True
        workers.stop()
        _purge(broker_url)


@pytest.fixture
def redis_workers(tmp_path: Path) -> Iterator[Workers]:
    yield from _workers(str(settings.CELERY_BROKER_URL), tmp_path)


@pytest.fixture
def rabbitmq_workers(tmp_path: Path) -> Iterator[Workers]:
    if not _rabbitmq_reachable():
        pytest.skip("needs RabbitMQ on 127.0.0.1:5672 (RABBITMQ_URL)")
    yield from _workers(RABBITMQ_URL, tmp_path)


def _drill(workers: Workers, customers: int, deadline: float) -> float:
    """Start a worker, start the job, kill the worker mid-job, start another; the seconds
    from the kill to the job's completion."""
    first = workers.start()
    _publish(workers.broker_url, job="data_keys", batch_size=BATCH)
    _wait(lambda: len(_rewrapped()) >= 3, STARTED_DEADLINE, "the job's first batches", workers)
    kill_9(first)
    killed_at = time.monotonic()
    left = _customers_on_the_old_key()
    assert 0 < left < customers, "the kill must land in the middle of the job"
    workers.start()
    _wait(lambda: _customers_on_the_old_key() == 0, deadline, "the job's completion", workers)
    recovery = time.monotonic() - killed_at
    batches = _rewrapped()
    assert sum(batch["rewrapped"] for batch in batches) == customers  # each key exactly once
    assert sum(batch["failed"] for batch in batches) == 0
    return recovery


def test_a_job_whose_worker_is_killed_completes_by_itself_exactly_once_on_redis(
    redis_workers: Workers, customers: int
) -> None:
    recovery = _drill(redis_workers, customers, RECOVERY_DEADLINE)
    assert recovery < RECOVERY_DEADLINE


def test_the_same_drill_on_rabbitmq_redelivers_when_the_connection_drops(
    rabbitmq_workers: Workers, customers: int
) -> None:
    # No visibility timeout: the broker requeues an unacknowledged message the moment the
    # consumer's connection closes, so the new worker gets it as soon as it is up.
    recovery = _drill(rabbitmq_workers, customers, RECOVERY_DEADLINE)
    assert recovery < RECOVERY_DEADLINE


def test_two_copies_of_a_job_handed_to_two_workers_never_run_at_once(
    redis_workers: Workers, customers: int
) -> None:
    for _ in range(2):
        redis_workers.start()
    _wait(
        lambda: len(celery_app.control.ping(timeout=0.5) or []) >= 2,
        60,
        "two workers",
        redis_workers,
    )
    # Sent together: each worker takes one, and the first slice holds the lease ~1 s.
    first = _publish(redis_workers.broker_url, job="data_keys", batch_size=BATCH)
    second = _publish(redis_workers.broker_url, job="data_keys", batch_size=BATCH)
    results = [first.get(timeout=60), second.get(timeout=60)]
    skipped = [result for result in results if "skipped" in result]
    assert len(skipped) == 1, results
    assert skipped[0]["job"] == "rotate_keys:data_keys"
    _wait(lambda: _customers_on_the_old_key() == 0, 90, "the job's completion", redis_workers)
    assert sum(batch["rewrapped"] for batch in _rewrapped()) == customers
    assert "job_already_running" in redis_workers.output()
