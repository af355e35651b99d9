"""Invariant: the audit table is append-only in the database itself, not only in Python."""

from __future__ import annotations

import os

import pytest
from django.db import DatabaseError, connection, transaction

from audit.models import AuditEvent
from audit.services import audit_record
from ccplatform.context import Actor
from tests.actions import TESTED


@pytest.fixture
def event() -> AuditEvent:
    return audit_record(actor=Actor.system("test"), action=TESTED)


def _raw(sql: str, params: list[str | int] | None = None) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params or [])


@pytest.mark.django_db
def test_raw_update_is_refused(event: AuditEvent) -> None:
    with pytest.raises(DatabaseError, match="append-only"):
        _raw("UPDATE audit_auditevent SET action = %s WHERE id = %s", ["platform.edited", event.pk])
    event.refresh_from_db()
    assert event.action == "platform.tested"


@pytest.mark.django_db
def test_raw_delete_is_refused(event: AuditEvent) -> None:
    with pytest.raises(DatabaseError, match="append-only"):
        _raw("DELETE FROM audit_auditevent WHERE id = %s", [event.pk])
    assert AuditEvent.objects.filter(pk=event.pk).exists()


@pytest.mark.django_db
def test_orm_queryset_update_and_delete_are_refused(event: AuditEvent) -> None:
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(reason="rewritten")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.get(pk=event.pk).reason == ""


@pytest.mark.django_db
def test_truncate_is_refused_on_postgresql(event: AuditEvent) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("TRUNCATE exists only on PostgreSQL (SQLite's DELETE is refused above)")
    with pytest.raises(DatabaseError, match="append-only"):
        _raw("TRUNCATE audit_auditevent")
    assert AuditEvent.objects.filter(pk=event.pk).exists()


@pytest.mark.django_db
def test_the_application_role_appends_only_through_the_function() -> None:
    """With production grants (README, "Security model"), rows can only come from audit_append."""
    if connection.vendor != "postgresql":
        pytest.skip("database roles exist only on PostgreSQL")
    role = f"ccplatform_app_test_{os.getpid()}"
    with connection.cursor() as cursor:
        # Inside the test's transaction: the role disappears when the test rolls back.
        cursor.execute(f"CREATE ROLE {role} NOLOGIN")
        cursor.execute(f"GRANT SELECT ON audit_auditevent, audit_chainhead TO {role}")
        cursor.execute(f"SET LOCAL ROLE {role}")
    event = audit_record(actor=Actor.system("limited role"), action=TESTED)
    assert AuditEvent.objects.get(pk=event.pk).seq == event.seq
    forged = (
        "INSERT INTO audit_auditevent (occurred_at, actor_kind, actor_id, action, target_type, "
        "target_id, outcome, reason, request_id, user_agent, details, chain, seq, prev_hash, "
        "hash, canonical) VALUES (now(), 'system', 'x', 'platform.forged', '', '', 'allowed', "
        "'', '', '', '{}', 0, 999, '', '', '')"
    )
    for statement in (forged, "UPDATE audit_chainhead SET seq = 0"):
        with pytest.raises(DatabaseError, match="permission denied"):
            _raw(statement)
