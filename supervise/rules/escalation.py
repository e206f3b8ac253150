"""The escalation engine (督办): run every escalation rule at one instant.

Each rule answers with the targets it flags *now* — a peewee SELECT of
``(target_kind, target_id, level, reason)`` (set-based, preferred) or a list
of :class:`~supervise.rules.context.EscalationHit`.  A SELECT answer takes
the first of three paths that applies, each a few set-based statements
whatever the number of records:

- **first run** of a rule (it has no record yet): ``INSERT … SELECT`` its
  answer straight into ``escalation`` (:func:`first_run`);
- **nothing changed** (every open record of the rule matched by a flagged
  target at its level or below, and nothing else flagged): two counting
  passes and no write (:func:`unchanged`) — the usual re-run;
- **merge** otherwise (and always for a list answer): the answer goes into
  a scratch table; one pass writes the targets that change into a second
  scratch table; ``UPDATE … FROM`` it reopens resolved records and raises
  levels (a level never drops while its record is open), ``INSERT …
  SELECT`` adds the new targets, and one ``UPDATE`` resolves the rule's open
  records whose target it no longer flags — each only when needed
  (:func:`merge`).

Records changed by a run at a later instant than this one are left alone,
so re-running an earlier instant never rewrites newer history.  Re-running
the same instant changes nothing.  ``updated_at`` is the instant of the last
change of level or state: for an open record, when its level was reached.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import peewee as pw

from ..db import database, is_sqlite
from ..errors import InvalidInput
from ..extension import RuleSpec
from ..models import ESCALATION_LEVELS, AccountabilityCase, Escalation
from ..registry import get_registry
from ..report.summary import counted_once, fold
from ..workdays import WorkCalendar
from . import targets
from .context import LEVEL_RANK, EscalationHit, RuleContext, level_rank
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

#: Inserts of more rows than this mark the report's month once per statement (SQLite).
FIRST_BATCH = 1000


class EscalationCandidate(pw.Model):
    """Scratch table: what one rule flags at the run's instant."""

    target_kind = pw.CharField()
    target_id = pw.IntegerField()
    level = pw.CharField()
    reason = pw.TextField()

    class Meta:
        database = database
        table_name = "rule_escalation_candidate"
        temporary = True
        # target id first: filled in target order, read in the order of the escalation index
        primary_key = pw.CompositeKey("target_id", "target_kind")


class EscalationChange(pw.Model):
    """Scratch table: the flagged targets whose record is to be written (or left alone as newer)."""

    target_kind = pw.CharField()
    target_id = pw.IntegerField()
    level = pw.CharField()
    reason = pw.TextField()
    record = pw.IntegerField(null=True)  # the escalation's id, None for a new target
    action = pw.CharField()  # new / reopen / raise / newer

    class Meta:
        database = database
        table_name = "rule_escalation_change"
        temporary = True
        primary_key = pw.CompositeKey("target_id", "target_kind")


_C = EscalationCandidate
_D = EscalationChange
_FIELDS = [_C.target_kind, _C.target_id, _C.level, _C.reason]


@dataclass
class EscalationRun:
    """What one ``escalate`` run did."""

    as_of: dt.datetime
    raised: list[dict[str, Any]] = field(default_factory=list)  # at most ``limit`` items
    raised_total: int = 0
    resolved: int = 0
    open: int = 0
    by_rule: dict[str, dict[str, Any]] = field(default_factory=dict)
    failures: list[RuleFailure] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat(sep=" "),
            "raised": self.raised,
            "raised_total": self.raised_total,
            "resolved": self.resolved,
            "open": self.open,
            "by_rule": self.by_rule,
            "failures": [f.as_dict() for f in self.failures],
        }


# -- filling the scratch table ---------------------------------------------------------


def answer_of(rule: RuleSpec, ctx: RuleContext) -> Any:
    """Call the rule: a SELECT of (target_kind, target_id, level, reason), or a checked list of rows."""
    result = call_rule(rule, ctx)
    if is_query(result):
        return result
    if isinstance(result, list | tuple):
        return [_hit(item) for item in result]
    raise TypeError(
        f"returned {type(result).__name__}, expected a SELECT query or a list of EscalationHit"
    )


