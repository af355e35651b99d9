"""audit_record: one event per call, in the caller's transaction, with no personal values."""

from __future__ import annotations

import pytest
from django.db import transaction

from accounts.models import User
from audit.models import AuditEvent, Outcome
from audit.services import AuditTarget, audit_record
from ccplatform.context import Actor, RequestInfo, request_context
from ccplatform.errors import ServiceError

pytestmark = pytest.mark.django_db


def test_event_records_actor_action_target_and_request_context() -> None:
    user = User.objects.create(username="target.user", role="agent")
    info = RequestInfo(request_id="req-12345678", ip="203.0.113.7", user_agent="pytest-agent")
    with request_context(info):
        event = audit_record(
            actor=Actor.user("11111111-2222-3333-4444-555555555555"),
            action="user.disabled",
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
        actor=Actor.system("disposal"), action="retention.ran", target=AuditTarget("run", "7")
    )
    assert (event.request_id, event.ip, event.user_agent) == ("", None, "")
    assert (event.actor_kind, event.target_type, event.target_id) == ("system", "run", "7")


def _audited_action_that_fails() -> None:
    with transaction.atomic():
        audit_record(actor=Actor.system("test"), action="platform.tested")
        raise RuntimeError("the action failed after auditing")


def test_event_rolls_back_with_the_callers_transaction() -> None:
    with pytest.raises(RuntimeError):
        _audited_action_that_fails()
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize(
    "action", ["", "viewed", "Customer.Viewed", "customer.", "customer viewed"]
)
def test_action_must_be_a_dotted_verb(action: str) -> None:
    with pytest.raises(ServiceError, match="dotted verb"):
        audit_record(actor=Actor.system("test"), action=action)
    assert not AuditEvent.objects.exists()


def test_unknown_outcome_is_refused() -> None:
    with pytest.raises(ServiceError, match="outcome"):
        audit_record(actor=Actor.system("test"), action="platform.tested", outcome="maybe")
    assert not AuditEvent.objects.exists()


def test_personal_values_in_details_and_reason_are_scrubbed() -> None:
    event = audit_record(
        actor=Actor.system("test"),
        action="platform.tested",
        reason="caller read 4111 1111 1111 1111 aloud, mail jane@example.com",
        details={"nested": {"note": "card 4111-1111-1111-1111"}, "ids": [1, 2], "ok": True},
    )
    stored = AuditEvent.objects.get(pk=event.pk)
    assert "4111 1111 1111 1111" not in stored.reason
    assert "jane@example.com" not in stored.reason
    assert stored.reason.endswith("[email redacted]")
    assert stored.details == {"nested": {"note": "card •••• 1111"}, "ids": [1, 2], "ok": True}
