"""The one place deadlines are computed: hours, calendar days, business days and months,
each from an aware start, in a named time zone, returned in UTC.

Legal clocks count differently. "72 hours" is elapsed time: the same in every zone, daylight
saving or not. "60 calendar days" and "3 business days" are counted on the calendar of a
place: the deadline keeps the wall-clock time of the start there, so across a daylight-saving
change it is an hour more or less of elapsed time. Deadlines are stored in UTC and shown with
the zone they were counted in (`Deadline.shown`).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo


class Unit(StrEnum):
    HOURS = "hours"
    CALENDAR_DAYS = "calendar_days"
    BUSINESS_DAYS = "business_days"
    MONTHS = "months"


@dataclass(frozen=True)
class Deadline:
    """When something is due (UTC) and the zone its days were counted in."""

    due: datetime
    zone: str

    def shown(self) -> str:
        """The deadline as people read it: local time with its zone, e.g.
        '2026-03-10 09:30 EDT (America/New_York)', or '2026-03-10 13:30 UTC'."""
        local = self.due.astimezone(ZoneInfo(self.zone))
        named = "" if local.tzname() == self.zone else f" ({self.zone})"
        return f"{local:%Y-%m-%d %H:%M} {local.tzname()}{named}"


def _aware(start: datetime) -> datetime:
    if start.tzinfo is None or start.utcoffset() is None:
        raise ValueError("a deadline counts from an aware time (invariant 9: time is aware)")
    return start


def _business_days_after(day: date, count: int, weekend: frozenset[int]) -> date:
    moved = day
    while count > 0:
        moved += timedelta(days=1)
        if moved.weekday() not in weekend:
            count -= 1
    return moved


def _months_after(day: date, count: int) -> date:
    """The same day `count` months later, or that month's last day (31 Jan + 1 → 28/29 Feb)."""
    month_index = day.month - 1 + count
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return day.replace(
        year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1])
    )


def deadline(
    start: datetime,
    amount: int,
    unit: Unit | str,
    *,
    zone: str = "UTC",
    weekend: frozenset[int] = frozenset({5, 6}),
) -> Deadline:
    """`amount` of `unit` after `start`, counted in `zone`; the result is in UTC.

    Business days skip `weekend` (Saturday and Sunday by default). Public holidays are not
    known here: a deadline over one comes a day early, never late.
    """
    if amount < 0:
        raise ValueError("a deadline lies after its start")
    start = _aware(start)
    unit = Unit(unit)
    if unit is Unit.HOURS:
        return Deadline((start + timedelta(hours=amount)).astimezone(UTC), zone)
    local = start.astimezone(ZoneInfo(zone))
    if unit is Unit.CALENDAR_DAYS:
        day = local.date() + timedelta(days=amount)
    elif unit is Unit.MONTHS:
        day = _months_after(local.date(), amount)
    else:
        day = _business_days_after(local.date(), amount, weekend)
    wall = datetime.combine(day, local.time().replace(tzinfo=None), tzinfo=ZoneInfo(zone))
    return Deadline(wall.astimezone(UTC), zone)


def elapsed_share(start: datetime, due: datetime, now: datetime) -> float:
    """How much of the time from `start` to `due` has passed at `now` (0.5 = half; > 1 late)."""
    total = (due - start).total_seconds()
    if total <= 0:
        return 1.0
    return (now - start).total_seconds() / total