def fill_candidates(result: Any) -> None:
    """Put a rule's answer into the (empty) scratch table; check it."""
    if is_query(result):
        flagged = result.cte("rule_flagged", columns=_COLUMNS)
        ordered = flagged.select_from(*(getattr(flagged.c, name) for name in _COLUMNS)).order_by(
            flagged.c.target_id, flagged.c.target_kind
        )  # key order: appends, not random inserts
        _C.insert_from(ordered, _FIELDS).as_rowcount().execute()
    else:
        for chunk in chunks(result):
            _C.insert_many(chunk, _FIELDS).as_rowcount().execute()
    bad = _C.select(_C.level).where(_C.level.not_in(ESCALATION_LEVELS)).first()
    if bad is not None:
        raise InvalidInput(
            f"未知的督办级别：{bad.level}", f"unknown escalation level {bad.level!r}"
        )
    if _C.select().where((_C.target_kind == "") | (_C.reason == "")).exists():
        raise InvalidInput("督办对象类型与理由不能为空", "target kind and reason must not be empty")


def _hit(item: Any) -> tuple[str, int, str, str]:
    if isinstance(item, EscalationHit | tuple) and len(item) == 4:
        kind, rid, level, reason = item
        if (
            isinstance(kind, str)
            and isinstance(rid, int)
            and isinstance(level, str)
            and isinstance(reason, str)
        ):
            return kind, rid, level, reason
    raise TypeError(
        f"returned {item!r}, expected EscalationHit(target_kind, target_id, level, reason)"
    )


# -- merging into the escalation table ------------------------------------------------


def _count(condition: pw.Expression) -> pw.Node:
    return pw.fn.COALESCE(pw.fn.SUM(pw.Case(None, [(condition, 1)], 0)), 0)


Raised = tuple[str, int, str, str]  # target kind, target id, level, reason
_COLUMNS = ("target_kind", "target_id", "level", "reason")


def _open_counts(name: str, as_of: dt.datetime) -> tuple[int, int]:
    """The rule's open records: all of them, and those not newer than ``as_of``."""
    e = Escalation
    total, current = (
        e.select(pw.fn.COUNT(e.id), _count(e.updated_at <= as_of))
        .where((e.rule == name) & (e.state == "open"))
        .tuples()
        .get()
    )
    return int(total), int(current)


def unchanged(name: str, query: pw.SelectBase, as_of: dt.datetime) -> int | None:
    """The fast path of a re-run: None if the rule's answer would change something,
    else the rule's open record count.

    Nothing changes when every open record of the rule (none newer than
    ``as_of``) is matched by a flagged target at its level or below, and
    every flagged target is so matched.  An answer of at most
    :data:`FIRST_BATCH` targets is read whole and compared in Python with the
    rule's open records (one evaluation: 热点预警's GROUP BY no longer runs
    twice).  A larger one takes two passes and no scratch table:
    the answer counted (and checked), and the rule's open records — read in
    index order — joined to the answer, which the database materialises
    once (a hash or automatic index) instead of probing the records at
    random.
    """
    flagged = query.cte("rule_flagged", columns=_COLUMNS)
    few = list(
        flagged.select_from(flagged.c.target_kind, flagged.c.target_id, flagged.c.level)
        .limit(FIRST_BATCH + 1)
        .tuples()
    )
    if (
        len(few) <= FIRST_BATCH
    ):  # a small answer (热点预警's GROUP BY): compared here, evaluated once
        return _unchanged_few(name, few, as_of)
    total, bad = (
        flagged.select_from(
            pw.fn.COUNT(pw.SQL("*")), _count(flagged.c.level.not_in(ESCALATION_LEVELS))
        )
        .tuples()
        .get()
    )
    if bad:
        return None
    e = Escalation.alias()
    on = (flagged.c.target_kind == e.target_kind) & (flagged.c.target_id == e.target_id)
    covered = (
        flagged.c.target_id.is_null(False)
        & (e.updated_at <= as_of)
        & (level_rank(e.level) >= level_rank(flagged.c.level))
    )
    rows, matched = (
        e.select(pw.fn.COUNT(pw.SQL("*")), _count(covered))
        .join(flagged, pw.JOIN.LEFT_OUTER, on=on)
        .where((e.rule == name) & (e.state == "open"))
        .with_cte(flagged)
        .tuples()
        .get()
    )
    return int(rows) if rows == matched == total else None


