"""Malformed files of every kind (issue #4, items 2–3): exit 3, an exact errors workbook,
the database unchanged — on SQLite and on PostgreSQL."""

# The fixtures `cli` and `office` come from tests/import_support.py and are requested by name,
# which ruff sees as redefinitions of the imported names.
# ruff: noqa: F811

from __future__ import annotations

import datetime as dt
import io
import zipfile

import openpyxl
import pytest

from supervise.models import Rating

from .import_support import (  # noqa: F401
    Opened,
    clear_identity,
    cli,
    counts,
    error_rows,
    office,
    write_csv,
    write_xlsx,
)

HEADER = ["评价编号", "评价时间", "单位编码", "评价等级", "联系电话"]
LEVEL_REASON = "评价等级应为 1–5 或 非常满意/满意/基本满意/不满意/非常不满意 bad level"


def _malformed(tmp_path):
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "评价明细"
    ws.append(["2025年10月好差评评价明细"])
    ws.merge_cells("A1:E1")
    ws.append(["导出时间：2025-10-31 18:00", None, None, "单位：全市"])
    ws.merge_cells("A2:C2")
    ws.append(HEADER)
    rows = [
        [
            "PJ1",
            dt.datetime(2025, 10, 9, 9, 30),
            "U01",
            5.0,
            13800138000.0,
        ],  # a level and a phone as floats
        [
            "PJ2",
            dt.date(2025, 10, 9),
            "U02",
            "满意",
            None,
        ],  # a date-time at midnight read as a date
        ["PJ3", "2025-10-09 10:00", "U99", "满意", None],  # unknown unit code
        ["PJ4", "2025-10-09 10:00", "U01", "很好", None],  # bad level
        ["PJ5", "2025-02-30 10:00", "U01", "满意", None],  # no such date
        ["PJ1", "2025-10-09 11:00", "U01", "满意", None],  # duplicate id inside the file
        ["PJ7", "2025-10-09 11:00", None, "满意", None],  # missing required value
        [None, None, None, None, None],  # blank: skipped
        ["PJ8", "2025-10-09 12:00", "U01", 6, None],  # a level out of range
        ["PJ9", "下午三点", "U0101", "1", None],  # unreadable date
    ]
    for row in rows:
        ws.append(row)
    path = tmp_path / "评价明细.xlsx"
    book.save(path)
    return path


EXPECTED = [
    ("评价明细", 6, "单位编码", "U99", "单位编码不存在 unknown unit code"),
    ("评价明细", 7, "评价等级", "很好", LEVEL_REASON),
    ("评价明细", 8, "评价时间", "2025-02-30 10:00", "日期不存在 no such date: 2025-02-30 10:00"),
    ("评价明细", 9, "评价编号", "PJ1", "文件内评价编号重复 duplicate id in the file"),
    ("评价明细", 10, "单位编码", None, "必填项为空 required value missing"),
    ("评价明细", 12, "评价等级", "6", LEVEL_REASON),
    (
        "评价明细",
        13,
        "评价时间",
        "下午三点",
        "日期时间无法识别（如 2026-10-05 14:03） unrecognised date-time",
    ),
]


def test_every_bad_value_in_the_errors_workbook_nothing_imported(office, tmp_path):
    path = _malformed(tmp_path)
    errors = tmp_path / "out" / "errs.xlsx"
    errors.parent.mkdir()
    before = counts(office.url)
    code, out, err = office("import", "ratings", str(path), "--errors", str(errors))
    assert code == 3
    assert (
        err.count("\n") == 1 and "7 处错误" in err and str(errors) in err and "Traceback" not in err
    )
    assert error_rows(errors) == EXPECTED
    assert counts(office.url) == before
    # the default place of the errors workbook is beside the input
    office("import", "ratings", str(path))
    assert error_rows(tmp_path / "评价明细.errors.xlsx") == EXPECTED


def test_skip_invalid_imports_floats_and_midnight_dates(office, tmp_path):
    code, out, err = office(
        "import", "ratings", str(_malformed(tmp_path)), "--skip-invalid", "--json"
    )
    assert code == 0 and (out["imported"], out["errors"]) == (2, 7)
    with Opened(office.url):
        one = Rating.get(Rating.external_id == "PJ1")
        assert (one.level, clear_identity(one)["phone"], one.rated_at) == (
            5,
            "13800138000",
            dt.datetime(2025, 10, 9, 9, 30),
        )
        two = Rating.get(Rating.external_id == "PJ2")
        assert two.rated_at == dt.datetime(2025, 10, 9, 0, 0) and two.level == 4


def test_vertically_merged_cells_count_for_each_row(office, tmp_path):
    pytest.importorskip(
        "python_calamine", reason="openpyxl's streaming reader does not see merged ranges"
    )
    book = openpyxl.Workbook()
    ws = book.active
    ws.append(["工号", "姓名", "单位编码"])
    ws.append(["S101", "甲", "U01"])
    ws.append(["S102", "乙", None])
    ws.append(["S103", "丙", "U02"])
    ws.merge_cells("C2:C3")
    path = tmp_path / "staff.xlsx"
    book.save(path)
    code, out, err = office("import", "staff", str(path), "--json")
    assert code == 0 and out["imported"] == 3, err
    with Opened(office.url):
        from supervise.models import Staff

        assert Staff.get(Staff.number == "S102").unit.code == "U01"


