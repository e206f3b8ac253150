"""文档: issued circulars, and the export, monthly report and circular dialogs.

Each dialog runs its work in a worker thread (own database connection) with
a progress bar and a cancel button, then offers to open the file; a
circular's first page is previewed as an image when ``pdftoppm`` (Debian
``poppler-utils``) is installed.  A dialog appears in the menus only when
the module it drives is installed (:mod:`supervise.exporting`,
:mod:`supervise.report`, :mod:`supervise.circulars`) and the role may use
it — there are no buttons that lead nowhere.
"""

from __future__ import annotations

import datetime as dt
import importlib
import importlib.util
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import tkinter as tk
from collections.abc import Callable
from pathlib import Path
from tkinter import filedialog, ttk
from typing import Any

from ..auth import Actor
from ..models import DocumentNumber
from .common import Form, JobProgressDialog, error_text, show_info
from .context import ViewContext
from .worker import Job

logger = logging.getLogger(__name__)


def available(module: str) -> bool:
    """Whether the core module ``supervise.<module>`` is installed."""
    return importlib.util.find_spec(f"supervise.{module}") is not None


def open_path(path: str | Path) -> bool:
    """Open a file with the desktop's default program; False when there is none."""
    path = str(path)
    if sys.platform.startswith("win"):
        os.startfile(path)  # type: ignore[attr-defined]  # noqa: S606 (opening the user's own file)
        return True
    opener = "open" if sys.platform == "darwin" else shutil.which("xdg-open")
    if not opener:
        return False
    subprocess.Popen([opener, path], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603
    return True


#: The long side of a preview, in pixels.  pdftoppm renders the page at this size in the worker,
#: so the Tk thread only loads and shows it (it used to decode a page twice as large and shrink
#: it, part of a 25–80 ms stall of the window when the report ended).
PREVIEW_PX = 300


def pdf_first_page(pdf: Path, size: int = PREVIEW_PX) -> Path | None:
    """The first page of ``pdf`` as a PNG ``size`` pixels on its long side (via pdftoppm), or None
    when that is not possible."""
    tool = shutil.which("pdftoppm")
    if tool is None or not pdf.is_file():
        return None
    stem = Path(tempfile.mkdtemp(prefix="supervise-preview-")) / "page"
    try:
        subprocess.run(
            [
                tool,
                "-png",
                "-scale-to",
                str(size),
                "-f",
                "1",
                "-l",
                "1",
                "-singlefile",
                str(pdf),
                str(stem),
            ],
            check=True,
            capture_output=True,
            timeout=60,
        )  # noqa: S603
    except (OSError, subprocess.SubprocessError):
        logger.warning("cannot render a preview of %s", pdf, exc_info=True)
        return None
    png = stem.with_suffix(".png")
    return png if png.is_file() else None


def _month(text: str) -> str:
    text = text.strip()
    try:
        dt.datetime.strptime(text, "%Y-%m")
    except ValueError:
        raise ValueError("月份格式应为 YYYY-MM") from None
    return text


def last_month() -> str:
    first = dt.date.today().replace(day=1)
    return (first - dt.timedelta(days=1)).strftime("%Y-%m")


class JobDialog(JobProgressDialog):
    """Fields, a start button, a progress bar with cancel, then "打开文件"."""

    ok_text = "开始"
    job_name = "document"

    def __init__(self, parent: tk.Misc, ctx: ViewContext, title: str, **kw: Any) -> None:
        self.ctx = ctx
        self.job: Job | None = None
        self.output: dict[str, Any] | None = None
        self.preview_image: tk.PhotoImage | None = None
        super().__init__(parent, title, **kw)

    def create_widgets(self, body: ttk.Frame) -> None:
        self.form = Form(body)
        self.form.pack(fill="x")
        self.create_fields(self.form)
        self.progress = ttk.Progressbar(body, mode="determinate", maximum=1)
        self.progress.pack(fill="x", pady=(12, 2))
        self.progress_label = ttk.Label(body, text="", style="Muted.TLabel", wraplength=560)
        self.progress_label.pack(anchor="w")
        self.preview = ttk.Label(body)
        self.preview.pack(pady=(6, 0))

    def create_fields(self, form: Form) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def create_buttons(self) -> None:
        super().create_buttons()
        self.cancel_button.configure(text="关闭")
        self.open_button = ttk.Button(
            self.ok_button.master, text="打开文件", command=self.open_file
        )
        self.open_button.pack(side="left")
        self.open_button.state(["disabled"])

    def out_field(self, form: Form, suggestion: str, types: list[tuple[str, str]]) -> tk.StringVar:
        row = ttk.Frame(form)
        var = tk.StringVar(value=str(Path.home() / suggestion))
        ttk.Entry(row, textvariable=var, width=50).pack(side="left")

        def browse() -> None:
            path = filedialog.asksaveasfilename(
                parent=self, initialfile=Path(var.get()).name, filetypes=types
            )
            if path:
                var.set(path)

        ttk.Button(row, text="浏览…", command=browse).pack(side="left", padx=4)
        form.add("out", "保存到", row, required=True, sticky="w")
        return var

    def ok(self) -> None:
        if self.job is not None:
            return
        self.form.clear_errors()
        self.show_message("")
        try:
            values = self.validate()
        except ValueError as exc:
            self.show_message(str(exc))
            return
        if values is None:
            return
        self.start(values)

    def start(self, values: dict[str, Any]) -> Job:
        self.progress.configure(mode="indeterminate")
        self.progress.start(50)
        self.progress_label.configure(text="正在生成…")
        self.ok_button.state(["disabled"])
        self.cancel_button.configure(text="取消")
        work, actor = type(self).work, self.ctx.actor  # the thread gets no widget

        self.job = self.ctx.worker.submit(
            lambda job: work(actor, job, **values),
            name=self.job_name,
            on_progress=self._progress,
            on_done=self._done,
            on_error=self._failed,
            on_cancelled=self._cancelled,
        )
        return self.job

    #: The work itself, a static method run in the worker thread with the actor,
    #: the job and the dialog's values as keywords: it never gets a widget.
    work: Callable[..., dict[str, Any]]

    def progress_text(self, value: float) -> str:
        return f"已处理 {int(value):,} 行"

    def _done(self, output: dict[str, Any]) -> None:
        if not self.winfo_exists():
            return
        self._finish()
        self.progress.configure(maximum=1, value=1)
        self.output = self.result = output
        self.progress_label.configure(text=self.describe(output))
        if output.get("file"):
            self.open_button.state(["!disabled"])
        if output.get("preview"):
            self.show_preview(Path(output["preview"]))
        self.ctx.nav.changed("document")

    def describe(self, output: dict[str, Any]) -> str:
        return f"已生成：{output.get('file')}"

    def show_preview(self, png: Path) -> None:
        image = tk.PhotoImage(file=str(png))
        factor = max(1, image.height() // 420 + (image.height() % 420 > 0))
        self.preview_image = image.subsample(factor, factor) if factor > 1 else image
        self.preview.configure(image=self.preview_image)

    def _failed(self, exc: BaseException) -> None:
        if not self.winfo_exists():
            return
        self._finish()
        self.progress.configure(value=0)
        self.progress_label.configure(text=error_text(exc))

    def _cancelled(self) -> None:
        if not self.winfo_exists():
            return
        self._finish()
        self.progress.configure(value=0)
        self.progress_label.configure(text="已取消，未生成文件")

    def open_file(self) -> None:
        if self.output and self.output.get("file") and not open_path(self.output["file"]):
            show_info(self, f"文件已保存：{self.output['file']}")

    def cancel(self) -> None:
        if self.cancel_job():
            return
        output = self.output
        super().cancel()
        self.result = output


class ExportDialog(JobDialog):
    """导出台账: an exporter, optional month and unit, masked unless 显示身份信息 (office)."""

    job_name = "export"

    def __init__(self, parent: tk.Misc, ctx: ViewContext, **kw: Any) -> None:
        from ..registry import get_registry

        self.exporters = get_registry().exporters()
        super().__init__(parent, ctx, "导出台账", **kw)

    def create_fields(self, form: Form) -> None:
        self.kind = ttk.Combobox(
            form,
            values=[f"{e.title}（{e.name}）" for e in self.exporters],
            state="readonly",
            width=32,
        )
        form.add("kind", "台账", self.kind, required=True, sticky="w")
        self.month = ttk.Entry(form, width=10)
        form.add("month", "月份（YYYY-MM，可空）", self.month, sticky="w")
        self.unmask = tk.BooleanVar()
        if self.ctx.can("export.unmask"):
            form.add(
                "unmask",
                "身份信息",
                ttk.Checkbutton(form, text="导出完整身份信息（记入审计）", variable=self.unmask),
                sticky="w",
            )
        self.out = self.out_field(
            form, f"台账-{dt.date.today():%Y%m%d}.xlsx", [("Excel", "*.xlsx")]
        )

    def validate(self) -> Any:
        index = self.kind.current()
        if index < 0:
            self.form.error("kind", "请选择台账")
        month = self.month.get().strip()
        if month:
            try:
                _month(month)
            except ValueError as exc:
                self.form.error("month", str(exc))
        if not self.out.get().strip():
            self.form.error("out", "请选择保存位置")
        if self.form.has_errors():
            return None
        return {
            "name": self.exporters[index].name,
            "month": month or None,
            "unmask": self.unmask.get(),
            "out": self.out.get().strip(),
        }

    @staticmethod
    def work(
        actor: Actor, job: Job, name: str, month: str | None, unmask: bool, out: str
    ) -> dict[str, Any]:
        from ..exporting import LedgerFilter, run_export

        def progress(n: int, total: int | None = None) -> None:
            job.progress(n, total, f"已写入 {n:,} 行")

        result = run_export(
            actor,
            name,
            out,
            LedgerFilter(month=month),
            unmask=unmask,
            progress=progress,
            cancel=lambda: job.cancelled,
        )
        job.check()
        return result.as_dict()

    def describe(self, output: dict[str, Any]) -> str:
        rows = f"，{output['rows']:,} 行" if output.get("rows") is not None else ""
        return f"已导出 {output['title']}{rows}：{output['file']}"


class CircularDialog(JobDialog):
    """印发通报: kind, month or cases, 成文日期; a 发文字号 is taken only when the PDF is written."""

    job_name = "circular"

    def __init__(self, parent: tk.Misc, ctx: ViewContext, **kw: Any) -> None:
        from ..circulars import CircularService

        self.kinds = CircularService(ctx.actor).kinds()
        super().__init__(parent, ctx, "印发通报", **kw)

    def create_fields(self, form: Form) -> None:
        self.kind = ttk.Combobox(
            form, values=[f"{k.title}（{k.name}）" for k in self.kinds], state="readonly", width=32
        )
        form.add("kind", "通报类型", self.kind, required=True, sticky="w")
        self.month = ttk.Entry(form, width=10)
        self.month.insert(0, last_month())
        form.add("month", "月份（YYYY-MM）", self.month, sticky="w")
        self.cases = ttk.Entry(form, width=40)
        form.add("cases", "涉及记录（编号，逗号分隔）", self.cases, sticky="w")
        self.date = ttk.Entry(form, width=12)
        self.date.insert(0, dt.date.today().isoformat())
        form.add("date", "成文日期", self.date, required=True, sticky="w")
        self.out = self.out_field(form, f"通报-{dt.date.today():%Y%m%d}.pdf", [("PDF", "*.pdf")])

    def validate(self) -> Any:
        index = self.kind.current()
        if index < 0:
            self.form.error("kind", "请选择通报类型")
        month_text = self.month.get().strip()
        month = None
        if month_text:
            try:
                month = dt.datetime.strptime(_month(month_text), "%Y-%m").date()
            except ValueError as exc:
                self.form.error("month", str(exc))
        try:
            date = dt.date.fromisoformat(self.date.get().strip())
        except ValueError:
            self.form.error("date", "日期格式应为 YYYY-MM-DD")
            date = None
        if not self.out.get().strip():
            self.form.error("out", "请选择保存位置")
        if self.form.has_errors():
            return None
        cases = tuple(
            c.strip() for c in self.cases.get().replace("，", ",").split(",") if c.strip()
        )
        return {
            "kind": self.kinds[index].name,
            "month": month,
            "cases": cases,
            "date": date,
            "out": self.out.get().strip(),
        }

    @staticmethod
    def work(
        actor: Actor,
        job: Job,
        kind: str,
        month: dt.date | None,
        cases: tuple[str, ...],
        date: dt.date,
        out: str,
    ) -> dict[str, Any]:
        from ..circulars import CircularService

        result = CircularService(actor).issue(kind, out, month=month, cases=cases, date=date)
        png = pdf_first_page(Path(result["file"]))
        return {**result, "preview": str(png) if png else None}

    def describe(self, output: dict[str, Any]) -> str:
        return f"已印发 {output['number']}《{output['title']}》，{output['pages']} 页：{output['file']}"


class ReportDialog(JobDialog):
    """生成月报: month, as-of time and folder; writes 月报-YYYY-MM.xlsx and .pdf, previews the PDF."""

    job_name = "report"

    def __init__(self, parent: tk.Misc, ctx: ViewContext, **kw: Any) -> None:
        super().__init__(parent, ctx, "生成月报", **kw)

    def create_fields(self, form: Form) -> None:
        self.month = ttk.Entry(form, width=10)
        self.month.insert(0, last_month())
        form.add("month", "月份（YYYY-MM）", self.month, required=True, sticky="w")
        self.as_of = ttk.Entry(form, width=18)
        form.add("as_of", "截止时间（可空，默认现在）", self.as_of, sticky="w")
        row = ttk.Frame(form)
        self.folder = tk.StringVar(value=str(Path.home() / "月报"))
        ttk.Entry(row, textvariable=self.folder, width=50).pack(side="left")
        ttk.Button(
            row,
            text="浏览…",
            command=lambda: self.folder.set(
                filedialog.askdirectory(parent=self) or self.folder.get()
            ),
        ).pack(side="left", padx=4)
        form.add("out", "保存到文件夹", row, required=True, sticky="w")

    def validate(self) -> Any:
        try:
            month = _month(self.month.get())
        except ValueError as exc:
            self.form.error("month", str(exc))
            month = ""
        as_of = None
        if self.as_of.get().strip():
            from .dialogs import parse_when

            try:
                as_of = parse_when(self.as_of.get())
            except ValueError as exc:
                self.form.error("as_of", str(exc))
        if not self.folder.get().strip():
            self.form.error("out", "请选择文件夹")
        if self.form.has_errors():
            return None
        return {"month": month, "as_of": as_of, "out": self.folder.get().strip()}

    @staticmethod
    def work(
        actor: Actor, job: Job, month: str, as_of: dt.datetime | None, out: str
    ) -> dict[str, Any]:
        from ..report import write_monthly

        steps = {1: "已计算指标", 2: "已写入工作簿", 3: "已写入 PDF"}

        def progress(done: int, total: int | None = None) -> None:
            job.progress(done, total, steps.get(done, ""))

        files = write_monthly(actor, month, as_of, out, progress=progress)
        pdf = next((f for f in files if f.suffix == ".pdf"), None)
        png = pdf_first_page(pdf) if pdf else None
        return {
            "files": [str(f) for f in files],
            "file": str(pdf or files[0]),
            "month": month,
            "preview": str(png) if png else None,
        }

    def describe(self, output: dict[str, Any]) -> str:
        return (
            f"已生成 {output['month']} 月报："
            + "、".join(Path(f).name for f in output["files"])
            + f"（{Path(output['file']).parent}）"
        )


def document_actions(main: Any) -> list[tuple[str, Callable[[], Any]]]:
    """The document menu entries this role may use, for the modules that are installed."""
    ctx: ViewContext = main.ctx
    actions: list[tuple[str, Callable[[], Any]]] = []
    testing = ctx.testing

    def opener(cls: Callable[..., JobDialog]) -> Callable[[], Any]:
        def open_dialog() -> Any:
            main.dialog = cls(ctx.root, ctx, _utest=testing)
            return main.dialog

        return open_dialog

    if ctx.can("export") and available("exporting"):
        actions.append(("导出台账…", opener(ExportDialog)))
    if ctx.can("circular") and available("circulars"):
        actions.append(("印发通报…", opener(CircularDialog)))
    report_dialog = _report_dialog()
    if ctx.can("report") and report_dialog is not None:
        actions.append(("生成月报…", opener(report_dialog)))
    return actions


def _report_dialog() -> type[JobDialog] | None:
    """The monthly report dialog, once :mod:`supervise.report` is installed."""
    if not available("report"):
        return None
    return (
        ReportDialog
        if hasattr(importlib.import_module("supervise.report"), "write_monthly")
        else None
    )


class DocumentsView(ttk.Frame):
    """文档: the circulars issued (发文字号 register) and the document dialogs."""

    title = "文档"

    def __init__(self, parent: tk.Misc, ctx: ViewContext) -> None:
        super().__init__(parent, padding=10)
        self.ctx = ctx
        head = ttk.Frame(self)
        head.pack(fill="x")
        ttk.Label(head, text="文档", style="Title.TLabel").pack(side="left")
        ttk.Button(head, text="刷新", command=self.refresh).pack(side="right")
        self.buttons: dict[str, ttk.Button] = {}
        for label, command in document_actions(ctx.nav):
            button = ttk.Button(head, text=label.rstrip("…"), command=command)
            button.pack(side="right", padx=2)
            self.buttons[label.rstrip("…")] = button
        ttk.Label(self, text="已印发的通报", style="Muted.TLabel").pack(anchor="w", pady=(8, 0))
        columns = ("number", "kind", "title", "issued_at", "issued_by")
        self.tree = ttk.Treeview(self, columns=columns, show="headings")
        for key, text, width in (
            ("number", "发文字号", 160),
            ("kind", "类型", 110),
            ("title", "标题", 420),
            ("issued_at", "印发时间", 140),
            ("issued_by", "发文人", 90),
        ):
            self.tree.heading(key, text=text, anchor="w")
            self.tree.column(key, width=width, stretch=key == "title")
        self.tree.pack(fill="both", expand=True)
        self.refresh()

    def refresh(self) -> None:
        self.tree.delete(*self.tree.get_children())
        rows = (
            DocumentNumber.select()
            .order_by(DocumentNumber.issued_at.desc(), DocumentNumber.id.desc())
            .limit(500)
        )
        for d in rows:
            self.tree.insert(
                "",
                "end",
                values=(
                    f"{d.prefix}〔{d.year}〕{d.seq}号",
                    d.kind,
                    d.title,
                    f"{d.issued_at:%Y-%m-%d %H:%M}",
                    d.issued_by,
                ),
            )

    def reload(self) -> None:
        self.refresh()


__all__ = [
    "CircularDialog",
    "DocumentsView",
    "ExportDialog",
    "JobDialog",
    "ReportDialog",
    "document_actions",
    "open_path",
    "pdf_first_page",
]
