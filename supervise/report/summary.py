"""Per-month counts of the report, kept up to date by the database as rows change.

A month's counts (:func:`supervise.report.counts.month_counts`) are GROUP BYs
over every record of the month; at a million complaints a month they take
seconds.  Once a month is over, its counts no longer depend on the as-of
time except through one instant (a 差评 closed after it, see
:func:`_closed_after`), so they can be kept — and kept *current*: every row
of a watched table *contributes* a few counts (month, unit, key, ±1), and
database triggers add a row's contribution when it appears and subtract it
when it goes, so that ``report_count`` always holds the sum of the
contributions of every row.  A report of a closed month reads that sum,
never the records, however recently the month's rows changed.

- The contributions are written once, as SQL (:data:`CONTRIBUTIONS`), and
  rendered three ways: over one row in a SQLite row trigger (``NEW``/``OLD``),
  over a PostgreSQL statement trigger's transition table, and over a whole
  table (:func:`rebuild`, which migration 9 runs for databases made before it).
- Some counts of a row follow another row's unit: a 回访 step counts for its
  complaint's unit, an escalation for its target's.  When a record's unit
  changes (or the record goes), the contributions of its visits and
  escalations are moved with it (:data:`DEPENDENTS`).
- SQLite adds each contribution to ``report_count`` in the writer's own
  transaction (one writer at a time: no lost addition).  PostgreSQL appends
  it to ``report_delta`` — no shared row is locked, so writers never queue or
  deadlock on it — and a report reads ``report_count`` plus the month's
  deltas, then folds them into ``report_count`` (:func:`fold`).  A statement
  that reads another row's unit, or changes a unit others read, takes the
  audit chain's advisory lock to the end of its transaction, so that no
  contribution is computed from a unit being changed by a transaction not yet
  committed.

docs/REPORT.md ("Summaries") states the rule and its proof obligations;
``tests/test_report_summary.py`` checks that the two paths agree after
registering, closing, re-assigning, importing and undoing.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import peewee as pw

from ..audit import _PG_LOCK_KEY as _PG_AUDIT_LOCK
from ..db import database, is_sqlite, write_transaction
from ..models import VISIT_RESULTS, Rating
from .counts import (
    BAD_LEVEL,
    COUNTERS,
    DISMISSED,
    GOOD_LEVEL,
    HANDLED,
    SATISFIED,
    UNIT_OF_TARGET,
    Counts,
    matter_counts,
    month_counts,
)

logger = logging.getLogger(__name__)

#: Set to False to count every month from the records (tests compare both paths).
enabled = True
#: ``report_count.unit`` of what belongs to no unit (unit ids start at 1).
NO_UNIT = 0
#: PostgreSQL: a statement that reads another row's unit, or changes a unit others read, takes
#: the audit chain's advisory lock — the lock every audited change takes after its row writes
#: anyway — so that such writers are ordered without a second lock to deadlock against.
_PG_UNIT_LOCK = _PG_AUDIT_LOCK
#: PostgreSQL: fold a month's deltas into ``report_count`` once it has this many.
FOLD_AT = 1_000


# -- what each row contributes ------------------------------------------------------------------


@dataclass(frozen=True)
class Part:
    """One count a row of a table contributes, as SQL over the row alias ``r``.

    ``month``: the instant whose month it counts in; ``unit`` and ``key`` as
    stored; ``where``: when the row contributes; ``join``: another table the
    unit comes from (alias, table, ON condition).
    """

    month: str
    key: str
    where: str = "TRUE"
    unit: str = "COALESCE(r.unit_id, 0)"
    join: tuple[str, str, str] | None = None


def _note_is(words: tuple[str, ...], note: str = "r.note") -> str:
    """The note is one of ``words``, alone or followed by "，" or "。" and more
    (as :func:`supervise.report.counts._note_is`)."""
    return (
        "("
        + " OR ".join(
            f"{note} = '{w}' OR substr({note}, 1, {len(w) + 1}) IN ('{w}，', '{w}。')"
            for w in words
        )
        + ")"
    )


_HANDLED = ", ".join(f"'{s}'" for s in HANDLED)
_DUE = f"r.status IN ({_HANDLED}) AND r.due_at IS NOT NULL"
_VISIT = "r.record_kind = 'complaint' AND r.action = '回访'"
_BAD = f"r.level <= {BAD_LEVEL}"
_RESOLVED = tuple(f"{word}，已解决" for word in VISIT_RESULTS)

#: table → the counts each of its rows contributes (the figures' definitions, docs/REPORT.md)
CONTRIBUTIONS: dict[str, tuple[Part, ...]] = {
    "complaint": (
        Part("r.received_at", "'received:' || r.category"),
        Part("r.received_at", "'matter:' || r.matter_id", "r.matter_id IS NOT NULL"),
        Part("r.due_at", "'due'", _DUE),
        Part(
            "r.due_at",
            "'on_time'",
            f"{_DUE} AND r.replied_at IS NOT NULL AND r.replied_at <= r.due_at",
        ),
    ),
    "timeline_event": tuple(
        Part(
            "r.at",
            f"'{key}'",
            f"{_VISIT}{condition}",
            "COALESCE(c.unit_id, 0)",
            ("c", "complaint", "c.id = r.record_id"),
        )
        for key, condition in (
            ("visits", ""),
            ("satisfied", f" AND {_note_is(SATISFIED)}"),
            ("resolved", f" AND {_note_is(_RESOLVED)}"),
        )
    ),
    "rating": (
        Part("r.rated_at", "'ratings'"),
        Part("r.rated_at", "'good'", f"r.level >= {GOOD_LEVEL}"),
        Part("r.rated_at", "'bad'", _BAD),
        Part(
            "r.rated_at",
            "'bad_closed'",
            f"{_BAD} AND r.status = '已办结' AND r.closed_at IS NOT NULL",
        ),
    ),
    "escalation": (
        *(
            Part(
                "r.raised_at",
                "'escalations:' || r.level",
                f"r.target_kind = '{kind}'",
                "COALESCE(x.unit_id, 0)",
                ("x", f'"{model._meta.table_name}"', "x.id = r.target_id"),
            )
            for kind, model in UNIT_OF_TARGET.items()
        ),
        Part("r.raised_at", "'escalations:' || r.level", "r.target_kind = 'unit'", "r.target_id"),
        Part(
            "r.raised_at",
            "'escalations:' || r.level",
            "r.target_kind NOT IN (" + ", ".join(f"'{k}'" for k in (*UNIT_OF_TARGET, "unit")) + ")",
            "0",
        ),
    ),
    "accountability_case": (
        Part(
            "r.decided_at",
            f"'cases:' || CASE WHEN r.status = '{DISMISSED}' THEN '{DISMISSED}' "
            "ELSE COALESCE(NULLIF(r.form, ''), '已决定') END",
            f"r.status IN ('已决定', '{DISMISSED}') AND r.decided_at IS NOT NULL",
        ),
    ),
}

#: table → (dependent table, its parts, how a dependent row names the record): the rows whose
#: contribution follows this table's unit column, moved when the unit changes or the row goes
DEPENDENTS: dict[str, list[tuple[str, tuple[Part, ...], str]]] = {
    kind: [
        (
            "escalation",
            CONTRIBUTIONS["escalation"],
            f"d.target_kind = '{kind}' AND d.target_id = r.id",
        )
    ]
    for kind in UNIT_OF_TARGET
}
DEPENDENTS["complaint"].append(
    (
        "timeline_event",
        CONTRIBUTIONS["timeline_event"],
        "d.record_kind = 'complaint' AND d.record_id = r.id",
    )
)

#: table → the columns whose change changes a contribution (the triggers' WHEN)
WATCHED: dict[str, tuple[str, ...]] = {
    "complaint": (
        "unit_id",
        "category",
        "received_at",
        "due_at",
        "replied_at",
        "status",
        "matter_id",
    ),
    "timeline_event": ("record_kind", "record_id", "action", "at", "note"),
    "rating": ("unit_id", "level", "rated_at", "status", "closed_at"),
    "escalation": ("target_kind", "target_id", "level", "raised_at"),
    "accountability_case": ("unit_id", "status", "form", "decided_at"),
    "review": ("unit_id",),
    "matter": ("unit_id",),
    "staff": ("unit_id",),
}


def _month(column: str, sqlite: bool) -> str:
    return f"substr({column}, 1, 7)" if sqlite else f"to_char({column}, 'YYYY-MM')"


def _own(table: str, source: str | None, sign: int, sqlite: bool) -> list[str]:
    """SELECTs (m, u, k, n) of the counts the rows of ``source`` contribute, times ``sign``.

    ``source`` is a table or transition table (aliased ``r``), or None in a
    SQLite row trigger, where ``r`` is the trigger's NEW or OLD row (the caller
    replaces ``r.``).
    """
    selects = []
    for p in CONTRIBUTIONS[table]:
        tables = ([f"{source} r"] if source else []) + (
            [f"{p.join[1]} {p.join[0]}"] if p.join else []
        )
        where = [p.join[2]] if p.join else []
        where += [f"{p.month} IS NOT NULL", p.where]
        frm = f" FROM {', '.join(tables)}" if tables else ""
        selects.append(
            f"SELECT {_month(p.month, sqlite)} AS m, {p.unit} AS u, {p.key} AS k, {sign} AS n"
            f"{frm} WHERE {' AND '.join(where)}"
        )
    return selects


def _dependents(table: str, source: str | None, sign: int, sqlite: bool) -> list[str]:
    """SELECTs of the counts of the rows that follow the units of ``source``'s rows: the
    dependents' own parts with the record's unit (``r``) in place of the joined one."""
    selects = []
    for dep_table, parts, names in DEPENDENTS.get(table, []):
        for p in parts:
            if p.join is None or p.join[1].strip('"') != table:
                continue  # a part that takes its unit from another kind of record
            month = p.month.replace("r.", "d.")
            where = p.where.replace("r.", "d.")
            unit = p.unit.replace(f"{p.join[0]}.", "r.")
            tables = ([f"{source} r"] if source else []) + [f'"{dep_table}" d']
            selects.append(
                f"SELECT {_month(month, sqlite)} AS m, {unit} AS u, {p.key.replace('r.', 'd.')} AS k, "
                f"{sign} AS n FROM {', '.join(tables)} WHERE {names} AND {month} IS NOT NULL AND {where}"
            )
    return selects


def _sum_into(target: str, selects: list[str], *, grouped: bool = True) -> str:
    """INSERT the summed contributions of ``selects`` into ``target`` (zero sums left out).

    ``grouped=False``: each row as it comes, for one row's own keys, which differ — a
    SQLite row trigger then pays no sorter per row.
    """
    rows = f"({' UNION ALL '.join(selects)}) s"
    if not grouped:
        return f"INSERT INTO {target} (month, unit, key, n) SELECT m, u, k, n FROM {rows} WHERE k IS NOT NULL"
    return (
        f"INSERT INTO {target} (month, unit, key, n) SELECT m, u, k, SUM(n) FROM {rows} "
        "WHERE m IS NOT NULL AND k IS NOT NULL GROUP BY m, u, k HAVING SUM(n) <> 0"
    )


_UPSERT = " ON CONFLICT (month, unit, key) DO UPDATE SET n = report_count.n + excluded.n"


def _changed(table: str, old: str, new: str, sqlite: bool) -> str:
    differs = "IS NOT" if sqlite else "IS DISTINCT FROM"
    return " OR ".join(f"{old}.{c} {differs} {new}.{c}" for c in WATCHED[table])


def _row(selects: list[str], alias: str) -> list[str]:
    return [s.replace("r.", f"{alias}.") for s in selects]


def _contributes(table: str, alias: str) -> str:
    """When a row may contribute a count of its own (its parts' conditions on the row itself;
    a joined row's is checked in the trigger's body): the triggers' WHEN, so that most
    timeline steps and every undecided proposal fire nothing."""
    parts = CONTRIBUTIONS.get(table, ())
    if not parts:
        return "0"
    either = " OR ".join(f"({p.month} IS NOT NULL AND {p.where})" for p in parts)
    return _row([either], alias)[0]


def _sqlite_triggers(table: str) -> list[str]:
    own = _own(table, None, 1, True) if table in CONTRIBUTIONS else []
    deps = _dependents(table, None, 1, True)
    minus = [s.replace(" 1 AS n", " -1 AS n") for s in own + deps]
    moved = "OLD.unit_id IS NOT NEW.unit_id"
    events = {
        # a new row's id may be a deleted row's (SQLite reuses the highest): its dependents join it
        "INSERT": _row(own + deps, "NEW"),
        "DELETE": _row(minus, "OLD"),
        "UPDATE": _row(minus[: len(own)], "OLD")
        + _row(own, "NEW")
        + [f"{s} AND {moved}" for s in _row(minus[len(own) :], "OLD") + _row(deps, "NEW")],
    }
    either = f"{_contributes(table, 'OLD')} OR {_contributes(table, 'NEW')}"
    when = {
        "INSERT": "" if deps else f" WHEN {_contributes(table, 'NEW')}",
        "DELETE": "" if deps else f" WHEN {_contributes(table, 'OLD')}",
        "UPDATE": f" WHEN ({_changed(table, 'OLD', 'NEW', True)}) AND ("
        + (f"{either} OR {moved})" if deps else f"{either})"),
    }
    statements = []
    for event, selects in events.items():
        name = f"report_{table}_{event.lower()}"
        # one row's own keys differ, so an insert or delete needs no GROUP BY (a sorter per row);
        # an update sums its old and new rows' keys first, to write nothing when they cancel
        body = _sum_into("report_count", selects, grouped=event == "UPDATE")
        statements.append(f'DROP TRIGGER IF EXISTS "{name}"')
        statements.append(
            f'CREATE TRIGGER "{name}" AFTER {event} ON "{table}"{when[event]} BEGIN '
            f"{body}{_UPSERT}; END"
        )
    return statements


def _postgres_triggers(table: str) -> list[str]:
    own_rows = table in CONTRIBUTIONS

    def own(source: str, sign: int) -> list[str]:
        return _own(table, source, sign, False) if own_rows else []

    pairs = "FROM old_rows o JOIN new_rows n ON o.id = n.id"
    changed = _changed(table, "o", "n", False)
    moved = "o.unit_id IS DISTINCT FROM n.unit_id" if table in DEPENDENTS else "FALSE"
    update = (
        f"WITH co AS (SELECT o.* {pairs} WHERE {changed}), cn AS (SELECT n.* {pairs} WHERE {changed}), "
        f"mo AS (SELECT o.* {pairs} WHERE {moved}), mn AS (SELECT n.* {pairs} WHERE {moved}) "
    )
    lock = f"PERFORM pg_advisory_xact_lock({_PG_UNIT_LOCK}); "

    def locked(rows: list[str], condition: str) -> str:
        """Take the lock when a row of ``rows`` meets ``condition`` (reads or moves a unit)."""
        if condition == "FALSE":
            return ""
        if condition == "TRUE":
            return lock
        found = " OR ".join(f"EXISTS (SELECT 1 FROM {r} r WHERE {condition})" for r in rows)
        return f"IF {found} THEN {lock}END IF; "

    # the rows that read another row's unit (a 回访 step, an escalation), and those that move one
    reads = (
        _VISIT
        if table == "timeline_event"
        else ("TRUE" if any(p.join for p in CONTRIBUTIONS.get(table, ())) else "FALSE")
    )
    branches = {
        # PostgreSQL never reuses an id: a new row has no dependents yet
        "INSERT": locked(["new_rows"], reads) + f"{_sum_into('report_delta', own('new_rows', 1))};"
        if own_rows
        else "",
        "DELETE": locked(["old_rows"], "TRUE" if table in DEPENDENTS else reads)
        + _sum_into("report_delta", own("old_rows", -1) + _dependents(table, "old_rows", -1, False))
        + ";",
        "UPDATE": (
            f"IF EXISTS (SELECT 1 {pairs} WHERE {moved}) THEN {lock}END IF; "
            if table in DEPENDENTS
            else locked(["old_rows", "new_rows"], reads)
        )
        + update
        + _sum_into(
            "report_delta",
            own("co", -1)
            + own("cn", 1)
            + _dependents(table, "mo", -1, False)
            + _dependents(table, "mn", 1, False),
        )
        + ";",
    }
    function = f"report_count_{table}"
    body = " ".join(
        f"{'IF' if i == 0 else 'ELSIF'} TG_OP = '{event}' THEN {sql}"
        for i, (event, sql) in enumerate((e, s) for e, s in branches.items() if s)
    )
    statements = [
        f"CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"{body} END IF; RETURN NULL; END $$"
    ]
    refs = {
        "INSERT": "NEW TABLE AS new_rows",
        "DELETE": "OLD TABLE AS old_rows",
        "UPDATE": "OLD TABLE AS old_rows NEW TABLE AS new_rows",
    }
    for event in refs:
        name = f"report_{table}_{event.lower()}"
        statements.append(f'DROP TRIGGER IF EXISTS {name} ON "{table}"')
        if branches[event]:
            statements.append(
                f'CREATE TRIGGER {name} AFTER {event} ON "{table}" REFERENCING {refs[event]} '
                f"FOR EACH STATEMENT EXECUTE PROCEDURE {function}()"
            )
    return statements


def triggers(table: str, sqlite: bool) -> list[str]:
    """The statements that (re)create ``table``'s counting triggers on one engine."""
    return _sqlite_triggers(table) if sqlite else _postgres_triggers(table)


