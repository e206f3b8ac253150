"""The other lists: ratings 好差评, reviews 监督评议 (and a supervisor's own), escalations 督办
and accountability cases 问责 — each a :class:`~supervise.gui.lists.PagedList` with its filters."""

from __future__ import annotations

import logging
import tkinter as tk
from collections.abc import Callable
from tkinter import ttk
from typing import Any

from .. import models
from . import queries
from .common import error_text
from .context import ViewContext
from .lists import ALL, ColumnSpec, PagedList, UnitFilterMixin, choice, combo
from .queries import ListFilter

logger = logging.getLogger(__name__)


RULE_RUNS = {
    "escalate": ("escalate", "运行督办规则"),
    "propose": ("accountability.propose", "生成问责建议"),
}


def start_rule_run(
    ctx: ViewContext, which: str, button: ttk.Button | None, done: Callable[[str], None]
) -> None:
    """Run one family of rules (:func:`queries.run_rules`) in a worker; ``done(summary)`` on the Tk thread.

    The button is disabled while the rules run; errors come back as their one line."""
    actor = ctx.actor
    if button is not None:
        button.state(["disabled"])

    def release() -> None:
        if button is not None and button.winfo_exists():
            button.state(["!disabled"])

    def finished(text: str) -> None:
        release()
        ctx.nav.changed("escalation")
        done(text)

    def failed(exc: BaseException) -> None:
        release()
        done(error_text(exc))

    ctx.worker.submit(
        lambda _job: queries.run_rules(actor, which), name=which, on_done=finished, on_error=failed
    )


class RuleRunMixin:
    """A list with a button that runs its rules (督办 or 问责) for roles allowed to."""

    rule_family = ""
    ctx: ViewContext
    filter_message: ttk.Label
    rule_button: ttk.Button | None = None

    def rule_action(self, bar: ttk.Frame) -> None:
        permission, label = RULE_RUNS[self.rule_family]
        if self.ctx.can(permission):
            self.rule_button = ttk.Button(bar, text=label, command=self.run_rules)
            self.rule_button.pack(side="right", padx=2)

    def run_rules(self) -> None:
        self.filter_message.configure(text="正在运行规则…")
        start_rule_run(self.ctx, self.rule_family, self.rule_button, self.rules_done)

    def rules_done(self, text: str) -> None:
        if self.filter_message.winfo_exists():
            self.filter_message.configure(text=text)


class RatingList(UnitFilterMixin, PagedList):
    title = "好差评"
    columns = (
        ColumnSpec("id", "编号", 70, anchor="e"),
        ColumnSpec("rated_at", "评价时间", 130),
        ColumnSpec("unit", "单位", 160, sortable=False),
        ColumnSpec("window", "窗口", 100),
        ColumnSpec("channel", "渠道", 70),
        ColumnSpec("level_name", "评价等级", 90, sortable=False),
        ColumnSpec("status", "处理状态", 80),
        ColumnSpec("contact_due_at", "核实期限", 130, sortable=False),
        ColumnSpec("rectify_due_at", "整改期限", 130, sortable=False),
    )
    default_sort = ("rated_at", True)
    searchable = True

    def __init__(
        self, parent: tk.Misc, ctx: ViewContext, filters: dict[str, Any] | None = None
    ) -> None:
        if ctx.actor.role == "liaison":
            self.title = "本单位好差评"
        super().__init__(parent, ctx, filters)

    def create_actions(self, bar: ttk.Frame) -> None:
        if self.ctx.can("rating.add"):
            ttk.Button(
                bar,
                text="录入评价",
                style="Accent.TButton",
                command=lambda: self.ctx.nav.open_record("new_rating", None),
            ).pack(side="right", padx=2)

    def create_filters(self, bar: ttk.Frame) -> None:
        self.status_var = combo(
            bar, "状态", [ALL, "待处理", *models.RATING_STATUSES], 8, self.refresh
        )
        self.unit_filter(bar, self.ctx, self.refresh)
        self.bad_var = tk.BooleanVar()
        ttk.Checkbutton(bar, text="仅差评", variable=self.bad_var, command=self.refresh).pack(
            side="left"
        )

    def set_filters(self, **filters: Any) -> None:
        super().set_filters(**filters)
        self.status_var.set(filters.get("status") or ALL)
        self.bad_var.set(bool(filters.get("bad_only")))
        self.set_unit(filters.get("unit"))

    def read_filter(self) -> ListFilter:
        f = super().read_filter()
        f.status, f.unit, f.extra = (
            choice(self.status_var),
            self.unit_code(),
            {"bad_only": self.bad_var.get()},
        )
        return f

    query = staticmethod(queries.rating_page)

    def row_tags(self, item: dict[str, Any]) -> tuple[str, ...]:
        return (
            ("alert",)
            if item.get("overdue") or item.get("bad") and item.get("status") != "已办结"
            else ()
        )

    def open_item(self, item: dict[str, Any]) -> None:
        self.ctx.nav.open_record("rating", item["id"])


