"""导入: format, file, preview of the first rows, progress bar, cancel, and the errors.

Formats come from ``registry.importers()``.  The preview (first rows as the
importer will read them, via :func:`supervise.tabular.read_rows`) and the
import itself run in worker threads with their own database connections;
the import counts the rows first so that the bar knows its maximum, then
runs :func:`supervise.importing.run_import` with ``progress`` and ``cancel``.
A failed import (all or nothing, SPEC §5) writes the errors workbook beside
the file, and the dialog shows its first lines.
"""

from __future__ import annotations

import logging
import tkinter as tk
from itertools import islice
from pathlib import Path
from tkinter import filedialog, ttk
from typing import Any

from ..errors import InvalidInput, UserError
from ..extension import ImporterSpec
from ..importing import ImportProgress, run_import
from ..registry import get_registry
from ..tabular import read_rows
from .common import JobProgressDialog, error_text
from .context import ViewContext
from .worker import Job

logger = logging.getLogger(__name__)

PREVIEW_ROWS = 20
ERROR_ROWS = 200


def count_lines(path: Path) -> int | None:
    """Data rows of a csv file, counted as line breaks less the header (quoted line breaks
    make it an over-estimate, which only makes the bar jump at the end); None for xlsx."""
    if path.suffix.lower() not in (".csv", ".txt"):
        return None
    lines, last = 0, b"\n"
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            lines += chunk.count(b"\n")
            last = chunk[-1:]
    return max(lines + (last != b"\n") - 1, 0)


def _errors_path(path: Path) -> Path:
    return path.with_name(path.stem + ".errors.xlsx")


def read_errors(path: Path, limit: int = ERROR_ROWS) -> list[tuple[Any, ...]]:
    """The first lines of an errors workbook (sheet, row, column, value, reason)."""
    from openpyxl import load_workbook

    if not path.is_file():
        return []
    book = load_workbook(path, read_only=True)
    try:
        rows = book.worksheets[0].iter_rows(min_row=2, values_only=True)
        return [tuple(r) for r in islice(rows, limit)]
    finally:
        book.close()


