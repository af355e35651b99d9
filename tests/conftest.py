"""Fixtures shared by the whole suite."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from typing import cast

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.test import TransactionTestCase

from accounts.models import Role, Team, User
from audit.triggers import (
    APPEND_ONLY_TABLES,
    CursorStatements,
    install_append_only,
    remove_append_only,
)
from incidents.models import TIMELINE_TABLE
from tests.personas import Integrator, make_integrator, make_person


@contextmanager
def audit_append_only_suspended() -> Iterator[None]:
    """Let tests empty or tamper with the audit tables and the incident timeline (flush
    between tests, attacks).

    The product has no such bypass: on PostgreSQL this uses session_replication_role, which
    only a superuser may set (the test role is one; the application's role must not be); on
    SQLite the triggers are dropped and put back, inside the current transaction if any.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET session_replication_role = replica")
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute("RESET session_replication_role")
        return
    statements = cast(BaseDatabaseSchemaEditor, CursorStatements(connection))
    present = set(connection.introspection.table_names())  # a migration test may lack some
    tables = [table for table in (*APPEND_ONLY_TABLES, TIMELINE_TABLE) if table in present]
    remove_append_only(statements, tables)
    try:
        yield
    finally:
        install_append_only(statements, tables)


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


# --- Personas (tests/personas.py makes them through the real services) --------------------


@pytest.fixture
def team_a(db: None) -> Team:
    return Team.objects.create(name="Team A")


@pytest.fixture
def team_b(db: None) -> Team:
    return Team.objects.create(name="Team B")


@pytest.fixture
def agent(team_a: Team) -> User:
    return make_person("agent.ann", Role.AGENT, team_a)


@pytest.fixture
def other_agent(team_b: Team) -> User:
    return make_person("agent.bob", Role.AGENT, team_b)


@pytest.fixture
def supervisor(team_a: Team) -> User:
    return make_person("super.sue", Role.SUPERVISOR, team_a)


@pytest.fixture
def compliance_officer(db: None) -> User:
    return make_person("comply.carl", Role.COMPLIANCE_OFFICER)


@pytest.fixture
def security_admin(db: None) -> User:
    return make_person("sec.sam", Role.SECURITY_ADMIN)


@pytest.fixture
def integrator(db: None) -> Integrator:
    return make_integrator()
