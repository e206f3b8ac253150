"""Working days and deadlines (SPEC §3).

Every expected date below was checked against ``chinese_calendar.constants``:
2025 National Day is off Oct 1–8 with Sat Oct 11 a make-up day; 2026 Spring
Festival is off Feb 15–23 with Sat Feb 14 a make-up day; New Year 2026 is off
Jan 1–3 with Sun Jan 4 a make-up day.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, time

import pytest

from supervise import workdays
from supervise.errors import InvalidInput
from supervise.workdays import END_OF_DAY, WorkCalendar


@pytest.fixture
def fresh_warnings(monkeypatch: pytest.MonkeyPatch) -> None:
    """Forget which fallback years were already warned about in this process."""
    monkeypatch.setattr(workdays, "_warned_years", set())


@pytest.fixture
def cal() -> WorkCalendar:
    return WorkCalendar()


def test_official_years_come_from_the_package_data(cal: WorkCalendar) -> None:
    from chinese_calendar.constants import holidays

    years = {d.year for d in holidays}
    assert cal.official_years == range(min(years), max(years) + 1)
    assert cal.is_official(date(2025, 6, 1))
    assert not cal.is_official(date(cal.official_years[-1] + 1, 1, 1))


def test_spec_example_national_day(cal: WorkCalendar) -> None:
    # Oct 9, 10, 11 (make-up Saturday), 13, 14.
    assert cal.add(date(2025, 9, 30), 5) == date(2025, 10, 14)


def test_zero_inside_a_holiday_is_the_next_working_day(cal: WorkCalendar) -> None:
    assert not cal.is_workday(date(2025, 10, 1))
    assert cal.add(date(2025, 10, 1), 0) == date(2025, 10, 9)


def test_make_up_saturday_counts(cal: WorkCalendar) -> None:
    assert cal.is_workday(date(2025, 10, 11))
    assert cal.add(date(2025, 10, 10), 1) == date(2025, 10, 11)
    assert cal.add(date(2025, 10, 11), 1) == date(2025, 10, 13)


def test_start_inside_spring_festival(cal: WorkCalendar) -> None:
    assert cal.add(date(2026, 2, 16), 1) == date(2026, 2, 24)
    # The make-up Saturday before the festival is a working day.
    assert cal.add(date(2026, 2, 13), 1) == date(2026, 2, 14)


def test_year_end_crossing(cal: WorkCalendar) -> None:
    # Jan 1–3 2026 are off, Sunday Jan 4 is a make-up day.
    assert cal.add(date(2025, 12, 31), 1) == date(2026, 1, 4)
    assert cal.add(date(2025, 12, 31), 2) == date(2026, 1, 5)


def test_zero_on_working_day_and_weekend(cal: WorkCalendar) -> None:
    assert cal.add(date(2025, 9, 30), 0) == date(2025, 9, 30)
    # Saturday 2025-09-20 is an ordinary weekend day.
    assert cal.add(date(2025, 9, 20), 0) == date(2025, 9, 22)


def test_beyond_official_years_falls_back_and_warns_once(
    fresh_warnings: None, caplog: pytest.LogCaptureFixture
) -> None:
    cal = WorkCalendar()
    with caplog.at_level(logging.WARNING, logger="supervise.workdays"):
        assert cal.add(date(2027, 1, 4), 1) == date(2027, 1, 5)
        assert cal.add(date(2027, 3, 5), 1) == date(2027, 3, 8)
        # A second calendar in the same process stays quiet but still records the year.
        other = WorkCalendar()
        assert other.is_workday(date(2027, 6, 1))
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    message = warnings[0].getMessage()
    assert message.startswith("2027 年不在法定节假日日历内")
    assert "2027 is beyond the official holiday calendar" in message
    assert cal.fallback_years == {2027}
    assert other.fallback_years == {2027}
    assert not cal.is_official(date(2027, 1, 4))


def test_official_years_record_no_fallback(cal: WorkCalendar) -> None:
    cal.add(date(2025, 1, 2), 100)
    assert cal.fallback_years == set()


def test_overrides_win(fresh_warnings: None) -> None:
    cal = WorkCalendar(
        {
            date(2027, 1, 1): "holiday",  # a Friday
            date(2027, 1, 9): "workday",  # a Saturday
            date(2025, 10, 13): "holiday",  # beats the official calendar
        }
    )
    assert cal.add(date(2026, 12, 31), 1) == date(2027, 1, 4)
    assert cal.add(date(2027, 1, 8), 1) == date(2027, 1, 9)
    assert cal.add(date(2025, 10, 11), 1) == date(2025, 10, 14)


def test_override_alone_decides_without_fallback(fresh_warnings: None) -> None:
    cal = WorkCalendar({date(2030, 1, 5): "workday"})
    assert cal.is_workday(date(2030, 1, 5))
    assert cal.fallback_years == set()


def test_invalid_override_kind() -> None:
    with pytest.raises(InvalidInput):
        WorkCalendar({date(2027, 1, 1): "vacation"})


def test_crossing_into_fallback_year(fresh_warnings: None, cal: WorkCalendar) -> None:
    # Dec 31 2026 (Thu), Jan 1 2027 (Fri, Mon–Fri fallback), Jan 4 2027 (Mon).
    assert cal.add(date(2026, 12, 30), 3) == date(2027, 1, 4)
    assert cal.fallback_years == {2027}


def test_workdays_between(cal: WorkCalendar) -> None:
    # Oct 9, 10, 11, 13, 14 are working days; Sep 30 itself is not counted.
    assert cal.workdays_between(date(2025, 9, 30), date(2025, 10, 14)) == 5
    assert cal.workdays_between(date(2025, 9, 30), date(2025, 10, 8)) == 0
    assert cal.workdays_between(date(2025, 10, 14), date(2025, 10, 14)) == 0
    assert cal.workdays_between(date(2025, 10, 14), date(2025, 10, 1)) == 0


def test_workdays_between_inverts_add(cal: WorkCalendar) -> None:
    start = date(2025, 12, 20)
    for n in (1, 7, 30, 250):
        assert cal.workdays_between(start, cal.add(start, n)) == n


def test_negative_n_raises(cal: WorkCalendar) -> None:
    with pytest.raises(InvalidInput) as info:
        cal.add(date(2025, 9, 30), -1)
    assert info.value.zh and info.value.en != info.value.zh


def test_n_beyond_the_last_date_raises(cal: WorkCalendar) -> None:
    # past date.max at once, and only once the weekends on the way are counted
    for day, n in ((date(2026, 1, 1), 10**8), (date(9999, 12, 1), 25)):
        with pytest.raises(InvalidInput) as info:
            cal.add(day, n)
        assert "too many working days" in info.value.en
    assert cal.add(date(9999, 12, 30), 0) == date(9999, 12, 30)  # a Thursday
    assert cal.add(date(9999, 12, 30), 1) == date(9999, 12, 31)


def test_due_at_end_of_day(cal: WorkCalendar) -> None:
    assert END_OF_DAY == time(23, 59, 59)
    assert cal.due_at(datetime(2025, 9, 30, 16, 45), 5) == datetime(2025, 10, 14, 23, 59, 59)
    assert cal.due_at(date(2025, 10, 1), 0) == datetime(2025, 10, 9, 23, 59, 59)


def test_from_database_honours_overrides(tmp_path, fresh_warnings: None) -> None:
    from supervise.db import close_database, open_database
    from supervise.models import CalendarOverride

    db = open_database(f"sqlite:///{tmp_path}/t.db")
    try:
        db.create_tables([CalendarOverride])
        CalendarOverride.create(day=date(2025, 10, 9), kind="holiday", note="地方假日")
        cal = WorkCalendar.from_database()
        assert not cal.is_workday(date(2025, 10, 9))
        assert cal.add(date(2025, 9, 30), 1) == date(2025, 10, 10)
    finally:
        close_database()
