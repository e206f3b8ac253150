"""Bulk writes for imports: batched raw-cursor inserts inside the caller's transaction.

peewee's ``insert_many`` builds its SQL row by row and reaches about a tenth
of the speed of the driver's own ``executemany``; an import of a million
rows cannot afford that.  :class:`BulkInsert` prepares one statement per
table and sends rows in chunks: ``executemany`` on SQLite (the statement is
compiled once), ``psycopg2.extras.execute_values`` on PostgreSQL (one
multi-row ``INSERT`` per chunk).  With ``conflict`` columns the statement is
``ON CONFLICT (…) DO NOTHING`` and :attr:`BulkInsert.inserted` counts only
the rows really added, so a row whose (source, external id) is already
stored is counted as a duplicate without a look-up per row.
"""

from __future__ import annotations

import datetime as dt
import logging
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import peewee as pw

from .db import database, is_sqlite

logger = logging.getLogger(__name__)

# The text sqlite3 has always stored for dates and date-times (what peewee reads back);
# registered explicitly because the implicit adapters are deprecated since Python 3.12.
sqlite3.register_adapter(dt.datetime, lambda value: value.isoformat(" "))
sqlite3.register_adapter(dt.date, lambda value: value.isoformat())

CHUNK = 5000
IN_CHUNK = 500  # keys per IN (…) look-up


def _column(model: type[pw.Model], name: str) -> pw.Field:
    field = model._meta.fields.get(name)
    if field is None:
        raise KeyError(f"{model.__name__} has no field {name!r}")
    return field


class BulkInsert:
    """Rows for one table, written ``chunk`` at a time; call :meth:`flush` at the end.

    ``fields`` are model field names (a foreign key by its name, e.g.
    ``unit``, with the id as value); ``raw`` names columns of the table that
    are no model field (the keyword index's ``tsv``), whose values end each
    row after the fields'; every other field with a default (``version``,
    ``created_at``, …) gets it, evaluated once per writer.  ``skip()``
    returning True discards the rows instead of writing them (an import that
    already failed).
    """

    def __init__(
        self,
        model: type[pw.Model],
        fields: Sequence[str],
        *,
        conflict: Sequence[str] = (),
        chunk: int = CHUNK,
        skip: Callable[[], bool] | None = None,
        raw: Sequence[str] = (),
    ) -> None:
        self.model, self.fields, self.chunk = model, tuple(fields), chunk
        self.skip = skip or (lambda: False)
        self.sqlite = is_sqlite()
        table = model._meta.table_name
        # model defaults live in Python, not in the schema: supply those of the fields not given
        given = set(self.fields)
        defaults = [
            (f.name, f.default() if callable(f.default) else f.default)
            for f in model._meta.sorted_fields
            if f.name not in given and not f.primary_key and f.default is not None
        ]
        self._extra = tuple(value for _, value in defaults)
        columns = [_column(model, f).column_name for f in self.fields]
        columns += [*raw, *(_column(model, name).column_name for name, _ in defaults)]
        self.fields += tuple(name for name, _ in defaults)
        names = ", ".join(f'"{c}"' for c in columns)
        tail = ""
        if conflict:
            keys = ", ".join(f'"{_column(model, f).column_name}"' for f in conflict)
            tail = f" ON CONFLICT ({keys}) DO NOTHING"
        values = "(" + ", ".join("?" * len(columns)) + ")" if self.sqlite else "%s"
        self.sql = f'INSERT INTO "{table}" ({names}) VALUES {values}{tail}'
        self.rows: list[tuple[Any, ...]] = []
        self.inserted = 0
        self.attempted = 0

    def add(self, row: tuple[Any, ...]) -> int:
        """Queue one row, a tuple in ``fields`` order; returns the rows inserted by a flush, else 0."""
        rows = self.rows
        rows.append(row)
        if len(rows) >= self.chunk:
            return self.flush()
        return 0

    def extend(self, rows: Iterable[tuple[Any, ...]]) -> int:
        added = 0
        for row in rows:
            added += self.add(row)
        return added

    def flush(self) -> int:
        """Write the queued rows; returns how many were inserted."""
        rows, self.rows = self.rows, []
        if not rows or self.skip():
            return 0
        if self._extra:
            extra = self._extra
            rows = [row + extra for row in rows]
        cursor = database.cursor()
        if self.sqlite:
            cursor.executemany(self.sql, rows)
        else:
            from psycopg2.extras import execute_values

            execute_values(cursor, self.sql, rows, page_size=len(rows))
        count = (
            cursor.rowcount if cursor.rowcount is not None and cursor.rowcount >= 0 else len(rows)
        )
        self.attempted += len(rows)
        self.inserted += count
        return count


def _chunks(items: Sequence[Any], size: int = IN_CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def existing_keys(model: type[pw.Model], source: str, keys: Sequence[str]) -> set[str]:
    """The external ids among ``keys`` already stored under ``source``."""
    found: set[str] = set()
    for part in _chunks(list(keys)):
        query = model.select(model.external_id).where(
            (model.source == source) & model.external_id.in_(list(part))
        )
        found.update(k for (k,) in query.tuples())
    return found


def ids_by_key(model: type[pw.Model], batch_id: int, keys: Sequence[str]) -> dict[str, int]:
    """external id → id of the rows of ``batch_id`` with those external ids."""
    result: dict[str, int] = {}
    for part in _chunks(list(keys)):
        query = model.select(model.external_id, model.id).where(
            (model.batch == batch_id) & model.external_id.in_(list(part))
        )
        result.update(query.tuples())
    return result


__all__ = ["BulkInsert", "existing_keys", "ids_by_key", "CHUNK"]