def create_schema() -> None:
    """Create the count tables, the triggers that keep them and the indexes they need
    (idempotent; the triggers are created anew).  A new database needs nothing more: its
    counts start at zero with its rows."""
    db = database.obj
    sqlite = is_sqlite(db)
    statements = [
        "CREATE TABLE IF NOT EXISTS report_count (month VARCHAR(7) NOT NULL, unit INTEGER NOT NULL, "
        "key VARCHAR(200) NOT NULL, n BIGINT NOT NULL, PRIMARY KEY (month, unit, key))",
        "CREATE INDEX IF NOT EXISTS escalation_target ON escalation (target_kind, target_id)",
        "CREATE INDEX IF NOT EXISTS rating_closed_at ON rating (closed_at)",
    ]
    if not sqlite:
        statements += [
            "CREATE TABLE IF NOT EXISTS report_delta (month VARCHAR(7) NOT NULL, unit INTEGER NOT NULL, "
            "key VARCHAR(200) NOT NULL, n BIGINT NOT NULL)",
            "CREATE INDEX IF NOT EXISTS report_delta_month ON report_delta (month)",
        ]
    for table in WATCHED:
        statements += triggers(table, sqlite)
    for sql in statements:
        db.execute_sql(sql)


def rebuild() -> None:
    """Count every month from the records into ``report_count`` (inside the caller's write
    transaction, after :func:`create_schema`): for a database whose rows were written
    before the triggers existed.  Removes what the earlier summaries kept."""
    db = database.obj
    sqlite = is_sqlite(db)
    for old in ("report_summary", "report_change"):
        db.execute_sql(f"DROP TABLE IF EXISTS {old}")
    if not sqlite:
        for table in WATCHED:
            db.execute_sql(f"DROP FUNCTION IF EXISTS report_change_{table}() CASCADE")
        db.execute_sql(f"SELECT pg_advisory_xact_lock({_PG_UNIT_LOCK})")
        db.execute_sql("DELETE FROM report_delta")
    create_schema()
    db.execute_sql("DELETE FROM report_count")
    for table in CONTRIBUTIONS:
        db.execute_sql(_sum_into("report_count", _own(table, f'"{table}"', 1, sqlite)))


