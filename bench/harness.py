"""Run a benchmark against a throwaway database, with production-like settings.

Development mode (no TLS, the embedded broker unless REDIS_URL is set), but the real
password hashers (Argon2id) and the database from DATABASE_URL (default: a temporary SQLite
file). The database is created fresh and dropped afterwards, as the test runner does.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ["CCPLATFORM_READ_DOTENV"] = "0"
os.environ.setdefault("CCPLATFORM_ENV", "development")
os.environ.setdefault("SECRET_KEY", "benchmark-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ccplatform.settings")
os.environ.setdefault("LOG_LEVEL", "error")

import django

django.setup()

from django.test.utils import setup_databases, setup_test_environment, teardown_databases  # noqa: E402


@contextmanager
def throwaway_database() -> Iterator[None]:
    setup_test_environment()
    config = setup_databases(verbosity=0, interactive=False)
    try:
        yield
    finally:
        teardown_databases(config, verbosity=0)


def median_seconds(action: Callable[[], object], *, repeat: int) -> float:
    """Median wall time of `action` over `repeat` runs (after one warm-up run)."""
    action()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)
