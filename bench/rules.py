"""Issue #5's figures: the escalation and accountability engines at city scale.

Before measuring, every generated complaint is put back with its unit,
unanswered (已交办, no reply, not closed; those never assigned are assigned
at receipt with a 14-day deadline), so that at :data:`AS_OF` about 96 % of
a million open complaints are past due — the issue's worst case.  Then:

(a) 首次督办 — the first ``escalate`` (``EscalationEngine.run``) over that
    data, the escalation table empty (target 10 s);
(b) 同时点重跑 — ``escalate`` again at the same instant: it must raise and
    resolve nothing (target 5 s; the suite fails loudly if it does);
(c) 问责建议 — ``accountability propose`` (``ProposalEngine.run``) over the
    same data, with the escalations of (a) in place, no case yet (target 10 s).

Baselines, in the same run on the same rows, with the raw driver: for (a)
and (c) one bare ``INSERT … SELECT`` of exactly the rows the engine wrote
(copied aside once) into the same table with the same indexes; for (b) one
bare anti-join of those rows against the open escalations (``NOT EXISTS``),
the comparison a re-run has to make.  Between timings the written rows are
deleted (not timed), so every timing starts from the same state.
"""

from __future__ import annotations

import datetime as dt
import logging
import statistics
from collections.abc import Callable
from typing import Any

from supervise.auth import Actor
from supervise.extension import RuleSpec
from supervise.plugins import BUILTIN_PREFIX
from supervise.registry import get_registry
from supervise.rules import EscalationEngine, ProposalEngine

from . import Context, timed
from .report import Figure

logger = logging.getLogger(__name__)

#: The instant the engines run at: all but the latest 4 % of the deadlines of
#: October's complaints are past (a Wednesday evening, after the generated
#: statuses' clock; the engines refuse instants after the machine's clock).
AS_OF = dt.datetime(2026, 11, 11, 18, 0)
ACTOR = Actor(name="bench", role="staff")

# Ratio budgets (value ÷ bare INSERT … SELECT or anti-join of the same rows): the
# largest ratios seen in runs at 3,000–20,000 complaints (both engines), 300,000
# (PostgreSQL) and 1,000,000 (SQLite), rounded up; small scales give the largest
# ratios (the engines' fixed cost per run shows).  CI fails past 3× these.
BUDGETS = {
    "rules.escalate.first": 3.0,
    # at the tripwire's 3,000 complaints a re-run is mostly its rules' fixed per-statement cost
    # against one bare anti-join: 10-20x on PostgreSQL (33x seen at load 8); about 2x at 1 M
    "rules.escalate.rerun": 15.0,
    "rules.propose": 8.0,
}

_ESCALATION = (
    "rule",
    "target_kind",
    "target_id",
    "level",
    "reason",
    "raised_at",
    "updated_at",
    "state",
    "version",
)
_CASE = (
    "rule",
    "target_kind",
    "unit_id",
    "staff_id",
    "failure_kind",
    "evidence",
    "evidence_key",
    "reason",
    "proposed_at",
    "status",
    "version",
)


class _Raw:
    """The raw DB-API connection, with one ``run(sql)`` for both engines."""

    def __init__(self, ctx: Context) -> None:
        self.engine = ctx.engine
        self.conn = ctx.raw()

    def run(self, sql: str, params: tuple[Any, ...] = ()) -> Any:
        sql = sql if self.engine == "postgresql" else sql.replace("%s", "?")
        if self.engine == "sqlite":
            return (
                self.conn.execute(sql, params).fetchall()
                if sql.lstrip().startswith("SELECT")
                else (self.conn.execute(sql, params))
            )
        with self.conn.cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchall() if cur.description else None

    def scalar(self, sql: str, params: tuple[Any, ...] = ()) -> Any:
        return self.run(sql, params)[0][0]

    def close(self) -> None:
        self.conn.close()


def reopen_all(raw: _Raw, month_ids: int) -> dict[str, int]:
    """Put every complaint of the measured month (ids 1..``month_ids``) back with its unit,
    unanswered; return the open and overdue counts (the history's open cases included)."""
    later = (
        "datetime(received_at, '+14 days')"
        if raw.engine == "sqlite"
        else "received_at + INTERVAL '14 days'"
    )
    raw.run(f"""UPDATE complaint SET status = '已交办', replied_at = NULL, reply_text = NULL, visited_at = NULL,
                visit_result = NULL, resolved = NULL, closed_at = NULL, end_reason = NULL, merged_into_id = NULL,
                assigned_at = COALESCE(assigned_at, received_at), due_at = COALESCE(due_at, {later})
                WHERE id <= {int(month_ids)}""")
    if raw.engine == "postgresql":
        raw.run("ANALYZE complaint")
    at = AS_OF.isoformat(sep=" ")
    open_count = raw.scalar("SELECT COUNT(*) FROM complaint WHERE status = '已交办'")
    overdue = raw.scalar(
        "SELECT COUNT(*) FROM complaint WHERE status = '已交办' AND due_at < %s", (at,)
    )
    return {"open": int(open_count), "overdue": int(overdue)}


def _snapshot(raw: _Raw, table: str, columns: tuple[str, ...]) -> int:
    """Copy ``table``'s rows aside (``bench_<table>``, key order) for the baseline; return the count."""
    raw.run(f"DROP TABLE IF EXISTS bench_{table}")
    raw.run(
        f"CREATE TABLE bench_{table} AS SELECT {', '.join(columns)} FROM {table} ORDER BY {columns[0]}, "
        f"{columns[1]}, {columns[2]}"
    )
    return int(raw.scalar(f"SELECT COUNT(*) FROM bench_{table}"))


