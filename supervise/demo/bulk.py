"""The fast multi-row INSERT the demo generator writes its rows with."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Sequence
from typing import Any

import peewee as pw

logger = logging.getLogger(__name__)

CHUNK = 500
# Bound variables per statement: SQLite allows 32766 since 3.32, 999 before.
_MAX_PARAMS = 30000 if sqlite3.sqlite_version_info >= (3, 32) else 999


def _as_given(value: Any) -> Any:
    return value


def insert(
    model: type[pw.Model],
    rows: Sequence[dict[str, Any]],
    *,
    ids: bool = False,
    raw: Sequence[str] = (),
) -> list[int]:
    """Bulk-insert ``rows`` (dicts of field names, all with the same keys) in
    chunks; with ``ids``, return the new ids in the order of ``rows``.

    The multi-row INSERT is written here rather than by ``insert_many``, which
    builds an expression node per cell and made the demo ten times slower;
    values still pass through each field's ``db_value``, and fields left out
    get their defaults, as with ``insert_many``.  ``raw`` names keys of the
    rows that are table columns but no model field (the keyword index's
    ``tsv``), stored as given.
    """
    if not rows:
        return []
    meta, db = model._meta, model._meta.database
    names = [name for name in rows[0] if name not in raw]
    given = [meta.fields[name] for name in names]
    defaults = {f: d for f, d in meta.defaults.items() if f.name not in names}
    names += raw
    constant = [d() if callable(d) else d for d in defaults.values()]
    convert = [f.db_value for f in given] + [_as_given] * len(raw)
    convert += [f.db_value for f in defaults]
    columns = [f.column_name for f in given] + list(raw) + [f.column_name for f in defaults]
    column_sql = ", ".join(f'"{c}"' for c in columns)
    one_row = "(" + ", ".join([db.param] * len(columns)) + ")"
    size = max(1, min(CHUNK, _MAX_PARAMS // len(columns)))
    result: list[int] = []
    for start in range(0, len(rows), size):
        chunk = rows[start : start + size]
        last = (model.select(pw.fn.MAX(model.id)).scalar() or 0) if ids else 0
        params = [
            to_db(value)
            for row in chunk
            for to_db, value in zip(convert, [row[name] for name in names] + constant, strict=True)
        ]
        sql = f'INSERT INTO "{meta.table_name}" ({column_sql}) VALUES {", ".join([one_row] * len(chunk))}'
        db.execute_sql(sql, params)
        if ids:
            query = model.select(model.id).where(model.id > last).order_by(model.id)
            new = [i for (i,) in query.tuples()]
            if len(new) != len(chunk):
                raise RuntimeError(
                    f"{model.__name__}: inserted {len(chunk)} rows, read back {len(new)}"
                )
            result += new
    return result


def columns(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows without their private ``_keys``."""
    return [{k: v for k, v in row.items() if not k.startswith("_")} for row in rows]
