"""A supervisor's home: "提交评议" (a finding with attachments) and "我的提交".

The form submits through :meth:`ReviewService.submit` and then stores each
chosen file with :meth:`ReviewService.attach` (sha256 kept, at most 20 MB).
Files are checked before anything is submitted, so a missing or oversized
file is reported beside the field and nothing is half-submitted.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import tkinter as tk
from tkinter import filedialog, ttk
from typing import Any

from ..errors import UserError
from ..models import FINDING_CATEGORIES, REVIEW_CONCLUSIONS, REVIEW_METHODS, SEVERITIES, Finding
from ..services.reviews import MAX_ATTACHMENT, SCORE_NAMES, ReviewService
from .common import Form, show_info, text_value
from .context import ViewContext
from .dialogs import unit_code, unit_values

logger = logging.getLogger(__name__)


class SubmitFindingView(ttk.Frame):
    """提交评议: the reviewed unit, method, scores, and one or more findings with files."""

    title = "提交评议"

    def __init__(self, parent: tk.Misc, ctx: ViewContext) -> None:
        super().__init__(parent, padding=12)
        self.ctx = ctx
        self.findings: list[dict[str, Any]] = []
        self.files: list[str] = []
        self.last_review: int | None = None
        ttk.Label(self, text="提交监督评议", style="Title.TLabel").pack(anchor="w")
        ttk.Label(
            self,
            text="带 * 的为必填项；提交后由效能监督干部审核，结果见“我的提交”。",
            style="Muted.TLabel",
        ).pack(anchor="w", pady=(2, 8))
        self.form = form = Form(self)
        form.pack(fill="x")
        self.unit = ttk.Combobox(form, values=unit_values(), width=32)
        form.add("unit", "被评议单位", self.unit, required=True, sticky="w")
        self.window = ttk.Entry(form, width=24)
        form.add("window", "窗口", self.window, sticky="w")
        self.staff = ttk.Entry(form, width=16)
        form.add("staff", "工作人员工号", self.staff, sticky="w")
        self.method = ttk.Combobox(form, values=REVIEW_METHODS, state="readonly", width=12)
        self.method.set(REVIEW_METHODS[0])
        form.add("method", "评议方式", self.method, required=True, sticky="w")
        self.date = ttk.Entry(form, width=12)
        self.date.insert(0, dt.date.today().isoformat())
        form.add("date", "评议日期", self.date, required=True, sticky="w")
        scores = ttk.Frame(form)
        self.scores: list[ttk.Spinbox] = []
        for name in SCORE_NAMES:
            ttk.Label(scores, text=name).pack(side="left")
            box = ttk.Spinbox(scores, from_=0, to=100, width=5)
            box.pack(side="left", padx=(2, 10))
            self.scores.append(box)
        form.add("scores", "评分（0–100，可不填）", scores, sticky="w")
        self.conclusion = ttk.Combobox(
            form, values=("", *REVIEW_CONCLUSIONS), state="readonly", width=8
        )
        form.add("conclusion", "结论", self.conclusion, sticky="w")
        self.description = tk.Text(
            form, height=4, width=60, wrap="word", font="TkTextFont", relief="solid", borderwidth=1
        )
        form.add("description", "问题描述", self.description, required=True)
        kinds = ttk.Frame(form)
        self.category = ttk.Combobox(kinds, values=FINDING_CATEGORIES, state="readonly", width=8)
        self.category.set(FINDING_CATEGORIES[0])
        self.category.pack(side="left")
        ttk.Label(kinds, text="严重程度").pack(side="left", padx=(10, 2))
        self.severity = ttk.Combobox(kinds, values=SEVERITIES, state="readonly", width=8)
        self.severity.set(SEVERITIES[0])
        self.severity.pack(side="left")
        form.add("category", "问题类别", kinds, sticky="w")
        files = ttk.Frame(form)
        self.files_label = ttk.Label(files, text="未选择附件", style="Muted.TLabel")
        ttk.Button(files, text="添加附件…", command=self.choose_files).pack(side="left")
        self.files_label.pack(side="left", padx=8)
        form.add("files", "附件（≤ 20 MB）", files, sticky="w")
        buttons = ttk.Frame(self)
        buttons.pack(fill="x", pady=(6, 0))
        self.add_button = ttk.Button(buttons, text="再添加一条问题", command=self.add_finding)
        self.add_button.pack(side="left")
        self.submit_button = ttk.Button(
            buttons, text="提交", style="Accent.TButton", command=self.submit
        )
        self.submit_button.pack(side="right")
        self.message = ttk.Label(self, text="", style="Error.TLabel")
        self.message.pack(anchor="w", pady=(4, 0))
        ttk.Label(self, text="已添加的问题", style="Muted.TLabel").pack(anchor="w", pady=(8, 0))
        self.list = ttk.Treeview(
            self,
            columns=("description", "category", "severity", "files"),
            show="headings",
            height=5,
        )
        for key, title, width in (
            ("description", "问题描述", 420),
            ("category", "类别", 70),
            ("severity", "严重程度", 70),
            ("files", "附件", 200),
        ):
            self.list.heading(key, text=title, anchor="w")
            self.list.column(key, width=width, stretch=key == "description")
        self.list.pack(fill="both", expand=True)

    # -- findings ----------------------------------------------------------------------

    def choose_files(self) -> None:
        paths = filedialog.askopenfilenames(parent=self, title="选择附件")
        if paths:
            self.set_files(list(paths))

    def set_files(self, paths: list[str]) -> None:
        self.files = paths
        names = "、".join(os.path.basename(p) for p in paths)
        self.files_label.configure(text=names or "未选择附件")

    def _check_files(self, paths: list[str]) -> str | None:
        for path in paths:
            name = os.path.basename(path)
            if not os.path.isfile(path):
                return f"附件不存在：{name}"
            size = os.path.getsize(path)
            if size == 0:
                return f"附件为空：{name}"
            if size > MAX_ATTACHMENT:
                return f"附件超过 20 MB：{name}"
        return None

    def add_finding(self) -> bool:
        """Move the finding being typed into the list; False (with a message) when incomplete."""
        self.form.error("description", "")
        self.form.error("files", "")
        description = text_value(self.description)
        if not description:
            self.form.error("description", "问题描述不能为空")
            return False
        problem = self._check_files(self.files)
        if problem:
            self.form.error("files", problem)
            return False
        finding = {
            "description": description,
            "category": self.category.get(),
            "severity": self.severity.get(),
            "files": list(self.files),
        }
        self.findings.append(finding)
        self.list.insert(
            "",
            "end",
            values=(
                description,
                finding["category"],
                finding["severity"],
                "、".join(os.path.basename(p) for p in self.files),
            ),
        )
        self.description.delete("1.0", "end")
        self.set_files([])
        return True

    # -- submitting ----------------------------------------------------------------------

    def _read(self) -> dict[str, Any] | None:
        form = self.form
        form.clear_errors()
        self.message.configure(text="")
        code = unit_code(self.unit.get())
        if not code:
            form.error("unit", "请选择被评议单位")
        try:
            day = dt.date.fromisoformat(self.date.get().strip())
            if day > dt.date.today():
                form.error("date", "评议日期不能晚于今天")
        except ValueError:
            form.error("date", "日期格式应为 YYYY-MM-DD")
            day = None
        scores: list[int | None] = []
        for box in self.scores:
            text = box.get().strip()
            if not text:
                scores.append(None)
                continue
            if not text.isdigit() or not 0 <= int(text) <= 100:
                form.error("scores", "评分应为 0–100 的整数")
                break
            scores.append(int(text))
        if text_value(self.description) and not self.add_finding():
            return None
        if (
            not self.findings
            and not any(s is not None for s in scores)
            and not self.conclusion.get()
        ):
            form.error("description", "请至少填写一条问题，或评分、结论")
        if form.has_errors():
            return None
        return {
            "unit": code,
            "method": self.method.get(),
            "window": self.window.get().strip(),
            "staff": self.staff.get().strip() or None,
            "review_date": day,
            "scores": scores if any(s is not None for s in scores) else None,
            "conclusion": self.conclusion.get() or None,
        }

    def submit(self) -> int | None:
        values = self._read()
        if values is None:
            return None
        service = ReviewService(self.ctx.actor)
        try:
            review = service.submit(
                findings=[(f["description"], f["category"], f["severity"]) for f in self.findings],
                **values,
            )
        except UserError as exc:
            self.message.configure(text=exc.line())
            return None
        ids = [f.id for f in review.findings.order_by(Finding.id)]
        failed = []
        for finding_id, finding in zip(ids, self.findings, strict=True):
            for path in finding["files"]:
                try:
                    service.attach(finding_id, path)
                except UserError as exc:
                    failed.append(exc.zh)
        self.last_review = review.id
        self._reset()
        text = f"已提交监督评议 #{review.id}，等待审核"
        if failed:
            text += "；以下附件未能保存：" + "；".join(failed)
        show_info(self, text)
        self.message.configure(text=text, style="Muted.TLabel" if not failed else "Error.TLabel")
        self.ctx.nav.changed("review")
        return review.id

    def _reset(self) -> None:
        self.findings = []
        self.list.delete(*self.list.get_children())
        self.description.delete("1.0", "end")
        self.set_files([])
        for box in self.scores:
            box.set("")
        self.conclusion.set("")


__all__ = ["SubmitFindingView"]
