"""工作台: the dashboard — counts, key rates and small charts; every number opens its list.

The figures are read in worker threads and drawn as they arrive: first, in
two jobs side by side, the counts (:func:`dashboard_data`: 未办结, 今日到期,
已超期; :func:`bad_data`: 差评待处理, over the services' scopes), then, once
the complaint counts are drawn, in parallel, the charts (:func:`chart_data`),
escalations by level and proposals awaiting decision
(:func:`supervise.rules.dashboard_counts`, stored escalations only) and this
month's key rates (:func:`supervise.report.key_rates`).  While the rules or
report module is not installed, its cards show "—" with the tooltip
"规则/报表模块未安装".
"""

from __future__ import annotations

import datetime as dt
import importlib
import importlib.util
import inspect
import logging
import tkinter as tk
from collections.abc import Callable
from tkinter import ttk
from typing import Any

from ..auth import Actor
from ..models import ESCALATION_LEVELS, now
from ..permissions import allowed
from . import queries
from .charts import Bar, BarChart
from .common import Tooltip, error_text
from .context import ViewContext

logger = logging.getLogger(__name__)

MISSING = "—"
MISSING_TIP = "规则/报表模块未安装"
RATE_NAMES = ("按期办结率", "满意率", "解决率", "好评率")
LEVEL_COLORS = {
    "预警": "#f1c40f",
    "催办": "#e67e22",
    "督办": "#e74c3c",
    "挂牌督办": "#8e1b10",
    "约谈提醒": "#6c3483",
}


# -- figures (worker thread) ---------------------------------------------------------


def _optional(module: str, name: str) -> Callable[..., Any] | None:
    """A function of an optional core module (or of its submodules); None while it is not there."""
    for candidate in (
        f"supervise.{module}",
        *(f"supervise.{module}.{sub}" for sub in SUBMODULES.get(module, ())),
    ):
        try:
            found = importlib.util.find_spec(candidate)
        except ModuleNotFoundError:
            found = None
        if found is None:
            continue
        fn = getattr(importlib.import_module(candidate), name, None)
        if fn is not None:
            return fn
    return None


SUBMODULES = {"rules": ("escalation",), "report": ()}


def _call(fn: Callable[..., Any], **available: Any) -> Any:
    """Call with the keyword arguments the function accepts."""
    params = inspect.signature(fn).parameters
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return fn(**available)
    return fn(**{k: v for k, v in available.items() if k in params})


def rule_counts(actor: Actor, at: dt.datetime) -> dict[str, Any] | None:
    """``{"escalations": {level: n}, "proposals": n}`` from :func:`supervise.rules.dashboard_counts`, or None."""
    fn = _optional("rules", "dashboard_counts")
    if fn is None or not allowed(actor.role, "accountability.read"):
        return None
    data = (
        _call(fn, as_of=at, rules=[]) or {}
    )  # stored escalations only: no rule is re-run for a glance
    levels = data.get("escalations") or {}
    return {
        "escalations": {level: int(levels.get(level, 0)) for level in ESCALATION_LEVELS},
        "proposals": int(data.get("awaiting_decision") or 0),
    }


def key_rates(actor: Actor, at: dt.datetime) -> dict[str, float | None] | None:
    """This month's 按期办结率, 满意率, 解决率, 好评率 (fractions 0–1) from the monthly report, or None."""
    fn = _optional("report", "key_rates")
    if fn is None or not allowed(actor.role, "report"):
        return None
    rates = _call(fn, actor=actor, month=at.strftime("%Y-%m"), as_of=at) or {}
    return {name: rates.get(name) for name in RATE_NAMES}


def dashboard_data(actor: Actor, at: dt.datetime | None = None) -> dict[str, Any]:
    """The complaint counts of the first row, for this user's scope (the fast part, drawn first)."""
    at = at or now()
    return {"at": at, "counts": queries.complaint_counts(actor, at)}


def bad_data(actor: Actor) -> int | None:
    """差评待处理, the first row's last card: counted beside the complaint counts, in its own job
    (without an index on the rating status it scans every rating)."""
    return queries.bad_ratings_to_handle(actor)


def chart_data(actor: Actor, at: dt.datetime | None = None) -> dict[str, Any]:
    """The two complaint charts: received per day, units with the most open cases."""
    at = at or now()
    return {
        "per_day": queries.received_per_day(actor, 30, at),
        "by_unit": queries.open_by_unit(actor, 8),
    }


# -- widgets ---------------------------------------------------------------------------


