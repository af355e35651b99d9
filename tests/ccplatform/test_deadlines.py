"""ccplatform.deadlines: hours are elapsed time, days are counted on a place's calendar."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from ccplatform.deadlines import Deadline, Unit, deadline, elapsed_share

NEW_YORK = "America/New_York"


def test_hours_are_elapsed_time_whatever_the_zone() -> None:
    start = datetime(2026, 3, 7, 12, 0, tzinfo=UTC)  # the day before US daylight saving
    due = deadline(start, 72, Unit.HOURS, zone=NEW_YORK)
    assert due.due == datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
    assert due.due.tzinfo is UTC


def test_calendar_days_keep_the_wall_clock_across_a_daylight_saving_change() -> None:
    # 09:30 EST on 1 March; 30 days later is 09:30 EDT on 31 March: one hour less elapsed.
    start = datetime(2026, 3, 1, 9, 30, tzinfo=ZoneInfo(NEW_YORK))
    due = deadline(start, 30, Unit.CALENDAR_DAYS, zone=NEW_YORK)
    assert due.due == datetime(2026, 3, 31, 13, 30, tzinfo=UTC)
    assert (due.due - start).total_seconds() == 30 * 86400 - 3600
    assert due.shown() == "2026-03-31 09:30 EDT (America/New_York)"


def test_the_same_days_counted_in_utc_differ_by_that_hour() -> None:
    start = datetime(2026, 3, 1, 14, 30, tzinfo=UTC)
    assert deadline(start, 30, Unit.CALENDAR_DAYS).due == datetime(2026, 3, 31, 14, 30, tzinfo=UTC)


def test_autumn_change_gives_an_hour_more() -> None:
    start = datetime(2026, 10, 20, 8, 0, tzinfo=ZoneInfo("Europe/London"))  # BST
    due = deadline(start, 10, Unit.CALENDAR_DAYS, zone="Europe/London")
    assert due.shown() == "2026-10-30 08:00 GMT (Europe/London)"
    assert (due.due - start).total_seconds() == 10 * 86400 + 3600


def test_business_days_skip_the_weekend() -> None:
    friday = datetime(2026, 12, 4, 16, 0, tzinfo=ZoneInfo("America/Sao_Paulo"))
    due = deadline(friday, 3, Unit.BUSINESS_DAYS, zone="America/Sao_Paulo")
    assert due.due.astimezone(ZoneInfo("America/Sao_Paulo")).date().isoformat() == "2026-12-09"
    saturday = datetime(2026, 12, 5, 10, 0, tzinfo=ZoneInfo("America/Sao_Paulo"))
    monday = deadline(saturday, 1, Unit.BUSINESS_DAYS, zone="America/Sao_Paulo")
    assert monday.due.astimezone(ZoneInfo("America/Sao_Paulo")).weekday() == 0


def test_months_end_on_the_last_day_of_a_shorter_month() -> None:
    start = datetime(2026, 1, 31, 12, 0, tzinfo=UTC)
    assert deadline(start, 1, Unit.MONTHS).due == datetime(2026, 2, 28, 12, 0, tzinfo=UTC)
    assert deadline(start, 3, Unit.MONTHS).due == datetime(2026, 4, 30, 12, 0, tzinfo=UTC)
    assert deadline(start, 12, Unit.MONTHS).due == datetime(2027, 1, 31, 12, 0, tzinfo=UTC)


def test_a_naive_start_or_a_negative_amount_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        deadline(datetime(2026, 1, 1), 1, Unit.HOURS)  # noqa: DTZ001 - the point of the test
    with pytest.raises(ValueError, match="after its start"):
        deadline(datetime(2026, 1, 1, tzinfo=UTC), -1, Unit.HOURS)


def test_the_elapsed_share_drives_the_reminders() -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    due = Deadline(datetime(2026, 1, 4, tzinfo=UTC), "UTC").due  # 72 hours
    assert elapsed_share(start, due, datetime(2026, 1, 2, 12, tzinfo=UTC)) == 0.5
    assert elapsed_share(start, due, datetime(2026, 1, 5, tzinfo=UTC)) > 1


def test_a_deadline_counted_in_utc_names_its_zone_once() -> None:
    due = deadline(datetime(2026, 3, 7, 12, 0, tzinfo=UTC), 72, Unit.HOURS)
    assert due.shown() == "2026-03-10 12:00 UTC"
