"""Issue #7's 好差评 figures: the ratings list and its keyword search at city scale.

(a) the ratings list's first page (50 rows, newest first, as the desktop
    shows it: :func:`supervise.gui.queries.rating_page` without the count)
    under each filter: none, each status and 待处理, a unit (busiest to
    quietest), 仅差评, a day and a week; target 300 ms for the worst
    filter's median;
(b) a two-character keyword's first page over comment, reasons and window,
    alone and with a unit (target 300 ms, median over the cases);
(c) that keyword's total as the pager asks for it (counted up to
    ``queries.COUNT_CAP`` + 1), shown for information;
(d) a deep page of the unfiltered list: the 201st (OFFSET 10,000), as far
    as 下一页 goes before the pager stops counting (``COUNT_CAP``), shown for
    information.

Baselines, in the same run on the same rows: every SQL statement the call
sent (captured from peewee's log during the untimed warm-up), replayed on a
raw DB-API connection, as in :mod:`bench.records`.
"""

from __future__ import annotations

import datetime as dt
import logging
import statistics
from dataclasses import dataclass
from typing import Any

from supervise.auth import Actor
from supervise.gui import queries
from supervise.gui.queries import ListFilter
from supervise.models import RATING_STATUSES

from . import Context, paired
from .records import _spread, captured, replay
from .report import Figure

logger = logging.getLogger(__name__)

PAGE = 50  # the desktop's default page size
READER = Actor(name="bench", role="staff")
# Two-character words of rating comments, reasons and windows (all occur in the generated rows).
TERMS = ("窗口", "态度", "材料", "系统", "排队", "耐心", "服务", "等候", "跑动", "许可")

# Ratio budgets (see bench.records.BUDGETS): the most supervise should cost over
# replaying its own statements on the raw driver, from runs at 2,000–1,000,000
# ratings on SQLite and PostgreSQL, rounded up.  CI fails at 3× these.
BUDGETS = {
    "ratings.list.page": 40.0,  # ~1 ms against ~0.1 ms raw at small scale: load spikes show
    "ratings.search.page": 20.0,
    "ratings.search.count": 15.0,
    "ratings.list.deep": 30.0,
}


@dataclass
class Case:
    label: str
    filter: ListFilter
    offset: int = 0
    desc: bool = True
    count: bool = False
    value_ms: float = 0.0
    raw_ms: float = 0.0
    rows: int = 0


def measure(ctx: Context, raw: Any, case: Case) -> Case:
    """Time one :func:`rating_page` call through supervise and its statements replayed raw."""

    def call() -> dict[str, Any]:
        return queries.rating_page(
            READER, case.filter, "rated_at", case.desc, PAGE, case.offset, case.count
        )

    with captured() as sent:
        data = call()
    case.rows = int(data["total"]) if case.count else len(data["items"])
    value, baseline = paired(call, replay(ctx, raw, list(sent)), ctx.repeats)
    case.value_ms, case.raw_ms = 1000 * value, 1000 * baseline
    return case


def _median(cases: list[Case], attr: str) -> float:
    return statistics.median(getattr(c, attr) for c in cases)


def _figure(key: str, name: str, cases: list[Case], target: float | None, **detail: Any) -> Figure:
    worst = max(cases, key=lambda c: c.value_ms)
    detail.update(
        worst_case=worst.label,
        worst_ms=round(worst.value_ms, 3),
        cases={c.label: [round(c.value_ms, 3), c.rows] for c in cases},
    )
    return Figure(
        key,
        name,
        _median(cases, "value_ms"),
        _median(cases, "raw_ms"),
        target,
        BUDGETS[key.split("[")[0]],
        detail=detail,
    )


def filter_cases(ctx: Context) -> dict[str, list[Case]]:
    first = dt.date.fromisoformat(ctx.office.month + "-01")
    units = ctx.office.units
    return {
        "无筛选 none": [Case("all", ListFilter())],
        "状态 status": [Case(s, ListFilter(status=s)) for s in ("待处理", *RATING_STATUSES)],
        "单位 unit": [Case(u, ListFilter(unit=u)) for u in _spread(units, 10)],
        "仅差评 bad only": [Case("bad", ListFilter(extra={"bad_only": True}))],
        "评价日期 date range": [
            Case("day", ListFilter(date_from=first.replace(day=15), date_to=first.replace(day=15))),
            Case("week", ListFilter(date_from=first.replace(day=8), date_to=first.replace(day=14))),
        ],
    }


def search_cases(ctx: Context, count: bool) -> list[Case]:
    units = _spread(ctx.office.units, len(TERMS))
    alone = [Case(t, ListFilter(search=t), count=count) for t in TERMS[:5]]
    with_unit = [
        Case(f"{t}+{u}", ListFilter(search=t, unit=u), count=count)
        for t, u in zip(TERMS, units, strict=True)
    ]
    return alone + with_unit


def run(ctx: Context) -> list[Figure]:
    """Every ratings figure on the open work database (read only)."""
    if not ctx.office.ratings:
        raise RuntimeError("the ratings suite needs generated ratings (bench.gen_ratings)")
    raw = ctx.raw()
    try:
        rows = []
        per_filter = {
            name: [measure(ctx, raw, c) for c in cases] for name, cases in filter_cases(ctx).items()
        }
        for name, cases in per_filter.items():
            rows.append(
                _figure(f"ratings.list.page[{name.split()[-1]}]", f"  · {name}", cases, 300.0)
            )
        worst = max(rows, key=lambda f: f.value_ms)
        head = Figure(
            "ratings.list.page",
            "评价列表首页 单一筛选(最慢) rating list first page, worst filter",
            worst.value_ms,
            worst.baseline_ms,
            300.0,
            BUDGETS["ratings.list.page"],
            detail={"filter": worst.name.strip(" ·")},
        )
        pages = [measure(ctx, raw, c) for c in search_cases(ctx, count=False)]
        counts = [measure(ctx, raw, c) for c in search_cases(ctx, count=True)]
        deep = measure(
            ctx,
            raw,
            Case("page 201", ListFilter(), offset=min(queries.COUNT_CAP, ctx.office.ratings // 2)),
        )
        figures = [
            head,
            *rows,
            _figure("ratings.search.page", "评价检索首页 rating keyword first page", pages, 300.0),
            _figure(
                "ratings.search.count",
                f"评价检索总数(≤{queries.COUNT_CAP:,}) rating keyword capped count",
                counts,
                None,
            ),
            _figure(
                "ratings.list.deep", "评价列表第201页 rating list page 201 (OFFSET)", [deep], None
            ),
        ]
    finally:
        raw.close()
    return figures
