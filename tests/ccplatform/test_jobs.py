"""ccplatform.jobs: one copy of a job at a time, and slices of work within a time budget;
the delivery limits that nest (slice < task time limit < visibility timeout)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.conf import settings
from django.db import connection

from accounts.models import Team
from audit.models import AuditEvent
from ccplatform.callers import Caller
from ccplatform.celery import app as celery_app
from ccplatform.config import ConfigurationError, Env, task_delivery
from ccplatform.crypto.rotation import rotation_job, rotation_run
from ccplatform.jobs import Budget, JobRunningError, exclusive, run_exclusively
from ccplatform.tasks import rotate_keys
from customers.services.records import customer_create
from tests.customers.test_key_rotation import field_key_active
from tests.personas import SETUP

ROTATION = Caller.system("jobs-test")


@contextmanager
def held_elsewhere(name: str) -> Iterator[None]:
    """The job's lease, held by another thread (its own database connection) for the block."""
    taken, release = threading.Event(), threading.Event()
    problems: list[BaseException] = []

    def hold() -> None:
        try:
            with exclusive(name):
                taken.set()
                release.wait(timeout=30)
        except BaseException as error:  # reported to the test below
            problems.append(error)
            taken.set()
        finally:
            connection.close()

    holder = threading.Thread(target=hold)
    holder.start()
    assert taken.wait(timeout=30)
    assert problems == []
    try:
        yield
    finally:
        release.set()
        holder.join(timeout=30)


@pytest.mark.django_db(transaction=True)
def test_a_second_copy_of_a_job_is_refused_while_the_first_holds_its_lease() -> None:
    with held_elsewhere("test-job"):
        with (
            pytest.raises(JobRunningError, match="already running elsewhere"),
            exclusive("test-job"),
        ):
            pass  # pragma: no cover - never entered
        with exclusive("another-job"):  # other jobs are not held up
            pass
    with exclusive("test-job"):  # free again once the holder is done
        pass


@pytest.mark.django_db(transaction=True)
def test_the_lease_is_released_when_the_work_fails() -> None:
    with pytest.raises(RuntimeError), exclusive("failing-job"):
        raise RuntimeError("the batch broke")
    with exclusive("failing-job"):
        pass


@pytest.mark.django_db(transaction=True)
def test_a_refused_copy_says_so_in_its_result_and_does_no_work() -> None:
    ran: list[bool] = []
    with held_elsewhere("report-job"):
        result = run_exclusively("report-job", lambda: ran.append(True))
    assert ran == []
    assert result == {
        "job": "report-job",
        "skipped": "report-job is already running elsewhere; this copy did not start.",
    }


def test_a_budget_is_spent_after_its_seconds() -> None:
    assert Budget(seconds=0).spent
    assert not Budget(seconds=60).spent
    assert Budget().seconds == settings.TASK_SLICE_SECONDS


def _customers(count: int) -> None:
    team = Team.objects.create(name="Rotation team")
    for number in range(count):
        customer_create(caller=SETUP, team_id=team.pk, values={"name": f"Ann Example {number}"})


def _rewrapped() -> list[dict[str, Any]]:
    return [event.details for event in AuditEvent.objects.filter(action="keys.rewrapped")]


@pytest.mark.django_db
def test_a_rotation_slice_stops_when_its_budget_is_spent() -> None:
    _customers(6)
    with field_key_active("2"):
        result = rotation_run(
            rotation_job("data_keys"), caller=ROTATION, batch_size=2, budget=Budget(seconds=0)
        )
    assert (result.batches, result.rotated, result.complete) == (1, 2, False)
    assert result.remaining == 4


@pytest.mark.django_db(transaction=True)
def test_the_rotation_task_does_nothing_while_another_copy_runs() -> None:
    _customers(3)
    with field_key_active("2"), held_elsewhere("rotate_keys:data_keys"):
        result = rotate_keys.delay(job="data_keys", batch_size=2).get()
    assert result == {
        "job": "rotate_keys:data_keys",
        "skipped": "rotate_keys:data_keys is already running elsewhere; this copy did not start.",
    }
    assert _rewrapped() == []


# --- The limits nest ------------------------------------------------------------------------


def test_the_worker_gets_the_limits_from_settings() -> None:
    delivery = settings.DELIVERY
    assert celery_app.conf.task_time_limit == delivery.time_limit
    assert celery_app.conf.task_soft_time_limit == delivery.soft_time_limit
    assert delivery.slice_seconds < delivery.soft_time_limit < delivery.time_limit
    assert delivery.time_limit < delivery.visibility_timeout
    if settings.REDIS_URL:
        options = celery_app.conf.broker_transport_options
        assert options["visibility_timeout"] == delivery.visibility_timeout
        assert options["unacked_restore_throttle"] == 1  # every sweep scans (kombu: every 10th)


def test_the_defaults_redeliver_within_minutes() -> None:
    delivery = task_delivery(Env({}))
    assert (delivery.visibility_timeout, delivery.time_limit, delivery.slice_seconds) == (
        600,
        300,
        60,
    )
    assert delivery.transport_options() == {
        "visibility_timeout": 600,
        "unacked_restore_interval": 10,
        "unacked_restore_throttle": 1,
    }


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        (
            {"CELERY_VISIBILITY_TIMEOUT_SECONDS": "200"},
            r"^CELERY_TASK_TIME_LIMIT_SECONDS \(300\) must be shorter than "
            r"CELERY_VISIBILITY_TIMEOUT_SECONDS \(200\)",
        ),
        (
            {"CELERY_TASK_TIME_LIMIT_SECONDS": "60"},
            r"^TASK_SLICE_SECONDS \(60\) must be shorter than the task's soft time limit \(54 s",
        ),
        ({"CELERY_VISIBILITY_TIMEOUT_SECONDS": "5"}, r"must be at least 6"),
    ],
)
def test_limits_that_do_not_nest_stop_the_process(environ: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        task_delivery(Env(environ))
