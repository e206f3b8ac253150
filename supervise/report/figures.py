"""The monthly report's figures (月报, SPEC §6): every figure per unit and in
total, the ranking with 红黑榜 and 流动红旗, the change against the month
before, hotspots and a six-month trend — one JSON-ready dict whose keys are
the Chinese names of the spec.  docs/REPORT.md defines each figure; this
module is that definition in code.

Rates are exact fractions until they are shown: a rate is rounded half-up
to 4 decimal places, 综合得分 to 2, and the ranking uses the rounded score
(so what a reader sees explains every tie).  Every month of the report —
M, M−1 for the change, M−5…M for the trend — is counted as of the same
instant, inside one read snapshot.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from fractions import Fraction
from typing import Any

from .. import settings
from ..db import database, is_sqlite
from ..errors import InvalidInput
from ..exporting import month_bounds
from ..models import CATEGORIES, ESCALATION_LEVELS, PERSON_FORMS, UNIT_FORMS, now
from . import counts as q
from .counts import DISMISSED, Counts
from .summary import MonthCounts, fold

logger = logging.getLogger(__name__)

RATES = ("按期办结率", "满意率", "解决率", "好评率")
SURVEY = "第三方满意度"
FORMS = (*UNIT_FORMS, *PERSON_FORMS, DISMISSED)
LIST_SIZE = 5  # 红榜 / 黑榜
HOTSPOTS = 10
TREND_MONTHS = 6


# -- numbers ---------------------------------------------------------------------------------


def ratio(part: int, whole: int) -> Fraction | None:
    """part/whole, or None (no data) when there is nothing to divide."""
    return Fraction(part, whole) if whole else None


def half_up(value: Fraction | float | None, places: int) -> float | None:
    """``value`` rounded half-up to ``places`` decimals (exactly, then as a float)."""
    if value is None:
        return None
    scaled = Fraction(value) * 10**places
    return float(Fraction(math.floor(scaled + Fraction(1, 2)), 10**places))


def weights() -> dict[str, Fraction]:
    """The score weights (setting ``report.weights``, plus ``report.survey_weight``)."""
    raw = settings.get("report.weights")
    survey = settings.get("report.survey_weight", 0)
    if not isinstance(raw, dict) or set(raw) - set(RATES):
        raise InvalidInput(
            f"设置 report.weights 无效：{raw}（键应为 {'/'.join(RATES)}）",
            f"setting report.weights is invalid: {raw}",
        )
    result: dict[str, Fraction] = {}
    for name, value in [*((n, raw.get(n, 0)) for n in RATES), (SURVEY, survey)]:
        try:
            weight = Fraction(str(value))
        except (TypeError, ValueError):
            weight = Fraction(-1)
        if weight < 0 or isinstance(value, bool):
            raise InvalidInput(
                f"评分权重无效：{name} = {value}", f"bad score weight: {name} = {value}"
            )
        result[name] = weight
    return result


def score(rates: dict[str, Fraction | None], w: dict[str, Fraction]) -> Fraction | None:
    """综合得分 = 100 × Σ wᵢ·rateᵢ / Σ wᵢ over the weighted rates that have data."""
    used = [(w[name], rate) for name in w if w[name] > 0 and (rate := rates.get(name)) is not None]
    total = sum((weight for weight, _ in used), Fraction(0))
    if not total:
        return None
    return 100 * sum((weight * rate for weight, rate in used), Fraction(0)) / total


# -- one unit, one month -----------------------------------------------------------------------


def exact_rates(c: Counts, survey: Fraction | None) -> dict[str, Fraction | None]:
    return {
        "按期办结率": ratio(c.on_time, c.due),
        "满意率": ratio(c.satisfied, c.visits),
        "解决率": ratio(c.resolved, c.visits),
        "好评率": ratio(c.good, c.ratings),
        SURVEY: survey,
    }


def figures_of(c: Counts, survey: Fraction | None, w: dict[str, Fraction]) -> dict[str, Any]:
    """Every figure of SPEC §6 for one set of counts (a unit, or the total)."""
    rates = exact_rates(c, survey)
    return {
        "受理量": sum(c.received.values()),
        "受理量分类": {k: c.received.get(k, 0) for k in CATEGORIES},
        "应办结量": c.due,
        "按期办结量": c.on_time,
        "按期办结率": half_up(rates["按期办结率"], 4),
        "回访量": c.visits,
        "满意量": c.satisfied,
        "满意率": half_up(rates["满意率"], 4),
        "解决量": c.resolved,
        "解决率": half_up(rates["解决率"], 4),
        "评价量": c.ratings,
        "好评量": c.good,
        "好评率": half_up(rates["好评率"], 4),
        "差评数": c.bad,
        "差评办结数": c.bad_closed,
        "差评整改率": half_up(ratio(c.bad_closed, c.bad), 4),
        SURVEY: half_up(survey, 4),
        "督办量": sum(c.escalations.values()),
        "督办": {k: c.escalations.get(k, 0) for k in ESCALATION_LEVELS},
        "问责量": sum(c.cases.values()),
        "问责": {k: c.cases.get(k, 0) for k in FORMS},
        "综合得分": half_up(score(rates, w), 2),
    }


def total_survey(surveys: dict[int, Any]) -> Fraction | None:
    """The total 第三方满意度: the units' results weighted by their sample sizes."""
    size = sum(s.sample_size for s in surveys.values())
    if not size:
        return None
    return (
        sum((Fraction(str(s.satisfaction)) * s.sample_size for s in surveys.values()), Fraction(0))
        / size
    )


