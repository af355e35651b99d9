"""What the incident pages show, ready for the templates: clocks with time left and their
zone, timeline entries with people's names, affected counts as tables.

The templates do no lookups: usernames are resolved for a page in one query.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from django.utils import timezone

from accounts.selectors import people_holding
from audit.views.listing import actor_label, usernames
from ccplatform.deadlines import Deadline, elapsed_share
from incidents.models import AffectedSet, DataCategory, Obligation, ObligationStatus, TimelineEntry
from incidents.permissions import HANDLE_PERMISSION


def utc(moment: datetime | None) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if moment else ""


def left(seconds: float) -> str:
    """'2 d 4 h', '3 h 12 min', '45 min'; 'overdue by …' when negative."""
    late = seconds < 0
    minutes = int(abs(seconds) // 60)
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    text = f"{days} d {hours} h" if days else f"{hours} h {mins} min" if hours else f"{mins} min"
    return f"overdue by {text}" if late else text


@dataclass(frozen=True)
class Clock:
    """One notice as a row: its deadline local and UTC, the time left, how urgent."""

    obligation: Obligation
    due_utc: str
    due_local: str
    due_iso: str
    left: str
    seconds_left: int
    share: int  # percent of the time passed
    urgency: str  # ok, soon (≥ 80 %), due (≥ 100 %), done, void

    @property
    def decided(self) -> bool:
        return self.obligation.status != ObligationStatus.PENDING


def clock(obligation: Obligation, now: datetime | None = None) -> Clock:
    now = now or timezone.now()
    seconds = (obligation.deadline - now).total_seconds()
    share = elapsed_share(obligation.starts_at, obligation.deadline, now)
    if obligation.status != ObligationStatus.PENDING:
        urgency = "done"
    elif not obligation.applies:
        urgency = "void"
    else:
        urgency = "due" if share >= 1 else "soon" if share >= 0.8 else "ok"
    return Clock(
        obligation=obligation,
        due_utc=utc(obligation.deadline),
        due_local=Deadline(obligation.deadline, obligation.zone).shown(),
        due_iso=obligation.deadline.astimezone(UTC).isoformat(),
        left=left(seconds),
        seconds_left=int(seconds),
        share=max(0, min(100, round(share * 100))),
        urgency=urgency,
    )


def clocks(obligations: Iterable[Obligation]) -> list[Clock]:
    now = timezone.now()
    return [clock(obligation, now) for obligation in obligations]


@dataclass(frozen=True)
class Entry:
    entry: TimelineEntry
    time: str
    actor: str


def entries(timeline: Sequence[TimelineEntry]) -> list[Entry]:
    pairs = [entry.actor.partition(":")[::2] for entry in timeline]
    names = usernames(pairs)
    return [
        Entry(entry, utc(entry.at), actor_label(kind, ident, names))
        for entry, (kind, ident) in zip(timeline, pairs, strict=True)
    ]


def counts_table(affected: AffectedSet | None, name: str) -> list[tuple[str, int]]:
    """One of the set's counts ("categories", "regions") as rows, largest first; categories
    by their labels."""
    if affected is None:
        return []
    counts: dict[str, int] = affected.counts.get(name, {})
    labels = dict(DataCategory.choices) if name == "categories" else {}
    rows = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return [(labels.get(key, key), count) for key, count in rows]


def handlers() -> list[tuple[str, str]]:
    """(id, username) of the people who handle incidents: approvers, owners."""
    return [(str(person.pk), person.username) for person in people_holding(HANDLE_PERMISSION)]
