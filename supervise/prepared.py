"""Prepared statements for hot write paths (registering a complaint, the audit log).

peewee builds the SQL text of every query afresh: for one INSERT that is
0.2–0.4 ms of Python, several times what SQLite takes to run it.  Here the
text is built once per model, column set and engine, and values go through
each field's own ``db_value``, so a row holds exactly what ``Model.create``
would store.  Use it where a statement runs for every record; everywhere
else the query builder is the clearer choice.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, TypeVar

import peewee as pw

from .db import database, is_sqlite

logger = logging.getLogger(__name__)

M = TypeVar("M", bound=pw.Model)

_INSERTS: dict[
    tuple[type[pw.Model], tuple[str, ...], tuple[str, ...], bool], tuple[str, tuple[pw.Field, ...]]
] = {}


def _auto_key(model: type[pw.Model]) -> pw.Field:
    """The auto-increment primary key of ``model`` (callers check ``auto_increment``)."""
    pk = model._meta.primary_key
    assert isinstance(pk, pw.Field)
    return pk


def _insert_sql(
    model: type[pw.Model], names: tuple[str, ...], raw: tuple[str, ...]
) -> tuple[str, tuple[pw.Field, ...]]:
    sqlite = is_sqlite()
    key = (model, names, raw, sqlite)
    found = _INSERTS.get(key)
    if found is None:
        fields = tuple(model._meta.fields[n] for n in names)
        columns = ", ".join([f'"{f.column_name}"' for f in fields] + [f'"{c}"' for c in raw])
        marks = ", ".join([database.param] * (len(fields) + len(raw)))
        sql = f'INSERT INTO "{model._meta.table_name}" ({columns}) VALUES ({marks})'
        if not sqlite and model._meta.auto_increment:
            sql += f' RETURNING "{_auto_key(model).column_name}"'
        found = _INSERTS[key] = (sql, fields)
    return found


def create(model: type[M], /, *, raw: Mapping[str, Any] | None = None, **values: Any) -> M:
    """``model.create(**values)``: defaults filled in, the new id set, one prepared INSERT.

    Foreign keys are given as ids or saved instances (an unsaved related
    instance is not saved first, unlike ``Model.create``).  ``raw``: columns
    of the table that are no model field (the keyword index's ``tsv``),
    written as given and never read back.
    """
    raw = raw or {}
    row = model(**values)
    data = row.__data__
    auto = model._meta.auto_increment and data.get(_auto_key(model).name) is None
    if auto:
        data.pop(_auto_key(model).name, None)
    sql, fields = _insert_sql(model, tuple(data), tuple(raw))
    cursor = database.execute_sql(
        sql, [f.db_value(data[f.name]) for f in fields] + list(raw.values())
    )
    if auto:
        data[_auto_key(model).name] = cursor.lastrowid if is_sqlite() else cursor.fetchone()[0]
    row._dirty.clear()  # peewee keeps it private; Model.save clears it the same way
    return row


def execute(sql: str, params: tuple[Any, ...] | list[Any] = ()) -> Any:
    """Run a fixed statement written with ``?`` marks on either engine; return the cursor."""
    if not is_sqlite():
        sql = sql.replace("?", "%s")
    return database.execute_sql(sql, params)


__all__ = ["create", "execute"]
