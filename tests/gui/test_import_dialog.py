"""The import dialog (supervise.gui.import_dialog): preview, progress in a worker, errors, cancel."""

from __future__ import annotations

from pathlib import Path

from supervise.gui.import_dialog import ImportDialog
from supervise.models import ImportBatch, Unit

from .conftest import pump, settle


def _units_csv(path: Path, rows: int, bad_row: int | None = None) -> Path:
    lines = ["单位编码,单位名称,上级单位编码,类型"]
    for i in range(rows):
        name = "" if i == bad_row else f"测试单位{i:05d}"
        lines.append(f"T{i:05d},{name},,部门")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8-sig")
    return path


def _dialog(app) -> ImportDialog:
    dialog = app.main.import_data()
    assert isinstance(dialog, ImportDialog)
    assert "units" in [s.name for s in dialog.specs]
    return dialog


def test_units_import_with_progress_bar_to_the_end(login, tmp_path):
    app = login("jiwei01")
    before = Unit.select().count()
    dialog = _dialog(app)
    seen: list[tuple[float, float | None]] = []
    original = dialog._progress
    dialog._progress = lambda v, t, text: (seen.append((v, t)), original(v, t, text))  # type: ignore[method-assign]
    dialog.select_format("units")
    dialog.file_var.set(str(_units_csv(tmp_path / "units.csv", 2500)))
    dialog.preview()
    settle(app)
    assert len(dialog.preview_rows) == 20 and len(dialog.preview_tree.get_children()) == 20
    assert dialog.preview_tree.item(dialog.preview_tree.get_children()[0], "values")[:2] == (
        "T00000",
        "测试单位00000",
    )

    dialog.ok_button.invoke()
    assert dialog.job is not None and dialog.ok_button.instate(["disabled"])
    assert dialog.cancel_button.cget("text") == "取消导入"
    pump(app.root, lambda: dialog.job is None)
    assert float(dialog.progress.cget("value")) == float(dialog.progress.cget("maximum")) == 2500
    assert any(t == 2500 and 0 < v < 2500 for v, t in seen), seen
    assert dialog.result["imported"] == 2500 and dialog.result["errors"] == 0
    assert "已导入 2,500 行" in dialog.progress_label.cget("text")
    assert Unit.select().count() == before + 2500
    assert dialog.cancel_button.cget("text") == "关闭"
    dialog.cancel_button.invoke()
    assert (
        not dialog.winfo_exists()
        and dialog.result["batch"]
        == ImportBatch.select().order_by(ImportBatch.id.desc()).first().id
    )


def test_failed_import_shows_the_errors_and_imports_nothing(login, tmp_path):
    app = login("jiwei01")
    before = Unit.select().count()
    dialog = _dialog(app)
    dialog.select_format("units")
    dialog.file_var.set(str(_units_csv(tmp_path / "bad.csv", 30, bad_row=7)))
    dialog.ok_button.invoke()
    pump(app.root, lambda: dialog.job is None)
    assert "未导入任何数据" in dialog.progress_label.cget("text")
    assert (
        dialog.error_rows and dialog.error_rows[0][1] == 9 and dialog.error_rows[0][2] == "单位名称"
    )
    assert len(dialog.errors_tree.get_children()) == len(dialog.error_rows)
    assert Unit.select().count() == before
    assert (tmp_path / "bad.errors.xlsx").is_file()


def test_cancel_leaves_nothing_and_missing_choices_are_reported(login, tmp_path):
    app = login("jiwei01")
    before = Unit.select().count()
    dialog = _dialog(app)
    dialog.ok_button.invoke()
    assert dialog.field_message.cget("text") == "请选择导入格式" and dialog.job is None
    dialog.select_format("units")
    dialog.file_var.set(str(tmp_path / "missing.csv"))
    dialog.ok_button.invoke()
    assert dialog.field_message.cget("text") == "请选择存在的文件"
    dialog.file_var.set(str(_units_csv(tmp_path / "many.csv", 5000)))
    dialog.ok_button.invoke()
    dialog.cancel_button.invoke()  # cancel at once: the worker stops at its next check
    pump(app.root, lambda: dialog.job is None)
    assert dialog.progress_label.cget("text") == "导入已取消，未写入任何数据"
    assert Unit.select().count() == before and dialog.winfo_exists()
    settle(app)