class ReviewList(UnitFilterMixin, PagedList):
    title = "监督评议"
    columns = (
        ColumnSpec("id", "编号", 70, anchor="e"),
        ColumnSpec("review_date", "评议日期", 100),
        ColumnSpec("unit", "被评议单位", 170, sortable=False),
        ColumnSpec("method", "方式", 80),
        ColumnSpec("reviewer", "评议人", 90),
        ColumnSpec("conclusion", "结论", 60),
        ColumnSpec("findings", "问题数", 60, sortable=False, anchor="e"),
        ColumnSpec("status", "状态", 80),
        ColumnSpec("reject_reason", "未采纳理由", 200, sortable=False),
    )
    default_sort = ("review_date", True)
    offers_submit = True  # the office's own reviews (SPEC §2.2: a reviewer may be staff)

    def create_actions(self, bar: ttk.Frame) -> None:
        if self.offers_submit and self.ctx.can("review.submit"):
            ttk.Button(
                bar,
                text="提交评议",
                style="Accent.TButton",
                command=lambda: self.ctx.nav.show_view("submit"),
            ).pack(side="right", padx=2)

    def create_filters(self, bar: ttk.Frame) -> None:
        self.status_var = combo(bar, "状态", [ALL, *models.REVIEW_STATUSES], 8, self.refresh)
        self.unit_filter(bar, self.ctx, self.refresh)

    def set_filters(self, **filters: Any) -> None:
        super().set_filters(**filters)
        self.status_var.set(filters.get("status") or ALL)

    def read_filter(self) -> ListFilter:
        f = super().read_filter()
        f.status, f.unit = choice(self.status_var), self.unit_code()
        return f

    query = staticmethod(queries.review_page)

    def row_tags(self, item: dict[str, Any]) -> tuple[str, ...]:
        return ("alert",) if item.get("status") == "待审核" else ()

    def open_item(self, item: dict[str, Any]) -> None:
        self.ctx.nav.open_record("review", item["id"])


class MySubmissions(ReviewList):
    """A supervisor's own submissions and their status (scope applied by the query)."""

    title = "我的提交"
    offers_submit = False  # 提交评议 is beside it in the supervisor's navigation


class EscalationList(RuleRunMixin, PagedList):
    title = "督办"
    columns = (
        ColumnSpec("id", "编号", 60, anchor="e"),
        ColumnSpec("level", "等级", 80),
        ColumnSpec("rule", "规则", 120),
        ColumnSpec("target", "对象", 150, sortable=False),
        ColumnSpec("reason", "事由", 320, sortable=False),
        ColumnSpec("raised_at", "发起时间", 130),
        ColumnSpec("state", "状态", 70),
    )
    default_sort = ("raised_at", True)
    rule_family = "escalate"

    def create_actions(self, bar: ttk.Frame) -> None:
        self.rule_action(bar)

    def create_filters(self, bar: ttk.Frame) -> None:
        self.state_var = combo(bar, "状态", [ALL, "未解除", "已解除"], 7, self.refresh)
        self.level_var = combo(bar, "等级", [ALL, *models.ESCALATION_LEVELS], 8, self.refresh)

    def set_filters(self, **filters: Any) -> None:
        super().set_filters(**filters)
        self.state_var.set(
            {"open": "未解除", "resolved": "已解除"}.get(filters.get("state") or "", ALL)
        )
        self.level_var.set(filters.get("level") or ALL)

    def read_filter(self) -> ListFilter:
        f = super().read_filter()
        f.status = {"未解除": "open", "已解除": "resolved"}.get(self.state_var.get())
        f.extra = {"level": choice(self.level_var)}
        return f

    query = staticmethod(queries.escalation_page)

    def row_tags(self, item: dict[str, Any]) -> tuple[str, ...]:
        return (
            ("alert",)
            if item.get("level") in ("督办", "挂牌督办") and item.get("state") == "未解除"
            else ()
        )

    def open_item(self, item: dict[str, Any]) -> None:
        self.ctx.nav.open_record("escalation", item["id"])


class AccountabilityList(RuleRunMixin, UnitFilterMixin, PagedList):
    title = "问责"
    columns = (
        ColumnSpec("id", "编号", 60, anchor="e"),
        ColumnSpec("proposed_at", "提出时间", 130),
        ColumnSpec("rule", "规则", 120),
        ColumnSpec("unit", "单位", 160, sortable=False),
        ColumnSpec("staff", "人员", 80, sortable=False),
        ColumnSpec("failure_kind", "类型", 70),
        ColumnSpec("reason", "事由", 260, sortable=False),
        ColumnSpec("status", "状态", 70),
        ColumnSpec("form", "问责方式", 90, sortable=False),
    )
    default_sort = ("proposed_at", True)
    rule_family = "propose"

    def create_actions(self, bar: ttk.Frame) -> None:
        self.rule_action(bar)

    def create_filters(self, bar: ttk.Frame) -> None:
        self.status_var = combo(bar, "状态", [ALL, *models.CASE_STATUSES], 8, self.refresh)
        self.kind_var = combo(bar, "类型", [ALL, *models.FAILURE_KINDS], 7, self.refresh)
        self.unit_filter(bar, self.ctx, self.refresh)

    def set_filters(self, **filters: Any) -> None:
        super().set_filters(**filters)
        self.status_var.set(filters.get("status") or ALL)
        self.kind_var.set(filters.get("failure_kind") or ALL)
        self.set_unit(filters.get("unit"))

    def read_filter(self) -> ListFilter:
        f = super().read_filter()
        f.status, f.unit, f.extra = (
            choice(self.status_var),
            self.unit_code(),
            {"failure_kind": choice(self.kind_var)},
        )
        return f

    query = staticmethod(queries.accountability_page)

    def row_tags(self, item: dict[str, Any]) -> tuple[str, ...]:
        return ("alert",) if item.get("status") == "待决定" else ()

    def open_item(self, item: dict[str, Any]) -> None:
        self.ctx.nav.open_record("accountability", item["id"])


__all__ = [
    "AccountabilityList",
    "EscalationList",
    "MySubmissions",
    "RatingList",
    "ReviewList",
    "RuleRunMixin",
    "start_rule_run",
]