def _unchanged_few(name: str, few: list[tuple[str, int, str]], as_of: dt.datetime) -> int | None:
    """:func:`unchanged` for an answer of at most :data:`FIRST_BATCH` targets, read whole."""
    e = Escalation
    records = {
        (kind, rid): (level, at)
        for kind, rid, level, at in e.select(e.target_kind, e.target_id, e.level, e.updated_at)
        .where((e.rule == name) & (e.state == "open"))
        .limit(FIRST_BATCH + 1)
        .tuples()
    }
    if len(records) != len(few) or len({(kind, rid) for kind, rid, _ in few}) != len(few):
        return None
    for kind, rid, level in few:
        found = records.get((kind, rid))
        if (
            level not in LEVEL_RANK
            or found is None
            or found[1] > as_of
            or LEVEL_RANK[found[0]] < LEVEL_RANK[level]
        ):
            return None
    return len(records)


@dataclass
class Merged:
    """What merging one rule's answer did."""

    raised: dict[str, int]  # level → raised count
    listed: list[Raised]  # up to ``room`` of them
    resolved: int
    open: int  # the rule's open records afterwards


def merge(name: str, as_of: dt.datetime, room: int | None) -> Merged:
    """Merge the scratch table into ``escalation`` for rule ``name``.

    One pass over the scratch table joined to the rule's records writes the
    targets that change (new, reopened, raised; or newer than ``as_of``, left
    alone) into a second, usually small, scratch table; the writes read only
    that one.  The resolving pass runs only when the rule has more open
    records than targets still flagged.
    """
    e = Escalation
    open_all, open_current = _open_counts(name, as_of)
    temporary(_D)
    on = (e.rule == name) & (e.target_kind == _C.target_kind) & (e.target_id == _C.target_id)
    current = e.updated_at <= as_of  # records of a later run are left alone
    kept = (e.state == "open") & current & (level_rank(_C.level) <= level_rank(e.level))
    action = pw.Case(
        None,
        [(e.id.is_null(), "new"), (~current, "newer"), (e.state == "resolved", "reopen")],
        "raise",
    )
    changed = (
        _C.select(_C.target_kind, _C.target_id, _C.level, _C.reason, e.id, action)
        .join(e, pw.JOIN.LEFT_OUTER, on=on)
        .where(e.id.is_null() | ~kept)
    )
    _D.insert_from(
        changed, [_D.target_kind, _D.target_id, _D.level, _D.reason, _D.record, _D.action]
    ).as_rowcount().execute()
    by_action = dict(_D.select(_D.action, pw.fn.COUNT(pw.SQL("*"))).group_by(_D.action).tuples())
    writes = _D.action.in_(("new", "reopen", "raise"))
    counts = dict(
        _D.select(_D.level, pw.fn.COUNT(pw.SQL("*"))).where(writes).group_by(_D.level).tuples()
    )
    listed: list[Raised] = []
    if counts and (room is None or room > 0):
        page = (
            _D.select(_D.target_kind, _D.target_id, _D.level, _D.reason)
            .where(writes)
            .order_by(_D.target_id, _D.target_kind)
        )
        listed = list((page if room is None else page.limit(room)).tuples())
    flagged_open = _C.select().count() - sum(by_action.values()) + by_action.get("raise", 0)
    if by_action.get("reopen") or by_action.get("raise"):
        (
            e.update(
                {
                    e.level: _D.level,
                    e.reason: _D.reason,
                    e.raised_at: pw.Case(None, [(e.state == "resolved", as_of)], e.raised_at),
                    e.state: "open",
                    e.resolved_at: None,
                    e.updated_at: as_of,
                    e.version: e.version + 1,
                }
            )
            .from_(_D)
            .where((e.id == _D.record) & _D.action.in_(("reopen", "raise")))
            .execute()
        )
    if by_action.get("new"):
        new_rows = _D.select(
            pw.Value(name),
            _D.target_kind,
            _D.target_id,
            _D.level,
            _D.reason,
            pw.Value(as_of),
            pw.Value(as_of),
            pw.Value("open"),
            pw.Value(1),
        ).where(_D.action == "new")
        _insert(new_rows, as_of, bulk=by_action["new"] > FIRST_BATCH)
    resolved = 0
    if open_current > flagged_open:  # some open record's target is no longer flagged
        match = (_C.target_kind == e.target_kind) & (_C.target_id == e.target_id)
        gone = ~pw.fn.EXISTS(_C.select(pw.SQL("1")).where(match))
        resolved = (
            e.update(
                {
                    e.state: "resolved",
                    e.resolved_at: as_of,
                    e.updated_at: as_of,
                    e.version: e.version + 1,
                }
            )
            .where((e.rule == name) & (e.state == "open") & current & gone)
            .execute()
        )
    opened = by_action.get("new", 0) + by_action.get("reopen", 0)
    return Merged(counts, listed, int(resolved), open_all + int(opened) - int(resolved))


