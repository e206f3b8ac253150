"""List views: one paged, sortable Treeview bound to a query function.

:class:`PagedList` asks its query function for one page at a time
(``{"total", "items"}``) in a worker thread, so a million-row table never
blocks the window: only the visible page is read, the total is counted once
per filter (page turns reuse it), and an answer that arrives after a newer
request is dropped.  Column headings sort on the server (whitelisted columns
of :mod:`supervise.gui.queries`); the search box waits for a pause in typing.
Double-click or Enter opens the record.

The complaint list is here; ratings, reviews, escalations and
accountability cases are in :mod:`supervise.gui.lists_more`.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import time
import tkinter as tk
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from tkinter import ttk
from typing import Any, Literal

from .. import models
from . import queries
from .common import error_text
from .context import ViewContext
from .queries import ListFilter

logger = logging.getLogger(__name__)

SEARCH_DELAY_MS = 350
PAGE_SIZES = (50, 100, 200)
ALL = "全部"


@dataclass(frozen=True)
class ColumnSpec:
    key: str
    title: str
    width: int = 100
    sortable: bool = True
    anchor: Literal["w", "center", "e"] = "w"


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    text = str(value)
    return text[:16] if len(text) == 19 and text[4] == "-" and text[10] == " " else text


class PagedList(ttk.Frame):
    """A paged, sortable list; subclasses give columns, filters, query and opening."""

    title = ""
    columns: tuple[ColumnSpec, ...] = ()
    default_sort: tuple[str, bool] = ("id", True)
    searchable = False
    search_hint = ""

    def __init__(
        self, parent: tk.Misc, ctx: ViewContext, filters: dict[str, Any] | None = None
    ) -> None:
        super().__init__(parent, padding=8)
        self.ctx = ctx
        self.sort, self.desc = self.default_sort
        self.page = 0
        self.page_size = PAGE_SIZES[0]
        self.total: int | None = None
        self.items: list[dict[str, Any]] = []
        self.loading = False
        self.last_load_ms: float | None = None
        self.error = ""
        self._generation = 0
        self._search_after: str | None = None
        self._counted_filter: ListFilter | None = None
        self._build()
        if filters:
            self.set_filters(**filters)
        self.refresh()

    # -- building --------------------------------------------------------------------

    def _build(self) -> None:
        head = ttk.Frame(self)
        head.pack(fill="x")
        ttk.Label(head, text=self.title, style="Title.TLabel").pack(side="left")
        self.actions = ttk.Frame(head)
        self.actions.pack(side="right")
        self.create_actions(self.actions)
        ttk.Button(self.actions, text="刷新", command=self.refresh).pack(side="right", padx=2)

        bar = ttk.Frame(self)
        bar.pack(fill="x", pady=(8, 4))
        self.search_var = tk.StringVar()
        if self.searchable:
            ttk.Label(bar, text="搜索").pack(side="left")
            self.search_entry = ttk.Entry(bar, textvariable=self.search_var, width=24)
            self.search_entry.pack(side="left", padx=(4, 10))
            self.search_entry.bind("<KeyRelease>", self._search_typed)
            self.search_entry.bind("<Return>", lambda _e: self.refresh())
        self.create_filters(bar)
        self.filter_message = ttk.Label(bar, text="", style="Error.TLabel")
        self.filter_message.pack(side="left", padx=6)

        body = ttk.Frame(self)
        body.pack(fill="both", expand=True)
        self.tree = ttk.Treeview(
            body, columns=[c.key for c in self.columns], show="headings", selectmode="browse"
        )
        for col in self.columns:
            self.tree.heading(
                col.key,
                text=col.title,
                anchor=col.anchor,
                command=partial(self.sort_by, col.key) if col.sortable else "",
            )
            self.tree.column(
                col.key, width=col.width, anchor=col.anchor, stretch=col.key in ("title", "reason")
            )
        self.tree.tag_configure("alert", foreground="#c0392b")
        scroll = ttk.Scrollbar(body, orient="vertical", command=self.tree.yview)
        self.tree.configure(yscrollcommand=scroll.set)
        self.tree.pack(side="left", fill="both", expand=True)
        scroll.pack(side="right", fill="y")
        self.tree.bind("<Double-1>", self._double_click)
        self.tree.bind("<Return>", lambda _e: self.open_selected())

        pager = ttk.Frame(self)
        pager.pack(fill="x", pady=(4, 0))
        self.first_button = ttk.Button(pager, text="首页", width=6, command=lambda: self.go(0))
        self.prev_button = ttk.Button(
            pager, text="上一页", width=7, command=lambda: self.go(self.page - 1)
        )
        self.next_button = ttk.Button(
            pager, text="下一页", width=7, command=lambda: self.go(self.page + 1)
        )
        self.last_button = ttk.Button(pager, text="末页", width=6, command=self.go_last)
        for button in (self.first_button, self.prev_button, self.next_button, self.last_button):
            button.pack(side="left", padx=1)
        self.page_label = ttk.Label(pager, text="", style="Muted.TLabel")
        self.page_label.pack(side="left", padx=10)
        self.size_var = tk.StringVar(value=str(self.page_size))
        size = ttk.Combobox(
            pager,
            textvariable=self.size_var,
            values=[str(s) for s in PAGE_SIZES],
            width=5,
            state="readonly",
        )
        size.pack(side="right")
        size.bind("<<ComboboxSelected>>", self._size_changed)
        ttk.Label(pager, text="每页").pack(side="right", padx=4)
        self.bind("<Alt-Right>", lambda _e: self.go(self.page + 1))
        self.bind("<Alt-Left>", lambda _e: self.go(self.page - 1))
        self._show_sort()

    def create_actions(self, bar: ttk.Frame) -> None:
        """Buttons beside the title (e.g. 新建); none by default."""

    def create_filters(self, bar: ttk.Frame) -> None:
        """Filter widgets in the bar; none by default."""

    def set_filters(self, **filters: Any) -> None:
        """Set every filter widget from keyword values (dashboard links); missing keys clear."""
        self.search_var.set(filters.get("search") or "")

    def read_filter(self) -> ListFilter:
        """The filter from the widgets; raise ValueError with a Chinese message when a value is bad."""
        return ListFilter(search=self.search_var.get().strip() or None)

    #: ``query(actor, filter, sort, desc, limit, offset, count) -> {"total", "items"}``, run in a worker thread.
    query: Callable[..., dict[str, Any]] = staticmethod(lambda *args: {"total": 0, "items": []})

    def open_item(self, item: dict[str, Any]) -> None:
        """Open the record of a row (double-click, Enter)."""

    def row_tags(self, item: dict[str, Any]) -> tuple[str, ...]:
        return ("alert",) if item.get("overdue") else ()

    # -- loading ---------------------------------------------------------------------------

    def refresh(self, reset: bool = True) -> None:
        """Read the current filter and load its first page (or the current one)."""
        try:
            f = self.read_filter()
        except ValueError as exc:
            self.filter_message.configure(text=str(exc))
            return
        self.filter_message.configure(text="")
        if reset:
            self.page = 0
            self._counted_filter = None
        self._load(f)

    def reload(self) -> None:
        """Records changed: read the current page again and count anew."""
        self._counted_filter = None
        self.refresh(reset=False)

    def _load(self, f: ListFilter) -> None:
        """Read the page first (shown at once), then — for a new filter — count the total
        (unless the first page already holds every match: a rare search term is scanned once)."""
        self._generation += 1
        generation = self._generation
        count = self._counted_filter != f
        sort, desc, limit, offset = self.sort, self.desc, self.page_size, self.page * self.page_size
        self.loading = True
        self.page_label.configure(text="正在加载…")
        started = time.perf_counter()
        query, actor = self.query, self.ctx.actor  # the thread must not hold the view itself

        def page(_job: Any) -> dict[str, Any]:
            return query(actor, f, sort, desc, limit, offset, False)

        def total(_job: Any) -> int:
            return int(query(actor, f, sort, desc, 1, 0, True)["total"])

        def loaded(data: dict[str, Any]) -> None:
            shown = self._show_page(generation, data, started)
            if shown and count and offset == 0 and len(data["items"]) < limit:
                self._counted(
                    generation, f, len(data["items"])
                )  # the whole answer is on this page: no count
            elif shown and count:
                self.ctx.worker.submit(
                    total,
                    name="list-count",
                    on_done=lambda n: self._counted(generation, f, n),
                    on_error=lambda exc: self._failed(generation, exc),
                )
            elif generation == self._generation:
                self.loading = False

        self.ctx.worker.submit(
            page, name="list", on_done=loaded, on_error=lambda exc: self._failed(generation, exc)
        )

    def _show_page(self, generation: int, data: dict[str, Any], started: float) -> bool:
        if generation != self._generation or not self.winfo_exists():
            return False
        self.error = ""
        self.items = list(data["items"])
        self.tree.delete(*self.tree.get_children())
        for index, item in enumerate(self.items):
            values = [_cell(item.get(c.key)) for c in self.columns]
            self.tree.insert("", "end", iid=str(index), values=values, tags=self.row_tags(item))
        self.last_load_ms = (time.perf_counter() - started) * 1000
        self._update_pager()
        return True

    def _counted(self, generation: int, f: ListFilter, total: int) -> None:
        if generation != self._generation or not self.winfo_exists():
            return
        self.total, self._counted_filter = total, f
        self.loading = False
        self._update_pager()

    def _failed(self, generation: int, exc: BaseException) -> None:
        if generation != self._generation:
            return
        self.loading = False
        self.error = error_text(exc)
        self.tree.delete(*self.tree.get_children())
        self.items = []
        self.page_label.configure(text="")
        self.filter_message.configure(text=self.error)

    def _update_pager(self) -> None:
        known = self._counted_filter is not None and self.total is not None
        capped = known and (self.total or 0) > queries.COUNT_CAP
        if capped:  # an unindexed text search counted only up to the cap
            self.page_label.configure(text=f"第 {self.page + 1} 页，共 {queries.COUNT_CAP:,}+ 条")
            more = len(self.items) == self.page_size
        elif known:
            total = self.total or 0
            pages = max(1, math.ceil(total / self.page_size))
            self.page_label.configure(text=f"第 {self.page + 1}/{pages} 页，共 {total:,} 条")
            more = self.page + 1 < pages
        else:
            self.page_label.configure(text=f"第 {self.page + 1} 页，正在统计总数…")
            more = len(self.items) == self.page_size
        for button in (self.prev_button, self.first_button):
            button.state(["!disabled"] if self.page > 0 else ["disabled"])
        self.next_button.state(["!disabled"] if more else ["disabled"])
        self.last_button.state(["!disabled"] if more and known and not capped else ["disabled"])

    @property
    def pages(self) -> int:
        return max(1, math.ceil((self.total or 0) / self.page_size))

    def go(self, page: int) -> None:
        if page < 0 or page == self.page:
            return
        if (
            self._counted_filter is not None
            and (self.total or 0) <= queries.COUNT_CAP
            and page >= self.pages
        ):
            return
        if (
            (self.total or 0) > queries.COUNT_CAP
            and page > self.page
            and len(self.items) < self.page_size
        ):
            return
        if self._counted_filter is None and page > self.page and len(self.items) < self.page_size:
            return  # still counting, and this page was the last one
        self.page = page
        self.refresh(reset=False)

    def go_last(self) -> None:
        self.go(self.pages - 1)

    def _size_changed(self, _event: tk.Event | None = None) -> None:
        self.page_size = int(self.size_var.get())
        self.refresh()

    def _search_typed(self, event: tk.Event) -> None:
        if event.keysym in ("Return", "KP_Enter"):
            return
        if self._search_after is not None:
            self.after_cancel(self._search_after)
        self._search_after = self.after(SEARCH_DELAY_MS, self._search_now)

    def _search_now(self) -> None:
        self._search_after = None
        self.refresh()

    # -- sorting and opening ---------------------------------------------------------------

    def sort_by(self, key: str) -> None:
        if key == self.sort:
            self.desc = not self.desc
        else:
            self.sort, self.desc = key, key.endswith("_at") or key.endswith("date")
        self._show_sort()
        self.refresh(reset=False)

    def _show_sort(self) -> None:
        for col in self.columns:
            mark = (" ▼" if self.desc else " ▲") if col.key == self.sort else ""
            self.tree.heading(col.key, text=col.title + mark)

    def _double_click(self, event: tk.Event) -> None:
        row = self.tree.identify_row(event.y)
        if row:
            self.tree.selection_set(row)
            self.open_selected()

    def selected(self) -> dict[str, Any] | None:
        selection = self.tree.selection()
        return self.items[int(selection[0])] if selection else None

    def open_selected(self) -> None:
        item = self.selected()
        if item is not None:
            self.open_item(item)


# -- filter helpers --------------------------------------------------------------------


def parse_day(text: str, label: str) -> dt.date | None:
    text = text.strip()
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{label}应为 YYYY-MM-DD：{text}") from None


def combo(
    bar: ttk.Frame,
    label: str,
    values: list[str],
    width: int = 9,
    on_change: Callable[[], object] | None = None,
) -> tk.StringVar:
    ttk.Label(bar, text=label).pack(side="left")
    var = tk.StringVar(value=values[0])
    box = ttk.Combobox(bar, textvariable=var, values=values, width=width, state="readonly")
    box.pack(side="left", padx=(4, 10))
    if on_change is not None:
        box.bind("<<ComboboxSelected>>", lambda _e: on_change())
    return var


def choice(var: tk.StringVar) -> str | None:
    value = var.get()
    return None if value in ("", ALL) else value


class UnitFilterMixin:
    """A unit combobox (code and name); hidden for a liaison, who only sees their unit."""

    unit_var: tk.StringVar | None = None

    def unit_filter(
        self, bar: ttk.Frame, ctx: ViewContext, on_change: Callable[[], object]
    ) -> None:
        if ctx.actor.role == "liaison":
            self.unit_var = None
            return
        units = [ALL] + [f"{code} {name}" for code, name in queries.unit_choices()]
        self.unit_var = combo(bar, "单位", units, width=16, on_change=on_change)

    def unit_code(self) -> str | None:
        if self.unit_var is None:
            return None
        value = choice(self.unit_var)
        return value.split(" ", 1)[0] if value else None

    def set_unit(self, code: str | None) -> None:
        if self.unit_var is None:
            return
        if not code:
            self.unit_var.set(ALL)
            return
        name = dict(queries.unit_choices()).get(code, "")
        self.unit_var.set(f"{code} {name}")


# -- the lists -----------------------------------------------------------------------------


class ComplaintList(UnitFilterMixin, PagedList):
    title = "诉求工单"
    columns = (
        ColumnSpec("number", "编号", 140),
        ColumnSpec("status", "状态", 70),
        ColumnSpec("category", "类别", 60),
        ColumnSpec("channel", "渠道", 100),
        ColumnSpec("title", "标题", 260),
        ColumnSpec("unit", "承办单位", 150),
        ColumnSpec("received_at", "受理时间", 130),
        ColumnSpec("due_at", "办理期限", 130),
        ColumnSpec("reopen_count", "重办", 50, anchor="e"),
    )
    default_sort = ("received_at", True)
    searchable = True

    def __init__(
        self, parent: tk.Misc, ctx: ViewContext, filters: dict[str, Any] | None = None
    ) -> None:
        if ctx.actor.role == "liaison":
            self.title = "本单位工单"
        super().__init__(parent, ctx, filters)

    def create_actions(self, bar: ttk.Frame) -> None:
        if self.ctx.can("complaint.add"):
            ttk.Button(
                bar,
                text="新建工单",
                style="Accent.TButton",
                command=lambda: self.ctx.nav.open_record("new_complaint", None),
            ).pack(side="right", padx=2)

    def create_filters(self, bar: ttk.Frame) -> None:
        refresh = self.refresh
        self.status_var = combo(
            bar, "状态", [ALL, queries.OPEN, *models.COMPLAINT_STATUSES], 8, refresh
        )
        self.category_var = combo(bar, "类别", [ALL, *models.CATEGORIES], 5, refresh)
        self.channel_var = combo(bar, "渠道", [ALL, *models.CHANNELS], 11, refresh)
        self.unit_filter(bar, self.ctx, refresh)
        second = ttk.Frame(self)
        second.pack(fill="x", pady=(0, 4))
        ttk.Label(second, text="受理日期").pack(side="left")
        self.from_var, self.to_var = tk.StringVar(), tk.StringVar()
        for var, text in ((self.from_var, "至"), (self.to_var, "")):
            entry = ttk.Entry(second, textvariable=var, width=11)
            entry.pack(side="left", padx=4)
            entry.bind("<Return>", lambda _e: refresh())
            if text:
                ttk.Label(second, text=text).pack(side="left")
        self.overdue_var = tk.BooleanVar()
        ttk.Checkbutton(second, text="已超期", variable=self.overdue_var, command=refresh).pack(
            side="left", padx=(12, 0)
        )
        self.due_today_var = tk.BooleanVar()
        ttk.Checkbutton(second, text="今日到期", variable=self.due_today_var, command=refresh).pack(
            side="left", padx=6
        )

    def set_filters(self, **filters: Any) -> None:
        super().set_filters(**filters)
        self.status_var.set(filters.get("status") or ALL)
        self.category_var.set(filters.get("category") or ALL)
        self.channel_var.set(filters.get("channel") or ALL)
        self.overdue_var.set(bool(filters.get("overdue")))
        self.due_today_var.set(bool(filters.get("due_today")))
        day = filters.get("date")
        self.from_var.set(day.isoformat() if day else "")
        self.to_var.set(day.isoformat() if day else "")
        self.set_unit(filters.get("unit"))

    def read_filter(self) -> ListFilter:
        f = super().read_filter()
        f.status, f.unit = choice(self.status_var), self.unit_code()
        f.date_from = parse_day(self.from_var.get(), "起始日期")
        f.date_to = parse_day(self.to_var.get(), "截止日期")
        f.extra = {
            "category": choice(self.category_var),
            "channel": choice(self.channel_var),
            "overdue": self.overdue_var.get(),
            "due_today": self.due_today_var.get(),
        }
        return f

    query = staticmethod(queries.complaint_page)

    def open_item(self, item: dict[str, Any]) -> None:
        self.ctx.nav.open_record("complaint", item["number"])


__all__ = [
    "ALL",
    "ColumnSpec",
    "ComplaintList",
    "PagedList",
    "UnitFilterMixin",
    "choice",
    "combo",
    "parse_day",
]
