"""设置: time limits, weights, calendar overrides, fonts, circular header, drop-in folder,
identities (retention and keys: :mod:`supervise.gui.identity_page`).

Values are stored with :meth:`ReferenceService.set_setting` (audited, admin
only) and calendar overrides with :meth:`ReferenceService.set_calendar`.
The interface font belongs to this desktop, not to the office, so it is kept
in the local GUI file (:mod:`supervise.gui.state`) and applied at once.
Plugin settings (keys namespaced ``plugin.key``) are edited as JSON values.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import tkinter as tk
from collections.abc import Callable
from functools import partial
from tkinter import filedialog, ttk
from typing import Any

from .. import settings
from ..errors import UserError
from ..models import CARDS, CalendarOverride
from ..services.reference import ReferenceService
from . import state
from .common import Form
from .context import ViewContext
from .fonts import apply_fonts, cjk_families
from .identity_page import IdentityTab

logger = logging.getLogger(__name__)

LIMIT_KEYS = (
    ("complaint.max_extensions", "延期次数上限"),
    ("rating.contact_days", "差评核实联系（工作日）"),
    ("rating.rectify_simple_days", "简单整改（工作日）"),
    ("rating.rectify_complex_days", "复杂整改（工作日）"),
)
HEADER_KEYS = (
    ("circular.organ", "发文机关"),
    ("circular.prefix", "发文代字"),
    ("circular.printer", "印发机关"),
)
FONT_ROLES = ("仿宋", "小标宋", "黑体", "楷体")
CORE_PAGES = {
    "complaint.card_days",
    "complaint.max_extensions",
    "rating.contact_days",
    "rating.rectify_simple_days",
    "rating.rectify_complex_days",
    "report.weights",
    "report.survey_weight",
    "circular.organ",
    "circular.prefix",
    "circular.cc",
    "circular.printer",
    "fonts.paths",
    "plugins.dir",
    "identity.retention_days",
}


def _int(text: str, lo: int, hi: int) -> int:
    value = int(text.strip())
    if not lo <= value <= hi:
        raise ValueError
    return value


class SettingsView(ttk.Frame):
    title = "设置"

    def __init__(self, parent: tk.Misc, ctx: ViewContext) -> None:
        super().__init__(parent, padding=10)
        self.ctx = ctx
        self.service = ReferenceService(ctx.actor)
        head = ttk.Frame(self)
        head.pack(fill="x")
        ttk.Label(head, text="设置", style="Title.TLabel").pack(side="left")
        self.message = ttk.Label(head, text="", style="Muted.TLabel")
        self.message.pack(side="left", padx=12)
        self.notebook = ttk.Notebook(self)
        self.notebook.pack(fill="both", expand=True, pady=(8, 0))
        self.forms: dict[str, Form] = {}
        self.vars: dict[str, tk.StringVar] = {}
        self._limits()
        self._weights()
        self._calendar()
        self._fonts()
        self._header()
        self.identity = IdentityTab(self.notebook, ctx, self._store)
        self.notebook.add(self.identity, text="身份信息")
        self._others()

    # -- helpers -------------------------------------------------------------------------

    def _page(self, name: str, title: str, save: Callable[[], Any]) -> Form:
        page = ttk.Frame(self.notebook, padding=12)
        self.notebook.add(page, text=title)
        form = Form(page)
        form.pack(fill="x", anchor="n")
        self.forms[name] = form
        ttk.Button(page, text="保存", style="Accent.TButton", command=save).pack(
            anchor="e", pady=(10, 0)
        )
        return form

    def _entry(self, form: Form, key: str, label: str, value: Any, width: int = 12) -> tk.StringVar:
        var = tk.StringVar(value="" if value is None else str(value))
        form.add(key, label, ttk.Entry(form, textvariable=var, width=width), sticky="w")
        self.vars[key] = var
        return var

    def _store(self, values: dict[str, Any]) -> bool:
        """Save the values that changed; True when all were stored."""
        try:
            changed = [k for k, v in values.items() if settings.get(k) != v]
            for key in changed:
                self.service.set_setting(key, values[key])
        except UserError as exc:
            self.message.configure(text=exc.line(), style="Error.TLabel")
            return False
        self.message.configure(
            text=f"已保存 {len(changed)} 项设置" if changed else "没有改动", style="Muted.TLabel"
        )
        return True

    # -- time limits -----------------------------------------------------------------------

    def _limits(self) -> None:
        form = self._page("limits", "办理时限", self.save_limits)
        days = settings.get("complaint.card_days")
        for card in CARDS:
            self._entry(form, f"card.{card}", f"{card}色交办单（工作日）", days.get(card), 6)
        for key, label in LIMIT_KEYS:
            self._entry(form, key, label, settings.get(key), 6)

    def save_limits(self) -> bool:
        form = self.forms["limits"]
        form.clear_errors()
        values: dict[str, Any] = {"complaint.card_days": {}}
        for card in CARDS:
            try:
                values["complaint.card_days"][card] = _int(self.vars[f"card.{card}"].get(), 0, 60)
            except ValueError:
                form.error(f"card.{card}", "应为 0–60 的整数")
        for key, _label in LIMIT_KEYS:
            try:
                values[key] = _int(
                    self.vars[key].get(), 0 if key == "complaint.max_extensions" else 1, 60
                )
            except ValueError:
                form.error(
                    key,
                    "应为 0–60 的整数" if key == "complaint.max_extensions" else "应为 1–60 的整数",
                )
        return False if form.has_errors() else self._store(values)

    # -- weights ---------------------------------------------------------------------------

    def _weights(self) -> None:
        form = self._page("weights", "综合得分权重", self.save_weights)
        weights = settings.get("report.weights")
        for name, value in weights.items():
            self._entry(form, f"weight.{name}", name, value, 8)
        self._entry(
            form, "report.survey_weight", "第三方满意度", settings.get("report.survey_weight"), 8
        )
        form.add(
            "hint",
            "",
            ttk.Label(
                form,
                text="权重为 0–1 的小数；无数据的指标不计，其余按比例重新分配。",
                style="Muted.TLabel",
            ),
            sticky="w",
        )

    def save_weights(self) -> bool:
        form = self.forms["weights"]
        form.clear_errors()
        weights: dict[str, float] = {}
        for name in settings.get("report.weights"):
            try:
                weights[name] = float(self.vars[f"weight.{name}"].get())
                if not 0 <= weights[name] <= 1:
                    raise ValueError
            except ValueError:
                form.error(f"weight.{name}", "应为 0–1 之间的数")
        try:
            survey = float(self.vars["report.survey_weight"].get())
            if not 0 <= survey <= 1:
                raise ValueError
        except ValueError:
            form.error("report.survey_weight", "应为 0–1 之间的数")
            survey = 0.0
        if not form.has_errors() and sum(weights.values()) + survey <= 0:
            form.error("report.survey_weight", "权重之和应大于 0")
        if form.has_errors():
            return False
        return self._store({"report.weights": weights, "report.survey_weight": survey})

    # -- calendar --------------------------------------------------------------------------

    def _calendar(self) -> None:
        form = self._page("calendar", "工作日历", self.save_calendar)
        self.day_var = self._entry(form, "day", "日期（YYYY-MM-DD）", "", 12)
        self.kind_var = tk.StringVar(value="holiday")
        kinds = ttk.Frame(form)
        ttk.Radiobutton(kinds, text="放假", value="holiday", variable=self.kind_var).pack(
            side="left"
        )
        ttk.Radiobutton(kinds, text="上班（调休）", value="workday", variable=self.kind_var).pack(
            side="left", padx=8
        )
        form.add("kind", "类型", kinds, sticky="w")
        self.note_var = self._entry(form, "note", "说明", "", 30)
        page = form.master
        self.overrides = ttk.Treeview(
            page, columns=("day", "kind", "note"), show="headings", height=8
        )
        for key, title, width in (
            ("day", "日期", 110),
            ("kind", "类型", 90),
            ("note", "说明", 300),
        ):
            self.overrides.heading(key, text=title, anchor="w")
            self.overrides.column(key, width=width)
        self.overrides.pack(fill="both", expand=True, pady=(8, 0))
        self._load_overrides()

    def _load_overrides(self) -> None:
        self.overrides.delete(*self.overrides.get_children())
        for o in CalendarOverride.select().order_by(CalendarOverride.day.desc()).limit(200):
            self.overrides.insert(
                "", "end", values=(str(o.day), "放假" if o.kind == "holiday" else "上班", o.note)
            )

    def save_calendar(self) -> bool:
        form = self.forms["calendar"]
        form.clear_errors()
        try:
            day = dt.date.fromisoformat(self.day_var.get().strip())
        except ValueError:
            form.error("day", "日期格式应为 YYYY-MM-DD")
            return False
        try:
            self.service.set_calendar(day, self.kind_var.get(), self.note_var.get().strip())
        except UserError as exc:
            form.error("day", exc.zh)
            return False
        self._load_overrides()
        self.message.configure(
            text=f"已设置 {day} 为{'放假' if self.kind_var.get() == 'holiday' else '上班'}",
            style="Muted.TLabel",
        )
        return True

    # -- fonts -----------------------------------------------------------------------------

    def _fonts(self) -> None:
        form = self._page("fonts", "字体", self.save_fonts)
        local = state.load()
        self.ui_family = ttk.Combobox(form, values=cjk_families(self), width=28)
        self.ui_family.set(local.get("font_family") or "")
        form.add("ui_family", "界面字体（本机）", self.ui_family, sticky="w")
        self._entry(form, "ui_size", "界面字号（本机）", local.get("font_size") or "", 6)
        paths = settings.get("fonts.paths") or {}
        for role in FONT_ROLES:
            row = ttk.Frame(form)
            var = tk.StringVar(value=paths.get(role, ""))
            ttk.Entry(row, textvariable=var, width=48).pack(side="left")
            ttk.Button(row, text="浏览…", command=partial(self._browse_font, var)).pack(
                side="left", padx=4
            )
            self.vars[f"font.{role}"] = var
            form.add(f"font.{role}", f"通报{role}字体文件", row, sticky="w")

    def _browse_font(self, var: tk.StringVar) -> None:
        path = filedialog.askopenfilename(
            parent=self,
            title="选择字体文件",
            filetypes=[("TrueType", "*.ttf *.ttc *.otf"), ("所有文件", "*")],
        )
        if path:
            var.set(path)

    def save_fonts(self) -> bool:
        form = self.forms["fonts"]
        form.clear_errors()
        size_text = self.vars["ui_size"].get().strip()
        size = None
        if size_text:
            try:
                size = _int(size_text, 7, 24)
            except ValueError:
                form.error("ui_size", "字号应为 7–24 的整数")
        paths = {}
        for role in FONT_ROLES:
            path = self.vars[f"font.{role}"].get().strip()
            if path and not os.path.isfile(path):
                form.error(f"font.{role}", "文件不存在")
            elif path:
                paths[role] = path
        if form.has_errors():
            return False
        family = self.ui_family.get().strip() or None
        state.update(font_family=family, font_size=size)
        apply_fonts(self.winfo_toplevel(), family, size)
        if not self.ctx.can("settings.change"):
            return True
        return self._store({"fonts.paths": paths})

    # -- circular header and drop-in folder ---------------------------------------------------

    def _header(self) -> None:
        form = self._page("header", "通报版头", self.save_header)
        for key, label in HEADER_KEYS:
            self._entry(form, key, label, settings.get(key), 36)
        self._entry(
            form,
            "circular.cc",
            "抄送（以顿号或逗号分隔）",
            "、".join(settings.get("circular.cc") or []),
            48,
        )
        row = ttk.Frame(form)
        var = tk.StringVar(value=settings.get("plugins.dir") or "")
        ttk.Entry(row, textvariable=var, width=48).pack(side="left")
        ttk.Button(
            row,
            text="浏览…",
            command=lambda: var.set(filedialog.askdirectory(parent=self) or var.get()),
        ).pack(side="left", padx=4)
        self.vars["plugins.dir"] = var
        form.add("plugins.dir", "插件目录（重新登录生效）", row, sticky="w")

    def save_header(self) -> bool:
        form = self.forms["header"]
        form.clear_errors()
        values: dict[str, Any] = {}
        for key, label in HEADER_KEYS:
            values[key] = self.vars[key].get().strip()
            if not values[key]:
                form.error(key, f"{label}不能为空")
        cc = self.vars["circular.cc"].get().replace("，", "、").replace(",", "、")
        values["circular.cc"] = [part.strip() for part in cc.split("、") if part.strip()]
        folder = self.vars["plugins.dir"].get().strip()
        if folder and not os.path.isdir(folder):
            form.error("plugins.dir", "目录不存在")
        values["plugins.dir"] = folder
        return False if form.has_errors() else self._store(values)

    # -- plugin settings -------------------------------------------------------------------------

    def _others(self) -> None:
        keys = sorted(k for k in settings.defaults() if k not in CORE_PAGES)
        if not keys:
            return
        form = self._page("others", "插件设置", self.save_others)
        self.other_keys = keys
        for key in keys:
            self._entry(form, key, key, json.dumps(settings.get(key), ensure_ascii=False), 36)

    def save_others(self) -> bool:
        form = self.forms["others"]
        form.clear_errors()
        values = {}
        for key in self.other_keys:
            try:
                values[key] = json.loads(self.vars[key].get())
            except json.JSONDecodeError:
                form.error(key, '应为 JSON 值（数字、"文字"、[列表] 或 {字典}）')
        return False if form.has_errors() else self._store(values)


__all__ = ["SettingsView"]
