"""How the bench generator writes: the raw driver, and indexes built once after a bulk load.

Rows go through the raw driver, not the ORM: ``executemany`` on the SQLite
connection, ``COPY`` on PostgreSQL.  :func:`bulk` drops a model's own
indexes for the load and builds each once afterwards, then moves the id
sequence past the ids the rows were given.
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from supervise.db import database, is_sqlite, write_transaction
from supervise.report.summary import counted_once

logger = logging.getLogger(__name__)


def write_rows(table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Bulk-write rows with the raw driver: executemany on SQLite, COPY on PostgreSQL."""
    cols = ", ".join(f'"{c}"' for c in columns)
    if is_sqlite():
        marks = ", ".join("?" * len(columns))
        database.connection().executemany(f'INSERT INTO "{table}" ({cols}) VALUES ({marks})', rows)
        return
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    for row in rows:
        writer.writerow(["\\N" if v is None else v for v in row])
    buf.seek(0)
    with database.connection().cursor() as cur:
        cur.copy_expert(f"COPY \"{table}\" ({cols}) FROM STDIN WITH (FORMAT csv, NULL '\\N')", buf)


def reset_sequence(table: str) -> None:
    """PostgreSQL: move ``table``'s id sequence past the ids the rows were given."""
    if not is_sqlite():
        database.execute_sql(
            f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), (SELECT MAX(id) FROM \"{table}\"))"
        )


@contextmanager
def bulk(model: Any) -> Iterator[None]:
    """Drop ``model``'s own indexes for a bulk load and build each once afterwards; the
    report's counts of the loaded rows are added in one pass at the end
    (:func:`supervise.report.summary.counted_once`: SQLite's row trigger is off for the
    load, so a cache file built in one process pays no upsert per row)."""
    own = {i._name for i in model._meta.fields_to_index()}
    table = model._meta.table_name
    with write_transaction():
        for index in database.get_indexes(table):
            if index.name in own:
                database.execute_sql(f'DROP INDEX "{index.name}"')
    with counted_once(table):
        yield
    with write_transaction():
        model._schema.create_indexes(safe=True)  # exactly the model's indexes
        reset_sequence(table)
