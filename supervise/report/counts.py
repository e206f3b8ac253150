"""The counts behind the monthly figures: one set-based GROUP BY per kind of
record, per unit, for one month as of one instant (SPEC §6, docs/REPORT.md).

Every count here is a SQL aggregate over the rows of the month; nothing
walks the rows in Python.  :func:`month_counts` returns one :class:`Counts`
per unit id, with the key None for what belongs to no unit (a complaint not
yet assigned, an escalation of a kind without a unit).  The instants of the
window are ``start <= t < end`` and ``t <= as_of``.

The queries are written so that a later summary table (counts per unit and
day, kept up to date by the services) can answer the same questions; see
"Performance" in docs/REPORT.md.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field, fields

import peewee as pw

from ..models import (
    COMPLAINT_STATUSES,
    VISIT_RESULTS,
    AccountabilityCase,
    Complaint,
    Escalation,
    Matter,
    Rating,
    Review,
    Staff,
    SurveyResult,
    TimelineEvent,
    Unit,
)

logger = logging.getLogger(__name__)

ENDED_WITHOUT_HANDLING = ("不予受理", "已并单")
#: The statuses that count for 按期办结率 (an IN list, so the (status, due_at) index serves it).
HANDLED = tuple(s for s in COMPLAINT_STATUSES if s not in ENDED_WITHOUT_HANDLING)
GOOD_LEVEL, BAD_LEVEL = 4, 2  # 好评 = levels 5–4, 差评 = levels 2–1
SATISFIED = ("满意", "基本满意")
DISMISSED = "不予问责"


@dataclass
class Counts:
    """What one unit (or the total) did in one month."""

    received: Counter = field(default_factory=Counter)  # category → complaints
    due: int = 0  # 应办结量
    on_time: int = 0  # 按期办结量
    visits: int = 0  # 回访量
    satisfied: int = 0  # 满意量 (满意 or 基本满意)
    resolved: int = 0  # 解决量
    ratings: int = 0  # 评价量
    good: int = 0  # 好评量
    bad: int = 0  # 差评数
    bad_closed: int = 0  # 差评办结数
    escalations: Counter = field(default_factory=Counter)  # level → escalations
    cases: Counter = field(default_factory=Counter)  # form (or 不予问责) → decided cases

    def add(self, other: Counts) -> None:
        for name in COUNTERS:
            getattr(self, name).update(getattr(other, name))
        for name in INTS:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @property
    def has_data(self) -> bool:
        return bool(
            sum(self.received.values())
            or self.due
            or self.visits
            or self.ratings
            or sum(self.escalations.values())
            or sum(self.cases.values())
        )


#: the plain counts and the Counters of :class:`Counts`, for merging and for stored summaries
INTS = tuple(f.name for f in fields(Counts) if f.type == "int")
COUNTERS = tuple(f.name for f in fields(Counts) if f.type == "Counter")


def _in(
    column: pw.Field, start: dt.datetime, end: dt.datetime, as_of: dt.datetime
) -> pw.Expression:
    return (column >= start) & (column < end) & (column <= as_of)


def _note_is(note: pw.Field, words: tuple[str, ...]) -> pw.Expression:
    """The note is one of ``words``, alone or followed by "，" or "。" and more."""
    condition = None
    for word in words:
        one = (note == word) | note.startswith(word + "，") | note.startswith(word + "。")
        condition = one if condition is None else condition | one
    return condition


def _sum(condition: pw.Expression) -> pw.Node:
    return pw.fn.COALESCE(pw.fn.SUM(pw.Case(None, [(condition, 1)], 0)), 0)


def month_counts(
    start: dt.datetime, end: dt.datetime, as_of: dt.datetime, *, scores_only: bool = False
) -> dict[int | None, Counts]:
    """Every count of the month [start, end) as of ``as_of``, per unit id.

    ``scores_only``: only what the 综合得分 rates read (deadlines, visits,
    ratings), not 受理量, 督办 or 问责 — for the ranking of the 排名连续落后
    rule (``supervise.rules.ranking``).
    """
    result: dict[int | None, Counts] = {}

    def at(unit_id: int | None) -> Counts:
        return result.setdefault(unit_id, Counts())

    C, E, R = Complaint, TimelineEvent, Rating
    # 受理量: complaints received in the month, by category.
    for unit_id, category, n in (
        []
        if scores_only
        else C.select(C.unit, C.category, pw.fn.COUNT(C.id))
        .where(_in(C.received_at, start, end, as_of))
        .group_by(C.unit, C.category)
        .tuples()
    ):
        at(unit_id).received[category] += n
    # 应办结量 / 按期办结量: due in the month, not refused or merged, and either due
    # by as_of or already answered by then; on time = answered by its due time.
    answered = C.replied_at.is_null(False) & (C.replied_at <= as_of)
    for unit_id, due, on_time in (
        C.select(C.unit, pw.fn.COUNT(C.id), _sum(answered & (C.replied_at <= C.due_at)))
        .where(
            C.status.in_(HANDLED)
            & (C.due_at >= start)
            & (C.due_at < end)
            & ((C.due_at <= as_of) | answered)
        )
        .group_by(C.unit)
        .tuples()
    ):
        at(unit_id).due += due
        at(unit_id).on_time += on_time
    # 回访: every 回访 step of the month (a reopened case may have several). The
    # timeline is the history of record: the services, the hotline import and
    # the demo write a 回访 step for every visit, its note starting with the
    # result: "满意，已解决…", "不满意，未解决", or "基本满意" alone.
    satisfied = _note_is(E.note, SATISFIED)
    resolved = _note_is(E.note, tuple(f"{r}，已解决" for r in VISIT_RESULTS))
    for unit_id, visits, sat, res in (
        E.select(C.unit, pw.fn.COUNT(E.id), _sum(satisfied), _sum(resolved))
        .join(C, on=(C.id == E.record_id))
        .where((E.record_kind == "complaint") & (E.action == "回访") & _in(E.at, start, end, as_of))
        .group_by(C.unit)
        .tuples()
    ):
        at(unit_id).visits += visits
        at(unit_id).satisfied += sat
        at(unit_id).resolved += res
    # 评价量, 好评量, 差评数, 差评办结数 (已办结 by as_of).
    bad = R.level <= BAD_LEVEL
    closed = (R.status == "已办结") & R.closed_at.is_null(False) & (R.closed_at <= as_of)
    for unit_id, n, good, bad_n, bad_closed in (
        R.select(
            R.unit, pw.fn.COUNT(R.id), _sum(R.level >= GOOD_LEVEL), _sum(bad), _sum(bad & closed)
        )
        .where(_in(R.rated_at, start, end, as_of))
        .group_by(R.unit)
        .tuples()
    ):
        c = at(unit_id)
        c.ratings, c.good, c.bad, c.bad_closed = (
            c.ratings + n,
            c.good + good,
            c.bad + bad_n,
            c.bad_closed + bad_closed,
        )
    if scores_only:
        return result
    for unit_id, level, n in _escalations(start, end, as_of):
        at(unit_id).escalations[level] += n
    A = AccountabilityCase
    for unit_id, status, form, n in (
        A.select(A.unit, A.status, A.form, pw.fn.COUNT(A.id))
        .where(_in(A.decided_at, start, end, as_of) & A.status.in_(("已决定", DISMISSED)))
        .group_by(A.unit, A.status, A.form)
        .tuples()
    ):
        at(unit_id).cases[DISMISSED if status == DISMISSED else (form or "已决定")] += n
    return result


#: The record kinds an escalation may target whose row names a unit: the
#: escalation counts for that unit (a matter's escalation for the matter's
#: unit, a staff member's for the staff member's unit).
UNIT_OF_TARGET = {
    "complaint": Complaint,
    "rating": Rating,
    "review": Review,
    "matter": Matter,
    "staff": Staff,
}


def _escalations(
    start: dt.datetime, end: dt.datetime, as_of: dt.datetime
) -> Iterable[tuple[int | None, str, int]]:
    """(unit id, level, count) of escalations raised in the window, by responsible unit."""
    E = Escalation
    window = _in(E.raised_at, start, end, as_of)
    for kind, model in UNIT_OF_TARGET.items():
        yield from (
            E.select(model.unit, E.level, pw.fn.COUNT(E.id))
            .join(model, on=(model.id == E.target_id))
            .where(window & (E.target_kind == kind))
            .group_by(model.unit, E.level)
            .tuples()
        )
    yield from (
        E.select(E.target_id, E.level, pw.fn.COUNT(E.id))
        .where(window & (E.target_kind == "unit"))
        .group_by(E.target_id, E.level)
        .tuples()
    )
    yield from (
        (None, level, n)
        for level, n in (
            E.select(E.level, pw.fn.COUNT(E.id))
            .where(window & E.target_kind.not_in((*UNIT_OF_TARGET, "unit")))
            .group_by(E.level)
            .tuples()
        )
    )


def escalation_unit() -> pw.Node:
    """The responsible unit of an escalation as an SQL expression: the unit of its
    target record (complaint, rating, review, matter, staff), or the target unit
    itself (used by the 督办 ledger)."""
    E = Escalation
    return pw.fn.COALESCE(
        *(
            model.select(model.unit).where((E.target_kind == kind) & (model.id == E.target_id))
            for kind, model in UNIT_OF_TARGET.items()
        ),
        pw.Case(None, [(E.target_kind == "unit", E.target_id)], None),
    )


def matter_counts(start: dt.datetime, end: dt.datetime, as_of: dt.datetime) -> dict[int, int]:
    """Complaints received in the window per matter (complaints without a matter left out)."""
    C = Complaint
    return dict(
        C.select(C.matter, pw.fn.COUNT(C.id))
        .where(_in(C.received_at, start, end, as_of) & C.matter.is_null(False))
        .group_by(C.matter)
        .tuples()
    )


def surveys(first: dt.date, last: dt.date) -> dict[int, SurveyResult]:
    """Each unit's latest third-party survey whose period covers [first, last]."""
    S = SurveyResult
    latest: dict[int, SurveyResult] = {}
    for s in (
        S.select()
        .where((S.period_start <= first) & (S.period_end >= last))
        .order_by(S.period_end.desc(), S.period_start.desc(), S.id.desc())
    ):
        latest.setdefault(s.unit_id, s)
    return latest


def units() -> list[Unit]:
    return list(Unit.select().order_by(Unit.code))


def matters(ids: Iterable[int] | None = None) -> dict[int, tuple[str, str, str, int, int | None]]:
    """id → (code, name, unit name, legal days, promised days) of the matters asked for (all if None)."""
    U = Unit
    query = Matter.select(
        Matter.id, Matter.code, Matter.name, U.name, Matter.legal_days, Matter.promised_days
    ).join(U, on=(Matter.unit == U.id))
    if ids is not None:
        wanted = list(ids)
        if not wanted:
            return {}
        query = query.where(Matter.id.in_(wanted))
    return {row[0]: row[1:] for row in query.tuples()}


def late_promise() -> pw.Expression:
    """Matters whose promised limit exceeds 25% of the legal one (misses the 75% target)."""
    return Matter.promised_days.is_null(False) & (Matter.promised_days * 4 > Matter.legal_days)


def late_promise_ids() -> list[int]:
    return [i for (i,) in Matter.select(Matter.id).where(late_promise()).tuples()]


__all__ = [
    "Counts",
    "escalation_unit",
    "late_promise",
    "late_promise_ids",
    "matter_counts",
    "matters",
    "month_counts",
    "surveys",
    "units",
]
