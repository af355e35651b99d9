"""A broken chain found by verification raises one critical alert, refreshed by later runs.

This rule is not in the runner: audit.services.verification.audit_verify raises it with
each verification run (the command, the tasks, the API and the page all call it).
"""

from __future__ import annotations

import pytest

from audit.models import Alert, AlertRule, AlertStatus, AuditEvent, Severity
from audit.services.verification import audit_verify
from ccplatform.callers import Caller
from tests.audit.tampering import on_one_chain, raw, record_events

# Each audit_record commits on its own, as in production (chains are per actor).
pytestmark = pytest.mark.django_db(transaction=True)

VERIFIER = Caller.system("audit verification")


def _verify() -> list[Alert]:
    return audit_verify(
        caller=VERIFIER, full=True, trigger="schedule", make_checkpoints=False
    ).alerts


def test_an_intact_log_raises_no_alert() -> None:
    record_events(3, actor="bystander")
    assert _verify() == []
    assert not Alert.objects.exists()


def test_a_broken_chain_raises_one_critical_alert_about_the_chain() -> None:
    links = on_one_chain(record_events(4, actor="victim"))
    raw("UPDATE audit_auditevent SET action = %s WHERE id = %s", ["platform.hidden", links[1].pk])
    (alert,) = _verify()
    assert (alert.rule, alert.severity, alert.status, alert.subject) == (
        AlertRule.VERIFICATION_FAILED,
        Severity.CRITICAL,
        AlertStatus.OPEN,
        f"chain:{links[1].chain}",
    )
    assert (alert.details["seq"], alert.details["event_id"]) == (2, links[1].pk)
    raised = AuditEvent.objects.get(action="alert.raised")
    assert (raised.actor_kind, raised.actor_id) == ("system", "audit verification")
    assert (raised.target_type, raised.target_id) == ("audit.alert", str(alert.pk))

    assert [again.pk for again in _verify()] == [alert.pk]
    assert Alert.objects.count() == 1
    assert AuditEvent.objects.filter(action="alert.raised").count() == 1
