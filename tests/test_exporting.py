"""The export helpers: month bounds, ledger filters, and streaming a query's
rows in batches on both engines (a server-side cursor on PostgreSQL)."""

from __future__ import annotations

import datetime as dt

import pytest

from supervise.errors import InvalidInput, UsageError
from supervise.exporting import (
    LedgerFilter,
    as_date,
    as_datetime,
    month_bounds,
    received_range,
    stream,
    yes_no,
)
from supervise.models import Unit


def test_month_bounds():
    assert month_bounds("2026-03") == (dt.datetime(2026, 3, 1), dt.datetime(2026, 4, 1))
    assert month_bounds("2026-12") == (dt.datetime(2026, 12, 1), dt.datetime(2027, 1, 1))
    assert month_bounds(" 2026-3 ") == (dt.datetime(2026, 3, 1), dt.datetime(2026, 4, 1))
    for bad in ("2026-13", "2026-00", "202603", "2026/03", "三月", "", None):
        with pytest.raises(InvalidInput):
            month_bounds(bad)


def test_ledger_filter_words_and_limits():
    f = LedgerFilter(month="2026-03", unit="U01", overdue=True)
    assert f.used() == ["month", "unit", "overdue"]
    assert f.describe() == "月份：2026-03；单位编码：U01；仅超期"
    assert f.as_dict() == {"month": "2026-03", "unit": "U01", "overdue": True}
    assert LedgerFilter().describe() == "无（全部记录）"
    f.only("complaints", ("month", "unit", "overdue"))
    with pytest.raises(UsageError) as err:
        f.only("reviews", ("month", "unit"))
    assert "仅超期" in err.value.line() and err.value.exit_code == 2
    narrowed = LedgerFilter(
        month="2026-03", date_from=dt.date(2026, 3, 10), date_to=dt.date(2026, 4, 30)
    )
    assert received_range(narrowed) == (dt.datetime(2026, 3, 10), dt.datetime(2026, 4, 1))


def test_driver_value_conversions():
    assert as_datetime("2026-03-02 09:05:00") == dt.datetime(2026, 3, 2, 9, 5)
    assert (
        as_datetime(dt.datetime(2026, 3, 2)) == dt.datetime(2026, 3, 2)
        and as_datetime(None) is None
    )
    assert as_date("2026-03-02") == dt.date(2026, 3, 2) and as_date(dt.date(2026, 3, 2)) == dt.date(
        2026, 3, 2
    )
    assert (yes_no(1), yes_no(False), yes_no(None)) == ("是", "否", None)


def test_stream_reads_every_row_in_batches(db):
    Unit.insert_many([{"code": f"U{i:02d}", "name": f"单位{i}"} for i in range(1, 11)]).execute()
    rows = list(stream(Unit.select(Unit.code, Unit.name).order_by(Unit.code), batch=3))
    assert rows == [(f"U{i:02d}", f"单位{i}") for i in range(1, 11)]
    # abandoned half-way, the cursor is closed and the connection stays usable
    partial = stream(Unit.select(Unit.code).order_by(Unit.code), batch=2)
    assert next(partial) == ("U01",)
    partial.close()
    assert Unit.select().count() == 10
    assert list(stream(Unit.select(Unit.code).where(Unit.code == "none"))) == []
