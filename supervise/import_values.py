"""Parsing the values of import rows (SPEC §5), shared by every importer.

Each parser takes a cell value as the reader hands it back (text already
NFKC-normalised and trimmed, integral floats already ints, Excel date cells
as ``datetime``/``date``) and returns the stored value, or raises
``ValueError`` whose text is the bilingual reason written to the errors
workbook.  They are plain functions so that third-party importers can use
them too.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Mapping
from typing import Any

logger = logging.getLogger(__name__)

# 2026-10-05 14:03[:00], 2026/10/5 14:03, 2026年10月5日 14时03分, 2026.10.05, ISO with T
_DATE = re.compile(
    r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
    r"(?:(?:\s+|T|\s*)(\d{1,2})\s*[:：时]\s*(\d{1,2})\s*分?"
    r"(?:\s*[:：]?\s*(\d{1,2})(?:\.\d+)?\s*秒?)?)?"
)
_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})(?:(\d{2})(\d{2})(\d{2})?)?")
EXCEL_EPOCH = dt.datetime(1899, 12, 30)  # the 1900 date system, with its leap-year bug
_SERIAL_RANGE = (20000, 80000)  # Excel serial days 1954-10-03 .. 2119-01-10
BAD_DATE = "日期时间无法识别（如 2026-10-05 14:03） unrecognised date-time"


def parse_datetime(value: Any) -> dt.datetime:
    """An instant to the second from an Excel date cell or a date string of SPEC §5.

    Accepted: ``datetime`` (rounded to the second), ``date`` (midnight, as
    readers hand back a date-time at midnight), Excel serial numbers,
    ``20261005`` / ``20261005140300``, and the strings ``2026-10-05
    14:03[:00]``, ``2026/10/5 14:03``, ``2026年10月5日 14时03分`` (seconds and
    a ``T`` optional).
    """
    if isinstance(value, dt.datetime):
        if value.microsecond:
            value = value + dt.timedelta(microseconds=500_000)
            return value.replace(microsecond=0, tzinfo=None)
        return value.replace(tzinfo=None) if value.tzinfo else value
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    if isinstance(value, bool) or value is None:
        raise ValueError(BAD_DATE)
    if isinstance(value, int | float):
        text = str(value)
        if isinstance(value, int) and len(text) in (8, 12, 14):
            return _compact(text)
        if _SERIAL_RANGE[0] <= value <= _SERIAL_RANGE[1]:
            return parse_datetime(EXCEL_EPOCH + dt.timedelta(days=float(value)))
        raise ValueError(BAD_DATE)
    text = str(value).strip()
    match = _DATE.fullmatch(text)
    if match:
        year, month, day, hour, minute, second = (int(g) if g else 0 for g in match.groups())
        try:
            return dt.datetime(year, month, day, hour, minute, second)
        except ValueError:
            raise ValueError(f"日期不存在 no such date: {text}") from None
    if text.isdigit() and len(text) in (8, 12, 14):
        return _compact(text)
    raise ValueError(BAD_DATE)


def _compact(text: str) -> dt.datetime:
    match = _COMPACT.fullmatch(text)
    if not match:
        raise ValueError(BAD_DATE)
    try:
        return dt.datetime(*[int(g) for g in match.groups() if g])  # type: ignore[arg-type]  # 3 to 6 parts
    except ValueError:
        raise ValueError(f"日期不存在 no such date: {text}") from None


def parse_date(value: Any) -> dt.date:
    """A calendar day; a time of day, if any, is ignored."""
    return parse_datetime(value).date()


def as_int(value: Any) -> int:
    """A whole number from an int, an integral float or digits; ValueError otherwise."""
    if isinstance(value, bool):
        raise ValueError("应为整数 must be a whole number")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    text = str(value).strip()
    try:
        number = float(text)
    except ValueError:
        raise ValueError("应为整数 must be a whole number") from None
    if not number.is_integer():
        raise ValueError("应为整数 must be a whole number")
    return int(number)


def parse_number(value: Any) -> float:
    """A number from a number cell or text (commas allowed)."""
    if isinstance(value, bool):
        raise ValueError("应为数字 must be a number")
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(str(value).replace(",", "").strip())
    except ValueError:
        raise ValueError("应为数字 must be a number") from None


def parse_rate(value: Any) -> float:
    """A rate as a fraction 0–1 from ``0.925``, ``92.5`` or ``92.5%``."""
    text = str(value).strip() if isinstance(value, str) else None
    if text is not None and text.endswith("%"):
        number = parse_number(text[:-1]) / 100
    else:
        number = parse_number(value)
        if number > 1:
            number /= 100
    if not 0 <= number <= 1:
        raise ValueError("应为 0–1 的比例或 0–100% must be a rate 0–1 or a percentage")
    return round(number, 6)


TRUE_WORDS = frozenset({"是", "y", "yes", "true", "1", "√", "✓", "有"})
FALSE_WORDS = frozenset({"否", "n", "no", "false", "0", "×", "无"})


def parse_bool(value: Any, true: tuple[str, ...] = (), false: tuple[str, ...] = ()) -> bool:
    """是/否 and the usual spellings; ``true``/``false`` add words of the column (实名, 匿名)."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in TRUE_WORDS or text in true:
        return True
    if text in FALSE_WORDS or text in false:
        return False
    raise ValueError("应为 是 或 否 must be 是 (yes) or 否 (no)")


