"""The runner raises one audited alert per finding, refreshes it on later runs, leaves closed
ones closed, and keeps going when a rule fails; the task and the command run it."""

from __future__ import annotations

from datetime import datetime, timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from pytest_django import Settings

from accounts.models import User
from audit.models import Alert, AlertRule, AlertStatus, AuditEvent, Severity
from audit.monitoring import tasks
from audit.monitoring.access import bulk_access
from audit.monitoring.runner import RULE_NAMES, Rule, run_monitoring
from audit.services.alerts import alert_acknowledge, alert_close
from tests.audit.test_monitoring_rules import NOW, views
from tests.personas import as_caller

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def thresholds(settings: Settings) -> None:
    settings.AUDIT_BULK_ACCESS_CUSTOMERS = 3
    settings.AUDIT_BULK_ACCESS_MINUTES = 10


def _bulk_reports(now: datetime = NOW) -> dict[str, list[str]]:
    (report,) = run_monitoring(now=now, rules=[Rule(AlertRule.BULK_ACCESS, bulk_access)])
    assert report.error == ""
    return {
        "raised": report.raised,
        "refreshed": report.refreshed,
        "already_closed": report.already_closed,
    }


def test_a_finding_raises_one_open_alert_audited_as_raised_by_monitoring() -> None:
    views(4, at=NOW - timedelta(minutes=1))
    reports = {report.rule: report for report in run_monitoring(now=NOW)}
    assert set(reports) == set(RULE_NAMES)
    alert = Alert.objects.get()
    assert (alert.rule, alert.severity, alert.status, alert.subject, alert.event_count) == (
        AlertRule.BULK_ACCESS,
        Severity.HIGH,
        AlertStatus.OPEN,
        "user:7",
        4,
    )
    assert reports["bulk_access"].raised == [str(alert.pk)]
    assert all(not report.raised for rule, report in reports.items() if rule != "bulk_access")
    event = AuditEvent.objects.get(action="alert.raised")
    assert (event.actor_kind, event.actor_id) == ("system", "audit monitoring")
    assert (event.target_type, event.target_id) == ("audit.alert", str(alert.pk))
    assert event.details == {
        "rule": "bulk_access",
        "severity": "high",
        "subject": "user:7",
        "events": 4,
    }


def test_a_second_run_over_the_same_window_refreshes_the_alert() -> None:
    views(4, at=NOW - timedelta(minutes=2))
    raised = _bulk_reports()["raised"]
    assert _bulk_reports(NOW + timedelta(minutes=1))["refreshed"] == raised
    views(2, at=NOW + timedelta(minutes=1), first=10)
    assert _bulk_reports(NOW + timedelta(minutes=2))["refreshed"] == raised
    alert = Alert.objects.get()
    assert (alert.event_count, alert.details["customers"]) == (6, 6)
    assert (alert.first_seen, alert.last_seen) == (
        NOW - timedelta(minutes=2),
        NOW + timedelta(minutes=1),
    )
    assert AuditEvent.objects.filter(action="alert.raised").count() == 1


def test_an_acknowledged_alert_is_refreshed_not_raised_again(compliance_officer: User) -> None:
    views(4)
    (alert_id,) = _bulk_reports()["raised"]
    alert_acknowledge(Alert.objects.get(pk=alert_id), caller=as_caller(compliance_officer))
    assert _bulk_reports()["refreshed"] == [alert_id]
    assert Alert.objects.get().status == AlertStatus.ACKNOWLEDGED


def test_events_covered_by_a_closed_alert_do_not_raise_it_again(compliance_officer: User) -> None:
    views(4, at=NOW - timedelta(minutes=1))
    (alert_id,) = _bulk_reports()["raised"]
    alert_close(
        Alert.objects.get(pk=alert_id),
        caller=as_caller(compliance_officer),
        note="Team lead asked for the audit.",
    )
    assert _bulk_reports(NOW + timedelta(minutes=1)) == {
        "raised": [],
        "refreshed": [],
        "already_closed": ["user:7"],
    }
    views(1, at=NOW + timedelta(minutes=1), first=10)  # still going after the close
    (new_id,) = _bulk_reports(NOW + timedelta(minutes=2))["raised"]
    assert new_id != alert_id
    assert Alert.objects.filter(status=AlertStatus.OPEN).count() == 1


def _broken(now: datetime) -> list[object]:
    raise RuntimeError("rule query broke")


def test_a_failing_rule_is_reported_and_the_other_rules_still_run() -> None:
    views(4)
    broken = Rule(AlertRule.BREAK_GLASS, _broken)  # type: ignore[arg-type]
    reports = run_monitoring(now=NOW, rules=[broken, Rule(AlertRule.BULK_ACCESS, bulk_access)])
    assert reports[0].error == "RuntimeError: rule query broke"
    assert len(reports[1].raised) == 1


# --- the Celery task -------------------------------------------------------------------------


def test_the_task_runs_every_rule_over_windows_ending_now() -> None:
    views(4, at=datetime.now().astimezone())
    results = tasks.run_monitoring()
    assert isinstance(results, list)  # not a refusal: no other run holds the lease
    assert [result["rule"] for result in results] == list(RULE_NAMES)
    alert = Alert.objects.get()
    assert results[0]["raised"] == [str(alert.pk)]
    again = tasks.run_monitoring()
    assert isinstance(again, list)
    assert again[0]["refreshed"] == [str(alert.pk)]
    assert tasks.run_monitoring.name == "audit.tasks.run_monitoring"


def test_the_task_fails_after_the_others_ran_when_a_rule_fails(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    views(4, at=datetime.now().astimezone())
    broken = Rule(AlertRule.BREAK_GLASS, _broken)  # type: ignore[arg-type]
    rules = (broken, Rule(AlertRule.BULK_ACCESS, bulk_access))
    monkeypatch.setattr("audit.monitoring.runner.RULES", rules)
    with pytest.raises(tasks.MonitoringRuleError, match="break_glass: RuntimeError"):
        tasks.run_monitoring()
    assert Alert.objects.count() == 1


# --- the command -----------------------------------------------------------------------------


def _command(*args: str) -> str:
    out = StringIO()
    call_command("audit_monitor", *args, stdout=out)
    return out.getvalue()


def test_the_command_prints_what_each_rule_raised_then_refreshed() -> None:
    views(4, at=datetime.now().astimezone())
    first = _command()
    alert = Alert.objects.get()
    assert f"bulk_access: raised high alert {alert.pk} on user:7 (events: 4)" in first
    assert "signin_failures: nothing found" in first
    assert f"bulk_access: refreshed high alert {alert.pk} on user:7" in _command()


def test_the_command_runs_only_the_rules_asked_for() -> None:
    output = _command("--rule", "break_glass", "--rule", "signin_failures")
    assert output.splitlines() == ["signin_failures: nothing found", "break_glass: nothing found"]


def test_the_command_refuses_an_unknown_rule_by_name() -> None:
    with pytest.raises(CommandError, match="invalid choice: 'bulk'"):
        _command("--rule", "bulk")


def test_the_command_reports_a_failed_rule_and_exits_non_zero(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    broken = Rule(AlertRule.BREAK_GLASS, _broken)  # type: ignore[arg-type]
    monkeypatch.setattr("audit.management.commands.audit_monitor.RULES", (broken,))
    errors = StringIO()
    with pytest.raises(CommandError, match="These rules failed: break_glass"):
        call_command("audit_monitor", stdout=StringIO(), stderr=errors)
    assert "break_glass: failed: RuntimeError: rule query broke" in errors.getvalue()
