"""The time windows the monitoring rules look at, and the off-hours parts of a window.

Rules select events by `occurred_at`, not by id: ids are handed out per chain and commit in
no global order, so "everything after id N" could skip an event committed late. A window
that ends now and overlaps the previous run's sees every event that has committed by now;
an event seen twice only refreshes the alert it already raised (audit.services.alerts.alert_raise).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Q

# Rules about single events (an off-hours reveal, a break-glass use) look back this far at
# least, so that a worker that was down for a while, or a run that came late, misses nothing.
INSTANT_LOOKBACK_MINUTES = 60
# The smallest step of a stored time: a window includes its end, [start, end + TICK).
TICK = timedelta(microseconds=1)


@dataclass(frozen=True)
class Window:
    """The events a rule looks at: `start` <= occurred_at <= `end`."""

    start: datetime
    end: datetime

    @classmethod
    def last(cls, minutes: int, *, now: datetime) -> Window:
        return cls(start=now - timedelta(minutes=minutes), end=now)

    @property
    def minutes(self) -> int:
        return round((self.end - self.start).total_seconds() / 60)

    def q(self) -> Q:
        """The filter that the (…, occurred_at, id) indexes serve."""
        return Q(occurred_at__gte=self.start, occurred_at__lt=self.end + TICK)

    def as_details(self) -> dict[str, str]:
        return {"window_start": self.start.isoformat(), "window_end": self.end.isoformat()}


def instant_window(*, now: datetime) -> Window:
    """The lookback of the single-event rules: two monitoring periods, and at least an hour."""
    seconds = max(settings.AUDIT_MONITOR_SECONDS * 2, INSTANT_LOOKBACK_MINUTES * 60)
    return Window(start=now - timedelta(seconds=seconds), end=now)


def _working_spans(
    first: date, last: date, *, hours: tuple[time, time], days: frozenset[int], zone: ZoneInfo
) -> list[tuple[datetime, datetime]]:
    """Working hours of each local day from `first` to `last`, as aware [start, end) pairs."""
    spans = []
    day = first
    while day <= last:
        if day.weekday() in days:
            start = datetime.combine(day, hours[0], tzinfo=zone)
            end = datetime.combine(day, hours[1], tzinfo=zone)
            spans.append((start, end))
        day += timedelta(days=1)
    return spans


def off_hours_spans(
    window: Window, *, hours: tuple[time, time], days: frozenset[int], zone: ZoneInfo
) -> list[tuple[datetime, datetime]]:
    """The parts of `window` outside working hours, as [start, end) pairs in UTC order.

    Working hours are local wall-clock times on working days in `zone` (the end is
    exclusive, as in the AUDIT_WORKING_HOURS setting), so the answer follows summer time.
    The window's own end is inclusive: the last part ends a microsecond after it.
    """
    local_first = window.start.astimezone(zone).date() - timedelta(days=1)
    local_last = window.end.astimezone(zone).date() + timedelta(days=1)
    spans: list[tuple[datetime, datetime]] = []
    cursor = window.start
    stop = window.end + TICK
    for start, end in _working_spans(local_first, local_last, hours=hours, days=days, zone=zone):
        if end <= cursor or start >= stop:
            continue
        if start > cursor:
            spans.append((cursor, start))
        cursor = max(cursor, end)
    if cursor < stop:
        spans.append((cursor, stop))
    return spans


def off_hours_q(window: Window) -> Q | None:
    """A filter for events in the off-hours parts of `window`; None if it has none."""
    spans = off_hours_spans(
        window,
        hours=settings.AUDIT_WORKING_HOURS,
        days=settings.AUDIT_WORKING_DAYS,
        zone=settings.AUDIT_WORKING_TIME_ZONE,
    )
    if not spans:
        return None
    query = Q()
    for start, end in spans:
        query |= Q(occurred_at__gte=start, occurred_at__lt=end)
    return query
