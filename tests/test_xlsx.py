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

DANGEROUS = [
    "=1+1",
    "+1+1",
    "-1+1",
    "@SUM(A1:A2)",
    "\t=1+1",
    "\r=1+1",
    "＝1+1",
    "＋1",
    "－1",
    "＠x",
    "#N/A",
    '=HYPERLINK("http://evil.example","点我")',
    "=cmd|' /C calc'!A0",
]


def formulas_in(path) -> list[str]:
    """Every <f> element of every worksheet in the file."""
    with zipfile.ZipFile(path) as z:
        return [
            m
            for name in z.namelist()
            if name.startswith("xl/worksheets/")
            for m in re.findall(r"<f[ >].*?</f>", z.read(name).decode("utf-8"))
        ]


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
    table = book.table(
        "台账",
        [
            Col("编号", INT),
            Col("受理时间", DATETIME),
            Col("日期", DATE),
            Col("比率", RATE),
            Col("诉求内容", width=50),
        ],
    )
    table.append([1, dt.datetime(2026, 3, 2, 9, 5), dt.date(2026, 3, 2), 0.8333, "窗口推诿"])
    table.append([2, None, None, None, None])
    book.cover(
        "诉求工单台账",
        [("导出人", "jw"), ("导出时间", dt.datetime(2026, 4, 1, 8, 0)), ("记录数", 2)],
    )
    book.save()
    wb = load_workbook(path)
    assert wb.sheetnames == ["封面", "台账"]
    ws = wb["台账"]
    assert [c.value for c in ws[1]] == ["编号", "受理时间", "日期", "比率", "诉求内容"]
    assert ws["A1"].font.b
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == "A1:E3"
    assert (
        ws["B2"].value == dt.datetime(2026, 3, 2, 9, 5)
        and ws["B2"].number_format == "yyyy-mm-dd hh:mm"
    )
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
    table.extend(
        ([i] for i in range(5)), progress=lambda n, total: seen.append((n, total)), total=5
    )
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


# -- the streaming writer against openpyxl, cell by cell ---------------------------------

LONG = "长" * 40000
TRICKY_TEXT = [
    "窗口推诿",
    "=1+1",
    "-社保",
    "#N/A",
    "#标签",
    "a<b & c>d",
    "引号\"和'单引号",
    "]]>",
    "&amp;",
    "<t>标签</t>",
    "  前后空格  ",
    "行一\n行二",
    "回车\r\n换行",
    "\ttab起头",
    "控制\x01字符\x0b\x1f",
    "\x02=1+1",
    "表情😀",
    "全角　空格",
    "",
    LONG,
    "_x000D_",
    "1+1",
    "'=already",
    "a=b",
]


def _columns():
    return [
        Col("编号", INT),
        Col("受理时间", DATETIME),
        Col("日期", DATE),
        Col("比率", RATE),
        Col("分数", xlsx.FLOAT),
        Col("内容", width=50),
        Col("混合", GENERAL),
    ]


def _rows():
    rows = []
    for i, text in enumerate(TRICKY_TEXT):
        rows.append(
            [
                i,
                dt.datetime(2026, 3, 2, 9, 5, 30) + dt.timedelta(days=i, minutes=7 * i),
                dt.date(2026, 1, 31) + dt.timedelta(days=i),
                i / 7,
                88.125 + i,
                text,
                [text, Fmt(i / 3, RATE), Fmt(dt.date(2026, 5, 1), DATE), None, -12, 3.5][i % 6],
            ]
        )
    rows.append([None] * 7)
    rows.append(
        [10**15 + 7, dt.datetime(1900, 2, 28, 12, 0), dt.date(1900, 1, 1), None, 0.1 + 0.2, 0, True]
    )
    rows.append(
        [-3, dt.datetime(2026, 12, 31, 23, 59, 59, 500000), None, 1.0, None, 12.5, "=SUM(A1)"]
    )
    return rows


