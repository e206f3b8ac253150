"""Reference-data imports (units, staff, matters) through the import engine."""

from __future__ import annotations

import json

import openpyxl
import pytest

from supervise.cli.main import main
from supervise.db import close_database, open_database
from supervise.models import ImportBatch, Matter, Staff, Unit

UNITS_CSV = "单位编码,单位名称,上级单位编码,类型\nU01,市人社局,,部门\nU0101,社保窗口,U01,窗口\n"


@pytest.fixture
def cli(db_url, monkeypatch, capsys):
    monkeypatch.setenv("SUPERVISE_PASSWORD", "secret-123")
    assert main(["--db", db_url, "init", "--admin", "admin"]) == 0
    monkeypatch.setenv("SUPERVISE_USER", "admin")
    capsys.readouterr()

    def run(*argv: str) -> tuple[int, dict | str, str]:
        code = main(["--db", db_url, *argv])
        out, err = capsys.readouterr()
        try:
            return code, json.loads(out), err
        except json.JSONDecodeError:
            return code, out, err

    run.url = db_url
    return run


def count(url: str, model) -> int:
    open_database(url)
    try:
        return model.select().count()
    finally:
        close_database()


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_csv_encodings(cli, tmp_path, encoding):
    path = tmp_path / "units.csv"
    path.write_bytes(UNITS_CSV.encode(encoding))
    code, out, err = cli("import", "units", str(path), "--json")
    assert code == 0, err
    assert out["imported"] == 2 and out["duplicates"] == 0
    open_database(cli.url)
    assert Unit.get(Unit.code == "U0101").parent.code == "U01"
    close_database()


def test_reimport_adds_nothing(cli, tmp_path):
    path = tmp_path / "units.csv"
    path.write_text(UNITS_CSV, encoding="utf-8")
    assert cli("import", "units", str(path), "--json")[1]["imported"] == 2
    code, out, _ = cli("import", "units", str(path), "--json")
    assert code == 0 and out["imported"] == 0 and out["duplicates"] == 2
    assert count(cli.url, Unit) == 2


def test_xlsx_with_title_rows_and_fullwidth_headers(cli, tmp_path):
    path = tmp_path / "matters.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "事项清单"
    sheet.append(["某某市政务服务事项目录（2026年版）"])
    sheet.merge_cells("A1:E1")
    sheet.append([])
    sheet.append([" 事项编码 ", "事项名称", "单位编码", "法定时限", "承诺时限"])
    sheet.append(["M001", "企业开办", "U01", 20.0, 5])
    sheet.append([None, None, None, None, None])
    sheet.append(["M002", "社保卡补办", "U01", 10, None])
    book.save(path)
    units = tmp_path / "u.csv"
    units.write_text(UNITS_CSV, encoding="utf-8")
    cli("import", "units", str(units))
    code, out, err = cli("import", "matters", str(path), "--json")
    assert code == 0, err
    assert out["imported"] == 2
    open_database(cli.url)
    assert Matter.get(Matter.code == "M001").promised_days == 5
    assert Matter.get(Matter.code == "M002").promised_days is None
    close_database()


def test_errors_import_nothing_and_write_workbook(cli, tmp_path):
    units = tmp_path / "u.csv"
    units.write_text(UNITS_CSV, encoding="utf-8")
    cli("import", "units", str(units))
    staff = tmp_path / "staff.csv"
    staff.write_text(
        "工号,姓名,单位编码\nS1,张三,U01\nS2,李四,U99\nS1,王五,U01\nS3,,U01\n", encoding="utf-8"
    )
    errors = tmp_path / "errs.xlsx"
    code, out, err = cli("import", "staff", str(staff), "--errors", str(errors))
    assert code == 3
    assert "3" in err and "Traceback" not in err
    assert count(cli.url, Staff) == 0
    rows = list(openpyxl.load_workbook(errors).active.iter_rows(values_only=True))
    assert rows[0] == ("工作表", "行号", "列", "值", "原因")
    assert {(r[1], r[2], r[3]) for r in rows[1:]} == {
        (3, "单位编码", "U99"),
        (4, "工号", "S1"),
        (5, "姓名", None),
    }
    assert count(cli.url, ImportBatch) == 1  # only the units batch


def test_skip_invalid_imports_the_rest(cli, tmp_path):
    units = tmp_path / "u.csv"
    units.write_text(UNITS_CSV, encoding="utf-8")
    cli("import", "units", str(units))
    staff = tmp_path / "staff.csv"
    staff.write_text("工号,姓名,单位编码,岗位\nS1,张三,U01,科长\nS2,李四,U99,\n", encoding="utf-8")
    code, out, _ = cli("import", "staff", str(staff), "--skip-invalid", "--json")
    assert code == 0 and out["imported"] == 1 and out["errors"] == 1
    assert out["errors_file"].endswith(".errors.xlsx")
    assert count(cli.url, Staff) == 1


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("junk.xlsx", b"\x00\x01 not a zip", "xlsx"),
        ("nohdr.csv", b"a,b,c\n1,2,3\n", "单位编码"),
        ("data.pdf", b"%PDF-1.4", "unsupported"),
        ("bad.csv", b"\xff\xfe\x00\x00\x81\x30", "encoding"),
    ],
)
def test_bad_files_one_line(cli, tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    code, _, err = cli("import", "units", str(path))
    assert code == 3
    assert message in err and len(err.strip().splitlines()) == 1


def test_unknown_format_exit_6(cli, tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("a\n1\n")
    code, _, err = cli("import", "nonsense", str(path))
    assert code == 6
