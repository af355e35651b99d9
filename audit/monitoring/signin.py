"""Repeated failed sign-in or OTP steps: per account under attack and per source address.

The sign-in service (accounts.services.signin) records each failed password or
second-factor step as an action of Category.SIGN_IN_FAILURE, with the attacked account as
target (or "unknown" for a name that matches no account) and the client address from the
request, and a Category.LOCKOUT action when the failures reach the lockout threshold. The
account's own lockout counts consecutive failures at any pace; this rule counts failures
within a time window, per account and per address, so that a slow guesser spread over many
accounts from one address is seen too.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db.models import Count, Max, Min, Q

from audit.actions import Category, names_in
from audit.models import AlertRule, AuditEvent, Severity
from audit.monitoring.windows import Window
from audit.services.alerts import Finding

ACCOUNT = "accounts.user"
UNKNOWN_ACCOUNT = "unknown"


def _finding(
    subject: str, row: Mapping[str, Any], summary: str, window: Window, details: dict[str, Any]
) -> Finding:
    limit = settings.AUDIT_SIGNIN_FAILURES
    return Finding(
        rule=AlertRule.SIGNIN_FAILURES,
        severity=Severity.HIGH,
        subject=subject,
        summary=summary,
        event_count=row["events"],
        first_seen=row["first"],
        last_seen=row["last"],
        details={
            **details,
            "failures": row["failures"],
            "threshold": limit,
            **window.as_details(),
        },
    )


def _per_account(window: Window, limit: int) -> list[Finding]:
    """Accounts with `limit` or more failures in the window, or locked in it."""
    rows = (
        AuditEvent.objects.filter(
            window.q(),
            action__in=names_in(Category.SIGN_IN_FAILURE, Category.LOCKOUT),
            target_type=ACCOUNT,
        )
        .exclude(target_id=UNKNOWN_ACCOUNT)
        .values("target_id")
        .annotate(
            events=Count("id"),
            failures=Count("id", filter=Q(action__in=names_in(Category.SIGN_IN_FAILURE))),
            locks=Count("id", filter=Q(action__in=names_in(Category.LOCKOUT))),
            first=Min("occurred_at"),
            last=Max("occurred_at"),
        )
        .filter(Q(failures__gte=limit) | Q(locks__gt=0))
        .order_by("target_id")
    )
    findings = []
    for row in rows:
        subject = f"user:{row['target_id']}"
        locked = f"; locked {row['locks']} time(s)" if row["locks"] else ""
        summary = (
            f"Account {subject}: {row['failures']} failed sign-in or OTP steps within "
            f"{window.minutes} minutes{locked}."
        )
        findings.append(_finding(subject, row, summary, window, {"locks": row["locks"]}))
    return findings


def _per_address(window: Window, limit: int) -> list[Finding]:
    """Client addresses with `limit` or more failures in the window, whatever the account."""
    rows = (
        AuditEvent.objects.filter(window.q(), action__in=names_in(Category.SIGN_IN_FAILURE))
        .exclude(ip=None)
        .values("ip")
        .annotate(
            events=Count("id"),
            failures=Count("id"),
            accounts=Count("target_id", distinct=True),
            first=Min("occurred_at"),
            last=Max("occurred_at"),
        )
        .filter(failures__gte=limit)
        .order_by("ip")
    )
    findings = []
    for row in rows:
        subject = f"ip:{row['ip']}"
        summary = (
            f"Address {subject}: {row['failures']} failed sign-in or OTP steps against "
            f"{row['accounts']} account(s) within {window.minutes} minutes."
        )
        findings.append(_finding(subject, row, summary, window, {"accounts": row["accounts"]}))
    return findings


def signin_failures(now: datetime) -> list[Finding]:
    """AUDIT_SIGNIN_FAILURES or more failed steps within AUDIT_SIGNIN_FAILURE_MINUTES, per
    account and per client address; an account lockout in the window always counts."""
    limit = settings.AUDIT_SIGNIN_FAILURES
    window = Window.last(settings.AUDIT_SIGNIN_FAILURE_MINUTES, now=now)
    return _per_account(window, limit) + _per_address(window, limit)