class Month:
    """The counts of one month as of one instant, per unit and in total."""

    def __init__(self, month: str, as_of: dt.datetime) -> None:
        self.month = month
        self.start, self.end = month_bounds(month)
        self.source = MonthCounts(month, self.start, self.end, as_of)
        self.counts, self.matters = self.source.units, self.source.matters
        self.total = Counts()
        for c in self.counts.values():
            self.total.add(c)
        last_day = (self.end - dt.timedelta(days=1)).date()
        self.surveys = q.surveys(self.start.date(), last_day)

    def survey(self, unit_id: int) -> Fraction | None:
        s = self.surveys.get(unit_id)
        return Fraction(str(s.satisfaction)) if s is not None else None

    def scores(self, w: dict[str, Fraction]) -> dict[int, float]:
        """unit id → rounded 综合得分, for the units that have one."""
        result = {}
        for unit_id, c in self.counts.items():
            if unit_id is not None:
                value = half_up(score(exact_rates(c, self.survey(unit_id)), w), 2)
                if value is not None:
                    result[unit_id] = value
        for unit_id in self.surveys.keys() - self.counts.keys():  # a survey alone is data too
            value = half_up(score(exact_rates(Counts(), self.survey(unit_id)), w), 2)
            if value is not None:
                result[unit_id] = value
        return result


def shift(month: str, by: int) -> str:
    start, _ = month_bounds(month)
    index = start.year * 12 + start.month - 1 + by
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def ranks(scores: dict[int, float], codes: dict[int, str]) -> list[tuple[int, int]]:
    """(unit id, rank) best first: by score, ties share a rank (1, 2, 2, 4), then by unit code."""
    ordered = sorted(scores, key=lambda uid: (-scores[uid], codes.get(uid, "")))
    result, rank, previous = [], 0, None
    for position, uid in enumerate(ordered, 1):
        if scores[uid] != previous:
            rank, previous = position, scores[uid]
        result.append((uid, rank))
    return result


def _difference(a: float | None, b: float | None, places: int) -> float | None:
    if a is None or b is None:
        return None
    return half_up(Fraction(str(a)) - Fraction(str(b)), places)


# -- the report ------------------------------------------------------------------------------


@contextmanager
def snapshot() -> Iterator[None]:
    """One consistent read of the database for all the report's queries."""
    db = database.obj
    nested = db.in_transaction()
    with db.atomic():
        if not nested and not is_sqlite(db):
            db.execute_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        yield