# -- reading -------------------------------------------------------------------------------------


def _closed_after(start: dt.datetime, end: dt.datetime, as_of: dt.datetime) -> bool:
    """Whether a 差评 of the month was closed after ``as_of``: the one as-of comparison left
    once the month is over (差评办结数 counts those closed by the as-of time).  The index on
    ``closed_at`` reads only the closures after ``as_of`` — none, for a report as of now.
    SQLite is told to use it: its planner prefers ``(status, rated_at)``, which reads every
    closed rating of the month (0.3–0.9 s a month at 3,000,000 ratings)."""
    db = database.obj
    hint = " INDEXED BY rating_closed_at" if is_sqlite(db) else ""
    mark = database.param
    value = Rating.closed_at.db_value
    return (
        db.execute_sql(
            f"SELECT 1 FROM rating{hint} WHERE closed_at > {mark} AND rated_at >= {mark} "
            f"AND rated_at < {mark} AND level <= {BAD_LEVEL} AND status = '已办结' LIMIT 1",
            (value(as_of), value(start), value(end)),
        ).fetchone()
        is not None
    )


def _load(rows: list[tuple[int, str, int]]) -> tuple[dict[int | None, Counts], dict[int, int]]:
    counts: dict[int | None, Counts] = {}
    matters: dict[int, int] = {}
    for unit, key, n in rows:
        if not n:
            continue
        name, _, detail = key.partition(":")
        if name == "matter":
            matters[int(detail)] = matters.get(int(detail), 0) + int(n)
            continue
        c = counts.setdefault(None if unit == NO_UNIT else unit, Counts())
        if name in COUNTERS:
            getattr(c, name)[detail] += int(n)
        else:
            setattr(c, name, getattr(c, name) + int(n))
    return counts, matters


