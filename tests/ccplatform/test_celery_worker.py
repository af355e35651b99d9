"""The Celery app: delivery guarantees configured, and a real worker consuming real messages.

The worker runs in a thread of the test process against the configured broker: Redis when
REDIS_URL is set (CI), the file-system broker of the embedded default otherwise.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from celery.contrib.testing.worker import start_worker
from celery.worker import WorkController
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from ccplatform.celery import app as celery_app
from ccplatform.tasks import HEARTBEAT_CACHE_KEY


def test_tasks_are_acknowledged_late_and_redelivered_if_the_worker_dies() -> None:
    assert celery_app.conf.task_acks_late is True
    assert celery_app.conf.task_reject_on_worker_lost is True
    assert celery_app.conf.worker_prefetch_multiplier == 1
    assert celery_app.conf.accept_content == ["json"]


def test_broker_comes_from_settings() -> None:
    assert celery_app.conf.broker_url == settings.CELERY_BROKER_URL
    if settings.REDIS_URL:
        assert celery_app.conf.broker_url.startswith("redis://")
    else:
        assert celery_app.conf.broker_url == "filesystem://"


def test_beat_schedule_is_defined_in_code() -> None:
    assert "ccplatform.tasks.heartbeat" in celery_app.tasks  # finalizes the app
    schedule = celery_app.conf.beat_schedule
    assert schedule["platform-heartbeat"]["task"] == "ccplatform.tasks.heartbeat"
    interval = schedule["platform-heartbeat"]["schedule"]
    assert interval.total_seconds() == settings.CELERY_HEARTBEAT_SECONDS


@pytest.fixture
def worker(transactional_db: None) -> Iterator[WorkController]:
    # The worker's Django fixup checks the models on start, so it needs the database; a
    # worker thread only sees committed rows, hence the transactional database.
    # Unit tests run tasks eagerly (tests/settings.py); here every message crosses the broker.
    celery_app.conf.task_always_eager = False
    try:
        with start_worker(
            celery_app, pool="solo", perform_ping_check=False, loglevel="WARNING"
        ) as running:
            yield running
    finally:
        celery_app.conf.task_always_eager = True


@pytest.mark.slow
def test_a_real_worker_consumes_a_task_from_the_broker(worker: WorkController) -> None:
    # send_task is never executed eagerly: the message goes through the broker.
    result = celery_app.send_task("ccplatform.tasks.ping")
    assert result.get(timeout=30) == "pong"


@pytest.mark.slow
def test_heartbeat_task_run_by_the_worker_is_visible_to_the_web_process(
    worker: WorkController,
) -> None:
    before = timezone.now().isoformat()
    result = celery_app.send_task("ccplatform.tasks.heartbeat")
    recorded = result.get(timeout=30)
    assert recorded >= before
    assert cache.get(HEARTBEAT_CACHE_KEY) == recorded
