"""The import engine: cancel, progress, failing plugins, third-party formats, the fallback reader."""

# The fixtures `cli` and `office` come from tests/import_support.py and are requested by name,
# which ruff sees as redefinitions of the imported names.
# ruff: noqa: F811

from __future__ import annotations

import datetime as dt
import io
import sys

import pytest

from supervise.errors import InvalidInput
from supervise.extension import ImporterSpec
from supervise.importing import Cancelled, ImporterFailed, ImportProgress, ProgressLine, run_import
from supervise.models import ImportBatch, Rating, Unit
from supervise.registry import get_registry
from supervise.tabular import RowReader

from .conftest import make_user
from .import_support import cli, write_csv, write_xlsx  # noqa: F401

RATINGS = ["评价编号", "评价时间", "单位编码", "评价等级"]


@pytest.fixture
def staff(admin):
    Unit.create(code="U01", name="市人社局")
    return make_user("jw", "staff")


def _ratings(tmp_path, n=10):
    rows = [
        [f"PJ{i}", dt.datetime(2025, 10, 9, 9, 0) + dt.timedelta(minutes=i), "U01", 1 + i % 5]
        for i in range(n)
    ]
    return write_xlsx(tmp_path / "r.xlsx", RATINGS, rows)


def test_cancelled_import_leaves_nothing(staff, db, tmp_path):
    spec = get_registry().importer("ratings")
    before = {m: m.select().count() for m in (Rating, ImportBatch)}
    asked = []

    def cancel() -> bool:
        asked.append(1)
        return len(asked) > 4

    with pytest.raises(Cancelled) as raised:
        run_import(staff, spec, _ratings(tmp_path), cancel=cancel)
    assert raised.value.exit_code == 3 and "取消" in raised.value.zh
    assert {m: m.select().count() for m in (Rating, ImportBatch)} == before
    assert len(asked) == 5


def test_cancel_after_rows_were_written(staff, db, tmp_path):
    """A cancel that comes after the first chunk has been written still leaves nothing."""
    spec = ImporterSpec(
        "tiny_chunks",
        "小批量",
        get_registry().importer("ratings").columns,
        lambda ctx, rows, **_: _write_then_count(ctx, rows),
    )
    seen = []

    def cancel() -> bool:
        seen.append(Rating.select().count())
        return len(seen) > 8

    with pytest.raises(Cancelled):
        run_import(staff, spec, _ratings(tmp_path), cancel=cancel)
    assert max(seen) >= 3  # rows had reached the table inside the transaction
    assert Rating.select().count() == 0 and ImportBatch.select().count() == 0


def _write_then_count(ctx, rows):
    out = ctx.writer(
        Rating, ("unit", "level", "rated_at", "source", "external_id", "batch"), chunk=3
    )
    unit = ctx.codes("units")["U01"]
    for row in rows:
        out.add((unit, 3, row["评价时间"], "tiny", row["评价编号"], ctx.batch.id))
    out.flush()
    ctx.imported += out.inserted


def test_progress_reports_read_and_written(staff, db, tmp_path, monkeypatch):
    from supervise import importing

    monkeypatch.setattr(importing, "PROGRESS_EVERY", 4)
    seen: list[ImportProgress] = []
    result = run_import(
        staff, get_registry().importer("ratings"), _ratings(tmp_path, 10), progress=seen.append
    )
    assert [p.read for p in seen] == [4, 8, 10]
    assert (
        seen[-1].written == result.imported == 10 and seen[-1].total == 11
    )  # rows of the sheet, header included
    assert all(p.elapsed >= 0 for p in seen)


def test_progress_line_renders_a_bar():
    stream = io.StringIO()
    stream.isatty = lambda: True  # type: ignore[method-assign]
    line = ProgressLine("导入 好差评", stream=stream)
    line(ImportProgress(read=500, written=400, elapsed=2.0, total=1000))
    line.done()
    text = stream.getvalue()
    assert text.startswith("\r导入 好差评: [############............]  50% ")
    assert "读 read 500 / 写 written 400 行" in text and "250 行/秒" in text and text.endswith("\n")
    quiet = io.StringIO()
    ProgressLine("x", stream=quiet)(ImportProgress(1, 1, 1.0))
    assert quiet.getvalue() == ""  # not a terminal: no progress line