def _stored(month: str) -> list[tuple[int, str, int]]:
    db = database.obj
    if is_sqlite(db):
        sql = "SELECT unit, key, n FROM report_count WHERE month = ?"
        return db.execute_sql(sql, (month,)).fetchall()
    return db.execute_sql(
        "SELECT unit, key, SUM(n) FROM (SELECT unit, key, n FROM report_count WHERE month = %s "
        "UNION ALL SELECT unit, key, n FROM report_delta WHERE month = %s) s GROUP BY unit, key",
        (month, month),
    ).fetchall()


class MonthCounts:
    """One month's counts per unit and per matter as of one instant: from ``report_count``
    once the month is over (and no 差评 of it was closed after the instant), else from
    the records."""

    def __init__(
        self,
        month: str,
        start: dt.datetime,
        end: dt.datetime,
        as_of: dt.datetime,
        *,
        scores_only: bool = False,
    ) -> None:
        """``scores_only``: from the records, count only what the 综合得分 reads (the kept
        counts hold everything anyway)."""
        self.month = month
        self._matters: dict[int, int] | None = None
        if enabled and as_of >= end and not _closed_after(start, end, as_of):
            self.units, self.matters = _load(_stored(month))
            self.source = "summary"
            return
        self.units = month_counts(start, end, as_of, scores_only=scores_only)
        self._window = (start, end, as_of)
        self.source = "records"

    @property
    def matters(self) -> dict[int, int]:
        """Complaints per matter (counted on first use when the month comes from the records)."""
        if self._matters is None:
            self._matters = matter_counts(*self._window)
        return self._matters

    @matters.setter
    def matters(self, value: dict[int, int]) -> None:
        self._matters = value


