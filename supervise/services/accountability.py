"""Accountability decisions (问责决定) and reading escalations and cases (SPEC §2.4).

Rules only propose (:mod:`supervise.rules`); a ``staff`` user decides each
case (``accountability.decide`` — an administrator runs the system but does
not judge cases):

- a form for a unit: 检查, 通报, 约谈, 改组;
- a form for a person: 谈话提醒, 批评教育, 责令检查, 通报批评, 诫勉, 组织调整,
  政务处分 — the last with its sanction (警告 6 months, 记过 12, 记大过 18,
  降级 24, 撤职 24, 开除 without a period); the period runs from the day of
  the decision (counted) and ends the day before the same date N months
  later (:func:`sanction_end`);
- or dismissal (不予问责) with its reason.

Every decision needs its basis (the reason is stored as the basis of a
dismissal), is a versioned update with its audit entry, and can only be
taken once.  A decided case feeds a circular through :meth:`AccountabilityService.for_circular`.
Escalations and cases are read by the roles with ``accountability.read``.
"""

from __future__ import annotations

import builtins
import calendar
import datetime as dt
import logging
from typing import Any

from ..errors import InvalidInput, NotFound
from ..models import (
    CASE_STATUSES,
    ESCALATION_LEVELS,
    PERSON_FORMS,
    SANCTIONS,
    UNIT_FORMS,
    AccountabilityCase,
    Escalation,
    now,
)
from ..rules import targets
from ..rules.accountability import describe_cases
from .base import Service
from .reference import get_unit

logger = logging.getLogger(__name__)

