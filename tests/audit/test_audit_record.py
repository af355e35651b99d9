"""audit_record: one event per call, in the caller's transaction, with no personal values."""

from __future__ import annotations

import pytest
from django.db import transaction

from accounts.actions import USER_DISABLED
from accounts.models import User
from audit.actions import Action, Category, UndeclaredActionError, declare, declared
from audit.models import AuditEvent, Outcome
from audit.services import AuditTarget, audit_record
from ccplatform.context import Actor, RequestInfo, request_context
from tests.actions import TESTED

pytestmark = pytest.mark.django_db


def test_event_records_actor_action_target_and_request_context() -> None:
    user = User.objects.create(username="target.user", role="agent")
    info = RequestInfo(request_id="req-12345678", ip="203.0.113.7", user_agent="pytest-agent")
    with request_context(info):
        event = audit_record(
            actor=Actor.user("11111111-2222-3333-4444-555555555555"),
            action=USER_DISABLED,
            target=user,
            outcome=Outcome.ALLOWED,
            reason="left the company",
            details={"fields": ["is_active"]},
        )
    stored = AuditEvent.objects.get(pk=event.pk)
    assert (stored.actor_kind, stored.actor_id) == ("user", "11111111-2222-3333-4444-555555555555")
    assert (stored.action, stored.outcome) == ("user.disabled", "allowed")
    assert (stored.target_type, stored.target_id) == ("accounts.user", str(user.pk))
    assert (stored.request_id, stored.ip, stored.user_agent) == (
        "req-12345678",
        "203.0.113.7",
        "pytest-agent",
    )
    assert stored.reason == "left the company"
    assert stored.details == {"fields": ["is_active"]}
    assert stored.occurred_at.tzinfo is not None


def test_event_outside_a_request_has_no_request_fields() -> None:
    event = audit_record(
        actor=Actor.system("disposal"), action=TESTED, target=AuditTarget("run", "7")
    )
    assert (event.request_id, event.ip, event.user_agent) == ("", None, "")
    assert (event.actor_kind, event.target_type, event.target_id) == ("system", "run", "7")


def _audited_action_that_fails() -> None:
    with transaction.atomic():
        audit_record(actor=Actor.system("test"), action=TESTED)
        raise RuntimeError("the action failed after auditing")


def test_event_rolls_back_with_the_callers_transaction() -> None:
    with pytest.raises(RuntimeError):
        _audited_action_that_fails()
    assert not AuditEvent.objects.filter(actor_id="test").exists()


@pytest.mark.parametrize("name", ["", "viewed", "Customer.Viewed", "customer.", "customer viewed"])
def test_an_action_must_be_declared_as_a_dotted_verb(name: str) -> None:
    with pytest.raises(ValueError, match="dotted verb"):
        declare(name, Category.AUDIT_LOG, TESTED.severity, "A badly named action.")
    with pytest.raises(UndeclaredActionError):
        declared(name)
    assert not AuditEvent.objects.filter(actor_id="test").exists()


@pytest.mark.parametrize(
    "action",
    [
        "platform.tested",  # a declared name, but a string: producers record the Action
        Action("platform.tested", Category.AUDIT_LOG, TESTED.severity, "A look-alike."),
        Action("platform.undeclared", Category.AUDIT_LOG, TESTED.severity, "Never declared."),
    ],
)
def test_only_a_declared_action_is_recorded(action: object) -> None:
    with pytest.raises(UndeclaredActionError):
        audit_record(actor=Actor.system("test"), action=action)  # type: ignore[arg-type]
    assert not AuditEvent.objects.filter(actor_id="test").exists()


def test_an_action_is_declared_once() -> None:
    with pytest.raises(ValueError, match="declared twice"):
        declare("platform.tested", Category.AUDIT_LOG, TESTED.severity, "Again.")
    assert declared("platform.tested") is TESTED


def test_unknown_outcome_is_refused() -> None:
    with pytest.raises(ValueError, match="outcome"):
        audit_record(actor=Actor.system("test"), action=TESTED, outcome="maybe")
    assert not AuditEvent.objects.filter(actor_id="test").exists()


def test_personal_values_in_details_and_reason_are_scrubbed() -> None:
    event = audit_record(
        actor=Actor.system("test"),
        action=TESTED,
        reason="caller read 4111 1111 1111 1111 aloud, mail jane@example.com",
        details={"nested": {"note": "card 4111-1111-1111-1111"}, "ids": [1, 2], "ok": True},
    )
    stored = AuditEvent.objects.get(pk=event.pk)
    assert "4111 1111 1111 1111" not in stored.reason
    assert "jane@example.com" not in stored.reason
    assert stored.reason.endswith("[email redacted]")
    assert stored.details == {"nested": {"note": "card •••• 1111"}, "ids": [1, 2], "ok": True}
