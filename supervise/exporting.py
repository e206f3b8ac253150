"""Running an export (导出): permission, unmasking, audit, a file that is
either complete or absent (SPEC §8 ``export``, §10).

:func:`run_export` looks up an exporter plugin by name and calls its ``run``
with the keyword arguments documented in ``docs/PLUGINS.md``; the file is
written under a temporary name beside the target and renamed into place in
the same transaction that writes the audit entry, so a failed or cancelled
export leaves no half-written file and every delivered file is in the audit
log (``export`` masked, ``export.unmask`` with identities).  A temporary
file that a killed run could not remove is removed by the next export to
the same target (:func:`supervise.paths.remove_stale_parts`).

The helpers below are what the built-in ledger plugins stand on: the
:class:`LedgerFilter` with every filter of the list views, month bounds,
and :func:`stream`, which reads a query's rows in constant memory on both
engines (SQLite's lazy cursor; a PostgreSQL server-side cursor).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

import peewee as pw

from . import audit, permissions
from .auth import Actor
from .db import database, is_sqlite, write_transaction
from .errors import InvalidInput, UsageError
from .paths import part_file, remove_stale_parts
from .registry import get_registry
from .xlsx import Progress

logger = logging.getLogger(__name__)

_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")

#: The Chinese label of every filter, as shown on a ledger's cover sheet.
FILTER_LABELS = {
    "month": "月份",
    "status": "状态",
    "unit": "单位编码",
    "category": "类别",
    "channel": "渠道",
    "level": "级别",
    "search": "关键词",
    "date_from": "日期起",
    "date_to": "日期止",
    "overdue": "仅超期",
    "bad_only": "仅差评",
    "as_of": "截止时间",
}


def month_bounds(month: str) -> tuple[dt.datetime, dt.datetime]:
    """``"2026-10"`` → (2026-10-01 00:00, 2026-11-01 00:00); bad text → InvalidInput."""
    found = _MONTH.match((month or "").strip())
    year, number = (int(found.group(1)), int(found.group(2))) if found else (0, 0)
    if not found or not 1 <= number <= 12 or not 1900 <= year <= 9999:
        raise InvalidInput(f"月份格式应为 YYYY-MM：{month}", f"months are YYYY-MM: {month}")
    start = dt.datetime(year, number, 1)
    end = dt.datetime(year + (number == 12), number % 12 + 1, 1)
    return start, end


@dataclass
class LedgerFilter:
    """The filters of the list views; each ledger accepts the ones it knows."""

    month: str | None = None
    status: str | None = None
    unit: str | None = None
    category: str | None = None
    channel: str | None = None
    level: str | None = None
    search: str | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    overdue: bool = False
    bad_only: bool = False
    as_of: dt.datetime | None = None

    def used(self) -> list[str]:
        """The names of the filters that are set."""
        return [f.name for f in fields(self) if getattr(self, f.name) not in (None, False, "")]

    def only(self, ledger: str, allowed: tuple[str, ...]) -> None:
        """Refuse a filter this ledger does not have (exit 2)."""
        extra = [name for name in self.used() if name not in allowed]
        if extra:
            zh = "、".join(FILTER_LABELS[n] for n in extra)
            known = "、".join(FILTER_LABELS[n] for n in allowed)
            raise UsageError(
                f"“{ledger}”不支持筛选条件：{zh}（可用：{known}）",
                f"export {ledger} has no filter {', '.join(extra)} (known: {', '.join(allowed)})",
            )

    def describe(self) -> str:
        """The filters in words for the cover sheet."""
        parts = []
        for name in self.used():
            value = getattr(self, name)
            if isinstance(value, bool):
                parts.append(FILTER_LABELS[name])
            elif isinstance(value, dt.datetime):
                parts.append(f"{FILTER_LABELS[name]}：{value:%Y-%m-%d %H:%M}")
            else:
                parts.append(f"{FILTER_LABELS[name]}：{value}")
        return "；".join(parts) or "无（全部记录）"

    def as_dict(self) -> dict[str, Any]:
        return {
            k: (v.isoformat() if isinstance(v, dt.date) else v)
            for k, v in asdict(self).items()
            if k in self.used()
        }


def received_range(f: LedgerFilter) -> tuple[dt.datetime | None, dt.datetime | None]:
    """The [start, end) instants that ``month``, ``date_from`` and ``date_to`` leave."""
    start = end = None
    if f.month:
        start, end = month_bounds(f.month)
    if f.date_from:
        lower = dt.datetime.combine(f.date_from, dt.time())
        start = max(start, lower) if start else lower
    if f.date_to:
        upper = dt.datetime.combine(f.date_to + dt.timedelta(days=1), dt.time())
        end = min(end, upper) if end else upper
    return start, end


def within(query: pw.ModelSelect, column: pw.Field, f: LedgerFilter) -> pw.ModelSelect:
    """``query`` limited to the month/date filters on ``column`` (a date or date-time)."""
    start, end = received_range(f)
    is_date = isinstance(column, pw.DateField) and not isinstance(column, pw.DateTimeField)
    if start is not None:
        query = query.where(column >= (start.date() if is_date else start))
    if end is not None:
        query = query.where(column < (end.date() if is_date else end))
    return query


# -- reading rows in constant memory ------------------------------------------------------


def stream(query: pw.Query, batch: int = 2000) -> Iterator[tuple[Any, ...]]:
    """The raw rows of ``query`` (driver values: SQLite gives date-times as text).

    SQLite's cursor already steps through the result; on PostgreSQL a named
    (server-side) cursor inside a transaction fetches ``batch`` rows at a time
    instead of loading the whole result into memory.
    """
    sql, params = query.sql()
    db = database.obj
    if is_sqlite(db):
        cursor = db.execute_sql(sql, params)
        try:
            while rows := cursor.fetchmany(batch):
                yield from rows
        finally:
            cursor.close()
        return
    with db.atomic():
        # peewee keeps psycopg2 in autocommit mode, where psycopg2 allows only
        # WITH HOLD cursors; closing it before the commit keeps it streaming.
        cursor = db.connection().cursor(name=f"supervise_{uuid.uuid4().hex}", withhold=True)
        cursor.itersize = batch
        try:
            cursor.execute(sql, params)
            yield from cursor
        finally:
            cursor.close()


def as_datetime(value: Any) -> dt.datetime | None:
    if value is None or isinstance(value, dt.datetime):
        return value
    return dt.datetime.fromisoformat(value)


def as_date(value: Any) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(value[:10])


def yes_no(value: Any) -> str | None:
    return None if value is None else ("是" if value else "否")


# -- running an exporter ------------------------------------------------------------------


@dataclass
class ExportResult:
    name: str
    title: str
    path: Path
    rows: int | None
    unmasked: bool
    filters: LedgerFilter

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "file": str(self.path),
            "rows": self.rows,
            "unmasked": self.unmasked,
            "filters": self.filters.as_dict(),
        }


def check_output(out: str | Path) -> Path:
    path = Path(out)
    if path.exists() and path.is_dir():
        raise InvalidInput(f"输出文件是一个目录：{path}", f"the output is a folder: {path}")
    if not path.parent.is_dir():
        raise InvalidInput(
            f"输出目录不存在：{path.parent}", f"the output folder does not exist: {path.parent}"
        )
    return path


def run_export(
    actor: Actor,
    name: str,
    out: str | Path,
    filters: LedgerFilter | None = None,
    *,
    unmask: bool = False,
    progress: Progress | None = None,
    cancel: Callable[[], bool] | None = None,
) -> ExportResult:
    """Export ``name`` to ``out``; identities stay masked unless ``unmask`` by admin/staff."""
    permissions.require(actor.role, "export", actor.name)
    if unmask:
        permissions.require(actor.role, "export.unmask", actor.name)
    spec = get_registry().exporter(name)
    path = check_output(out)
    filters = filters or LedgerFilter()
    remove_stale_parts(path)
    part = part_file(path)
    try:
        written = spec.run(
            actor=actor, path=part, filters=filters, unmask=unmask, progress=progress, cancel=cancel
        )
        if not part.exists():
            raise RuntimeError(f"exporter {name!r} wrote no file")
        rows = written if isinstance(written, int) and not isinstance(written, bool) else None
        with write_transaction():
            audit.append(
                actor.name,
                "export.unmask" if unmask else "export",
                "export",
                name,
                None,
                {"file": path.name, "rows": rows, "filters": filters.as_dict(), "unmasked": unmask},
            )
            os.replace(part, path)
    finally:
        part.unlink(missing_ok=True)
    logger.info("%s exported %s (%s rows, unmasked=%s) to %s", actor.name, name, rows, unmask, path)
    return ExportResult(name, spec.title, path, rows, unmask, filters)


__all__ = [
    "ExportResult",
    "FILTER_LABELS",
    "LedgerFilter",
    "as_date",
    "as_datetime",
    "check_output",
    "month_bounds",
    "received_range",
    "run_export",
    "stream",
    "within",
    "yes_no",
]