def monthly_figures(month: str, as_of: dt.datetime | None = None) -> dict[str, Any]:
    """Every figure of the monthly report for ``month`` ("YYYY-MM") as of ``as_of``
    (default now); JSON-ready, keys are the Chinese figure names (docs/REPORT.md)."""
    start, _ = month_bounds(month)
    month = f"{start:%Y-%m}"
    as_of = (as_of or now()).replace(microsecond=0, tzinfo=None)
    if as_of < start:
        raise InvalidInput(
            f"截止时间 {as_of:%Y-%m-%d %H:%M} 早于 {month} 月初",
            f"the as-of time {as_of:%Y-%m-%d %H:%M} lies before the month {month}",
        )
    w = weights()
    with snapshot():
        months = {
            m: Month(m, as_of) for m in (shift(month, -k) for k in range(TREND_MONTHS - 1, -1, -1))
        }
        units = q.units()
        this, before = months[month], months[shift(month, -1)]
        matter_now, matter_before = this.matters, before.matters
        late = q.late_promise_ids()
        matter_info = q.matters(set(matter_now) | set(matter_before) | set(late))
    fold(list(months))
    codes = {u.id: u.code for u in units}
    scores, previous = this.scores(w), before.scores(w)
    ranked, ranked_before = ranks(scores, codes), dict(ranks(previous, codes))
    rank_of = dict(ranked)

    unit_rows = []
    for u in units:
        c = this.counts.get(u.id, Counts())
        if not (u.active or c.has_data or u.id in this.surveys):
            continue
        row = {
            "单位编码": u.code,
            "单位名称": u.name,
            "单位类型": u.kind,
            **figures_of(c, this.survey(u.id), w),
        }
        s = this.surveys.get(u.id)
        row["第三方评估"] = (
            {
                "评估机构": s.agency,
                "评估期间": f"{s.period_start:%Y-%m-%d}至{s.period_end:%Y-%m-%d}",
                "样本量": s.sample_size,
            }
            if s is not None
            else None
        )
        row["上月受理量"] = sum(before.counts.get(u.id, Counts()).received.values())
        row.update(
            _change(rank_of.get(u.id), row["综合得分"], ranked_before.get(u.id), previous.get(u.id))
        )
        unit_rows.append(row)
    by_code = {row["单位编码"]: row for row in unit_rows}

    total = figures_of(this.total, total_survey(this.surveys), w)
    total["上月受理量"] = sum(before.total.received.values())
    total["上月综合得分"] = figures_of(before.total, total_survey(before.surveys), w)["综合得分"]
    total["得分变化"] = _difference(total["综合得分"], total["上月综合得分"], 2)

    ranking = [_ranking_row(by_code[codes[uid]]) for uid, _ in ranked]
    red_size = min(LIST_SIZE, math.ceil(len(ranking) / 2))
    black_size = min(LIST_SIZE, len(ranking) // 2)
    return {
        "月份": month,
        "截止时间": as_of.isoformat(sep=" "),
        "权重": {name: float(value) for name, value in w.items()},
        "units": unit_rows,
        "total": total,
        "ranking": ranking,
        "红黑榜": {"红榜": ranking[:red_size], "黑榜": ranking[::-1][:black_size]},
        "流动红旗": [
            {k: r[k] for k in ("单位编码", "单位名称", "综合得分")}
            for r in ranking
            if r["排名"] == 1
        ],
        "hotspots": _hotspots(this, before, units, matter_now, matter_before, matter_info, late),
        "trend": [_trend_row(m, w) for m in months.values()],
    }


def _change(
    rank: int | None, value: float | None, rank_before: int | None, before: float | None
) -> dict[str, Any]:
    return {
        "排名": rank,
        "上月排名": rank_before,
        "名次变化": rank_before - rank if rank is not None and rank_before is not None else None,
        "上月综合得分": before,
        "得分变化": _difference(value, before, 2),
    }


def _ranking_row(row: dict[str, Any]) -> dict[str, Any]:
    keys = (
        "排名",
        "单位编码",
        "单位名称",
        "单位类型",
        "综合得分",
        *RATES,
        SURVEY,
        "上月排名",
        "名次变化",
        "上月综合得分",
        "得分变化",
    )
    return {k: row[k] for k in keys}


def _trend_row(m: Month, w: dict[str, Fraction]) -> dict[str, Any]:
    f = figures_of(m.total, total_survey(m.surveys), w)
    keys = (
        "受理量",
        "应办结量",
        "按期办结率",
        "回访量",
        "满意率",
        "解决率",
        "评价量",
        "好评率",
        "差评数",
        "差评整改率",
        "督办量",
        "问责量",
        "综合得分",
    )
    return {"月份": m.month, **{k: f[k] for k in keys}}


def _growth(now_n: int, before_n: int) -> dict[str, Any]:
    return {
        "受理量": now_n,
        "上月受理量": before_n,
        "增长量": now_n - before_n,
        "增长率": half_up(ratio(now_n - before_n, before_n), 4),
    }


def _top(
    items: list[dict[str, Any]],
    order: Callable[[dict[str, Any]], Any] | None = None,
) -> dict[str, list[dict[str, Any]]]:
    """The most complaints, and the largest growth (only rising ones); ties by ``order`` (the code)."""
    order = order or (lambda i: i["编码"])
    most = sorted((i for i in items if i["受理量"] > 0), key=lambda i: (-i["受理量"], order(i)))
    rising = sorted((i for i in items if i["增长量"] > 0), key=lambda i: (-i["增长量"], order(i)))
    return {"最多": most[:HOTSPOTS], "增长最快": rising[:HOTSPOTS]}


def _hotspots(
    this: Month,
    before: Month,
    units: list[Any],
    matter_now: dict[int, int],
    matter_before: dict[int, int],
    info: dict[int, tuple],
    late: list[int],
) -> dict[str, Any]:
    def matter(mid: int) -> dict[str, Any]:
        code, name, unit_name, legal, promised = info[mid]
        return {
            "编码": code,
            "名称": name,
            "单位名称": unit_name,
            "法定时限": legal,
            "承诺时限": promised,
            "未达压缩目标": promised is not None and promised * 4 > legal,
            **_growth(matter_now.get(mid, 0), matter_before.get(mid, 0)),
        }

    unit_items = [
        {
            "编码": u.code,
            "名称": u.name,
            **_growth(
                sum(this.counts.get(u.id, Counts()).received.values()),
                sum(before.counts.get(u.id, Counts()).received.values()),
            ),
        }
        for u in units
    ]
    categories = [
        {
            "编码": k,
            "名称": k,
            **_growth(this.total.received.get(k, 0), before.total.received.get(k, 0)),
        }
        for k in CATEGORIES
    ]
    late_rows = sorted((matter(mid) for mid in late), key=lambda m: (-m["受理量"], m["编码"]))
    return {
        "事项": _top([matter(mid) for mid in set(matter_now) | set(matter_before)]),
        "类别": _top(categories, lambda i: CATEGORIES.index(i["编码"])),
        "单位": _top(unit_items),
        "承诺时限未达标事项": late_rows,
    }


__all__ = ["RATES", "SURVEY", "half_up", "monthly_figures", "ranks", "score", "shift", "weights"]
