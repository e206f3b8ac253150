"""The monthly summaries (supervise/report/summary.py): a report read from the
summaries equals the report counted from the records, after registering,
visiting, re-assigning, closing, importing and undoing an import — every
change reaches the summaries through the database triggers."""

# The fixture `office` comes from tests/test_report.py and is requested by name,
# which ruff sees as a redefinition of the imported name.
# ruff: noqa: F811

from __future__ import annotations

import datetime as dt

import pytest

from supervise.db import database
from supervise.import_batches import ImportBatches
from supervise.importing import run_import
from supervise.models import Complaint, Rating, Unit
from supervise.registry import get_registry
from supervise.report import monthly_figures, summary
from supervise.report.figures import snapshot
from supervise.report.summary import MonthCounts
from supervise.services.complaints import ComplaintService

from .import_support import write_xlsx
from .test_report import office  # noqa: F401

AS_OF = dt.datetime(2026, 5, 10, 12, 0)  # March and April are over
MARCH = (dt.datetime(2026, 3, 1), dt.datetime(2026, 4, 1))


def direct(month: str = "2026-03", as_of: dt.datetime = AS_OF) -> dict:
    summary.enabled = False
    try:
        return monthly_figures(month, as_of)
    finally:
        summary.enabled = True


def source(as_of: dt.datetime = AS_OF, bounds: tuple[dt.datetime, dt.datetime] = MARCH) -> str:
    with snapshot():
        return MonthCounts(f"{bounds[0]:%Y-%m}", *bounds, as_of).source


def agree(month: str = "2026-03", as_of: dt.datetime = AS_OF) -> dict:
    """The report twice through the summaries (built, then read) and once from the records."""
    built = monthly_figures(month, as_of)
    assert source(as_of) == "summary"
    assert monthly_figures(month, as_of) == built == direct(month, as_of)
    return built


def test_summary_and_records_agree_after_service_changes(office, admin):
    before = agree()
    assert source() == "summary"
    complaints = ComplaintService(admin)
    february = (dt.datetime(2026, 2, 1), MARCH[0])
    assert source(bounds=february) == "summary"
    c = complaints.register(
        channel="12345热线",
        category="投诉",
        content="窗口推诿",
        unit="U02",
        received=dt.datetime(2026, 2, 27, 9, 0),
    )
    assert source(bounds=february) == "built" and source() == "summary"  # only February changed
    after = agree()
    assert after["total"]["上月受理量"] == before["total"]["上月受理量"] + 1
    # a visit written in April of a March complaint, then a re-assignment that moves its visits
    c3 = Complaint.get_by_id(office["c3"].id)
    complaints.reply(c3.number, "已办理完毕", at=dt.datetime(2026, 4, 1, 9, 0))
    agree()
    complaints.visit(c3.number, "满意", True, at=dt.datetime(2026, 4, 2, 10, 0))
    agree()
    Complaint.update(unit=office["U04"].id).where(Complaint.id == c3.id).execute()
    moved = agree()
    assert [r["回访量"] for r in moved["units"] if r["单位编码"] == "U04"] == [1]
    complaints.refuse(c.number, "重复诉求")
    agree()


def test_summary_and_records_agree_after_closing_a_bad_rating(office, admin):
    agree()
    bad = Rating.select().where((Rating.level <= 2) & (Rating.status == "待整改")).first()
    Rating.update(status="已办结", closed_at=dt.datetime(2026, 5, 1, 9, 0)).where(
        Rating.id == bad.id
    ).execute()
    closed = agree()
    assert closed["units"][0]["差评办结数"] == 3
    # an as-of time before that closure: the summary does not serve it, the records do
    earlier = dt.datetime(2026, 4, 20)
    with snapshot():
        assert MonthCounts("2026-03", *MARCH, earlier).source == "built"
    assert monthly_figures("2026-03", earlier) == direct("2026-03", earlier)
    assert monthly_figures("2026-03", earlier)["units"][0]["差评办结数"] == 2


def test_summary_and_records_agree_after_an_import_and_its_undo(office, admin, tmp_path):
    agree()
    header = ["评价编号", "评价时间", "单位编码", "评价渠道", "评价等级", "评价人", "联系电话"]
    rows = [
        [f"PJ{i}", dt.datetime(2026, 3, 10 + i, 9, 0), "U03", "窗口", level, "张三", "13800138000"]
        for i, level in enumerate((5, 1, 2, 4))
    ]
    path = write_xlsx(tmp_path / "ratings.xlsx", header, rows)
    result = run_import(admin, get_registry().importer("ratings"), path)
    imported = agree()
    assert [r["评价量"] for r in imported["units"] if r["单位编码"] == "U03"] == [8]
    ImportBatches(admin).undo(result.batch)
    undone = agree()
    assert [r["评价量"] for r in undone["units"] if r["单位编码"] == "U03"] == [4]


def test_the_open_month_is_counted_from_the_records(office):
    inside = dt.datetime(2026, 3, 20, 12, 0)
    with snapshot():
        assert MonthCounts("2026-03", *MARCH, inside).source == "records"
    assert monthly_figures("2026-03", inside) == direct("2026-03", inside)


def test_a_unit_change_of_an_escalated_record_reaches_the_summary(office):
    agree()
    rating = (
        Rating.select().where(Rating.level == 1).order_by(Rating.id).first()
    )  # escalated in March
    Rating.update(unit=Unit.get(Unit.code == "U03").id).where(Rating.id == rating.id).execute()
    moved = agree()
    assert [r["督办"]["督办"] for r in moved["units"] if r["单位编码"] == "U03"] == [1]


@pytest.mark.parametrize("table", sorted(summary.WATCHED))
def test_every_watched_table_has_its_triggers(db, table):
    if database.obj.__class__.__name__.startswith("Sqlite"):
        sql = "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?"
    else:
        sql = "SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal"
    names = {row[0] for row in database.obj.execute_sql(sql, (table,)).fetchall()}
    assert {f"report_{table}_update", f"report_{table}_delete"} <= names
