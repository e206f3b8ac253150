"""Document dialogs (supervise.gui.documents): monthly report, circular and export in a worker,
with progress, a file to open and a preview of the first page."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import load_workbook

from supervise.gui.documents import CircularDialog, ExportDialog, ReportDialog, pdf_first_page
from supervise.models import AuditEntry, DocumentNumber

from .conftest import pump, settle


def _menu(app, label: str):
    main = app.main
    labels = main.menu_labels("文件")
    if label not in labels:
        pytest.skip(f"{label} needs a module that is not installed")
    main.menus["文件"].invoke(labels.index(label))
    return main.dialog


def test_monthly_report_through_the_dialog(login, tmp_path):
    app = login("jiwei01")
    dialog = _menu(app, "生成月报…")
    assert isinstance(dialog, ReportDialog)
    dialog.month.delete(0, "end")
    dialog.month.insert(0, "2026-13")
    dialog.ok_button.invoke()
    assert dialog.form.errors["month"].cget("text") == "月份格式应为 YYYY-MM" and dialog.job is None
    dialog.month.delete(0, "end")
    dialog.month.insert(0, "2026-11")
    dialog.folder.set(str(tmp_path / "月报"))
    dialog.ok_button.invoke()
    assert dialog.cancel_button.cget("text") == "取消"
    pump(app.root, lambda: dialog.job is None, timeout=120)
    assert dialog.output is not None, dialog.progress_label.cget("text")
    files = [Path(f) for f in dialog.output["files"]]
    assert {f.name for f in files} == {"月报-2026-11.xlsx", "月报-2026-11.pdf"} and all(
        f.is_file() for f in files
    )
    assert "已生成 2026-11 月报" in dialog.progress_label.cget("text")
    assert dialog.open_button.instate(["!disabled"])
    assert float(dialog.progress.cget("value")) == float(dialog.progress.cget("maximum"))
    if pdf_first_page(files[1]) is not None:  # pdftoppm installed: the first page is shown
        assert dialog.preview_image is not None and dialog.preview_image.height() <= 420
    assert AuditEntry.select().where(AuditEntry.action == "report.monthly").exists()
    settle(app)


def test_circular_through_the_dialog(login, tmp_path):
    app = login("jiwei01")
    dialog = _menu(app, "印发通报…")
    assert isinstance(dialog, CircularDialog)
    names = [k.name for k in dialog.kinds]
    if "monthly" not in names:
        pytest.skip("the built-in circulars plugin is not installed")
    dialog.kind.current(names.index("monthly"))
    dialog.month.delete(0, "end")
    dialog.month.insert(0, "2026-11")
    dialog.out.set(str(tmp_path / "月度通报.pdf"))
    before = DocumentNumber.select().count()
    dialog.ok_button.invoke()
    pump(app.root, lambda: dialog.job is None, timeout=120)
    assert dialog.output is not None, dialog.progress_label.cget("text")
    assert (tmp_path / "月度通报.pdf").is_file() and DocumentNumber.select().count() == before + 1
    assert dialog.output["number"] in dialog.progress_label.cget("text")
    documents = app.main.show_view("documents")
    documents.refresh()
    assert (
        dialog.output["number"]
        == documents.tree.item(documents.tree.get_children()[0], "values")[0]
    )


def test_export_through_the_dialog_stays_masked(login, tmp_path):
    app = login("jiwei01")
    dialog = _menu(app, "导出台账…")
    assert isinstance(dialog, ExportDialog)
    names = [e.name for e in dialog.exporters]
    if "complaints" not in names:
        pytest.skip("the built-in ledgers plugin is not installed")
    dialog.ok_button.invoke()
    assert dialog.form.errors["kind"].cget("text") == "请选择台账"
    dialog.kind.current(names.index("complaints"))
    dialog.out.set(str(tmp_path / "工单台账.xlsx"))
    dialog.ok_button.invoke()
    pump(app.root, lambda: dialog.job is None, timeout=120)
    assert dialog.output is not None, dialog.progress_label.cget("text")
    assert dialog.output["unmasked"] is False and (tmp_path / "工单台账.xlsx").is_file()
    book = load_workbook(tmp_path / "工单台账.xlsx", read_only=True)
    assert len(book.sheetnames) >= 1
    book.close()
    assert AuditEntry.select().where(AuditEntry.action == "export").exists()
