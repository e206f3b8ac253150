"""好差评 ratings of the generated office, written set-based inside the database.

Three ratings per complaint of the measured month, as many again in each of
the two months before, and one per complaint three months before: the month
holds 3× and the database 10× the month's complaints in ratings (1,000,000
complaints → 3,000,000 and 10,000,000, the issue's office at full scale).
Each rating takes its complaint's unit, so ratings follow the same skew; its
level cycles with the complaint id (one in five 非常不满意, one in five
不满意: the 差评); half the 差评 are handled (已办结 three days later), half
wait for 核实.  Reasons and comments come from the demo's own
(:func:`supervise.demo.evaluations.rating_texts`: every 差评 has both, some
praise a reason or a comment): ``TEXTS`` drawn per level into a temporary
table, each rating taking the one at ``id % TEXTS`` of its level.  Ids are
given (statement k writes ids k·N + complaint id), so a rating's text is a
function of its id.  Each text's tokens are computed once in Python: on
PostgreSQL the ``tsv`` column is written with the row, on SQLite the
``rating_fts`` entries are inserted from the same table, set-based too.

One ``INSERT … SELECT`` per (month, round) over the month's complaints: no
row travels through Python, so ten million rows cost what the database
needs to write them.  The statements used to live in the report suite
(:mod:`bench.documents`), which added them at every run; now every suite
finds them in the cached database.
"""

from __future__ import annotations

import logging
import random
from typing import TYPE_CHECKING

from supervise import search
from supervise.db import database, is_sqlite, write_transaction
from supervise.demo.evaluations import rating_texts

if TYPE_CHECKING:
    from .gen_spec import Spec

logger = logging.getLogger(__name__)

#: (months back from the measured month, ratings per complaint of the month)
RATING_MONTHS = ((0, 3), (1, 3), (2, 3), (3, 1))
PER_COMPLAINT = sum(per for _, per in RATING_MONTHS)


def _shift(column: str, months: int, sqlite: bool) -> str:
    if not months:
        return column
    if not sqlite:
        return f"({column} - interval '{months} months')"  # clamps to the month's end
    # SQLite rolls 31 Sep over into October: days 29–31 step back three days first
    return (
        f"CASE WHEN strftime('%d', {column}) > '28' THEN datetime({column}, '-3 days', '-{months} months') "
        f"ELSE datetime({column}, '-{months} months') END"
    )


#: texts drawn per level; each rating takes the one at ``id % TEXTS``
TEXTS = 64
TEXT_TABLE = "bench_rating_text"


def texts(seed: int) -> list[tuple[int, int, str, str, str]]:
    """(level, k, reasons, comment, index document) of every generated text, k < ``TEXTS``."""
    rng = random.Random(f"rating-texts-{seed}")
    out = []
    for level in range(1, 6):
        for k in range(TEXTS):
            reasons, comment = rating_texts(rng, level)
            out.append((level, k, reasons, comment, search.document(comment, reasons, "")))
    return out


def statements(complaints: int, sqlite: bool) -> list[str]:
    """The INSERT … SELECT statements that write every rating (complaint ids 1..complaints),
    reading the texts of ``TEXT_TABLE``."""
    out: list[str] = []
    n = int(complaints)
    tsv = ("", "") if sqlite else (", tsv", ", t.tsv")
    for back, per in RATING_MONTHS:
        rated = _shift("c.received_at", back, sqlite)
        closed = f"datetime({rated}, '+3 days')" if sqlite else f"({rated} + interval '3 days')"
        for j in range(per):
            offset = len(out) * n  # ids of this statement: offset + complaint id
            level = f"((c.id * 7 + {j + back}) % 5 + 1)"
            out.append(
                'INSERT INTO rating (id, unit_id, "window", channel, level, bad, reasons, comment, real_name, '
                f"rated_at, status, closed_at, source, version{tsv[0]}) "
                f"SELECT {offset} + c.id, COALESCE(c.unit_id, (SELECT MIN(id) FROM unit)), '', '窗口', {level}, "
                f"{level} <= 2, t.reasons, t.comment, {'0' if sqlite else 'FALSE'}, {rated}, "
                f"CASE WHEN {level} > 2 THEN '无需处理' WHEN c.id % 2 = 0 THEN '已办结' ELSE '待核实' END, "
                f"CASE WHEN {level} <= 2 AND c.id % 2 = 0 THEN {closed} END, 'bench', 1{tsv[1]} "
                f"FROM complaint c JOIN {TEXT_TABLE} t ON t.level = {level} AND t.k = ({offset} + c.id) % {TEXTS} "
                f"WHERE c.id <= {n}"
            )
    return out


def _text_table(seed: int, sqlite: bool) -> None:
    """The temporary table of generated texts (with their tsv on PostgreSQL)."""
    rows = texts(seed)
    if sqlite:
        database.execute_sql(
            f"CREATE TEMP TABLE {TEXT_TABLE} (level INTEGER, k INTEGER, reasons TEXT, comment TEXT, "
            "doc TEXT, PRIMARY KEY (level, k))"
        )
        database.connection().executemany(f"INSERT INTO {TEXT_TABLE} VALUES (?, ?, ?, ?, ?)", rows)
        return
    database.execute_sql(
        f"CREATE TEMP TABLE {TEXT_TABLE} (level integer, k integer, reasons text, comment text, "
        "tsv tsvector, PRIMARY KEY (level, k))"
    )
    with database.connection().cursor() as cur:
        cur.executemany(
            f"INSERT INTO {TEXT_TABLE} VALUES (%s, %s, %s, %s, NULLIF(%s, '')::tsvector)",
            [
                (level, k, reasons, comment, search.tsvector(comment, reasons, ""))
                for level, k, reasons, comment, _ in rows
            ],
        )


def write(spec: Spec) -> int:
    """Write the ratings of ``spec``'s office, with their keyword index entries, into the
    open database; return how many.  On PostgreSQL the caller builds the GIN index after."""
    sqlite = is_sqlite()
    with write_transaction():
        _text_table(spec.seed, sqlite)
    try:
        for sql in statements(spec.complaints, sqlite):
            with write_transaction():  # the raw cursor: no parameters, so '%' is the modulo
                database.connection().cursor().execute(sql)
        if sqlite:  # the keyword index: one entry per rating with text, no text tokenised twice
            ix = search.RATINGS
            with write_transaction():
                database.execute_sql(
                    f"INSERT INTO {ix.fts} (rowid, tokens) SELECT r.id, t.doc FROM rating r "
                    f"JOIN {TEXT_TABLE} t ON t.level = r.level AND t.k = r.id % {TEXTS} WHERE t.doc != ''"
                )
                database.execute_sql(f"INSERT INTO {ix.fts} ({ix.fts}) VALUES ('optimize')")
    finally:
        with write_transaction():
            database.execute_sql(f"DROP TABLE {TEXT_TABLE}")
    return database.execute_sql("SELECT COUNT(*) FROM rating").fetchone()[0]


__all__ = ["PER_COMPLAINT", "RATING_MONTHS", "TEXTS", "statements", "texts", "write"]