class Card(ttk.Frame):
    """A titled number that opens its list when clicked."""

    def __init__(
        self,
        parent: tk.Misc,
        title: str,
        on_click: Callable[[], object] | None = None,
        alert: bool = False,
    ) -> None:
        super().__init__(parent, style="Card.TFrame", padding=(12, 8))
        self.title = title
        ttk.Label(self, text=title, style="Card.TLabel").pack(anchor="w")
        self.number = ttk.Label(
            self, text=MISSING, style="CardAlert.TLabel" if alert else "CardNumber.TLabel"
        )
        self.number.pack(anchor="w")
        self.tooltip = Tooltip(self.number, "")
        self.on_click = on_click
        if on_click is not None:
            for widget in (self, self.number):
                widget.bind("<Button-1>", lambda _e: self.click())
            self.number.configure(cursor="hand2")

    @property
    def text(self) -> str:
        return str(self.number.cget("text"))

    def set(self, value: int | float | str | None, tip: str = "") -> None:
        if value is None:
            text = MISSING
        elif isinstance(value, float):
            text = f"{value:.1%}"
        elif isinstance(value, int):
            text = f"{value:,}"
        else:
            text = value
        self.number.configure(text=text)
        self.tooltip.text = tip

    def click(self) -> None:
        if self.on_click is not None and self.text != MISSING:
            self.on_click()


