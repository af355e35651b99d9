"""Which notices an incident owes, and by when: the rule table applied to its facts.

Pure: facts in, planned obligations out; incidents.services.planning stores them. A
regime of the organisation's own (INCIDENT_REGIMES: GDPR, HIPAA) applies by itself — HIPAA
when medical data is involved — and GDPR also when EEA residents are among the affected; a
state's or country's rule applies by the residence of the people affected, counted from the
incident's current affected set. Thresholds read those counts.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from ccplatform.deadlines import Deadline, Unit, deadline
from incidents.models import ClockBasis, DataCategory, Risk
from incidents.rules import (
    CLIENT_SOURCE_PREFIX,
    EEA,
    RULES,
    Condition,
    Recipient,
    Rule,
    Trigger,
)

CLIENT_REGIME = "Contract"


@dataclass(frozen=True)
class ClientClock:
    id: int
    name: str
    hours: int


@dataclass(frozen=True)
class Facts:
    """What the rules read from an incident."""

    discovered_at: datetime
    aware_at: datetime
    risk: str
    categories: frozenset[str]
    regimes: frozenset[str]  # "gdpr", "hipaa" (settings.INCIDENT_REGIMES)
    total: int = 0  # affected people (the current affected set)
    regions: Mapping[str, int] = field(default_factory=dict)  # "US-CA": 12, "GB": 3
    clients: Sequence[ClientClock] = ()


@dataclass(frozen=True)
class Planned:
    """One notice owed: the rule, whose residents, its clock."""

    rule: str
    regime: str
    recipient: str
    place: str
    starts_at: datetime
    due: Deadline
    basis: ClockBasis
    source: str
    summary: str

    @property
    def key(self) -> tuple[str, str]:
        return (self.rule, self.place)


def _start(rule: Rule, facts: Facts) -> datetime:
    if rule.trigger is Trigger.AWARE:
        return facts.aware_at
    if rule.trigger is Trigger.DISCOVERED:
        return facts.discovered_at
    zone = ZoneInfo(rule.zone)
    year = facts.discovered_at.astimezone(zone).year
    return datetime(year + 1, 1, 1, tzinfo=zone)  # the end of the year of discovery


def _regime_applies(rule: Rule, facts: Facts) -> bool:
    if rule.regime == "GDPR":
        return "gdpr" in facts.regimes or any(facts.regions.get(code) for code in EEA)
    if rule.regime == "HIPAA":
        return "hipaa" in facts.regimes and DataCategory.MEDICAL in facts.categories
    return True  # a place's law: its condition asks for residents


def _places(rule: Rule, facts: Facts) -> Iterator[str]:
    """The places a rule is owed for ("" when it is not per place)."""
    if rule.place == "US-*":
        yield from sorted(code for code in facts.regions if code.startswith("US-"))
    else:
        yield rule.place


def _condition_met(rule: Rule, place: str, facts: Facts) -> bool:
    residents = facts.regions.get(place, 0) if place else facts.total
    high = facts.risk == Risk.HIGH
    match rule.condition:
        case Condition.ALWAYS:
            return True
        case Condition.HIGH_RISK:
            return high and (not place or residents > 0)
        case Condition.RESIDENTS:
            return residents > 0
        case Condition.OVER_THRESHOLD:
            return residents > rule.threshold
        case Condition.AT_LEAST_THRESHOLD:
            return residents >= rule.threshold
        case Condition.UNDER_TOTAL:
            return facts.total < rule.threshold
        case Condition.AT_LEAST_TOTAL:
            return facts.total >= rule.threshold
    raise ValueError(f"unknown condition {rule.condition}")  # pragma: no cover


def plan(facts: Facts) -> list[Planned]:
    """Every notice the facts call for, soonest deadline first."""
    owed: list[Planned] = []
    for rule in RULES:
        if not _regime_applies(rule, facts):
            continue
        for place in _places(rule, facts):
            if not _condition_met(rule, place, facts):
                continue
            start = _start(rule, facts)
            owed.append(
                Planned(
                    rule=rule.id,
                    regime=rule.regime,
                    recipient=rule.recipient,
                    place=place,
                    starts_at=start,
                    due=deadline(start, rule.amount, rule.unit, zone=rule.zone),
                    basis=ClockBasis.LAW if rule.statutory else ClockBasis.TARGET,
                    source=rule.source,
                    summary=rule.summary,
                )
            )
    for client in facts.clients:
        owed.append(
            Planned(
                rule=f"client:{client.id}",
                regime=CLIENT_REGIME,
                recipient=Recipient.CLIENT,
                place="",
                starts_at=facts.aware_at,
                due=deadline(facts.aware_at, client.hours, Unit.HOURS),
                basis=ClockBasis.CONTRACT,
                source=f"{CLIENT_SOURCE_PREFIX}{client.name}",
                summary=f"Tell {client.name} within {client.hours} hours of becoming aware.",
            )
        )
    return sorted(owed, key=lambda planned: (planned.due.due, planned.rule, planned.place))
