"""The off-hours parts of a monitoring window follow local working hours, days and summer time."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from audit.monitoring.windows import Window, off_hours_spans

BERLIN = ZoneInfo("Europe/Berlin")
OFFICE = (time(8, 0), time(18, 0))
WEEKDAYS = frozenset(range(5))
TICK = timedelta(microseconds=1)


def _spans(start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    return off_hours_spans(Window(start, end), hours=OFFICE, days=WEEKDAYS, zone=BERLIN)


def _berlin(year: int, month: int, day: int, hour: int) -> datetime:
    return datetime(year, month, day, hour, tzinfo=BERLIN)


def test_a_window_inside_working_hours_has_no_off_hours_part() -> None:
    # Wednesday 4 March 2026, 10:00-11:00 in Berlin.
    assert _spans(_berlin(2026, 3, 4, 10), _berlin(2026, 3, 4, 11)) == []


def test_working_hours_end_is_exclusive_and_the_windows_end_inclusive() -> None:
    start, end = _berlin(2026, 3, 4, 17), _berlin(2026, 3, 4, 18)
    assert _spans(start, end) == [(end, end + TICK)]


def test_the_evening_and_the_early_morning_are_off_hours() -> None:
    start, end = _berlin(2026, 3, 4, 17), _berlin(2026, 3, 5, 9)
    assert _spans(start, end) == [(_berlin(2026, 3, 4, 18), _berlin(2026, 3, 5, 8))]


def test_a_weekend_day_is_off_hours_all_day() -> None:
    # Friday 6 March 17:00 to Monday 9 March 09:00.
    start, end = _berlin(2026, 3, 6, 17), _berlin(2026, 3, 9, 9)
    assert _spans(start, end) == [(_berlin(2026, 3, 6, 18), _berlin(2026, 3, 9, 8))]


def test_working_hours_follow_summer_time() -> None:
    # Monday 30 March 2026 (CEST, UTC+2): the office opens at 06:00 UTC, not 07:00.
    start = datetime(2026, 3, 30, 5, 30, tzinfo=UTC)
    end = datetime(2026, 3, 30, 6, 30, tzinfo=UTC)
    assert _spans(start, end) == [(start, datetime(2026, 3, 30, 6, 0, tzinfo=UTC))]


def test_no_working_days_makes_the_whole_window_off_hours() -> None:
    start, end = _berlin(2026, 3, 4, 10), _berlin(2026, 3, 4, 11)
    spans = off_hours_spans(Window(start, end), hours=OFFICE, days=frozenset(), zone=BERLIN)
    assert spans == [(start, end + TICK)]