def fold(months: list[str] | None = None) -> int:
    """PostgreSQL: move the deltas of ``months`` (None: every month) into ``report_count``
    where they have piled up — after a report's read, and after each ``escalate`` run, so
    that the log of the month still running stays short.  One month at a time, each under
    its own lock.  Returns the months folded.  SQLite adds to ``report_count`` directly:
    nothing to do."""
    db = database.obj
    if is_sqlite(db) or months == []:
        return 0
    which = "" if months is None else "WHERE month = ANY(%s) "
    piled = [
        m
        for m, n in db.execute_sql(
            f"SELECT month, COUNT(*) FROM report_delta {which}GROUP BY month",
            () if months is None else (list(months),),
        ).fetchall()
        if n >= FOLD_AT
    ]
    for month in piled:
        try:
            with write_transaction():
                db.execute_sql("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", (1, month))
                db.execute_sql(
                    "WITH moved AS (DELETE FROM report_delta WHERE month = %s RETURNING unit, key, n) "
                    "INSERT INTO report_count (month, unit, key, n) SELECT %s, unit, key, SUM(n) "
                    f"FROM moved GROUP BY unit, key{_UPSERT}",
                    (month, month),
                )
        except pw.OperationalError as exc:  # the deltas stay and are read as they are
            logger.warning("report deltas of %s not folded: %s", month, exc)
            return 0
    return len(piled)