class ImportDialog(JobProgressDialog):
    """Choose a format and a file, preview, import with progress; ``.result`` is the import summary."""

    ok_text = "开始导入"

    def __init__(
        self,
        parent: tk.Misc,
        ctx: ViewContext,
        *,
        path: str | None = None,
        fmt: str | None = None,
        **kw: Any,
    ) -> None:
        self.ctx = ctx
        self.specs: list[ImporterSpec] = get_registry().importers()
        self.job: Job | None = None
        self.summary: dict[str, Any] | None = None
        self.preview_rows: list[dict[str, Any]] = []
        self.error_rows: list[tuple[Any, ...]] = []
        self._initial = (path, fmt)
        super().__init__(parent, "导入数据", **kw)

    # -- widgets ---------------------------------------------------------------------

    def create_widgets(self, body: ttk.Frame) -> None:
        top = ttk.Frame(body)
        top.pack(fill="x")
        ttk.Label(top, text="格式").grid(row=0, column=0, sticky="e")
        self.format = ttk.Combobox(
            top, values=[self._label(s) for s in self.specs], state="readonly", width=28
        )
        self.format.grid(row=0, column=1, sticky="w", padx=6, pady=3)
        self.format.bind("<<ComboboxSelected>>", lambda _e: self.preview())
        ttk.Label(top, text="文件").grid(row=1, column=0, sticky="e")
        self.file_var = tk.StringVar()
        self.file_entry = ttk.Entry(top, textvariable=self.file_var, width=60)
        self.file_entry.grid(row=1, column=1, sticky="ew", padx=6, pady=3)
        self.file_entry.bind("<Return>", lambda _e: self.preview())
        ttk.Button(top, text="浏览…", command=self.browse).grid(row=1, column=2)
        self.skip_invalid = tk.BooleanVar()
        ttk.Checkbutton(
            top, text="跳过无效行（导入有效行，其余写入错误明细）", variable=self.skip_invalid
        ).grid(row=2, column=1, sticky="w", padx=6)
        self.field_message = ttk.Label(top, text="", style="Error.TLabel")
        self.field_message.grid(row=3, column=1, sticky="w", padx=6)
        top.columnconfigure(1, weight=1)

        ttk.Label(body, text="预览（前 20 行）", style="Muted.TLabel").pack(anchor="w", pady=(8, 0))
        self.preview_tree = ttk.Treeview(body, show="headings", height=8)
        self.preview_tree.pack(fill="both", expand=True)
        ttk.Label(body, text="错误明细", style="Muted.TLabel").pack(anchor="w", pady=(8, 0))
        columns = ("sheet", "row", "column", "value", "reason")
        self.errors_tree = ttk.Treeview(body, columns=columns, show="headings", height=5)
        for key, title, width in (
            ("sheet", "工作表", 90),
            ("row", "行号", 60),
            ("column", "列", 110),
            ("value", "值", 140),
            ("reason", "原因", 320),
        ):
            self.errors_tree.heading(key, text=title, anchor="w")
            self.errors_tree.column(key, width=width, stretch=key == "reason")
        self.errors_tree.pack(fill="both", expand=True)
        self.progress = ttk.Progressbar(body, mode="determinate", maximum=1)
        self.progress.pack(fill="x", pady=(10, 2))
        self.progress_label = ttk.Label(body, text="", style="Muted.TLabel")
        self.progress_label.pack(anchor="w")
        path, fmt = self._initial
        if fmt:
            self.select_format(fmt)
        if path:
            self.file_var.set(path)
        if path and fmt:
            self.preview()

    def create_buttons(self) -> None:
        super().create_buttons()
        self.cancel_button.configure(text="关闭", command=self.cancel)

    @staticmethod
    def _label(spec: ImporterSpec) -> str:
        return f"{spec.title}（{spec.name}）"

    def select_format(self, name: str) -> None:
        for spec in self.specs:
            if spec.name == name:
                self.format.set(self._label(spec))

    @property
    def spec(self) -> ImporterSpec | None:
        label = self.format.get()
        return next((s for s in self.specs if self._label(s) == label), None)

    def browse(self) -> None:
        path = filedialog.askopenfilename(
            parent=self,
            title="选择导入文件",
            filetypes=[("Excel / CSV", "*.xlsx *.xlsm *.csv *.txt"), ("所有文件", "*")],
        )
        if path:
            self.file_var.set(path)
            self.preview()

    # -- preview ---------------------------------------------------------------------

    def preview(self) -> None:
        spec, path = self.spec, Path(self.file_var.get().strip())
        if spec is None or not self.file_var.get().strip():
            return
        self.field_message.configure(text="")
        columns = [c.name for c in spec.columns]
        self.preview_tree.configure(columns=columns)
        for name in columns:
            self.preview_tree.heading(name, text=name, anchor="w")
            self.preview_tree.column(name, width=110, stretch=True)
        self.preview_tree.delete(*self.preview_tree.get_children())
        self.ctx.worker.submit(
            lambda _job: [r.cells for r in islice(read_rows(path, spec.columns), PREVIEW_ROWS)],
            name="preview",
            use_database=False,
            on_done=self._previewed,
            on_error=lambda exc: self.field_message.configure(text=error_text(exc)),
        )

    def _previewed(self, rows: list[dict[str, Any]]) -> None:
        if not self.winfo_exists():
            return
        self.preview_rows = rows
        columns = self.preview_tree.cget("columns")
        for row in rows:
            self.preview_tree.insert(
                "", "end", values=["" if row.get(c) is None else str(row.get(c)) for c in columns]
            )

    # -- importing -------------------------------------------------------------------

    def validate(self) -> Any:
        spec = self.spec
        path = self.file_var.get().strip()
        if spec is None:
            self.field_message.configure(text="请选择导入格式")
            return None
        if not path or not Path(path).is_file():
            self.field_message.configure(text="请选择存在的文件")
            return None
        return {"spec": spec, "path": Path(path), "skip_invalid": self.skip_invalid.get()}

    def ok(self) -> None:
        """Start the import (the dialog stays open to show progress and the outcome)."""
        if self.job is not None:
            return
        self.field_message.configure(text="")
        values = self.validate()
        if values is None:
            return
        self.start(**values)

    def start(self, spec: ImporterSpec, path: Path, skip_invalid: bool) -> Job:
        actor, errors_out = self.ctx.actor, _errors_path(path)
        self.errors_tree.delete(*self.errors_tree.get_children())
        self.progress.configure(mode="indeterminate")
        self.progress.start(50)
        self.progress_label.configure(text="正在导入…")
        self.ok_button.state(["disabled"])
        self.cancel_button.configure(text="取消导入")

        def work(job: Job) -> dict[str, Any]:
            estimate = count_lines(path)  # csv: lines less the header; xlsx: the reader tells
            job.progress(0, estimate, "")

            def report(p: ImportProgress) -> None:
                total = p.total or estimate
                job.progress(
                    p.read,
                    total,
                    f"已读取 {p.read:,} 行，已写入 {p.written:,} 行（{p.rate:,.0f} 行/秒）",
                )

            result = run_import(
                actor,
                spec,
                path,
                skip_invalid=skip_invalid,
                errors_out=errors_out,
                progress=report,
                cancel=lambda: job.cancelled,
            )
            data = result.as_dict()
            data["total"] = int(data.get("read") or 0)
            data["error_rows"] = [
                (e.sheet, e.row, e.column, e.value, e.reason) for e in result.errors[:ERROR_ROWS]
            ]
            return data

        self.job = self.ctx.worker.submit(
            work,
            name="import",
            on_progress=self._progress,
            on_done=self._done,
            on_error=lambda exc: self._failed(exc, errors_out),
            on_cancelled=self._cancelled,
        )
        return self.job

    def _done(self, data: dict[str, Any]) -> None:
        if not self.winfo_exists():
            return
        self._finish()
        self.progress.configure(maximum=max(data["total"], 1), value=max(data["total"], 1))
        self.summary = self.result = data
        text = f"已导入 {data['imported']:,} 行，重复 {data['duplicates']:,} 行，错误 {data['errors']:,} 处（批次 {data['batch']}）"
        if data.get("errors_file"):
            text += f"；错误明细：{data['errors_file']}"
        self.progress_label.configure(text=text)
        self._show_errors(data["error_rows"])
        self.ok_button.state(["disabled"])
        self.ctx.nav.changed("import")

    def _failed(self, exc: BaseException, errors_out: Path) -> None:
        if not self.winfo_exists():
            return
        self._finish()
        self.progress.configure(value=0)
        self.progress_label.configure(text=error_text(exc))
        if isinstance(exc, InvalidInput):
            try:
                self._show_errors(read_errors(errors_out))
            except Exception:  # a damaged errors workbook must not hide the failure itself
                logger.exception("cannot read the errors workbook %s", errors_out)
        elif not isinstance(exc, UserError):
            self.show_message(error_text(exc))

    def _cancelled(self) -> None:
        if not self.winfo_exists():
            return
        self._finish()
        self.progress.configure(value=0)
        self.progress_label.configure(text="导入已取消，未写入任何数据")

    def _show_errors(self, rows: list[tuple[Any, ...]]) -> None:
        self.error_rows = rows
        self.errors_tree.delete(*self.errors_tree.get_children())
        for row in rows:
            self.errors_tree.insert("", "end", values=["" if v is None else str(v) for v in row])

    def cancel(self) -> None:
        if self.cancel_job():
            return
        super().cancel()
        self.result = self.summary


__all__ = ["ImportDialog", "read_errors"]
