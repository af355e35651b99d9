"""Celery entry point of the monitoring rules (scheduled every AUDIT_MONITOR_SECONDS).

Registered under the audit app's task names; audit.tasks imports this module so that the
worker's autodiscovery finds it.
"""

from __future__ import annotations

from celery import shared_task

from audit.monitoring.runner import RuleReport
from audit.monitoring.runner import run_monitoring as run_rules
from ccplatform.jobs import run_exclusively


class MonitoringRuleError(Exception):
    """A rule raised an error; the other rules ran and raised their alerts."""


@shared_task(name="audit.tasks.run_monitoring")
def run_monitoring() -> list[dict[str, object]] | dict[str, object]:
    """Run every rule once over its window ending now; returns alert ids, never personal data.

    Safe to retry: a later run refreshes the alerts an earlier one raised; two at once do not
    happen (a run that finds another running does nothing and says so). A failed rule fails
    the task (after the others ran), so the failure shows in the worker's log and result,
    not only as a missing alert.
    """
    reports: list[RuleReport] | dict[str, object] = run_exclusively("audit-monitoring", run_rules)
    if isinstance(reports, dict):
        return reports
    failed = [f"{report.rule}: {report.error}" for report in reports if report.error]
    if failed:
        raise MonitoringRuleError("; ".join(failed))
    return [report.as_dict() for report in reports]