# -- one pass per statement for bulk writers (SQLite) -------------------------------------------


@contextmanager
def counted_once(table: str) -> Iterator[None]:
    """Insert many rows into ``table`` inside the block, their counts added once, set-based.

    SQLite fires ``report_<table>_insert`` once per inserted row; a bulk
    ``INSERT … SELECT`` of a million rows pays a million small upserts.  Inside
    the caller's write transaction the trigger is dropped for the block, and at
    its end the contributions of the rows past the table's highest id before
    the block (new ids, as SQLite assigns them) are added in one statement; then
    the trigger is created again from its stored text.  DDL is transactional in
    SQLite and one writer holds the lock: no other writer ever runs without the
    trigger, and a failure rolls the drop back with the rows.  PostgreSQL's
    triggers already run once per statement: there the block runs with them.
    """
    db = database.obj
    if not is_sqlite(db):
        yield
        return
    name = f"report_{table}_insert"
    row = db.execute_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?", (name,)
    ).fetchone()
    if row is None:  # a database without the counts (before migration 6): nothing to add
        yield
        return
    last = db.execute_sql(f'SELECT COALESCE(MAX(id), 0) FROM "{table}"').fetchone()[0]
    db.execute_sql(f'DROP TRIGGER "{name}"')
    try:
        yield
        new = f'(SELECT * FROM "{table}" WHERE id > {int(last)})'
        db.execute_sql(
            _sum_into("report_count", _own(table, new, 1, True) + _dependents(table, new, 1, True))
            + _UPSERT
        )
    finally:
        db.execute_sql(row[0])


__all__ = [
    "CONTRIBUTIONS",
    "MonthCounts",
    "WATCHED",
    "counted_once",
    "create_schema",
    "fold",
    "rebuild",
    "triggers",
]