def test_failing_importer_plugin_rolls_back(staff, db, tmp_path):
    def explode(ctx, rows, **_):
        _write_then_count(ctx, rows)
        raise RuntimeError("plugin bug")

    spec = ImporterSpec("boom", "坏插件", get_registry().importer("ratings").columns, explode)
    with pytest.raises(ImporterFailed) as raised:
        run_import(staff, spec, _ratings(tmp_path))
    assert (
        raised.value.exit_code == 1
        and "boom" in raised.value.en
        and "plugin bug" in raised.value.en
    )
    assert Rating.select().count() == 0 and ImportBatch.select().count() == 0


def test_third_party_format_end_to_end(cli, tmp_path):
    """The example plugin's format, installed by entry point, through ``supervise import example``."""
    pytest.importorskip("supervise_example")
    path = write_csv(
        tmp_path / "example.csv",
        ["unit code", "备注"],
        [["A01", "一"], ["A02", ""], ["", "无编码"]],
    )
    code, out, err = cli("import", "example", str(path), "--json")
    assert code == 3 and "1 处错误" in err  # the engine checks the plugin's required column
    code, out, err = cli("import", "example", str(path), "--skip-invalid", "--json")
    assert code == 0, err
    assert (out["read"], out["imported"], out["errors"]) == (3, 2, 1)
    code, listed, _ = cli("import", "list", "--format", "example", "--json")
    assert listed["items"][0]["imported"] == 2


def test_openpyxl_fallback_reads_the_same(tmp_path, monkeypatch):
    rows = [
        ["PJ1", dt.datetime(2025, 10, 9, 9, 30), " U01 ", 5.0],
        ["PJ2", dt.date(2025, 10, 9), "Ｕ02", "满意"],
        [None, None, None, None],
        ["PJ3", "2025/10/9 14:03", "U03", 13800138000.0],
    ]
    path = write_xlsx(tmp_path / "r.xlsx", RATINGS, rows, title="标题")
    columns = get_registry().importer("ratings").columns
    fast = [(r.sheet, r.number, _dates(r.cells)) for r in RowReader(path, columns)]
    monkeypatch.setitem(sys.modules, "python_calamine", None)  # import fails: openpyxl read-only
    slow = [(r.sheet, r.number, _dates(r.cells)) for r in RowReader(path, columns)]
    assert fast == slow
    assert fast[0] == (
        "数据",
        3,
        {
            "评价编号": "PJ1",
            "评价时间": dt.datetime(2025, 10, 9, 9, 30),
            "单位编码": "U01",
            "评价等级": 5,
        },
    )
    assert fast[1][2]["单位编码"] == "U02" and fast[1][2]["评价时间"] == dt.datetime(2025, 10, 9)
    assert [r[1] for r in fast] == [3, 4, 6] and fast[2][2]["评价等级"] == 13800138000


def _dates(values):
    """openpyxl gives a midnight date-time where calamine gives a date: the importers take both."""
    return {
        k: dt.datetime.combine(v, dt.time()) if type(v) is dt.date else v for k, v in values.items()
    }


def test_csv_bom_and_no_header(tmp_path):
    columns = get_registry().importer("ratings").columns
    path = tmp_path / "r.csv"
    path.write_bytes(
        "\ufeff说明：好差评\n评价编号,评价时间,单位编码,评价等级\nPJ1,2025-10-09,U01,5\n".encode()
    )
    assert [r.cells["评价编号"] for r in RowReader(path, columns)] == ["PJ1"]
    path.write_text("编号,时间\n1,2\n", encoding="utf-8")
    with pytest.raises(InvalidInput) as raised:
        list(RowReader(path, columns))
    assert "评价等级" in raised.value.zh


def test_engine_needs_the_import_permission(staff, db, tmp_path):
    viewer = make_user("vw", "viewer")
    from supervise.errors import NotPermitted

    with pytest.raises(NotPermitted):
        run_import(viewer, get_registry().importer("ratings"), _ratings(tmp_path))
    assert Rating.select().count() == 0 and ImportBatch.select().count() == 0