def _openpyxl_reference(path, columns, rows):
    """What the ledger wrote when it stood on openpyxl's write-only mode."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    book = Workbook(write_only=True)
    ws = book.create_sheet("表")
    ws.append([c.header for c in columns])
    for row in rows:
        cells = []
        for col, value in zip(columns, row, strict=True):
            if isinstance(value, Fmt):
                col, value = Col("x", value.kind), value.value
            if (
                value is None
                or col.kind == xlsx.TEXT
                or (col.kind == GENERAL and isinstance(value, str))
            ):
                cells.append(safe_text(value))
                continue
            cell = WriteOnlyCell(ws, value=value)
            if col.kind in xlsx.FORMATS:
                cell.number_format = xlsx.FORMATS[col.kind]
            cells.append(cell)
        ws.append(cells)
    book.save(path)


def _written(path, columns, rows):
    book = XlsxBook(path, cover=False)
    table = book.table("表", columns)
    table.extend(rows)
    book.save()


def test_reads_back_as_openpyxl_wrote_it_cell_by_cell(tmp_path):
    ours, theirs = tmp_path / "ours.xlsx", tmp_path / "openpyxl.xlsx"
    columns, rows = _columns(), _rows()
    _written(ours, columns, rows)
    _openpyxl_reference(theirs, columns, rows)
    a, b = load_workbook(ours)["表"], load_workbook(theirs)["表"]
    assert a.max_row == b.max_row == len(rows) + 1
    for ra, rb in zip(a.iter_rows(), b.iter_rows(), strict=True):
        for ca, cb in zip(ra, rb, strict=True):
            assert ca.value == cb.value, ca.coordinate
            if ca.value is not None:  # an empty text cell reads as None either way
                assert (ca.data_type, ca.number_format) == (cb.data_type, cb.number_format), (
                    ca.coordinate
                )
    # the values themselves, not only their agreement
    values = list(a.iter_rows(min_row=2, values_only=True))
    by_text = {r[0]: r[5] for r in values if r[0] is not None}
    assert (
        by_text[1] == "'=1+1"
        and by_text[2] == "'-社保"
        and by_text[3] == "'#N/A"
        and by_text[4] == "#标签"
    )
    assert by_text[5] == "a<b & c>d" and by_text[7] == "]]>" and by_text[8] == "&amp;"
    assert (
        by_text[10] == "  前后空格  "
        and by_text[11] == "行一\n行二"
        and by_text[13] == "'\ttab起头"
    )
    assert by_text[14] == "控制字符" and by_text[15] == "'=1+1" and by_text[16] == "表情😀"
    assert by_text[18] is None and len(by_text[19]) == xlsx.MAX_TEXT and by_text[22] == "'=already"
    assert values[0][1] == dt.datetime(2026, 3, 2, 9, 5, 30) and values[0][2] == dt.datetime(
        2026, 1, 31
    )
    assert a["B2"].number_format == "yyyy-mm-dd hh:mm" and a["C2"].number_format == "yyyy-mm-dd"
    assert (
        a["D3"].number_format == "0.00%"
        and a["E2"].number_format == "0.00"
        and a["A2"].number_format == "0"
    )
    assert values[len(TRICKY_TEXT)] == (None,) * 7
    last = values[-1]
    assert last[1] == dt.datetime(2026, 12, 31, 23, 59, 59, 500000) and last[6] == "'=SUM(A1)"
    assert values[-2][0] == 10**15 + 7 and values[-2][6] is True
    assert formulas_in(ours) == []


def test_reads_back_with_calamine_as_the_openpyxl_file(tmp_path):
    from python_calamine import CalamineWorkbook

    ours, theirs = tmp_path / "ours.xlsx", tmp_path / "openpyxl.xlsx"
    columns, rows = _columns(), _rows()
    _written(ours, columns, rows)
    _openpyxl_reference(theirs, columns, rows)
    a = CalamineWorkbook.from_path(str(ours)).get_sheet_by_name("表").to_python()
    b = CalamineWorkbook.from_path(str(theirs)).get_sheet_by_name("表").to_python()
    assert a == b
    assert (
        a[2][5] == "'=1+1"
        and a[1][1] == dt.datetime(2026, 3, 2, 9, 5, 30)
        and a[15][5] == "控制字符"
    )


def test_characters_openpyxl_cannot_save_are_dropped(tmp_path):
    """Lone surrogates and U+FFFE/U+FFFF made openpyxl fail at save; the writer drops them."""
    path = tmp_path / "s.xlsx"
    _written(path, [Col("内容")], [["坏\ud800字符\ufffe\uffff"], ["\udfff=1"]])
    assert [r[0] for r in load_workbook(path)["表"].iter_rows(min_row=2, values_only=True)] == [
        "坏字符",
        "'=1",
    ]


def test_zip64_fields_when_a_part_is_past_the_limit(tmp_path, monkeypatch):
    """A sheet past 4 GiB gets ZIP64 sizes and offsets; shown with the limit lowered to 100 bytes."""
    from supervise import zipwrite

    monkeypatch.setattr(zipwrite, "ZIP64_LIMIT", 100)
    path = tmp_path / "z.xlsx"
    book = XlsxBook(path)
    book.table("表", [Col("编号", INT), Col("内容")]).extend([i, f"第{i}行"] for i in range(2000))
    book.cover("台账", [("记录数", 2000)])
    book.save()
    with zipfile.ZipFile(path) as z:
        assert z.testzip() is None
        big = z.getinfo("xl/worksheets/sheet2.xml")
        assert big.file_size > 100 and big.extract_version == 45
    ws = load_workbook(path)["表"]
    assert ws.max_row == 2001 and ws["B2001"].value == "第1999行"


def test_temporary_data_is_released(tmp_path):
    book = XlsxBook(tmp_path / "t.xlsx")
    table = book.table("表", [Col("编号", INT)])
    table.append([1])
    files = [p.data.file for p in book._parts if p.data is not None]
    assert files and not any(f.closed for f in files)
    book.save()
    assert all(f.closed for f in files)
    with pytest.raises(RuntimeError):
        table.append([2])  # the table was closed by save


def test_a_date_time_with_a_time_zone_is_refused(tmp_path):
    book = XlsxBook(tmp_path / "tz.xlsx", cover=False)
    table = book.table("表", [Col("时间", DATETIME)])
    with pytest.raises(ValueError):
        table.append([dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)])
    book.discard()