def _bare_insert(raw: _Raw, table: str, columns: tuple[str, ...]) -> Callable[[], None]:
    cols = ", ".join(columns)
    return lambda: raw.run(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM bench_{table}")


def _alternate(
    raw: _Raw, table: str, ours: Callable[[], Any], bare: Callable[[], None], repeats: int
) -> tuple[float, float]:
    """Median seconds of ``ours`` and ``bare``, each from an empty ``table`` (emptied untimed).

    ``ours`` runs last, so that its rows are what the table holds afterwards.
    """
    mine, base = [], []
    for _ in range(repeats):
        raw.run(f"DELETE FROM {table}")
        base.append(timed(bare))
        raw.run(f"DELETE FROM {table}")
        mine.append(timed(ours))
    return statistics.median(mine), statistics.median(base)


def built_in(rules: list[RuleSpec]) -> list[RuleSpec]:
    """The rules of the built-in plugins (``plugins/``): third-party ones installed here are not measured."""
    return [rule for rule in rules if rule.run.__module__.startswith(BUILTIN_PREFIX)]


def _figure(
    key: str, name: str, value_s: float, baseline_s: float, target_s: float, detail: dict[str, Any]
) -> Figure:
    return Figure(
        key, name, 1000 * value_s, 1000 * baseline_s, 1000 * target_s, BUDGETS[key], detail=detail
    )


def _first_runs(
    ctx: Context,
    raw: _Raw,
    table: str,
    columns: tuple[str, ...],
    call: Callable[[], Any],
    total: str,
) -> tuple[Any, float, float]:
    """Time ``call`` (an engine run filling the empty ``table``) against a bare ``INSERT … SELECT``
    of the rows it wrote: (the untimed first run, median seconds of each).

    The first run also gives the baseline's rows; every timed run must write as many
    (``getattr(run, total)``).
    """
    first = call()
    if first.failures:  # a figure without one of the rules would flatter
        raise AssertionError(f"{table}: rules failed: {[f.as_dict() for f in first.failures]}")
    written = _snapshot(raw, table, columns)
    runs: list[Any] = []
    value, baseline = _alternate(
        raw, table, lambda: runs.append(call()), _bare_insert(raw, table, columns), ctx.repeats
    )
    counts = {getattr(first, total), getattr(runs[-1], total), written}
    if len(counts) != 1:
        raise AssertionError(f"{table}: the runs wrote different counts {sorted(counts)}")
    return first, value, baseline


def escalate_figures(ctx: Context, raw: _Raw, state: dict[str, int]) -> list[Figure]:
    """(a) the first escalate, (b) the re-run at the same instant."""
    engine = EscalationEngine(ACTOR, rules=built_in(get_registry().escalation_rules()))
    first, value, baseline = _first_runs(
        ctx, raw, "escalation", _ESCALATION, lambda: engine.run(AS_OF, limit=0), "raised_total"
    )
    by_rule = {name: sum(v["raised"].values()) for name, v in first.by_rule.items()}
    figures = [
        _figure(
            "rules.escalate.first",
            "首次督办 first escalate",
            value,
            baseline,
            10.0,
            {
                **state,
                "raised": first.raised_total,
                "by_rule": by_rule,
            },
        )
    ]

    anti_join = """SELECT COUNT(*) FROM bench_escalation b WHERE NOT EXISTS (SELECT 1 FROM escalation e
                   WHERE e.rule = b.rule AND e.target_kind = b.target_kind AND e.target_id = b.target_id
                   AND e.state = 'open' AND e.level = b.level)"""
    reruns: list[Any] = []
    mine, base = [], []
    for _ in range(ctx.repeats):
        base.append(timed(lambda: raw.scalar(anti_join)))
        mine.append(timed(lambda: reruns.append(engine.run(AS_OF, limit=0))))
    again = reruns[-1]
    if any(r.raised_total or r.resolved for r in reruns) or raw.scalar(anti_join):
        raise AssertionError(
            f"a re-run at the same instant changed escalations: raised {again.raised_total}, "
            f"resolved {again.resolved}"
        )
    figures.append(
        _figure(
            "rules.escalate.rerun",
            "同时点重跑 re-run, same instant",
            statistics.median(mine),
            statistics.median(base),
            5.0,
            {"raised": again.raised_total, "resolved": again.resolved, "open": again.open},
        )
    )
    return figures


def propose_figure(ctx: Context, raw: _Raw, state: dict[str, int]) -> Figure:
    """(c) accountability propose with the first escalate's records in place."""
    engine = ProposalEngine(ACTOR, rules=built_in(get_registry().accountability_rules()))
    first, value, baseline = _first_runs(
        ctx, raw, "accountability_case", _CASE, lambda: engine.run(AS_OF, limit=0), "proposed_total"
    )
    again = engine.run(AS_OF, limit=0)
    if again.proposed_total:
        raise AssertionError(f"a second propose repeated evidence: {again.proposed_total} cases")
    by_rule = {name: v["proposed"] for name, v in first.by_rule.items()}
    return _figure(
        "rules.propose",
        "问责建议 accountability propose",
        value,
        baseline,
        10.0,
        {
            **state,
            "proposed": first.proposed_total,
            "by_rule": by_rule,
        },
    )


def run(ctx: Context) -> list[Figure]:
    """Every figure of issue #5 on the open work database (it rewrites the complaints' states)."""
    raw = _Raw(ctx)
    try:
        state = reopen_all(raw, ctx.spec.complaints)
        figures = escalate_figures(ctx, raw, state)
        figures.append(propose_figure(ctx, raw, state))
        for table in ("escalation", "accountability_case"):
            raw.run(f"DROP TABLE IF EXISTS bench_{table}")
    finally:
        raw.close()
    return figures


__all__ = ["AS_OF", "BUDGETS", "reopen_all", "run"]
