"""Parsing import cell values: date-times, periods, rates, yes/no, numbers (SPEC §5)."""

from __future__ import annotations

import datetime as dt

import pytest

from supervise.import_values import (
    as_int,
    parse_bool,
    parse_choice,
    parse_datetime,
    parse_period,
    parse_rate,
    text,
)

D = dt.datetime


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (D(2026, 10, 5, 14, 3), D(2026, 10, 5, 14, 3)),
        (D(2026, 10, 5, 14, 2, 59, 999_700), D(2026, 10, 5, 14, 3)),  # Excel's float rounding
        (dt.date(2026, 10, 5), D(2026, 10, 5)),  # a date-time at midnight handed back as a date
        ("2026-10-05 14:03", D(2026, 10, 5, 14, 3)),
        ("2026-10-05 14:03:07", D(2026, 10, 5, 14, 3, 7)),
        ("2026/10/5 14:03", D(2026, 10, 5, 14, 3)),
        ("2026年10月5日 14时03分", D(2026, 10, 5, 14, 3)),
        ("2026年10月5日14时03分05秒", D(2026, 10, 5, 14, 3, 5)),
        ("2026-10-05T14:03:00", D(2026, 10, 5, 14, 3)),
        ("2026-10-05", D(2026, 10, 5)),
        ("2026.10.5", D(2026, 10, 5)),
        ("20261005", D(2026, 10, 5)),
        (20261005, D(2026, 10, 5)),
        (20261005140300, D(2026, 10, 5, 14, 3)),
        (46300.5, D(2026, 10, 5, 12, 0)),  # an Excel serial number in a cell without a date format
    ],
)
def test_parse_datetime(value, expected):
    assert parse_datetime(value) == expected


@pytest.mark.parametrize(
    "value", ["2026-02-30", "下午三点", "", 2026, True, None, "2026-10-05 25:00", 1.5]
)
def test_parse_datetime_refuses(value):
    with pytest.raises(ValueError):
        parse_datetime(value)


@pytest.mark.parametrize(
    ("value", "start", "end"),
    [
        ("2026年", (2026, 1, 1), (2026, 12, 31)),
        ("2026年度", (2026, 1, 1), (2026, 12, 31)),
        (2026, (2026, 1, 1), (2026, 12, 31)),
        ("2026年上半年", (2026, 1, 1), (2026, 6, 30)),
        ("2026年下半年", (2026, 7, 1), (2026, 12, 31)),
        ("2026年第一季度", (2026, 1, 1), (2026, 3, 31)),
        ("2026年4季度", (2026, 10, 1), (2026, 12, 31)),
        ("2026Q2", (2026, 4, 1), (2026, 6, 30)),
        ("2026-Q3", (2026, 7, 1), (2026, 9, 30)),
        ("2026年2月", (2026, 2, 1), (2026, 2, 28)),
        ("2026-12", (2026, 12, 1), (2026, 12, 31)),
        ("2026-01至2026-03", (2026, 1, 1), (2026, 3, 31)),
        ("2026年1月至3月", (2026, 1, 1), (2026, 3, 31)),
        ("2026-01-10~2026-02-20", (2026, 1, 10), (2026, 2, 20)),
    ],
)
def test_parse_period(value, start, end):
    assert parse_period(value) == (dt.date(*start), dt.date(*end))


@pytest.mark.parametrize("value", ["2026年第五季度", "2026-13", "2026-03至2026-01", "上个月", ""])
def test_parse_period_refuses(value):
    with pytest.raises(ValueError):
        parse_period(value)


def test_rates_numbers_and_words():
    assert [parse_rate(v) for v in ("92.5%", 92.5, 0.925, "0.9", 1, "100%")] == [
        0.925,
        0.925,
        0.925,
        0.9,
        1.0,
        1.0,
    ]
    for bad in ("120%", 101, -1, "很好"):
        with pytest.raises(ValueError):
            parse_rate(bad)
    assert [as_int(v) for v in (5, 5.0, "5", " 12 ", "3.0")] == [5, 5, 5, 12, 3]
    for bad in (5.5, "五", True, "3.2"):
        with pytest.raises(ValueError):
            as_int(bad)
    assert [parse_bool(v) for v in ("是", "否", "Y", "no", 1, "√")] == [
        True,
        False,
        True,
        False,
        True,
        True,
    ]
    assert parse_bool("实名", ("实名",), ("匿名",)) and not parse_bool("匿名", ("实名",), ("匿名",))
    with pytest.raises(ValueError):
        parse_bool("也许")
    assert parse_choice("求决", ("求助",), {"求决": "求助"}) == "求助"
    with pytest.raises(ValueError, match="应为 求助 之一"):
        parse_choice("闲聊", ("求助",))
    assert [text(v) for v in (None, "", 13800138000.0, 42, "甲")] == [
        None,
        None,
        "13800138000",
        "42",
        "甲",
    ]
