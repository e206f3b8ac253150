"""Chinese working days and deadlines (SPEC §3).

Weekends and statutory holidays are off, make-up days (调休, often a
Saturday) are on.  The official calendar comes from the ``chinese_calendar``
package; admins add local overrides (a regional holiday, a future year that
is not yet published), and an override always wins.  A date beyond both the
package and the overrides falls back to Monday–Friday, with one warning per
year per process.

"N working days after D" is the N-th working day after D, D itself not
counted, due at the end of that day; N = 0 means D itself if D is a working
day, else the next working day.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Mapping
from datetime import date, timedelta

from chinese_calendar import constants as _official

from .errors import InvalidInput

logger = logging.getLogger(__name__)

END_OF_DAY = datetime.time(23, 59, 59)

HOLIDAY = "holiday"
WORKDAY = "workday"
KINDS = (HOLIDAY, WORKDAY)

_ONE_DAY = timedelta(days=1)

# Years whose fallback warning has already been logged in this process.
_warned_years: set[int] = set()


def _official_years() -> range:
    """The years covered by the package's holiday data, derived, not hardcoded."""
    years = {day.year for day in _official.holidays}
    return range(min(years), max(years) + 1)


OFFICIAL_YEARS = _official_years()


class WorkCalendar:
    """Decides which days are working days and counts deadlines.

    ``overrides`` maps a date to ``'holiday'`` or ``'workday'``.  Lookups
    are cached per instance, so build a new calendar after the overrides
    change.
    """

    official_years: range = OFFICIAL_YEARS

    def __init__(self, overrides: Mapping[date, str] | None = None) -> None:
        self._overrides: dict[date, bool] = {}
        for day, kind in (overrides or {}).items():
            if kind not in KINDS:
                raise InvalidInput(
                    f"日历例外 {day} 的类型无效：{kind}（应为 holiday 或 workday）",
                    f"calendar override {day} has an invalid kind: {kind}"
                    " (expected holiday or workday)",
                )
            self._overrides[day] = kind == WORKDAY
        self._cache: dict[date, bool] = {}
        self.fallback_years: set[int] = set()

    @classmethod
    def from_database(cls) -> WorkCalendar:
        """A calendar with every ``CalendarOverride`` row of the open database."""
        from .models import CalendarOverride

        rows = CalendarOverride.select(CalendarOverride.day, CalendarOverride.kind)
        return cls({row.day: row.kind for row in rows})

    # -- single days ----------------------------------------------------------

    def is_official(self, day: date) -> bool:
        """Whether ``day`` lies in a year the official calendar covers."""
        return day.year in self.official_years

    def is_workday(self, day: date) -> bool:
        """Whether ``day`` is a working day: override, then official data, then Mon–Fri."""
        try:
            return self._cache[day]
        except KeyError:
            result = self._cache[day] = self._decide(day)
            return result

    def _decide(self, day: date) -> bool:
        if day in self._overrides:
            return self._overrides[day]
        if self.is_official(day):
            if day in _official.workdays:
                return True
            if day in _official.holidays:
                return False
            return day.weekday() < 5
        self._note_fallback(day.year)
        return day.weekday() < 5

    def _note_fallback(self, year: int) -> None:
        """Remember that ``year`` used Mon–Fri and warn once per process."""
        self.fallback_years.add(year)
        if year in _warned_years:
            return
        _warned_years.add(year)
        first, last = self.official_years[0], self.official_years[-1]
        logger.warning(
            "%(year)d 年不在法定节假日日历内（chinese_calendar 覆盖 %(first)d–%(last)d），"
            "按周一至周五计算 / %(year)d is beyond the official holiday calendar"
            " (chinese_calendar covers %(first)d–%(last)d); counting Monday–Friday",
            {"year": year, "first": first, "last": last},
        )

    # -- counting -------------------------------------------------------------

    def add(self, day: date, n: int) -> date:
        """The ``n``-th working day after ``day`` (``day`` itself not counted).

        ``n == 0`` gives ``day`` if it is a working day, else the next one.
        """
        if n < 0:
            raise InvalidInput(
                f"工作日数不能为负数：{n}", f"the number of working days cannot be negative: {n}"
            )
        too_many = InvalidInput(
            f"工作日数过大：{n}（超出 {date.max.year} 年）",
            f"too many working days: {n} (beyond the year {date.max.year})",
        )
        if n > (date.max - day).days:  # each working day takes a calendar day of its own
            raise too_many
        current = day
        try:
            if n == 0:
                while not self.is_workday(current):
                    current += _ONE_DAY
                return current
            remaining = n
            while remaining:
                current += _ONE_DAY
                if self.is_workday(current):
                    remaining -= 1
        except OverflowError:  # weekends on the way ran past date.max
            raise too_many from None
        return current

    def due_at(self, start: datetime.datetime | date, n: int) -> datetime.datetime:
        """The end (23:59:59) of the ``n``-th working day after ``start``'s date."""
        if isinstance(start, datetime.datetime):
            start = start.date()
        return datetime.datetime.combine(self.add(start, n), END_OF_DAY)

    def workdays_between(self, start: date, end: date) -> int:
        """How many working days ``d`` satisfy ``start < d <= end`` (0 if ``end <= start``)."""
        count = 0
        current = start + _ONE_DAY
        while current <= end:
            if self.is_workday(current):
                count += 1
            current += _ONE_DAY
        return count