MAX_PAGE = 500
ESCALATION_STATES = ("open", "resolved")


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later (the month's last day when it is shorter)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return dt.date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def sanction_end(start: dt.date, sanction: str) -> dt.date | None:
    """The last day of a 政务处分 period that starts on ``start`` (that day counted).

    The period ends the day before the same day ``N`` months later, or on the
    last day of that month when it has no such day (31 August + 6 months →
    the end of February).  开除 has no period: None.
    """
    months = SANCTIONS[sanction]
    if months is None:
        return None
    same_day = add_months(start, months)
    if same_day.day != start.day:  # the month is too short: it ends the period
        return same_day
    return same_day - dt.timedelta(days=1)


def _page(limit: int, offset: int) -> None:
    if not 1 <= limit <= MAX_PAGE or offset < 0:
        raise InvalidInput(f"每页条数应在 1–{MAX_PAGE} 之间", f"--limit must be 1–{MAX_PAGE}")


def _choice(value: str | None, allowed: tuple[str, ...] | list[str], zh: str, en: str) -> str:
    if value is None or value not in allowed:
        raise InvalidInput(
            f"{zh}无效：{value}（可选：{'/'.join(allowed)}）", f"unknown {en}: {value}"
        )
    return value


class AccountabilityService(Service):
    """Deciding, dismissing and reading accountability cases."""

    def get(self, case_id: int) -> AccountabilityCase:
        self.require("accountability.read")
        case = AccountabilityCase.get_or_none(AccountabilityCase.id == case_id)
        if case is None:
            raise NotFound(
                f"问责案件不存在：{case_id}", f"accountability case not found: {case_id}"
            )
        return case

    def _pending(self, case: AccountabilityCase) -> None:
        if case.status != "待决定":
            raise InvalidInput(
                f"问责案件 {case.id} 已{case.status}，不能再次决定",
                f"case {case.id} is already {case.status}; it is decided once",
            )

    # -- deciding ----------------------------------------------------------------------

    def decide(
        self,
        case_id: int,
        form: str,
        basis: str,
        sanction: str | None = None,
        *,
        at: dt.datetime | None = None,
        expected_version: int | None = None,
    ) -> AccountabilityCase:
        """Decide a form (and for 政务处分 its sanction) with its basis."""
        basis = (basis or "").strip()
        if not basis:
            raise InvalidInput("问责决定须写明依据", "a decision needs its basis (--basis)")
        at = (at or now()).replace(microsecond=0)
        with self.change("accountability.decide"):
            case = self.get(case_id)
            self._pending(case)
            if case.target_kind == "staff":
                _choice(form, PERSON_FORMS, "对个人的问责方式", "form for a person")
            else:
                _choice(form, UNIT_FORMS, "对单位的问责方式", "form for a unit")
            ends = None
            if form == "政务处分":
                _choice(sanction, list(SANCTIONS), "政务处分种类", "sanction")
                ends = sanction_end(at.date(), sanction)  # type: ignore[arg-type]
            elif sanction:
                raise InvalidInput(
                    "只有“政务处分”需要指定处分种类", "--sanction goes only with the form 政务处分"
                )
            return self.update(
                case,
                "accountability.decide",
                expected_version=expected_version,
                status="已决定",
                form=form,
                sanction=sanction if form == "政务处分" else None,
                sanction_ends=ends,
                basis=basis,
                decided_by=self.actor.name,
                decided_at=at,
            )

    def dismiss(
        self,
        case_id: int,
        reason: str,
        *,
        at: dt.datetime | None = None,
        expected_version: int | None = None,
    ) -> AccountabilityCase:
        """不予问责, with the reason (stored as the basis)."""
        reason = (reason or "").strip()
        if not reason:
            raise InvalidInput("不予问责须说明理由", "a dismissal needs a reason (--reason)")
        at = (at or now()).replace(microsecond=0)
        with self.change("accountability.decide"):
            case = self.get(case_id)
            self._pending(case)
            return self.update(
                case,
                "accountability.dismiss",
                expected_version=expected_version,
                status="不予问责",
                basis=reason,
                decided_by=self.actor.name,
                decided_at=at,
            )

    # -- reading -----------------------------------------------------------------------

    def show(self, case_id: int) -> dict[str, Any]:
        """One case with its evidence named."""
        case = self.get(case_id)
        (data,) = describe_cases([case.id])
        refs = [
            (ref["kind"], ref["id"]) for ref in data["evidence"] if isinstance(ref.get("id"), int)
        ]
        names = targets.describe(refs)
        for ref in data["evidence"]:
            info = names.get((ref["kind"], ref["id"]))
            if info:
                ref["target"] = info["target"]
            else:  # not a record: a ranking month, or a plugin's own kind
                ref["target"] = (
                    f"{ref['id']} 月度排名"
                    if ref["kind"] == "ranking"
                    else f"{ref['kind']} {ref['id']}"
                )
        return data

    def list(
        self,
        status: str | None = None,
        rule: str | None = None,
        unit: str | None = None,
        limit: int = 20,
        offset: int = 0,
    ) -> dict[str, Any]:
        self.require("accountability.read")
        _page(limit, offset)
        q = AccountabilityCase.select(AccountabilityCase.id)
        if status:
            q = q.where(
                AccountabilityCase.status
                == _choice(status, CASE_STATUSES, "案件状态", "case status")
            )
        if rule:
            q = q.where(AccountabilityCase.rule == rule)
        if unit:
            q = q.where(AccountabilityCase.unit == get_unit(unit).id)
        total = q.count()
        ids = [
            rid
            for (rid,) in q.order_by(AccountabilityCase.id.desc())
            .limit(limit)
            .offset(offset)
            .tuples()
        ]
        return {"total": total, "items": describe_cases(ids)}

    def for_circular(self, case_ids: builtins.list[int]) -> builtins.list[dict[str, Any]]:
        """The decided cases a circular (通报) cites, in the order given.

        Only 已决定 cases qualify; the items carry what a circular prints
        (unit, person, failure, form, sanction, basis, decision) and the ids
        of the complaints and ratings cited (``evidence``), never a
        complainant identity.
        """
        items = []
        for case_id in case_ids:
            case = self.get(case_id)
            if case.status != "已决定":
                raise InvalidInput(
                    f"问责案件 {case_id} 尚未作出问责决定（{case.status}），不能通报",
                    f"case {case_id} is {case.status}, not decided; it cannot be circulated",
                )
            (data,) = describe_cases([case.id])
            item = {
                key: data[key]
                for key in (
                    "id",
                    "rule",
                    "kind",
                    "target",
                    "target_kind",
                    "unit",
                    "unit_code",
                    "staff",
                    "reason",
                    "form",
                    "sanction",
                    "sanction_ends",
                    "basis",
                    "decided_by",
                    "decided_at",
                )
            }
            item["evidence"] = _evidence_records(data["evidence"])
            items.append(item)
        return items

    def circulated_between(
        self, start: dt.datetime, end: dt.datetime, forms: tuple[str, ...]
    ) -> builtins.list[int]:
        """Ids of the cases decided in [start, end) with one of ``forms``, in decision order."""
        self.require("accountability.read")
        case = AccountabilityCase
        return [
            i
            for (i,) in case.select(case.id)
            .where(
                (case.status == "已决定")
                & case.form.in_(forms)
                & (case.decided_at >= start)
                & (case.decided_at < end)
            )
            .order_by(case.decided_at, case.id)
            .tuples()
        ]


def _evidence_records(refs: list[Any]) -> dict[str, list[int]]:
    """The complaint and rating ids a case cites (ids only, never an identity);
    an escalation counts as the record it escalated."""
    found: dict[str, set[int]] = {"complaint": set(), "rating": set()}
    valid = [r for r in refs if isinstance(r, dict) and isinstance(r.get("id"), int)]
    for ref in valid:
        if ref.get("kind") in found:
            found[ref["kind"]].add(ref["id"])
    escalations = [r["id"] for r in valid if r.get("kind") == "escalation"]
    if escalations:
        for kind, target in (
            Escalation.select(Escalation.target_kind, Escalation.target_id)
            .where(Escalation.id.in_(escalations))
            .tuples()
        ):
            if kind in found:
                found[kind].add(target)
    return {kind: sorted(ids) for kind, ids in found.items()}


class EscalationQueries(Service):
    """Reading escalation records (督办) with filters."""

    def list(
        self,
        state: str | None = None,
        level: str | None = None,
        rule: str | None = None,
        limit: int = 20,
        offset: int = 0,
    ) -> dict[str, Any]:
        self.require("accountability.read")
        _page(limit, offset)
        e = Escalation
        q = e.select()
        if state:
            q = q.where(
                e.state == _choice(state, ESCALATION_STATES, "督办状态", "escalation state")
            )
        if level:
            q = q.where(
                e.level == _choice(level, ESCALATION_LEVELS, "督办级别", "escalation level")
            )
        if rule:
            q = q.where(e.rule == rule)
        total = q.count()
        page = list(q.order_by(e.updated_at.desc(), e.id.desc()).limit(limit).offset(offset))
        names = targets.describe((x.target_kind, x.target_id) for x in page)
        units = targets.unit_names(info["unit_id"] for info in names.values())
        items = []
        for x in page:
            info = names[(x.target_kind, x.target_id)]
            items.append(
                {
                    "id": x.id,
                    "rule": x.rule,
                    "level": x.level,
                    "target": info["target"],
                    "target_kind": x.target_kind,
                    "target_id": x.target_id,
                    "unit": units.get(info["unit_id"]),
                    "reason": x.reason,
                    "raised_at": x.raised_at.isoformat(sep=" "),
                    "updated_at": x.updated_at.isoformat(sep=" "),
                    "state": x.state,
                    "resolved_at": x.resolved_at.isoformat(sep=" ") if x.resolved_at else None,
                }
            )
        return {"total": total, "items": items}


__all__ = ["AccountabilityService", "EscalationQueries", "add_months", "sanction_end"]