def _insert(rows: pw.SelectBase, as_of: dt.datetime, *, bulk: bool = False) -> int:
    """``INSERT … SELECT`` new escalation records: (rule, kind, id, level, reason, as_of, as_of, 'open', 1).

    ``bulk``: the report's counts of the rows are added once for the statement,
    set-based, not once per row (:func:`counted_once`) — worth its two schema
    statements and one more pass over the new rows only for many rows.
    """
    e = Escalation
    fields = [
        e.rule,
        e.target_kind,
        e.target_id,
        e.level,
        e.reason,
        e.raised_at,
        e.updated_at,
        e.state,
        e.version,
    ]
    if not bulk:
        return int(e.insert_from(rows, fields).as_rowcount().execute())
    with counted_once("escalation"):
        return int(e.insert_from(rows, fields).as_rowcount().execute())


def insert_ordered(rows: pw.SelectBase, as_of: dt.datetime) -> int:
    """Insert ``rows`` (ordered): the first :data:`FIRST_BATCH` as any writer
    would, the rest, if any, as a bulk statement (one change mark).

    Most runs insert a few records or none, and pay no schema statement; a
    backlog pays one more evaluation of the answer.  The rest is the ordered
    answer past the first batch (``OFFSET``), so that a target repeated across
    the boundary still meets its first copy in the unique index.
    """
    if not is_sqlite():  # PostgreSQL's triggers already run once per statement
        return _insert(rows, as_of)
    head = _insert(rows.limit(FIRST_BATCH), as_of)
    if head < FIRST_BATCH:
        return head
    return head + _insert(rows.limit(-1).offset(FIRST_BATCH), as_of, bulk=True)