def _bad_file(office, tmp_path, name, content, *, fmt="ratings"):
    path = tmp_path / name
    path.write_bytes(content)
    before = counts(office.url)
    code, _, err = office("import", fmt, str(path))
    assert code == 3, err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert counts(office.url) == before
    assert not (tmp_path / (path.stem + ".errors.xlsx")).exists()
    return err


def test_wrong_encoding(office, tmp_path):
    text = "评价编号,评价时间,单位编码,评价等级\nPJ1,2025-10-09 09:00,U01,满意\n"
    err = _bad_file(office, tmp_path, "utf16.csv", text.encode("utf-16"))
    assert "无法识别文件编码" in err and "UTF-8 或 GB18030" in err
    # Big5 bytes decode as GB18030 nonsense: no header is found
    err = _bad_file(
        office,
        tmp_path,
        "big5.csv",
        "評價編號,評價時間,單位編碼,評價等級\nPJ1,2025-10-09,U01,5\n".encode("big5"),
    )
    assert "未找到表头" in err


def test_junk_renamed_xlsx(office, tmp_path):
    err = _bad_file(
        office, tmp_path, "junk.xlsx", b"PK\x03\x04 this is not really a zip" + bytes(range(256))
    )
    assert "不是有效的 xlsx 文件" in err
    pdf = _bad_file(office, tmp_path, "report.xlsx", b"%PDF-1.7\n" + b"\x00" * 100)
    assert "xlsx" in pdf
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
    err = _bad_file(office, tmp_path, "letter.xlsx", buffer.getvalue())
    assert "不是 Excel 工作簿" in err
    good = write_xlsx(tmp_path / "good.xlsx", HEADER, [["PJ1", "2025-10-09 09:00", "U01", 5, None]])
    err = _bad_file(office, tmp_path, "cut.xlsx", good.read_bytes()[:-200])
    assert "xlsx" in err


def test_missing_column_named(office, tmp_path):
    path = write_csv(tmp_path / "r.csv", ["评价编号", "单位编码", "等级"], [["PJ1", "U01", "5"]])
    before = counts(office.url)
    code, _, err = office("import", "ratings", str(path))
    assert code == 3 and "未找到表头" in err and "评价时间" in err and "评价等级" in err
    assert counts(office.url) == before


def test_zip_bomb_refused_before_opening(office, tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"<" + b" " * (12 * 1024 * 1024) + b"/>")
    assert len(buffer.getvalue()) < 100_000
    with Opened(office.url):
        from supervise.models import Setting

        Setting.create(key="import.max_unzipped_mb", value="10")
    err = _bad_file(office, tmp_path, "bomb.xlsx", buffer.getvalue())
    assert "解压后过大" in err and "import.max_unzipped_mb" in err


def test_huge_cell_is_a_row_error(office, tmp_path):
    rows = [
        ["PJ1", "2025-10-09 09:00", "U01", "满意", "好" * 40_000],
        ["PJ2", "2025-10-09 09:00", "U01", "满意", "好"],
    ]
    path = write_csv(
        tmp_path / "huge.csv", ["评价编号", "评价时间", "单位编码", "评价等级", "评价内容"], rows
    )
    before = counts(office.url)
    code, _, err = office("import", "ratings", str(path))
    assert code == 3
    assert counts(office.url) == before
    (line,) = error_rows(tmp_path / "huge.errors.xlsx")
    assert line[1:3] == (2, "评价内容") and line[3] == "好" * 50 + "…"
    assert line[4] == "单元格内容过长（超过 32767 字） cell longer than 32767 characters"


def test_value_the_database_cannot_store_imports_nothing(office, tmp_path):
    """A 300-character unit name: PostgreSQL's varchar(255) refuses it inside the importer,
    which is invalid input (exit 3, one line, nothing imported), not an internal error.
    SQLite stores text of any length, so there the same file imports."""
    names = ["单位编码", "单位名称"]
    long_name = write_csv(tmp_path / "long.csv", names, [["U03", "名" * 300]])
    # the hypothesis-found shape: the long name written before a row that is an error anyway
    both = write_csv(tmp_path / "both.csv", names, [["U04", "名" * 300], ["", "市财政局"]])
    before = counts(office.url)
    code, _, err = office("import", "units", str(both))
    assert code == 3, err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err and "内部错误" not in err
    assert counts(office.url) == before
    code, _, err = office("import", "units", str(long_name))
    if office.url.startswith("postgresql"):
        assert code == 3, err
        assert err.strip().splitlines() == [
            "supervise: 文件中有数据库无法保存的值，未导入任何数据："
            "value too long for type character varying(255) / a value in the file cannot be "
            "stored; nothing imported: value too long for type character varying(255)"
        ]
        assert counts(office.url) == before
    else:
        assert code == 0, err
        assert counts(office.url)["unit"] == before["unit"] + 1