def parse_choice(
    value: Any, choices: tuple[str, ...], aliases: Mapping[str, str] | None = None
) -> str:
    """One of ``choices``, or a word that ``aliases`` maps to one of them."""
    text = str(value).strip()
    if text in choices:
        return text
    if aliases and text in aliases:
        return aliases[text]
    raise ValueError(f"应为 {'/'.join(choices)} 之一 must be one of {'/'.join(choices)}")


def text(value: Any) -> str | None:
    """The cell as text (None when empty); numbers as their digits."""
    if value is None or value == "":
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return value if isinstance(value, str) else str(value)


_QUARTERS = {"一": 1, "二": 2, "三": 3, "四": 4, "1": 1, "2": 2, "3": 3, "4": 4}
_PERIOD_QUARTER = re.compile(
    r"(\d{4})\s*(?:年\s*(?:第)?\s*([一二三四1-4])\s*季度?|[-\s]?[Qq]([1-4]))"
)
_PERIOD_HALF = re.compile(r"(\d{4})\s*年?\s*(上|下)\s*半年")
_PERIOD_YEAR = re.compile(r"(\d{4})\s*(?:年度?)?")
_PERIOD_MONTH = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?(?:份)?")
_PERIOD_RANGE = re.compile(r"(.+?)\s*(?:至|到|~|～|—|–|--)\s*(.+)")


def _month_end(year: int, month: int) -> dt.date:
    return (dt.date(year + month // 12, month % 12 + 1, 1)) - dt.timedelta(days=1)


def _period_part(text: str, end: bool, year_hint: int | None = None) -> dt.date:
    """One end of a range: a day, or a month (its first or last day)."""
    try:
        day = parse_date(text)
        return day
    except ValueError:
        pass
    match = _PERIOD_MONTH.fullmatch(text)
    if match:
        year, month = int(match.group(1)), int(match.group(2))
    else:
        short = re.fullmatch(r"(\d{1,2})\s*月(?:份)?", text)
        if not short or year_hint is None:
            raise ValueError(BAD_PERIOD)
        year, month = year_hint, int(short.group(1))
    if not 1 <= month <= 12:
        raise ValueError(BAD_PERIOD)
    return _month_end(year, month) if end else dt.date(year, month, 1)


BAD_PERIOD = "评估期间无法识别（如 2026年第一季度、2026-01至2026-03） unrecognised period"


def parse_period(value: Any) -> tuple[dt.date, dt.date]:
    """An evaluation period as (first day, last day).

    Accepted: ``2026年`` / ``2026年度`` / ``2026``, ``2026年上半年``,
    ``2026年第一季度`` / ``2026Q1``, ``2026年3月`` / ``2026-03``, and ranges
    ``2026-01至2026-03``, ``2026年1月至3月``, ``2026-01-01~2026-03-31``.
    """
    if isinstance(value, dt.date):
        day = value.date() if isinstance(value, dt.datetime) else value
        return day, day
    text = str(value).strip() if value is not None else ""
    text = str(int(value)) if isinstance(value, float) and value.is_integer() else text
    match = _PERIOD_QUARTER.fullmatch(text)
    if match:
        year, quarter = int(match.group(1)), _QUARTERS[match.group(2) or match.group(3)]
        return dt.date(year, quarter * 3 - 2, 1), _month_end(year, quarter * 3)
    match = _PERIOD_HALF.fullmatch(text)
    if match:
        year = int(match.group(1))
        return (
            (dt.date(year, 1, 1), dt.date(year, 6, 30))
            if match.group(2) == "上"
            else (dt.date(year, 7, 1), dt.date(year, 12, 31))
        )
    match = _PERIOD_YEAR.fullmatch(text)
    if match:
        year = int(match.group(1))
        return dt.date(year, 1, 1), dt.date(year, 12, 31)
    match = _PERIOD_MONTH.fullmatch(text)
    if match and 1 <= int(match.group(2)) <= 12:
        year, month = int(match.group(1)), int(match.group(2))
        return dt.date(year, month, 1), _month_end(year, month)
    match = _PERIOD_RANGE.fullmatch(text)
    if match:
        start = _period_part(match.group(1).strip(), end=False)
        finish = _period_part(match.group(2).strip(), end=True, year_hint=start.year)
        if finish < start:
            raise ValueError("评估期间的结束早于开始 the period ends before it starts")
        return start, finish
    raise ValueError(BAD_PERIOD)


__all__ = [
    "BAD_DATE",
    "BAD_PERIOD",
    "as_int",
    "parse_bool",
    "parse_choice",
    "parse_date",
    "parse_datetime",
    "parse_number",
    "parse_period",
    "parse_rate",
    "text",
]