def first_run(
    name: str, query: pw.SelectBase, as_of: dt.datetime, room: int | None
) -> Merged | None:
    """A rule with no record at all yet: insert its answer straight from its query.

    None when the rule already has records (then :func:`merge` does the work).
    The answer is checked as it is inserted, with no second pass: an unknown
    level, an empty target kind or reason becomes NULL and breaks the
    columns' NOT NULL constraint, and a repeated target the unique index;
    either fails the rule and its savepoint undoes the insert.
    """
    e = Escalation
    if e.select().where(e.rule == name).exists():
        return None
    flagged = query.cte("rule_flagged", columns=_COLUMNS)
    c = flagged.c
    level = pw.Case(None, [(c.level.in_(ESCALATION_LEVELS), c.level)], None)
    try:
        with database.atomic():
            insert_ordered(
                flagged.select_from(
                    pw.Value(name),
                    pw.fn.NULLIF(c.target_kind, ""),
                    c.target_id,
                    level,
                    pw.fn.NULLIF(c.reason, ""),
                    pw.Value(as_of),
                    pw.Value(as_of),
                    pw.Value("open"),
                    pw.Value(1),
                ).order_by(c.target_kind, c.target_id),
                as_of,
            )  # index order: appends, not random inserts
    except pw.IntegrityError as exc:
        raise InvalidInput(
            f"督办规则“{name}”的结果无效（未知级别、空的对象类型或理由、重复的对象）",
            f"rule {name!r} answered an unknown level, an empty target kind or reason, or a target twice",
        ) from exc
    counts = dict(
        e.select(e.level, pw.fn.COUNT(e.id)).where(e.rule == name).group_by(e.level).tuples()
    )
    listed: list[Raised] = []
    if counts and (room is None or room > 0):
        page = (
            e.select(e.target_kind, e.target_id, e.level, e.reason)
            .where(e.rule == name)
            .order_by(e.target_kind, e.target_id)
        )
        listed = list((page if room is None else page.limit(room)).tuples())
    return Merged(counts, listed, 0, sum(counts.values()))


# -- the run ----------------------------------------------------------------------------


class EscalationEngine(RuleEngine):
    """``escalate``: every escalation rule at one instant, for the acting user."""

    registry_method = "escalation_rules"

    def run(self, as_of: dt.datetime | None = None, *, limit: int | None = 1000) -> EscalationRun:
        """Raise, re-level and resolve escalations as of ``as_of`` (default now).

        ``limit`` caps the ``raised`` list (None: all); ``raised_total`` is the full count.
        """
        as_of = check_as_of(as_of)
        if limit is not None and limit < 0:
            raise InvalidInput("--limit 不能为负数", "--limit cannot be negative")
        result = EscalationRun(as_of)
        listed: list[tuple[str, Raised]] = []
        with self.change("escalate"):
            serialise_runs()
            for rule, ctx in contexts(self.rules(), as_of, self._calendar):
                outcome: dict[str, Any] = {}

                def step(
                    rule: RuleSpec = rule, ctx: RuleContext = ctx, outcome: dict[str, Any] = outcome
                ) -> None:
                    answer = answer_of(rule, ctx)
                    room = None if limit is None else max(limit - len(listed), 0)
                    if is_query(answer):
                        done = first_run(rule.name, answer, as_of, room)
                        if done is None:
                            still = unchanged(rule.name, answer, as_of)
                            done = Merged({}, [], 0, still) if still is not None else None
                        if done is not None:
                            outcome["merged"] = done
                            return
                    temporary(_C)
                    fill_candidates(answer)
                    outcome["merged"] = merge(rule.name, as_of, room)

                if not run_isolated(rule, result.failures, step):
                    continue
                merged: Merged = outcome["merged"]
                listed.extend((rule.name, item) for item in merged.listed)
                result.raised_total += sum(merged.raised.values())
                result.resolved += merged.resolved
                result.by_rule[rule.name] = {
                    "title": rule.title,
                    "raised": merged.raised,
                    "resolved": merged.resolved,
                    "open": merged.open,
                }
            result.open = Escalation.select().where(Escalation.state == "open").count()
            EscalationCandidate.drop_table(safe=True)
            EscalationChange.drop_table(safe=True)
            self.audit(
                "escalate",
                "escalation",
                None,
                None,
                {
                    "as_of": as_of,
                    # per rule, how many were raised at each level (the threshold that raised them)
                    "rules": {
                        name: {
                            "raised": sum(v["raised"].values()),
                            "levels": v["raised"],
                            "resolved": v["resolved"],
                        }
                        for name, v in result.by_rule.items()
                    },
                    "failures": [f.as_dict() for f in result.failures],
                },
            )
        result.raised = _describe(listed)
        fold()  # PostgreSQL: the report's deltas of the day's writes, into its kept counts
        logger.info(
            "escalate at %s: %d raised, %d resolved, %d open",
            as_of,
            result.raised_total,
            result.resolved,
            result.open,
        )
        return result