class DashboardView(ttk.Frame):
    """工作台."""

    title = "工作台"

    def __init__(self, parent: tk.Misc, ctx: ViewContext) -> None:
        super().__init__(parent, padding=10)
        self.ctx = ctx
        self.loading = False
        self.pending: set[str] = set()
        self.data: dict[str, Any] | None = None
        self.bad: int | None = None
        self.charts: dict[str, Any] | None = None
        self.rules: dict[str, Any] | None = None
        self.rates: dict[str, float | None] | None = None
        self.cards: dict[str, Card] = {}
        head = ttk.Frame(self)
        head.pack(fill="x")
        ttk.Label(head, text="工作台", style="Title.TLabel").pack(side="left")
        ttk.Button(head, text="刷新", command=self.refresh).pack(side="right")
        self.stamp = ttk.Label(head, text="", style="Muted.TLabel")
        self.stamp.pack(side="right", padx=8)
        self.message = ttk.Label(self, text="", style="Error.TLabel")
        self.message.pack(fill="x")
        self._build()
        self.refresh()

    def _row(self, title: str) -> ttk.Frame:
        ttk.Label(self, text=title, style="Muted.TLabel").pack(anchor="w", pady=(8, 2))
        row = ttk.Frame(self)
        row.pack(fill="x")
        return row

    def _card(
        self,
        row: ttk.Frame,
        key: str,
        title: str,
        view: str | None = None,
        alert: bool = False,
        **filters: Any,
    ) -> Card:
        action = (lambda: self.ctx.nav.show_view(view, **filters)) if view else None
        card = Card(row, title, action, alert)
        card.pack(side="left", fill="x", expand=True, padx=(0, 8))
        self.cards[key] = card
        return card

    def _build(self) -> None:
        row = self._row("诉求工单")
        self._card(row, "未办结", "未办结", "complaints", status=queries.OPEN)
        self._card(row, "今日到期", "今日到期", "complaints", due_today=True)
        self._card(row, "已超期", "已超期", "complaints", alert=True, overdue=True)
        self._card(row, "差评待处理", "差评待处理", "ratings", alert=True, status="待处理")
        row = self._row("督办与问责")
        for level in ESCALATION_LEVELS:
            self._card(
                row,
                level,
                f"{level}（未解除）",
                "escalations",
                alert=level in ("督办", "挂牌督办"),
                state="open",
                level=level,
            )
        self._card(row, "待决定问责", "待决定问责", "accountability", status="待决定")
        row = self._row("本月关键指标")
        for name in RATE_NAMES:
            self._card(row, name, name)
        charts = ttk.Frame(self)
        charts.pack(fill="both", expand=True, pady=(10, 0))
        self.per_day = BarChart(
            charts,
            "近30天受理量",
            label_every=7,
            on_click=lambda day: self.ctx.nav.show_view("complaints", date=day),
        )
        self.per_day.pack(side="left", fill="both", expand=True, padx=(0, 8))
        self.by_unit = BarChart(
            charts,
            "未办结工单最多的单位",
            horizontal=True,
            on_click=lambda code: self.ctx.nav.show_view(
                "complaints", status=queries.OPEN, unit=code
            ),
        )
        self.by_unit.pack(side="left", fill="both", expand=True, padx=(0, 8))
        self.levels = BarChart(
            charts,
            "未解除督办（按等级）",
            on_click=lambda level: self.ctx.nav.show_view("escalations", state="open", level=level),
        )
        self.levels.pack(side="left", fill="both", expand=True)

    # -- loading ---------------------------------------------------------------------------

    def refresh(self) -> None:
        """Read the figures again: the counts first (drawn at once), then charts, rules and rates."""
        if self.loading:
            return
        self.loading = True
        self.pending = {"counts", "bad", "charts", "rules", "rates"}
        self.stamp.configure(text="正在统计…")
        actor, at = self.ctx.actor, now()
        self.ctx.worker.submit(
            lambda _job: dashboard_data(actor, at),
            name="dashboard",
            on_done=lambda data: self._show_counts(data, actor, at),
            on_error=lambda exc: self._failed("counts", exc, actor, at),
        )
        self.ctx.worker.submit(
            lambda _job: bad_data(actor),
            name="dashboard-bad",
            on_done=self._show_bad,
            on_error=lambda exc: self._failed("bad", exc),
        )

    def _rest(self, actor: Actor, at: dt.datetime) -> None:
        """The slower figures, started once the counts are on screen."""
        submit = self.ctx.worker.submit
        submit(
            lambda _job: chart_data(actor, at),
            name="dashboard-charts",
            on_done=self._show_charts,
            on_error=lambda exc: self._failed("charts", exc),
        )
        submit(
            lambda _job: rule_counts(actor, at),
            name="dashboard-rules",
            on_done=self._show_rules,
            on_error=lambda exc: self._failed("rules", exc),
        )
        submit(
            lambda _job: key_rates(actor, at),
            name="dashboard-rates",
            on_done=self._show_rates,
            on_error=lambda exc: self._failed("rates", exc),
        )

    def _part_done(self, part: str) -> None:
        self.pending.discard(part)
        self.loading = bool(self.pending)

    def _failed(
        self,
        part: str,
        exc: BaseException,
        actor: Actor | None = None,
        at: dt.datetime | None = None,
    ) -> None:
        self._part_done(part)
        if self.winfo_exists():
            self.stamp.configure(text="")
            self.message.configure(text=error_text(exc))
        if part == "counts" and actor is not None and at is not None:
            self._rest(actor, at)

    def _show_counts(self, data: dict[str, Any], actor: Actor, at: dt.datetime) -> None:
        self._part_done("counts")
        self._rest(actor, at)
        if not self.winfo_exists():
            return
        self.data = data
        self.message.configure(text="")
        self.stamp.configure(text=f"统计于 {data['at']:%Y-%m-%d %H:%M}")
        for key, value in data["counts"].items():
            self.cards[key].set(value)

    def _show_bad(self, bad: int | None) -> None:
        self._part_done("bad")
        if not self.winfo_exists():
            return
        self.bad = bad
        self.cards["差评待处理"].set(bad)

    def _show_charts(self, data: dict[str, Any]) -> None:
        self._part_done("charts")
        if not self.winfo_exists():
            return
        self.charts = data
        self.per_day.set([Bar(f"{day:%m-%d}", n, day) for day, n in data["per_day"]])
        self.by_unit.set([Bar(name, n, code) for code, name, n in data["by_unit"]])

    def _show_rules(self, rules: dict[str, Any] | None) -> None:
        self._part_done("rules")
        if not self.winfo_exists():
            return
        self.rules = rules
        for level in ESCALATION_LEVELS:
            self.cards[level].set(
                rules["escalations"][level] if rules else None, "" if rules else MISSING_TIP
            )
        self.cards["待决定问责"].set(
            rules["proposals"] if rules else None, "" if rules else MISSING_TIP
        )
        if rules:
            self.levels.set(
                [
                    Bar(level, n, level, LEVEL_COLORS[level])
                    for level, n in rules["escalations"].items()
                ],
                "暂无未解除的督办",
            )
        else:
            self.levels.set([], MISSING_TIP)

    def _show_rates(self, rates: dict[str, float | None] | None) -> None:
        self._part_done("rates")
        if not self.winfo_exists():
            return
        self.rates = rates
        for name in RATE_NAMES:
            value = rates.get(name) if rates else None
            tip = MISSING_TIP if rates is None else ("本月暂无数据" if value is None else "")
            self.cards[name].set(float(value) if value is not None else None, tip)


__all__ = [
    "Card",
    "DashboardView",
    "bad_data",
    "chart_data",
    "dashboard_data",
    "key_rates",
    "rule_counts",
    "MISSING",
    "MISSING_TIP",
]
