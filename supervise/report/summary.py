"""Per-month summaries of the report's counts, kept honest by the database.

A month's counts (:func:`supervise.report.counts.month_counts`) are a GROUP BY
over every record of the month; at a million complaints a month that takes
seconds, and a report reads seven months.  Once a month is over, its counts
no longer depend on the as-of time except through one instant (a 差评 closed
later, see :func:`_latest_closure`), so they can be kept.

- ``report_summary`` holds one row per month: the counts per unit, the
  matters' complaint counts, the latest 差评 closure among them, and the
  *token* of the read it was built from.
- ``report_change`` is written by database triggers on every table a figure
  reads (complaint, timeline_event, rating, escalation, accountability_case,
  and the unit columns of review, matter and staff): any insert, delete, or
  update of a column a figure uses marks the months it touches — the old
  and new received, due, visit, rating, raising and decision months, and on
  a change of unit the months of the record's visits and escalations.
  Triggers catch every writer (services, importers, bulk loads, the demo)
  in the writer's own transaction.
- A summary serves a report only when no change to its month is newer than
  the read it was built from; otherwise the month is counted from the
  records, and the fresh counts are stored for the next report.

SQLite keeps one counter per month (``stamp``, raised by each change; one
writer at a time, so the order is the commit order).  PostgreSQL appends
``(month, xid)`` rows, one per statement, without locking a shared row, and
a summary remembers its read snapshot: it is valid while every change row
of its month is visible in that snapshot.  docs/REPORT.md ("Summaries")
states the rule and its proof obligations; ``tests/test_report_summary.py``
checks that the two paths agree after registering, closing and importing.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import peewee as pw

from ..db import database, is_sqlite, write_transaction
from ..models import Rating
from .counts import BAD_LEVEL, COUNTERS, INTS, Counts, matter_counts, month_counts

logger = logging.getLogger(__name__)

#: Counting "as of the end of time": every instant of a closed month counts.
FOREVER = dt.datetime(9999, 12, 31, 23, 59, 59)
#: Set to False to count every month from the records (tests compare both paths).
enabled = True


# -- what the triggers watch ----------------------------------------------------------------

#: table → (the months its rows count in, the columns a figure reads, row condition or None,
#:          the target kind of its escalations when its unit changes or it is deleted)
WATCHED: dict[str, tuple[tuple[str, ...], tuple[str, ...], str | None, str | None]] = {
    "complaint": (
        ("received_at", "due_at"),
        ("unit_id", "category", "received_at", "due_at", "replied_at", "status", "matter_id"),
        None,
        "complaint",
    ),
    "timeline_event": (
        ("at",),
        ("record_kind", "record_id", "action", "at", "note"),
        "{r}.record_kind = 'complaint' AND {r}.action = '回访'",
        None,
    ),
    "rating": (
        ("rated_at",),
        ("unit_id", "level", "rated_at", "status", "closed_at"),
        None,
        "rating",
    ),
    "escalation": (("raised_at",), ("target_kind", "target_id", "level", "raised_at"), None, None),
    "accountability_case": (
        ("decided_at",),
        ("unit_id", "status", "form", "decided_at"),
        None,
        None,
    ),
    "review": ((), ("unit_id",), None, "review"),
    "matter": ((), ("unit_id",), None, "matter"),
    "staff": ((), ("unit_id",), None, "staff"),
}


def _month(column: str, sqlite: bool) -> str:
    return f"substr({column}, 1, 7)" if sqlite else f"to_char({column}, 'YYYY-MM')"


def _months_of(
    table: str,
    r: str,
    sqlite: bool,
    *,
    own: bool = True,
    deps: bool = True,
    only_if: str | None = None,
) -> list[str]:
    """SELECTs of the months a row ``r`` (NEW/OLD, or a transition-table alias) counts in:
    its own instants (``own``), and the months of its escalations and visits (``deps``),
    which follow its unit."""
    months, _, condition, kind = WATCHED[table]
    parts = []
    if own:
        where = f" WHERE {condition.format(r=r)}" if condition else ""
        frm = "" if sqlite else f" FROM {r}"
        parts += [f"SELECT {_month(f'{r}.{c}', sqlite)} AS m{frm}{where}" for c in months]
    if deps and kind is not None:
        extra = f" AND {only_if}" if only_if else ""
        dependents = [("escalation e", "e.raised_at", "e.target_id", f"e.target_kind = '{kind}'")]
        if table == "complaint":
            dependents.append(
                (
                    "timeline_event t",
                    "t.at",
                    "t.record_id",
                    "t.record_kind = 'complaint' AND t.action = '回访'",
                )
            )
        for source, instant, key, match in dependents:
            if sqlite:
                parts.append(
                    f"SELECT {_month(instant, True)} AS m FROM {source} WHERE {match} AND {key} = {r}.id{extra}"
                )
            else:
                parts.append(
                    f"SELECT {_month(instant, False)} AS m FROM {source} JOIN {r} ON {key} = {r}.id WHERE {match}"
                )
    return parts


def _changed(table: str, old: str, new: str, sqlite: bool) -> str:
    differs = "IS NOT" if sqlite else "IS DISTINCT FROM"
    return " OR ".join(f"{old}.{c} {differs} {new}.{c}" for c in WATCHED[table][1])


def _sqlite_triggers(table: str) -> list[str]:
    bump = (
        "INSERT INTO report_change (month, stamp) SELECT m, 1 FROM ({}) WHERE m IS NOT NULL "
        "ON CONFLICT (month) DO UPDATE SET stamp = stamp + 1;"
    )
    condition = WATCHED[table][2]
    moved = "OLD.unit_id IS NOT NEW.unit_id"
    events = {
        "INSERT": _months_of(
            table, "NEW", True, deps=False
        ),  # a new row has no escalation or visit yet
        "DELETE": _months_of(table, "OLD", True),
        "UPDATE": (
            _months_of(table, "OLD", True, only_if=moved)
            + _months_of(table, "NEW", True, deps=False)
        ),
    }
    when = {
        "INSERT": f" WHEN {condition.format(r='NEW')}" if condition else "",
        "DELETE": f" WHEN {condition.format(r='OLD')}" if condition else "",
        "UPDATE": f" WHEN ({_changed(table, 'OLD', 'NEW', True)})"
        + (
            f" AND ({condition.format(r='OLD')} OR {condition.format(r='NEW')})"
            if condition
            else ""
        ),
    }
    return [
        f'CREATE TRIGGER IF NOT EXISTS report_{table}_{event.lower()} AFTER {event} ON "{table}"'
        f"{when[event]} BEGIN {bump.format(' UNION ALL '.join(parts))} END"
        for event, parts in events.items()
        if parts
    ]


def _postgres_triggers(table: str) -> list[str]:
    bump = (
        "{}INSERT INTO report_change (month, xid) SELECT DISTINCT m, txid_current() FROM ({}) s "
        "WHERE m IS NOT NULL;"
    )
    pairs = "FROM old_rows o JOIN new_rows n ON o.id = n.id"
    changed = _changed(table, "o", "n", False)
    with_update = (
        f"WITH co AS (SELECT o.* {pairs} WHERE {changed}), cn AS (SELECT n.* {pairs} WHERE {changed})"
        + (
            f", mv AS (SELECT o.* {pairs} WHERE o.unit_id IS DISTINCT FROM n.unit_id) "
            if WATCHED[table][3]
            else " "
        )
    )
    events = {
        "INSERT": ("", _months_of(table, "new_rows", False, deps=False)),
        "DELETE": ("", _months_of(table, "old_rows", False)),
        "UPDATE": (
            with_update,
            _months_of(table, "co", False, deps=False)
            + _months_of(table, "cn", False, deps=False)
            + _months_of(table, "mv", False, own=False),
        ),
    }
    function = f"report_change_{table}"
    branches = " ".join(
        f"{'IF' if i == 0 else 'ELSIF'} TG_OP = '{event}' THEN {bump.format(prefix, ' UNION ALL '.join(parts))}"
        for i, (event, (prefix, parts)) in enumerate((e, v) for e, v in events.items() if v[1])
    )
    statements = [
        f"CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"{branches} END IF; RETURN NULL; END $$"
    ]
    refs = {
        "INSERT": "NEW TABLE AS new_rows",
        "DELETE": "OLD TABLE AS old_rows",
        "UPDATE": "OLD TABLE AS old_rows NEW TABLE AS new_rows",
    }
    for event, (_, parts) in events.items():
        if not parts:
            continue
        name = f"report_{table}_{event.lower()}"
        statements.append(f'DROP TRIGGER IF EXISTS {name} ON "{table}"')
        statements.append(
            f'CREATE TRIGGER {name} AFTER {event} ON "{table}" REFERENCING {refs[event]} '
            f"FOR EACH STATEMENT EXECUTE PROCEDURE {function}()"
        )
    return statements


def create_schema() -> None:
    """Create the summary tables, the change triggers and the index they need (idempotent)."""
    db = database.obj
    sqlite = is_sqlite(db)
    if sqlite:
        statements = [
            "CREATE TABLE IF NOT EXISTS report_change (month VARCHAR(7) PRIMARY KEY, "
            "stamp INTEGER NOT NULL)"
        ]
    else:
        statements = [
            "CREATE TABLE IF NOT EXISTS report_change (month VARCHAR(7) NOT NULL, xid BIGINT NOT NULL)",
            "CREATE INDEX IF NOT EXISTS report_change_month ON report_change (month, xid)",
        ]
    statements += [
        "CREATE TABLE IF NOT EXISTS report_summary (month VARCHAR(7) PRIMARY KEY, token TEXT NOT NULL, "
        "latest TEXT, data TEXT NOT NULL)",
        "CREATE INDEX IF NOT EXISTS escalation_target ON escalation (target_kind, target_id)",
    ]
    for table in WATCHED:
        statements += _sqlite_triggers(table) if sqlite else _postgres_triggers(table)
    for sql in statements:
        db.execute_sql(sql)


# -- reading and writing summaries ------------------------------------------------------------


def _token(month: str) -> str:
    """What the current read knows of the month's changes (inside the report's snapshot)."""
    db = database.obj
    if is_sqlite(db):
        row = db.execute_sql("SELECT stamp FROM report_change WHERE month = ?", (month,)).fetchone()
        return str(row[0] if row else 0)
    return db.execute_sql("SELECT txid_current_snapshot()::text").fetchone()[0]


def _valid(month: str, token: str) -> bool:
    db = database.obj
    if is_sqlite(db):
        return token == _token(month)
    return db.execute_sql(
        "SELECT NOT EXISTS (SELECT 1 FROM report_change WHERE month = %s "
        "AND NOT txid_visible_in_snapshot(xid, %s::txid_snapshot))",
        (month, token),
    ).fetchone()[0]


def _latest_closure(start: dt.datetime, end: dt.datetime) -> dt.datetime | None:
    """The latest closing instant of the month's closed 差评: the one as-of comparison left
    once the month is over (差评办结数 counts those closed by the as-of time)."""
    R = Rating
    return (
        R.select(pw.fn.MAX(R.closed_at))
        .where(
            (R.rated_at >= start)
            & (R.rated_at < end)
            & (R.level <= BAD_LEVEL)
            & (R.status == "已办结")
        )
        .scalar()
    )


def _dump(counts: dict[int | None, Counts], matters: dict[int, int]) -> str:
    units = {
        ("" if uid is None else str(uid)): {
            **{k: getattr(c, k) for k in INTS},
            **{k: dict(getattr(c, k)) for k in COUNTERS},
        }
        for uid, c in counts.items()
    }
    return json.dumps(
        {"units": units, "matters": {str(k): v for k, v in matters.items()}}, ensure_ascii=False
    )


def _load(data: str) -> tuple[dict[int | None, Counts], dict[int, int]]:
    raw = json.loads(data)
    counts: dict[int | None, Counts] = {}
    for key, values in raw["units"].items():
        c = Counts()
        for name in INTS:
            setattr(c, name, values[name])
        for name in COUNTERS:
            setattr(c, name, Counter(values[name]))
        counts[None if key == "" else int(key)] = c
    return counts, {int(k): v for k, v in raw["matters"].items()}


def _as_datetime(value: Any) -> dt.datetime | None:
    if value is None or isinstance(value, dt.datetime):
        return value
    return dt.datetime.fromisoformat(str(value))


class MonthCounts:
    """One month's counts per unit and per matter as of one instant: from the
    summary when it is valid for that instant, else from the records."""

    def __init__(
        self, month: str, start: dt.datetime, end: dt.datetime, as_of: dt.datetime
    ) -> None:
        self.month = month
        self.fresh: tuple[str, dt.datetime | None, str] | None = (
            None  # what to store after the read
        )
        self._matters: dict[int, int] | None = None
        closed = as_of >= end
        if enabled and closed:
            mark = "?" if is_sqlite() else "%s"
            row = database.obj.execute_sql(
                f"SELECT token, latest, data FROM report_summary WHERE month = {mark}", (month,)
            ).fetchone()
            latest = _as_datetime(row[1]) if row else None
            if row and (latest is None or latest <= as_of) and _valid(month, row[0]):
                self.units, self.matters = _load(row[2])
                self.source = "summary"
                return
        if enabled and closed:
            token = _token(month)
            self.units, self.matters = (
                month_counts(start, end, FOREVER),
                matter_counts(start, end, FOREVER),
            )
            latest = _latest_closure(start, end)
            self.fresh = (token, latest, _dump(self.units, self.matters))
            if latest is not None and latest > as_of:  # an as-of time before a late closure
                self.units, self.matters = (
                    month_counts(start, end, as_of),
                    matter_counts(start, end, as_of),
                )
            self.source = "built"
            return
        self.units = month_counts(start, end, as_of)
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


def store(months: list[MonthCounts]) -> int:
    """Keep the summaries built during a report's read (after the read: SQLite's read
    snapshot cannot write).  A summary built from an older read than one already
    stored is stored anyway: it is checked on every use, never trusted blindly."""
    fresh = [(m.month, m.fresh) for m in months if m.fresh is not None]
    if not fresh:
        return 0
    sqlite = is_sqlite()
    mark = "?" if sqlite else "%s"
    sql = (
        f"INSERT INTO report_summary (month, token, latest, data) VALUES ({mark}, {mark}, {mark}, {mark}) "
        "ON CONFLICT (month) DO UPDATE SET token = excluded.token, latest = excluded.latest, data = excluded.data"
    )
    try:
        with write_transaction():
            for month, (token, latest, data) in fresh:
                database.obj.execute_sql(
                    sql, (month, token, latest.isoformat(sep=" ") if latest else None, data)
                )
    except pw.OperationalError as exc:  # busy: the summaries are a cache, the report stands
        logger.warning("monthly summaries not stored: %s", exc)
        return 0
    return len(fresh)


# -- one mark per statement for bulk writers (SQLite) ------------------------------------------


@contextmanager
def marked_once(table: str) -> Iterator[set[str]]:
    """Insert many rows into ``table`` inside the block with their months marked once.

    SQLite fires ``report_<table>_insert`` once per inserted row; a bulk
    ``INSERT … SELECT`` of a million rows pays a million marks of the same
    month.  Inside the caller's write transaction the trigger is dropped for
    the block, the months the block adds to the yielded set — what the
    trigger would have marked for the rows it inserted (an escalation marks
    its ``raised_at`` month; an undecided proposal none) — are marked once at
    its end, and the trigger is created again from its stored text.  DDL is
    transactional in SQLite and one writer holds the lock: no other writer
    ever runs without the trigger, and a failure rolls the drop back with
    the rows.  PostgreSQL's triggers already run once per statement (over
    the transition table): there the block runs with them.
    """
    months: set[str] = set()
    db = database.obj
    if not is_sqlite(db):
        yield months
        return
    name = f"report_{table}_insert"
    row = db.execute_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?", (name,)
    ).fetchone()
    if row is None:  # a database without the summaries (before migration 6): nothing to mark
        yield months
        return
    db.execute_sql(f'DROP TRIGGER "{name}"')
    try:
        yield months
        for month in sorted(months):
            db.execute_sql(
                "INSERT INTO report_change (month, stamp) VALUES (?, 1) "
                "ON CONFLICT (month) DO UPDATE SET stamp = stamp + 1",
                (month,),
            )
    finally:
        db.execute_sql(row[0])


__all__ = ["MonthCounts", "WATCHED", "create_schema", "marked_once", "store"]
