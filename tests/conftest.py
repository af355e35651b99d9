"""Fixtures shared by the whole suite."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.test import TransactionTestCase

from audit.triggers import install_append_only, remove_append_only


@contextmanager
def audit_append_only_suspended() -> Iterator[None]:
    """Let the test harness empty the audit table between transactional tests.

    The product has no such bypass: on PostgreSQL this uses session_replication_role, which
    only a superuser may set (the test role is one; the application's role must not be); on
    SQLite the triggers are dropped and put back.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET session_replication_role = replica")
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute("RESET session_replication_role")
    else:
        with connection.schema_editor() as editor:
            remove_append_only(editor)
        try:
            yield
        finally:
            with connection.schema_editor() as editor:
                install_append_only(editor)


_original_fixture_teardown = TransactionTestCase._fixture_teardown  # type: ignore[attr-defined]


def _fixture_teardown_with_audit_unlocked(self: TransactionTestCase) -> None:
    with audit_append_only_suspended():
        _original_fixture_teardown(self)


TransactionTestCase._fixture_teardown = _fixture_teardown_with_audit_unlocked  # type: ignore[attr-defined]


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Remove this run's broker, cache and SQLite folder (tests/settings.py)."""
    shutil.rmtree(settings.TEST_VAR_DIR, ignore_errors=True)


@pytest.fixture(autouse=True)
def _clear_cache() -> Iterator[None]:
    """Throttle counters and other cached state never leak from one test into the next."""
    cache.clear()
    yield
    cache.clear()
