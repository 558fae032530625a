"""Daily windows on a local clock: weekends, midnight crossings, excluded dates and DST changes."""

from datetime import UTC, date, datetime, timedelta

import pytest

from service.pricing.windows import DailyWindow, WindowError, parse_clock, parse_days


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def window(days: str, start: str, end: str, zone: str = "UTC", excluded: tuple[date, ...] = ()) -> DailyWindow:
    return DailyWindow(zone, parse_days(days.split(",")), parse_clock(start, "start"),
                       parse_clock(end, "end", allow_24=True), frozenset(excluded))


WEEKDAYS = "mon,tue,wed,thu,fri"
# The example: off-peak from 16:30 to 00:30 UTC on weekdays (2026-11-23 is a Monday).
WEEKDAY_EVENINGS = window(WEEKDAYS, "16:30", "00:30")
WEEKENDS = window("sat,sun", "00:00", "24:00")


def test_a_window_crossing_midnight_runs_into_the_next_morning() -> None:
    assert WEEKDAY_EVENINGS.contains(utc(2026, 11, 23, 16, 30))
    assert WEEKDAY_EVENINGS.contains(utc(2026, 11, 24, 0, 29, 59))
    assert not WEEKDAY_EVENINGS.contains(utc(2026, 11, 24, 0, 30))
    assert not WEEKDAY_EVENINGS.contains(utc(2026, 11, 23, 16, 29, 59))


def test_the_opening_day_decides_a_midnight_crossing() -> None:
    # Friday's opening runs into Saturday; Sunday opens nothing, so Monday 00:15 is outside.
    assert WEEKDAY_EVENINGS.contains(utc(2026, 11, 28, 0, 15))
    assert not WEEKDAY_EVENINGS.contains(utc(2026, 11, 23, 0, 15))


def test_a_weekend_window_covers_saturday_and_sunday_all_day() -> None:
    assert WEEKENDS.contains(utc(2026, 11, 28, 12))
    assert WEEKENDS.contains(utc(2026, 11, 29, 23, 59, 59))
    assert not WEEKENDS.contains(utc(2026, 11, 30, 0, 0))
    assert WEEKENDS.spans(utc(2026, 11, 23), utc(2026, 11, 30, 12)) == [(utc(2026, 11, 28), utc(2026, 11, 30))]


def test_spans_of_a_week_join_the_friday_evening_to_the_weekend() -> None:
    spans = WEEKDAY_EVENINGS.spans(utc(2026, 11, 23), utc(2026, 11, 30))
    assert spans[0] == (utc(2026, 11, 23, 16, 30), utc(2026, 11, 24, 0, 30))
    assert spans[-1] == (utc(2026, 11, 27, 16, 30), utc(2026, 11, 28, 0, 30))
    assert len(spans) == 5


def test_an_excluded_date_opens_nothing_including_its_part_after_midnight() -> None:
    christmas = window(WEEKDAYS, "16:30", "00:30", excluded=(date(2026, 12, 25),))
    assert not christmas.contains(utc(2026, 12, 25, 18))
    assert not christmas.contains(utc(2026, 12, 26, 0, 10))
    assert christmas.contains(utc(2026, 12, 24, 18))


def test_office_hours_follow_the_local_clock_across_a_dst_change() -> None:
    berlin = window(WEEKDAYS, "09:00", "17:00", "Europe/Berlin")
    # Friday 2026-03-27 is winter time (UTC+1); Monday 2026-03-30 summer time (UTC+2).
    assert berlin.spans(utc(2026, 3, 27), utc(2026, 3, 31)) == [
        (utc(2026, 3, 27, 8), utc(2026, 3, 27, 16)),
        (utc(2026, 3, 30, 7), utc(2026, 3, 30, 15)),
    ]
    assert berlin.contains(utc(2026, 3, 30, 7, 30)) and not berlin.contains(utc(2026, 3, 30, 15, 30))


def test_a_window_starting_in_the_spring_gap_opens_when_the_clock_jumps() -> None:
    # New York skips 02:00-03:00 on Sunday 2026-03-08: the clock reads 03:00 EDT at 07:00 UTC.
    gap = window("sun", "02:30", "03:30", "America/New_York")
    assert gap.spans(utc(2026, 3, 8), utc(2026, 3, 9)) == [(utc(2026, 3, 8, 7), utc(2026, 3, 8, 7, 30))]
    assert gap.contains(utc(2026, 3, 8, 7)) and not gap.contains(utc(2026, 3, 8, 6, 59, 59))


def test_a_window_in_the_autumn_overlap_is_open_twice() -> None:
    # New York repeats 01:00-02:00 on Sunday 2026-11-01: once in EDT, once in EST.
    twice = window("sun", "01:15", "01:45", "America/New_York")
    assert twice.spans(utc(2026, 11, 1), utc(2026, 11, 2)) == [
        (utc(2026, 11, 1, 5, 15), utc(2026, 11, 1, 5, 45)),
        (utc(2026, 11, 1, 6, 15), utc(2026, 11, 1, 6, 45)),
    ]


def test_spans_are_clipped_to_the_range_asked_for() -> None:
    assert WEEKDAY_EVENINGS.spans(utc(2026, 11, 23, 20), utc(2026, 11, 23, 21)) == [
        (utc(2026, 11, 23, 20), utc(2026, 11, 23, 21))
    ]
    assert WEEKDAY_EVENINGS.spans(utc(2026, 11, 23, 1), utc(2026, 11, 23, 2)) == []


@pytest.mark.parametrize(("start", "end", "field"), [
    ("10:00", "10:00", "end"), ("00:00", "00:00", "end"), ("24:00", "10:00", "start"), ("9:00", "10:00", "start"),
    ("10:60", "11:00", "start"), ("10:00", "24:01", "end"),
])
def test_empty_or_malformed_windows_are_refused(start: str, end: str, field: str) -> None:
    with pytest.raises(WindowError) as caught:
        window("mon", start, end)
    assert caught.value.field == field


def test_unknown_days_and_zones_are_refused() -> None:
    with pytest.raises(WindowError, match="days"):
        parse_days(["monday"])
    with pytest.raises(WindowError, match="timezone"):
        window("mon", "09:00", "10:00", "Mars/Olympus")


def test_a_long_range_is_cut_at_every_clock_change() -> None:
    berlin = window("mon,tue,wed,thu,fri,sat,sun", "00:00", "24:00", "Europe/Berlin")
    start = utc(2026, 1, 1)
    assert berlin.spans(start, start + timedelta(days=365)) == [(start, start + timedelta(days=365))]
