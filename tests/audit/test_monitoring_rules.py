"""Each monitoring rule: what it finds, what it leaves alone, its threshold and its window.

Events are recorded through audit_record with the clock set to chosen moments, so windows and
working hours are tested at exact boundaries. The helpers here are shared with the other
monitoring tests.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from datetime import UTC, datetime, time, timedelta
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from pytest_django import Settings

from audit import actions
from audit.actions import CRITICAL, Action, Category, declare, declared
from audit.models import AlertRule, Severity
from audit.monitoring.access import access_denied_burst, break_glass, bulk_access, off_hours_reveal
from audit.monitoring.signin import signin_failures
from audit.services import AuditTarget, audit_record
from audit.services.alerts import Finding
from ccplatform.context import Actor, ActorKind, RequestInfo, request_context

pytestmark = pytest.mark.django_db

# Wednesday 4 March 2026, noon UTC: inside the default working hours.
NOW = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)
AGENT = "user:7"


@contextmanager
def clock(moment: datetime) -> Iterator[None]:
    """Everything that asks django.utils.timezone for the time gets `moment` (in UTC, as
    timezone.now() gives it)."""
    with mock.patch("django.utils.timezone.now", return_value=moment.astimezone(UTC)):
        yield


def customer(number: int) -> AuditTarget:
    return AuditTarget("customers.customer", f"00000000-0000-4000-8000-{number:012d}")


def account(number: int | str) -> AuditTarget:
    return AuditTarget("accounts.user", str(number))


@contextmanager
def declared_for_the_test(name: str, category: Category) -> Iterator[Action]:
    """An action declared for one test only, then taken out of the registry again.

    No product action is of Category.BREAK_GLASS yet (emergency access is a rule waiting for
    its producer), so these tests declare one, as a future producer would.
    """
    action = declare(name, category, CRITICAL, "Declared by a monitoring test.")
    try:
        yield action
    finally:
        actions._REGISTRY.pop(name, None)


@pytest.fixture
def break_glass_action() -> Iterator[Action]:
    with declared_for_the_test("customer.break_glass", Category.BREAK_GLASS) as action:
        yield action


def record(
    action: str,
    *,
    at: datetime = NOW,
    actor: str = AGENT,
    target: AuditTarget | None = None,
    outcome: str = "allowed",
    ip: str | None = None,
    reason: str = "",
) -> None:
    """One event of the declared action named `action`, by `actor` ("kind:id") at `at`, from
    client address `ip` if given."""
    kind, _, ident = actor.partition(":")
    context = request_context(RequestInfo("monitoring-test", ip=ip)) if ip else nullcontext()
    with clock(at), context:
        audit_record(
            actor=Actor(kind=ActorKind(kind), id=ident),
            action=declared(action),
            target=target,
            outcome=outcome,
            reason=reason,
        )


def views(count: int, *, at: datetime = NOW, actor: str = AGENT, first: int = 0) -> None:
    for number in range(first, first + count):
        record("customer.viewed", at=at, actor=actor, target=customer(number))


def only(findings: list[Finding]) -> Finding:
    assert len(findings) == 1, findings
    return findings[0]


# --- bulk_access -----------------------------------------------------------------------------


@pytest.fixture
def bulk_limit(settings: Settings) -> int:
    settings.AUDIT_BULK_ACCESS_CUSTOMERS = 3
    settings.AUDIT_BULK_ACCESS_MINUTES = 10
    return 3


def test_bulk_access_at_its_limit_raises_nothing(bulk_limit: int) -> None:
    views(bulk_limit)
    assert bulk_access(NOW) == []


def test_bulk_access_over_its_limit_is_a_high_finding_about_the_actor(bulk_limit: int) -> None:
    views(bulk_limit + 1, at=NOW - timedelta(minutes=5))
    found = only(bulk_access(NOW))
    assert (found.rule, found.severity, found.subject) == (
        AlertRule.BULK_ACCESS,
        Severity.HIGH,
        AGENT,
    )
    assert (found.event_count, found.details["customers"], found.details["threshold"]) == (4, 4, 3)
    assert found.first_seen == found.last_seen == NOW - timedelta(minutes=5)


def test_bulk_access_counts_distinct_customers_across_reading_actions(bulk_limit: int) -> None:
    views(bulk_limit)
    views(bulk_limit)  # the same customers again
    assert bulk_access(NOW) == []
    record("customer.revealed", target=customer(10))
    assert only(bulk_access(NOW)).details["customers"] == 4
    assert only(bulk_access(NOW)).event_count == 7


@pytest.mark.parametrize(
    "action", ["customer.revealed", "customer.notes_viewed", "customer.interactions_viewed"]
)
def test_bulk_access_counts_every_reading_action(bulk_limit: int, action: str) -> None:
    for number in range(bulk_limit + 1):
        record(action, target=customer(number))
    assert only(bulk_access(NOW)).details["customers"] == 4


def test_bulk_access_ignores_writes_lists_denials_and_other_targets(bulk_limit: int) -> None:
    for number in range(bulk_limit + 1):
        record("customer.updated", target=customer(number))
        record("customer.listed")
        record("customer.viewed", target=customer(number), outcome="denied")
        record("customer.viewed", target=account(number))
    assert bulk_access(NOW) == []


def test_bulk_access_counts_each_actor_apart(bulk_limit: int) -> None:
    views(bulk_limit, actor="user:1")
    views(bulk_limit, actor="user:2", first=bulk_limit)
    assert bulk_access(NOW) == []


def test_bulk_access_names_an_api_key_by_its_prefix(bulk_limit: int) -> None:
    views(bulk_limit + 1, actor="api_key:Ab12Cd34")
    assert only(bulk_access(NOW)).subject == "api_key:Ab12Cd34"


def test_bulk_access_leaves_out_events_older_than_its_window(bulk_limit: int) -> None:
    views(1, at=NOW - timedelta(minutes=10, seconds=1), first=100)
    views(bulk_limit)
    assert bulk_access(NOW) == []
    views(1, at=NOW - timedelta(minutes=10), first=200)  # the window's start is inclusive
    assert only(bulk_access(NOW)).details["customers"] == 4


# --- off_hours_reveal ------------------------------------------------------------------------

BERLIN = ZoneInfo("Europe/Berlin")
# Saturday 7 March 2026, 10:00 in Berlin; Wednesday 4 March, 10:00 and 18:00 in Berlin.
SATURDAY_MORNING = datetime(2026, 3, 7, 10, tzinfo=BERLIN)
WEDNESDAY_MORNING = datetime(2026, 3, 4, 10, tzinfo=BERLIN)
WEDNESDAY_CLOSING = datetime(2026, 3, 4, 18, tzinfo=BERLIN)


@pytest.fixture
def office(settings: Settings) -> None:
    settings.AUDIT_WORKING_HOURS = (time(8), time(18))
    settings.AUDIT_WORKING_DAYS = frozenset(range(5))
    settings.AUDIT_WORKING_TIME_ZONE = BERLIN
    settings.AUDIT_MONITOR_SECONDS = 60


@pytest.mark.parametrize("moment", [SATURDAY_MORNING, WEDNESDAY_CLOSING])
def test_a_reveal_outside_working_hours_is_a_medium_finding(office: None, moment: datetime) -> None:
    record("customer.revealed", at=moment, target=customer(1))
    found = only(off_hours_reveal(moment + timedelta(minutes=1)))
    assert (found.rule, found.severity, found.subject) == (
        AlertRule.OFF_HOURS_REVEAL,
        Severity.MEDIUM,
        AGENT,
    )
    assert found.details["customers"] == 1


def test_a_reveal_in_working_hours_is_not_a_finding(office: None) -> None:
    record("customer.revealed", at=WEDNESDAY_MORNING, target=customer(1))
    assert off_hours_reveal(WEDNESDAY_MORNING + timedelta(minutes=1)) == []
    record("customer.revealed", at=WEDNESDAY_CLOSING - timedelta(seconds=1), target=customer(2))
    assert off_hours_reveal(WEDNESDAY_CLOSING - timedelta(seconds=1)) == []


def test_off_hours_views_and_refused_reveals_are_not_findings(office: None) -> None:
    record("customer.viewed", at=SATURDAY_MORNING, target=customer(1))
    record("customer.revealed", at=SATURDAY_MORNING, target=customer(1), outcome="denied")
    assert off_hours_reveal(SATURDAY_MORNING) == []


def test_an_off_hours_reveal_older_than_the_lookback_is_left_out(office: None) -> None:
    record("customer.revealed", at=SATURDAY_MORNING, target=customer(1))
    assert off_hours_reveal(SATURDAY_MORNING + timedelta(minutes=61)) == []
    assert off_hours_reveal(SATURDAY_MORNING + timedelta(minutes=60)) != []


# --- signin_failures -------------------------------------------------------------------------


@pytest.fixture
def signin_limit(settings: Settings) -> int:
    settings.AUDIT_SIGNIN_FAILURES = 3
    settings.AUDIT_SIGNIN_FAILURE_MINUTES = 15
    return 3


def _failures(count: int, *, target: AuditTarget, ips: list[str], at: datetime = NOW) -> None:
    for number in range(count):
        action = "auth.password_failed" if number % 2 else "auth.otp_failed"
        record(action, at=at, target=target, outcome="denied", ip=ips[number % len(ips)])


def test_signin_failures_below_the_limit_raise_nothing(signin_limit: int) -> None:
    _failures(signin_limit - 1, target=account(5), ips=["203.0.113.9"])
    assert signin_failures(NOW) == []


def test_signin_failures_on_one_account_are_a_high_finding(signin_limit: int) -> None:
    _failures(signin_limit, target=account(5), ips=["203.0.113.1", "203.0.113.2", "203.0.113.3"])
    found = only(signin_failures(NOW))
    assert (found.rule, found.severity, found.subject) == (
        AlertRule.SIGNIN_FAILURES,
        Severity.HIGH,
        "user:5",
    )
    assert (found.details["failures"], found.details["locks"]) == (3, 0)


def test_signin_failures_from_one_address_across_accounts_are_a_finding(
    signin_limit: int,
) -> None:
    for target in (account(5), account(6), account("unknown")):
        _failures(1, target=target, ips=["2001:db8::7"])
    found = only(signin_failures(NOW))
    assert found.subject == "ip:2001:db8::7"
    assert (found.details["failures"], found.details["accounts"]) == (3, 3)


def test_failures_for_unknown_names_never_make_an_account_finding(signin_limit: int) -> None:
    for number in range(signin_limit):
        _failures(1, target=account("unknown"), ips=[f"198.51.100.{number}"])
    assert signin_failures(NOW) == []


def test_a_lockout_is_a_finding_even_below_the_limit(signin_limit: int) -> None:
    record("user.locked", actor="system:sign-in", target=account(5))
    found = only(signin_failures(NOW))
    assert (found.subject, found.details["locks"], found.details["failures"]) == ("user:5", 1, 0)


def test_signin_failures_older_than_the_window_are_left_out(signin_limit: int) -> None:
    old = NOW - timedelta(minutes=15, seconds=1)
    _failures(1, target=account(5), ips=["203.0.113.9"], at=old)
    _failures(signin_limit - 1, target=account(5), ips=["203.0.113.9"])
    assert signin_failures(NOW) == []


# --- access_denied_burst ---------------------------------------------------------------------


@pytest.fixture
def denied_limit(settings: Settings) -> int:
    settings.AUDIT_DENIED_BURST = 3
    settings.AUDIT_DENIED_BURST_MINUTES = 10
    return 3


def _denials(count: int, *, at: datetime = NOW, outcome: str = "denied") -> None:
    for number in range(count):
        record("access.denied", at=at, target=customer(number), outcome=outcome)


def test_denials_below_the_burst_raise_nothing(denied_limit: int) -> None:
    _denials(denied_limit - 1)
    assert access_denied_burst(NOW) == []


def test_a_burst_of_denials_is_a_high_finding(denied_limit: int) -> None:
    _denials(denied_limit)
    found = only(access_denied_burst(NOW))
    assert (found.rule, found.severity, found.subject, found.event_count) == (
        AlertRule.ACCESS_DENIED_BURST,
        Severity.HIGH,
        AGENT,
        3,
    )


def test_failures_and_signin_denials_are_not_a_denied_burst(denied_limit: int) -> None:
    _denials(denied_limit, outcome="failed")
    for _ in range(denied_limit):
        record("auth.password_failed", target=account(7), outcome="denied")
    assert access_denied_burst(NOW) == []


def test_denials_older_than_the_window_are_left_out(denied_limit: int) -> None:
    _denials(1, at=NOW - timedelta(minutes=10, seconds=1))
    _denials(denied_limit - 1)
    assert access_denied_burst(NOW) == []


# --- break_glass -----------------------------------------------------------------------------


def test_break_glass_use_is_a_critical_finding_about_the_actor(break_glass_action: Action) -> None:
    record("customer.break_glass", actor="user:3", target=customer(1))
    record("customer.break_glass", actor="user:3", target=customer(2), outcome="denied")
    found = only(break_glass(NOW))
    assert (found.rule, found.severity, found.subject, found.event_count) == (
        AlertRule.BREAK_GLASS,
        Severity.CRITICAL,
        "user:3",
        2,
    )
    assert found.details["targets"] == 2


def test_other_actions_and_old_break_glass_use_are_not_findings(
    break_glass_action: Action,
) -> None:
    record("customer.viewed", target=customer(1))
    record("access.denied", target=customer(1), outcome="denied")
    record("customer.break_glass", at=NOW - timedelta(minutes=61), target=customer(1))
    assert break_glass(NOW) == []


def test_break_glass_selects_by_category_not_by_name(break_glass_action: Action) -> None:
    """A renamed or new break-glass action reaches the rule without anyone retyping it; an
    action merely named like one does not."""
    with (
        declared_for_the_test("customer.emergency_opened", Category.BREAK_GLASS),
        declared_for_the_test("customer.break_glass_reviewed", Category.AUDIT_LOG),
    ):
        record("customer.emergency_opened", actor="user:4", target=customer(1))
        record("customer.break_glass_reviewed", actor="user:5", target=customer(1))
        assert only(break_glass(NOW)).subject == "user:4"


# --- no personal values ----------------------------------------------------------------------


def test_findings_hold_ids_counts_and_times_only(
    bulk_limit: int,
    signin_limit: int,
    denied_limit: int,
    settings: Settings,
    break_glass_action: Action,
) -> None:
    settings.AUDIT_WORKING_DAYS = frozenset()  # every reveal is off-hours
    name = "Jane Example"
    for number in range(4):
        record("customer.revealed", target=customer(number), reason=f"called {name}")
        record("access.denied", target=customer(number), outcome="denied", reason=name)
        record("auth.password_failed", target=account(5), outcome="denied", ip="203.0.113.9")
    record("customer.break_glass", target=customer(1), reason=name)
    findings = [
        finding
        for rule in (bulk_access, off_hours_reveal, signin_failures, access_denied_burst)
        for finding in rule(NOW)
    ] + break_glass(NOW)
    assert len(findings) == 6
    for finding in findings:
        assert name not in f"{finding.summary} {finding.details}"
        assert all(isinstance(value, int | str) for value in finding.details.values())
