"""incidents.planning: which notices the facts call for, by when; and the rule table itself."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from incidents.models import ClockBasis
from incidents.planning import ClientClock, Facts, plan
from incidents.rules import CLIENT_MAX_HOURS, RULES, RULES_BY_ID, Condition, Recipient

AWARE = datetime(2026, 3, 5, 14, 0, tzinfo=UTC)  # three days before US daylight saving
DISCOVERED = AWARE - timedelta(hours=6)


def facts(**changes: object) -> Facts:
    base: dict[str, object] = {
        "discovered_at": DISCOVERED,
        "aware_at": AWARE,
        "risk": "risk",
        "categories": frozenset({"contact"}),
        "regimes": frozenset({"gdpr", "hipaa"}),
    }
    return Facts(**(base | changes))  # type: ignore[arg-type]


def owed(**changes: object) -> dict[tuple[str, str], object]:
    return {(item.rule, item.place): item for item in plan(facts(**changes))}


def test_gdpr_authority_is_owed_72_hours_from_awareness_even_at_low_risk() -> None:
    notices = owed(risk="none")
    gdpr = notices[("gdpr.33.authority", "")]
    assert gdpr.due.due == AWARE + timedelta(hours=72)  # type: ignore[attr-defined]
    assert ("gdpr.34.subjects", "") not in notices  # subjects only when the risk is high


def test_high_risk_adds_the_subjects_notice_with_the_platform_target_marked() -> None:
    subjects = owed(risk="high")[("gdpr.34.subjects", "")]
    assert subjects.basis == ClockBasis.TARGET  # type: ignore[attr-defined]


def test_gdpr_applies_by_eea_residents_when_the_organisation_is_not_under_it() -> None:
    assert ("gdpr.33.authority", "") not in owed(regimes=frozenset())
    assert ("gdpr.33.authority", "") in owed(regimes=frozenset(), regions={"DE": 1}, total=1)


def test_hipaa_applies_to_medical_data_only() -> None:
    assert not any(rule.startswith("hipaa") for rule, _ in owed())
    medical = owed(categories=frozenset({"medical"}))
    individuals = medical[("hipaa.404.individuals", "")]
    assert individuals.due.zone == "America/New_York"  # type: ignore[attr-defined]
    # 60 calendar days across the March change: same wall-clock time, one hour less elapsed.
    assert individuals.due.due - DISCOVERED == timedelta(days=60, hours=-1)  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("total", "hhs_now", "hhs_log"), [(499, False, True), (500, True, False), (12000, True, False)]
)
def test_hhs_at_once_from_500_else_in_the_annual_log(
    total: int, hhs_now: bool, hhs_log: bool
) -> None:
    notices = owed(categories=frozenset({"medical"}), total=total, regions={"US-TX": total})
    assert (("hipaa.408.hhs", "") in notices) is hhs_now
    assert (("hipaa.408.hhs_log", "") in notices) is hhs_log


def test_the_annual_log_is_due_60_days_after_the_year_of_discovery_ends() -> None:
    log = owed(categories=frozenset({"medical"}), total=3)[("hipaa.408.hhs_log", "")]
    shown = log.due.shown()  # type: ignore[attr-defined]
    assert shown.startswith("2027-03-02 00:00 EST")  # 1 January + 60 days, New York


def test_media_per_state_only_above_500_residents_of_that_state() -> None:
    regions = {"US-CA": 501, "US-TX": 500, "US-NY": 3}
    notices = owed(categories=frozenset({"medical"}), total=1004, regions=regions)
    media = sorted(place for rule, place in notices if rule == "hipaa.406.media")
    assert media == ["US-CA"]


def test_state_rules_follow_residents_and_attorney_general_thresholds() -> None:
    notices = owed(total=800, regions={"US-TX": 250, "US-FL": 499, "US-CA": 2, "US-CO": 500})
    assert ("us-tx.ag", "US-TX") in notices  # 250 or more
    assert ("us-fl.residents", "US-FL") in notices
    assert ("us-fl.ag", "US-FL") not in notices
    assert ("us-ca.residents", "US-CA") in notices
    assert ("us-ca.ag", "US-CA") not in notices
    assert ("us-co.ag", "US-CO") in notices  # 500 or more
    assert not any(place == "US-WA" for _, place in notices)
    ca = notices[("us-ca.residents", "US-CA")]
    assert ca.due.zone == "America/Los_Angeles"  # type: ignore[attr-defined]


def test_other_countries_by_residence_with_their_own_clocks() -> None:
    notices = owed(regions={"GB": 1, "BR": 2, "SG": 1, "AU": 1, "CA": 1}, total=6)
    brazil = notices[("br.authority", "BR")]
    # 3 business days from Thursday 5 March (São Paulo): Tuesday 10 March.
    assert brazil.due.shown().startswith("2026-03-10")  # type: ignore[attr-defined]
    assert {("uk.33.authority", "GB"), ("sg.authority", "SG"), ("au.authority", "AU"),
            ("ca.authority", "CA")} <= set(notices)  # fmt: skip


def test_each_client_gets_its_contractual_clock() -> None:
    notices = plan(facts(clients=[ClientClock(7, "Acme Health", 24)]))
    client = next(item for item in notices if item.rule == "client:7")
    assert (client.recipient, client.basis) == (Recipient.CLIENT, ClockBasis.CONTRACT)
    assert client.due.due == AWARE + timedelta(hours=24)
    assert plan(facts())[0].due.due <= plan(facts())[-1].due.due  # soonest first


def test_every_rule_cites_its_source_and_reads_sensibly() -> None:
    assert len(RULES_BY_ID) == len(RULES)
    states = {rule.place for rule in RULES if rule.place.startswith("US-") and rule.place != "US-*"}
    assert {"US-CA", "US-NY", "US-WA", "US-CO", "US-TX", "US-FL"} <= states
    assert {"GB", "CA", "AU", "SG", "BR"} <= {rule.place for rule in RULES}
    for rule in RULES:
        assert re.search(r"\d", rule.source), rule.id  # an article, section or CFR number
        assert rule.summary.strip()
        assert rule.amount > 0
        if rule.condition in (Condition.OVER_THRESHOLD, Condition.AT_LEAST_THRESHOLD):
            assert rule.threshold > 0
            assert rule.place
        if rule.recipient is Recipient.AUTHORITY and rule.unit == "hours":
            assert rule.amount <= CLIENT_MAX_HOURS