def _describe(listed: list[tuple[str, Raised]]) -> list[dict[str, Any]]:
    names = targets.describe((kind, rid) for _, (kind, rid, _, _) in listed)
    units = targets.unit_names(info["unit_id"] for info in names.values())
    items = []
    for rule, (kind, rid, level, reason) in listed:
        info = names[(kind, rid)]
        items.append(
            {
                "rule": rule,
                "level": level,
                "target": info["target"],
                "target_kind": kind,
                "target_id": rid,
                "unit": units.get(info["unit_id"]),
                "reason": reason,
            }
        )
    return items


# -- dashboard ----------------------------------------------------------------------------


def _levels(answer: Any) -> dict[str, int]:
    """How many targets a rule's answer flags at each level (nothing written)."""
    if is_query(answer):
        flagged = answer.cte("rule_flagged", columns=_COLUMNS)
        counts = dict(
            flagged.select_from(flagged.c.level, pw.fn.COUNT(pw.SQL("*")))
            .group_by(flagged.c.level)
            .tuples()
        )
    else:
        counts = {}
        for _, _, level, _ in answer:
            counts[level] = counts.get(level, 0) + 1
    unknown = set(counts) - set(ESCALATION_LEVELS)
    if unknown:
        raise InvalidInput(
            f"未知的督办级别：{'、'.join(sorted(unknown))}",
            f"unknown escalation level {sorted(unknown)}",
        )
    return counts


def dashboard_counts(
    as_of: dt.datetime | None = None,
    *,
    rules: Sequence[RuleSpec] | None = None,
    calendar: WorkCalendar | None = None,
) -> dict[str, Any]:
    """The escalation and accountability figures of the dashboard at ``as_of``.

    ``escalations``: escalation records open at ``as_of`` by level (their
    current level); ``live``: what each escalation rule flags at ``as_of``
    by level, from the same rule queries as ``escalate`` (counted in SQL,
    written nowhere); ``awaiting_decision``: proposals not yet decided at ``as_of``
    (and by failure kind).  No permission check: the GUI shows the
    dashboard to the roles that read reports.
    """
    as_of = (as_of or check_as_of(None)).replace(microsecond=0)
    e, case = Escalation, AccountabilityCase
    open_at = (e.raised_at <= as_of) & ((e.state == "open") | (e.resolved_at > as_of))
    stored = dict(e.select(e.level, pw.fn.COUNT(e.id)).where(open_at).group_by(e.level).tuples())
    pending = (case.proposed_at <= as_of) & ((case.status == "待决定") | (case.decided_at > as_of))
    by_kind = dict(
        case.select(case.failure_kind, pw.fn.COUNT(case.id))
        .where(pending)
        .group_by(case.failure_kind)
        .tuples()
    )
    live: dict[str, dict[str, int]] = {}
    failures: list[RuleFailure] = []
    chosen = list(rules) if rules is not None else get_registry().escalation_rules()
    for rule, ctx in contexts(chosen, as_of, calendar):

        def step(rule: RuleSpec = rule, ctx: RuleContext = ctx) -> None:
            live[rule.name] = _levels(answer_of(rule, ctx))

        run_isolated(rule, failures, step)
    return {
        "as_of": as_of.isoformat(sep=" "),
        "escalations": {level: stored.get(level, 0) for level in ESCALATION_LEVELS},
        "escalations_open": sum(stored.values()),
        "live": live,
        "awaiting_decision": sum(by_kind.values()),
        "awaiting_by_kind": by_kind,
        "failures": [f.as_dict() for f in failures],
    }


__all__ = [
    "EscalationCandidate",
    "EscalationChange",
    "EscalationEngine",
    "EscalationRun",
    "Merged",
    "answer_of",
    "dashboard_counts",
    "fill_candidates",
    "first_run",
    "merge",
    "unchanged",
]
