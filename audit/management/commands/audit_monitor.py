"""Run the audit monitoring rules once, from the shell, and print what they raised."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError

from audit.models import Alert
from audit.monitoring.runner import RULE_NAMES, RULES, RuleReport, run_monitoring


class Command(BaseCommand):
    help = (
        "Run the audit monitoring rules once over their windows ending now (as the scheduled "
        "task does) and print the alerts raised or refreshed. Exits non-zero if a rule failed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--rule",
            action="append",
            choices=RULE_NAMES,
            help="run only this rule (repeatable; default: every rule)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        chosen = options["rule"] or RULE_NAMES
        rules = [rule for rule in RULES if rule.name.value in chosen]
        try:
            Alert.objects.exists()
        except DatabaseError as error:
            raise CommandError(
                f"Cannot read the alerts table ({error}). Is the database up and migrated "
                "(manage.py migrate)?"
            ) from None
        reports = run_monitoring(rules=rules)
        for report in reports:
            self._print(report)
        failed = [report.rule for report in reports if report.error]
        if failed:
            raise CommandError(
                f"These rules failed: {', '.join(failed)} (see above); the other rules ran."
            )

    def _print(self, report: RuleReport) -> None:
        if report.error:
            self.stderr.write(f"{report.rule}: failed: {report.error}")
            return
        found = Alert.objects.in_bulk([*report.raised, *report.refreshed])
        alerts = {str(pk): alert for pk, alert in found.items()}
        if not alerts and not report.already_closed:
            self.stdout.write(f"{report.rule}: nothing found")
            return
        for verb, ids in (("raised", report.raised), ("refreshed", report.refreshed)):
            for alert_id in ids:
                alert = alerts[alert_id]
                self.stdout.write(
                    f"{report.rule}: {verb} {alert.severity} alert {alert.pk} on "
                    f"{alert.subject} (events: {alert.event_count})"
                )
        for subject in report.already_closed:
            self.stdout.write(f"{report.rule}: {subject} is covered by a closed alert")
