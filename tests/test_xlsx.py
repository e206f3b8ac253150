"""The streaming xlsx writer: headers, frozen pane, autofilter, widths, formats,
the cover sheet, formula neutralisation and the row-limit roll-over, read back
with openpyxl and, for formulas, from the raw sheet XML."""

from __future__ import annotations

import datetime as dt
import re
import zipfile

import pytest
from openpyxl import load_workbook

from supervise import xlsx
from supervise.xlsx import (
    DATE,
    DATETIME,
    GENERAL,
    INT,
    RATE,
    Cancelled,
    Col,
    Fmt,
    XlsxBook,
    safe_text,
)

DANGEROUS = ["=1+1", "+1+1", "-1+1", "@SUM(A1:A2)", "\t=1+1", "\r=1+1", "＝1+1", "＋1", "－1", "＠x", "#N/A",
             '=HYPERLINK("http://evil.example","点我")', "=cmd|' /C calc'!A0"]


def formulas_in(path) -> list[str]:
    """Every <f> element of every worksheet in the file."""
    with zipfile.ZipFile(path) as z:
        return [m for name in z.namelist() if name.startswith("xl/worksheets/")
                for m in re.findall(r"<f[ >].*?</f>", z.read(name).decode("utf-8"))]


def test_neutralise_every_formula_start():
    for text in DANGEROUS:
        assert safe_text(text) == "'" + text
    for text in ("a=b", "社保卡补办", "1+1", "", "'=already"):
        assert safe_text(text) == text
    assert safe_text("a\x01b\x07c") == "abc"  # XML cannot hold control characters
    assert safe_text("\x02=1+1") == "'=1+1"  # stripped first, then checked
    assert safe_text(12) == "12" and safe_text(None) is None
    assert len(safe_text("长" * 40000)) == 32767


def test_table_sheet_reads_back(tmp_path):
    path = tmp_path / "t.xlsx"
    book = XlsxBook(path)
    table = book.table("台账", [Col("编号", INT), Col("受理时间", DATETIME), Col("日期", DATE), Col("比率", RATE),
                               Col("诉求内容", width=50)])
    table.append([1, dt.datetime(2026, 3, 2, 9, 5), dt.date(2026, 3, 2), 0.8333, "窗口推诿"])
    table.append([2, None, None, None, None])
    book.cover("诉求工单台账", [("导出人", "jw"), ("导出时间", dt.datetime(2026, 4, 1, 8, 0)), ("记录数", 2)])
    book.save()
    wb = load_workbook(path)
    assert wb.sheetnames == ["封面", "台账"]
    ws = wb["台账"]
    assert [c.value for c in ws[1]] == ["编号", "受理时间", "日期", "比率", "诉求内容"]
    assert ws["A1"].font.b
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == "A1:E3"
    assert ws["B2"].value == dt.datetime(2026, 3, 2, 9, 5) and ws["B2"].number_format == "yyyy-mm-dd hh:mm"
    assert ws["C2"].number_format == "yyyy-mm-dd" and ws["D2"].number_format == "0.00%"
    assert ws.column_dimensions["E"].width == 50
    assert ws.column_dimensions["B"].width >= 17  # a date-time column fits its value
    assert ws["B3"].value is None and ws.max_row == 3
    cover = list(wb["封面"].iter_rows(values_only=True))
    assert cover[0][0] == "诉求工单台账" and ("记录数", 2) in cover
    assert ("导出时间", dt.datetime(2026, 4, 1, 8, 0)) in cover


def test_no_formula_survives_in_any_text_cell(tmp_path):
    path = tmp_path / "f.xlsx"
    book = XlsxBook(path, cover=False)
    table = book.table("表", [Col("文本"), Col("混合", GENERAL)])
    for text in DANGEROUS:
        table.append([text, text])
    table.append(["=1+1", Fmt("=2+2", "text")])
    book.save()
    assert formulas_in(path) == []
    ws = load_workbook(path)["表"]
    values = [row for row in ws.iter_rows(min_row=2, values_only=True)]
    assert values[0] == ("'=1+1", "'=1+1")
    assert all(v.startswith("'") for row in values for v in row)
    assert all(c.data_type == "s" for row in ws.iter_rows(min_row=2) for c in row)


def test_general_column_formats(tmp_path):
    path = tmp_path / "g.xlsx"
    book = XlsxBook(path, cover=False)
    table = book.table("汇总", [Col("项目"), Col("数值", GENERAL)])
    table.append(["按期办结率", Fmt(0.75, RATE)])
    table.append(["受理量", Fmt(9, INT)])
    table.append(["月份", "2026-03"])
    table.append(["空", Fmt(None, RATE)])
    book.save()
    ws = load_workbook(path)["汇总"]
    assert (ws["B2"].value, ws["B2"].number_format) == (0.75, "0.00%")
    assert (ws["B3"].value, ws["B3"].number_format) == (9, "0")
    assert ws["B4"].value == "2026-03" and ws["B5"].value is None


def test_rolls_over_to_a_new_sheet_at_the_row_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(xlsx, "EXCEL_MAX_ROWS", 4)  # a header and three rows per sheet
    path = tmp_path / "r.xlsx"
    book = XlsxBook(path, cover=False)
    table = book.table("评价", [Col("编号", INT)])
    assert table.extend([i] for i in range(1, 8)) == 7
    book.save()
    wb = load_workbook(path)
    assert wb.sheetnames == ["评价", "评价(2)", "评价(3)"]
    assert [r[0] for r in wb["评价(2)"].iter_rows(values_only=True)] == ["编号", 4, 5, 6]
    assert wb["评价(3)"].auto_filter.ref == "A1:A2" and wb["评价(2)"].freeze_panes == "A2"


def test_progress_and_cancel(tmp_path, monkeypatch):
    monkeypatch.setattr(xlsx, "PROGRESS_EVERY", 2)
    book = XlsxBook(tmp_path / "p.xlsx", cover=False)
    table = book.table("表", [Col("编号", INT)])
    seen = []
    table.extend(([i] for i in range(5)), progress=lambda n, total: seen.append((n, total)), total=5)
    assert seen == [(2, 5), (4, 5), (5, 5)]
    with pytest.raises(Cancelled) as err:
        table.extend(([i] for i in range(5)), cancel=lambda: True)
    assert err.value.exit_code == 130 and "已取消" in err.value.line()
    book.discard()


def test_a_failed_workbook_leaves_no_file_and_no_temporary_files(tmp_path):
    from openpyxl.worksheet._writer import ALL_TEMP_FILES

    before = set(ALL_TEMP_FILES)
    with pytest.raises(RuntimeError), XlsxBook(tmp_path / "x.xlsx") as book:
        book.table("表", [Col("编号", INT)]).append([1])
        raise RuntimeError("the query failed")
    assert not (tmp_path / "x.xlsx").exists()
    assert set(ALL_TEMP_FILES) == before


def test_column_kinds_are_checked():
    with pytest.raises(ValueError):
        Col("x", "money")
    assert Col("办理时限（工作日）", INT).column_width > 20  # wide enough for its Chinese header
