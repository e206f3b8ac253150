"""The accountability engine (问责): every accountability rule proposes cases.

A rule answers with the cases it would propose at the run's instant — a
peewee SELECT of ``(key, target_kind, unit_id, staff_id, failure_kind,
evidence, reason)`` (set-based, preferred) or a list of
:class:`~supervise.rules.context.CaseProposal`.  ``key`` names the evidence
within the rule; the engine stores ``"<rule>:<key>"`` as the case's unique
``evidence_key`` and inserts, in one ``INSERT … SELECT`` in key order, only the keys
never proposed before — whatever became of the earlier proposal (decided or
dismissed).  So proposals never repeat for the same evidence, and
re-running any instant adds nothing twice.  Nothing is decided here: every
case starts 待决定 and waits for a ``staff`` decision
(:mod:`supervise.services.accountability`).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import peewee as pw

from ..db import database
from ..errors import InvalidInput
from ..extension import RuleSpec
from ..models import FAILURE_KINDS, AccountabilityCase, Staff, Unit
from .context import CaseProposal, RuleContext
from .engine import (
    RuleEngine,
    RuleFailure,
    call_rule,
    check_as_of,
    chunks,
    contexts,
    is_query,
    run_isolated,
    serialise_runs,
    temporary,
)

logger = logging.getLogger(__name__)

TARGET_KINDS = ("unit", "staff")


class CaseCandidate(pw.Model):
    """Scratch table for the proposals of a rule that answers in Python."""

    key = pw.CharField(primary_key=True)
    target_kind = pw.CharField()
    unit_id = pw.IntegerField()
    staff_id = pw.IntegerField(null=True)
    failure_kind = pw.CharField()
    evidence = pw.TextField()
    reason = pw.TextField()

    class Meta:
        database = database
        table_name = "rule_case_candidate"
        temporary = True


_K = CaseCandidate
_FIELDS = [_K.key, _K.target_kind, _K.unit_id, _K.staff_id, _K.failure_kind, _K.evidence, _K.reason]


@dataclass
class ProposalRun:
    """What one ``accountability propose`` run did."""

    as_of: dt.datetime
    proposed: list[dict[str, Any]] = field(default_factory=list)  # at most ``limit`` items
    proposed_total: int = 0
    by_rule: dict[str, dict[str, Any]] = field(default_factory=dict)
    failures: list[RuleFailure] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat(sep=" "),
            "proposed": self.proposed,
            "proposed_total": self.proposed_total,
            "by_rule": self.by_rule,
            "failures": [f.as_dict() for f in self.failures],
        }


_PROPOSAL_COLUMNS = (
    "key",
    "target_kind",
    "unit_id",
    "staff_id",
    "failure_kind",
    "evidence",
    "reason",
)


def _source(answer: Any) -> tuple[pw.Node, Any]:
    """The rows of a rule's answer to insert from: (source, its columns by name).

    A SELECT is used as it is (a CTE); a list goes into the scratch table first.
    """
    if is_query(answer):  # read once, sorted once (by key, for the insert): no materialised copy
        flagged = answer.cte("rule_proposed", columns=_PROPOSAL_COLUMNS)
        return flagged, flagged.c
    if not isinstance(answer, list | tuple):
        raise TypeError(
            f"returned {type(answer).__name__}, expected a SELECT query or a list of CaseProposal"
        )
    rows = [_proposal(item) for item in answer]
    temporary(_K)
    for chunk in chunks(rows):
        _K.insert_many(chunk, _FIELDS).as_rowcount().execute()
    return _K, _K


def propose_rule(rule: RuleSpec, ctx: RuleContext) -> tuple[int, int]:
    """Insert the rule's proposals whose evidence key is new: ``(id before them, how many)``.

    One ``INSERT … SELECT`` in key order (the unique evidence key index is
    appended to, not written at random); the keys proposed before are
    looked up only when the rule has proposed before.  The proposals are checked as they
    are inserted, with no second pass: an unknown failure kind or target
    kind, a staff target without its staff member or an empty key becomes
    NULL and breaks its column's NOT NULL constraint (as does a missing unit); a bad proposal fails
    the rule and its savepoint undoes the insert.
    """
    case = AccountabilityCase
    name, as_of = rule.name, ctx.as_of
    source, c = _source(call_rule(rule, ctx))
    key = pw.Value(f"{name}:").concat(c.key)
    existing = AccountabilityCase.alias()
    target_ok = (c.target_kind == "unit") | ((c.target_kind == "staff") & c.staff_id.is_null(False))
    columns = (
        pw.Value(name),
        pw.Case(None, [(target_ok, c.target_kind)], None),
        c.unit_id,
        c.staff_id,
        pw.Case(None, [(c.failure_kind.in_(FAILURE_KINDS), c.failure_kind)], None),
        c.evidence,
        pw.fn.NULLIF(key, f"{name}:"),
        c.reason,
        pw.Value(as_of),
        pw.Value("待决定"),
        pw.Value(1),
    )
    query = source.select_from(*columns) if source is not _K else _K.select(*columns)
    prior = existing.select().where(existing.rule == name).exists()
    if prior:  # keys proposed before are skipped
        query = query.where(
            ~pw.fn.EXISTS(existing.select(pw.SQL("1")).where(existing.evidence_key == key))
        )
    # else the rule's first proposals: no key to skip, and no read of the table being written —
    # which SQLite answers by copying the whole SELECT aside before inserting
    fresh = query.order_by(c.key)
    before = case.select(pw.fn.MAX(case.id)).scalar() or 0
    try:
        # One statement with the report's row trigger: an undecided proposal marks no month, so
        # the trigger's cost is small, while a statement-level mark (``marked_once``) past a first
        # batch cost a second evaluation of the rule's SELECT (a million random row reads here).
        with database.atomic():
            count = int(
                case.insert_from(
                    fresh,
                    [
                        case.rule,
                        case.target_kind,
                        case.unit,
                        case.staff,
                        case.failure_kind,
                        case.evidence,
                        case.evidence_key,
                        case.reason,
                        case.proposed_at,
                        case.status,
                        case.version,
                    ],
                )
                .as_rowcount()
                .execute()
            )
    except pw.IntegrityError as exc:
        raise InvalidInput(
            f"问责规则“{name}”的建议无效（对象类型须为 {'/'.join(TARGET_KINDS)}，staff 须有人员；"
            f"问题类型须为 {'/'.join(FAILURE_KINDS)}；单位与依据键不能为空）",
            f"rule {name!r} proposed a bad case: target kind not in {TARGET_KINDS} or staff without a staff "
            f"member, failure kind not in {tuple(FAILURE_KINDS)}, no unit, or an empty key",
        ) from exc
    return before, count


def _proposal(item: Any) -> tuple[Any, ...]:
    if not isinstance(item, CaseProposal):
        if isinstance(item, tuple) and len(item) == 7:
            item = CaseProposal(*item)
        else:
            raise TypeError(f"returned {item!r}, expected a CaseProposal")
    if (
        not isinstance(item.key, str)
        or not isinstance(item.unit_id, int)
        or not isinstance(item.evidence, list)
    ):
        raise TypeError(
            f"returned {item!r}, expected a CaseProposal with text key, unit id and evidence list"
        )
    evidence = json.dumps(item.evidence, ensure_ascii=False)
    return (
        item.key,
        item.target_kind,
        item.unit_id,
        item.staff_id,
        item.failure_kind,
        evidence,
        item.reason,
    )


class ProposalEngine(RuleEngine):
    """``accountability propose``: every accountability rule at one instant."""

    registry_method = "accountability_rules"

    def run(self, as_of: dt.datetime | None = None, *, limit: int | None = 1000) -> ProposalRun:
        """Propose cases as of ``as_of`` (default now); ``limit`` caps the ``proposed`` list."""
        as_of = check_as_of(as_of)
        if limit is not None and limit < 0:
            raise InvalidInput("--limit 不能为负数", "--limit cannot be negative")
        result = ProposalRun(as_of)
        first = last = None
        shown: list[int] = []
        with self.change("accountability.propose"):
            serialise_runs()
            for rule, ctx in contexts(self.rules(), as_of, self._calendar):
                outcome: dict[str, tuple[int, int]] = {}

                def step(
                    rule: RuleSpec = rule,
                    ctx: RuleContext = ctx,
                    outcome: dict[str, tuple[int, int]] = outcome,
                ) -> None:
                    outcome["new"] = propose_rule(rule, ctx)

                if not run_isolated(rule, result.failures, step):
                    continue
                before, count = outcome["new"]
                result.by_rule[rule.name] = {"title": rule.title, "proposed": count}
                if not count:
                    continue
                result.proposed_total += count
                ids = AccountabilityCase.select(AccountabilityCase.id).where(
                    AccountabilityCase.id > before
                )
                first = first or ids.order_by(AccountabilityCase.id).scalar()
                last = ids.order_by(AccountabilityCase.id.desc()).scalar()
                room = None if limit is None else limit - len(shown)
                if room is None or room > 0:
                    page = ids.order_by(AccountabilityCase.id)
                    shown += [i for (i,) in (page if room is None else page.limit(room)).tuples()]
            CaseCandidate.drop_table(safe=True)
            self.audit(
                "accountability.propose",
                "accountability_case",
                None,
                None,
                {
                    "as_of": as_of,
                    "proposed": {name: v["proposed"] for name, v in result.by_rule.items()},
                    "ids": [first, last] if first else [],
                    "failures": [f.as_dict() for f in result.failures],
                },
            )
        result.proposed = describe_cases(shown)
        logger.info("propose at %s: %d new cases", as_of, result.proposed_total)
        return result


def describe_cases(ids: Sequence[int]) -> list[dict[str, Any]]:
    """The proposal summaries (id, rule, kind, target …) of ``ids``, in that order."""
    if not ids:
        return []
    case = AccountabilityCase
    rows = {c.id: c for c in case.select().where(case.id.in_(list(ids)))}
    unit_ids = list({c.unit_id for c in rows.values()}) or [0]
    units = {
        uid: (code, name)
        for uid, code, name in Unit.select(Unit.id, Unit.code, Unit.name)
        .where(Unit.id.in_(unit_ids))
        .tuples()
    }
    staff_ids = list({c.staff_id for c in rows.values() if c.staff_id}) or [0]
    staff = {
        sid: (number, name)
        for sid, number, name in Staff.select(Staff.id, Staff.number, Staff.name)
        .where(Staff.id.in_(staff_ids))
        .tuples()
    }
    return [
        summary(rows[i], units.get(rows[i].unit_id), staff.get(rows[i].staff_id))
        for i in ids
        if i in rows
    ]


def summary(
    c: AccountabilityCase, unit: tuple[str, str] | None, staff: tuple[str, str] | None
) -> dict[str, Any]:
    """One case as the ``--json`` answers show it (Chinese words for kind, status, form)."""
    unit_text = f"{unit[0]} {unit[1]}" if unit else str(c.unit_id)
    if c.target_kind == "staff" and staff:
        target = f"{staff[0]} {staff[1]}（{unit[1] if unit else c.unit_id}）"
    else:
        target = unit_text
    return {
        "id": c.id,
        "rule": c.rule,
        "kind": c.failure_kind,
        "target": target,
        "target_kind": c.target_kind,
        "unit": unit[1] if unit else None,
        "unit_code": unit[0] if unit else None,
        "staff": staff[1] if staff else None,
        "staff_number": staff[0] if staff else None,
        "evidence": json.loads(c.evidence),
        "reason": c.reason,
        "proposed_at": c.proposed_at.isoformat(sep=" "),
        "status": c.status,
        "form": c.form,
        "sanction": c.sanction,
        "sanction_ends": c.sanction_ends.isoformat() if c.sanction_ends else None,
        "basis": c.basis,
        "decided_by": c.decided_by,
        "decided_at": c.decided_at.isoformat(sep=" ") if c.decided_at else None,
        "version": c.version,
    }


__all__ = [
    "CaseCandidate",
    "ProposalEngine",
    "ProposalRun",
    "describe_cases",
    "propose_rule",
    "summary",
]
