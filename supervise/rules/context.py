"""What a rule is given and the building blocks of set-based rules.

A rule's ``run`` is called with one keyword argument, ``ctx`` (a
:class:`RuleContext`): the instant the rules run at, the working-day
calendar, and the rule's parameters (its ``RuleSpec.parameters`` defaults
overridden by the settings ``rules.<rule>.<parameter>``).  Accept
``**context`` as well, so that the engine can pass more keywords later.

Working days never reach SQL: a rule asks the context for *cut-off
instants* computed once in Python with the calendar (:meth:`RuleContext.
past_due_cutoff`, :meth:`RuleContext.due_within`) and compares a column to
them, so that every rule is one set-based query whatever the number of
records.  The SQL helpers below (text, JSON evidence, level ranks) render
the same on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import peewee as pw

from ..errors import InvalidInput
from ..models import ESCALATION_LEVELS, Complaint, Rating
from ..workdays import WorkCalendar

logger = logging.getLogger(__name__)

_ONE_DAY = dt.timedelta(days=1)

#: Rank of each escalation level; a level only ever rises while its escalation is open.
LEVEL_RANK: dict[str, int] = {level: rank for rank, level in enumerate(ESCALATION_LEVELS)}


class EscalationHit(NamedTuple):
    """One target an escalation rule flags, for rules that answer in Python."""

    target_kind: str
    target_id: int
    level: str
    reason: str


class CaseProposal(NamedTuple):
    """One accountability proposal, for rules that answer in Python.

    ``key`` identifies the evidence within the rule (the engine prefixes the
    rule name); a key already proposed is never proposed again.
    ``evidence`` is a list of ``{"kind": ..., "id": ...}`` references.
    """

    key: str
    target_kind: str  # unit / staff
    unit_id: int
    staff_id: int | None
    failure_kind: str  # 不作为 / 慢作为 / 乱作为
    evidence: list[dict[str, Any]]
    reason: str


def setting_key(rule: str, parameter: str) -> str:
    """The setting that overrides a rule's parameter: ``rules.<rule>.<parameter>``, or
    ``rules.<parameter>`` for a name with a dot — a threshold kept under the name of
    another rule (the deadline ladder's ``临期预警.days``)."""
    return f"rules.{parameter}" if "." in parameter else f"rules.{rule}.{parameter}"


@dataclass(frozen=True)
class RuleContext:
    """The instant, calendar and parameters one rule runs with."""

    rule: str
    as_of: dt.datetime
    calendar: WorkCalendar
    params: Mapping[str, Any] = field(default_factory=dict)

    # -- parameters --------------------------------------------------------------

    def param(self, name: str) -> Any:
        try:
            return self.params[name]
        except KeyError:
            raise InvalidInput(
                f"规则“{self.rule}”缺少参数 {name}", f"rule {self.rule!r} has no parameter {name!r}"
            ) from None

    def int_param(self, name: str, minimum: int = 0) -> int:
        """A whole-number parameter of at least ``minimum``; a bad setting is InvalidInput."""
        value = self.param(name)
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise InvalidInput(
                f"设置 {setting_key(self.rule, name)} 应为不小于 {minimum} 的整数：{value!r}",
                f"setting {setting_key(self.rule, name)} must be a whole number >= {minimum}: {value!r}",
            )
        return value

    # -- cut-off instants --------------------------------------------------------

    def last_workday(self, day: dt.date) -> dt.date:
        """``day`` if it is a working day, else the latest working day before it."""
        while not self.calendar.is_workday(day):
            day -= _ONE_DAY
        return day

    def workdays_back(self, day: dt.date, n: int) -> dt.date:
        """The ``n``-th working day before the working day ``day`` (``n == 0``: ``day``)."""
        for _ in range(n):
            day -= _ONE_DAY
            while not self.calendar.is_workday(day):
                day -= _ONE_DAY
        return day

    def past_due_cutoff(self, n: int) -> dt.datetime:
        """The instant ``C`` such that a deadline ``d`` is at least ``n`` working days
        past at ``as_of`` exactly when ``d < C``.

        "``n`` working days past ``d``" means that the ``n``-th working day after
        ``d``'s day has begun by ``as_of`` (SPEC §3 counting: ``d``'s day itself
        is not counted).  ``n == 0`` means simply past: ``d < as_of``.  For
        ``n >= 1`` the ``n``-th working day after the day ``x`` is on or before
        ``as_of``'s day exactly when ``x`` lies before ``w``, the ``(n-1)``-th
        working day before the last working day up to ``as_of``; so ``C`` is
        the start of ``w``.
        """
        if n < 0:
            raise InvalidInput(
                f"工作日数不能为负数：{n}", f"the number of working days cannot be negative: {n}"
            )
        if n == 0:
            return self.as_of
        anchor = self.last_workday(self.as_of.date())
        return dt.datetime.combine(self.workdays_back(anchor, n - 1), dt.time())

    def due_within(self, n: int) -> dt.datetime:
        """The end of the ``n``-th working day after ``as_of``'s day (``n == 0``: of
        that day, or of the next working day): deadlines up to it fall within
        ``n`` working days."""
        return self.calendar.due_at(self.as_of, n)

    def month(self, back: int) -> str:
        """``YYYY-MM`` of the month ``back`` months before ``as_of``'s month."""
        index = self.as_of.year * 12 + self.as_of.month - 1 - back
        return f"{index // 12:04d}-{index % 12 + 1:02d}"


# -- record states at an instant ------------------------------------------------------


def complaint_unanswered(as_of: dt.datetime) -> pw.Expression:
    """Complaints assigned to a unit by ``as_of`` that had no reply at ``as_of``.

    A complaint waiting at 已交办 counts, and so does one whose reply was
    recorded only after ``as_of`` — so that a run at a past instant gives the
    same answer before and after the reply is entered.
    """
    c = Complaint
    waiting = (c.status == "已交办") & c.replied_at.is_null()
    later = (c.replied_at > as_of) & c.status.not_in(("登记", "不予受理", "已并单"))
    assigned = c.assigned_at.is_null() | (c.assigned_at <= as_of)
    return c.due_at.is_null(False) & (waiting | later) & assigned


def rating_unrectified(as_of: dt.datetime) -> pw.Expression:
    """差评 found 属实 by ``as_of`` whose rectification was not done at ``as_of``."""
    r = Rating
    waiting = (r.status == "待整改") & r.rectified_at.is_null()
    later = r.rectified_at > as_of
    return (
        r.bad
        & (r.finding == "属实")
        & r.rectify_due_at.is_null(False)
        & (r.verified_at.is_null() | (r.verified_at <= as_of))
        & (waiting | later)
    )


# -- SQL building blocks ---------------------------------------------------------------


def as_text(expr: Any) -> pw.Node:
    """``CAST(expr AS VARCHAR)``: numbers, dates and instants as text on both engines."""
    return pw.Cast(expr if isinstance(expr, pw.Node) else pw.Value(expr), "VARCHAR")


def day_text(expr: pw.Node) -> pw.Node:
    """The ``YYYY-MM-DD`` part of a stored date or instant, as text."""
    return pw.fn.SUBSTR(as_text(expr), 1, 10)


def text(*parts: Any) -> pw.Node:
    """Concatenate literals and expressions (``||``), casting expressions to text."""
    nodes = [pw.Value(p) if isinstance(p, str) else as_text(p) for p in parts]
    result = nodes[0]
    for node in nodes[1:]:
        result = result.concat(node)
    return result


def evidence_json(*refs: tuple[str, pw.Node]) -> pw.Node:
    """A JSON list ``[{"kind": K, "id": N}, …]`` built in SQL from (kind, id column) pairs."""
    parts: list[Any] = ["["]
    for i, (kind, column) in enumerate(refs):
        parts += [("" if i == 0 else ", ") + f'{{"kind": "{kind}", "id": ', column, "}"]
    parts.append("]")
    merged: list[Any] = []
    for part in parts:  # join neighbouring literals into one
        if merged and isinstance(part, str) and isinstance(merged[-1], str):
            merged[-1] += part
        else:
            merged.append(part)
    return text(*merged)


def level_rank(expr: pw.Node) -> pw.Node:
    """The rank of a level column (``LEVEL_RANK``), -1 for an unknown word."""
    return pw.Case(expr, list(LEVEL_RANK.items()), -1)


NULL_ID = pw.SQL("CAST(NULL AS INTEGER)")
"""A typed NULL for the ``staff_id`` column of a unit-level proposal."""


__all__ = [
    "LEVEL_RANK",
    "NULL_ID",
    "CaseProposal",
    "EscalationHit",
    "RuleContext",
    "as_text",
    "complaint_unanswered",
    "day_text",
    "evidence_json",
    "level_rank",
    "rating_unrectified",
    "setting_key",
    "text",
]
