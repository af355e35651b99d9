"""Run every monitoring rule once and raise (or refresh) an alert for each finding.

Runs overlap on purpose (each rule looks back over its whole window), so the same events are
seen again: audit.services.alerts.alert_raise keeps one active alert per rule and subject and only
refreshes it. After someone has closed an alert, the events it covered do not raise it
again; only a finding with an event newer than the closed alert's last one does.

A failing rule is logged and reported, and the other rules still run: one broken query must
not blind the rest of the monitoring.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import structlog
from django.utils import timezone

from audit.models import Alert, AlertRule, AlertStatus
from audit.monitoring.access import access_denied_burst, break_glass, bulk_access, off_hours_reveal
from audit.monitoring.signin import signin_failures
from audit.services.alerts import Finding, alert_raise
from ccplatform.callers import Caller

MONITORING = Caller.system("audit monitoring")

logger = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Rule:
    """A named rule: given the time of the run, what it found."""

    name: AlertRule
    find: Callable[[datetime], list[Finding]]


# Verification failures are raised by audit.services.verification.audit_verify, after each
# verification run, not here.
RULES: tuple[Rule, ...] = (
    Rule(AlertRule.BULK_ACCESS, bulk_access),
    Rule(AlertRule.OFF_HOURS_REVEAL, off_hours_reveal),
    Rule(AlertRule.SIGNIN_FAILURES, signin_failures),
    Rule(AlertRule.ACCESS_DENIED_BURST, access_denied_burst),
    Rule(AlertRule.BREAK_GLASS, break_glass),
)
RULE_NAMES = tuple(rule.name.value for rule in RULES)


@dataclass
class RuleReport:
    """What one rule did in one run: alert ids raised and refreshed, subjects left alone."""

    rule: str
    raised: list[str] = field(default_factory=list)
    refreshed: list[str] = field(default_factory=list)
    already_closed: list[str] = field(default_factory=list)
    error: str = ""

    def as_dict(self) -> dict[str, object]:
        return {
            "rule": self.rule,
            "raised": self.raised,
            "refreshed": self.refreshed,
            "already_closed": self.already_closed,
            "error": self.error,
        }


def _covered_by_closed_alert(finding: Finding) -> bool:
    """Whether a closed alert on this rule and subject already covers the finding's events."""
    return Alert.objects.filter(
        rule=finding.rule,
        subject=finding.subject,
        status=AlertStatus.CLOSED,
        last_seen__gte=finding.last_seen,
    ).exists()


def _run_rule(rule: Rule, now: datetime) -> RuleReport:
    report = RuleReport(rule=rule.name.value)
    try:
        for finding in rule.find(now):
            if _covered_by_closed_alert(finding):
                report.already_closed.append(finding.subject)
                continue
            alert, created = alert_raise(finding, caller=MONITORING)
            (report.raised if created else report.refreshed).append(str(alert.pk))
    except Exception as error:  # one failing rule must not stop the others
        logger.exception("audit_monitoring_rule_failed", rule=rule.name.value)
        report.error = f"{type(error).__name__}: {error}"
    return report


def run_monitoring(
    *, now: datetime | None = None, rules: Sequence[Rule] | None = None
) -> list[RuleReport]:
    """Run `rules` (default: every rule) once over the windows ending at `now` (default:
    the current time)."""
    moment = now or timezone.now()
    reports = [_run_rule(rule, moment) for rule in (RULES if rules is None else rules)]
    logger.info(
        "audit_monitoring_ran",
        raised=sum(len(report.raised) for report in reports),
        refreshed=sum(len(report.refreshed) for report in reports),
        failed_rules=[report.rule for report in reports if report.error],
    )
    return reports
