"""好差评 ratings of the generated office, written set-based inside the database.

Three ratings per complaint of the measured month, as many again in each of
the two months before, and one per complaint three months before: the month
holds 3× and the database 10× the month's complaints in ratings (1,000,000
complaints → 3,000,000 and 10,000,000, the issue's office at full scale).
Each rating takes its complaint's unit, so ratings follow the same skew; its
level cycles with the complaint id (one in five 非常不满意, one in five
不满意: the 差评); half the 差评 are handled (已办结 three days later), half
wait for 核实.

One ``INSERT … SELECT`` per (month, round) over the month's complaints: no
row travels through Python, so ten million rows cost what the database
needs to write them.  The statements used to live in the report suite
(:mod:`bench.documents`), which added them at every run; now every suite
finds them in the cached database.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from supervise.db import database, is_sqlite, write_transaction

if TYPE_CHECKING:
    from .generate import Spec

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


def statements(complaints: int, sqlite: bool) -> list[str]:
    """The INSERT … SELECT statements that write every rating (complaint ids 1..complaints)."""
    out = []
    for back, per in RATING_MONTHS:
        rated = _shift("c.received_at", back, sqlite)
        closed = f"datetime({rated}, '+3 days')" if sqlite else f"({rated} + interval '3 days')"
        for j in range(per):
            level = f"((c.id * 7 + {j + back}) % 5 + 1)"
            out.append(
                'INSERT INTO rating (unit_id, "window", channel, level, bad, reasons, comment, real_name, '
                "rated_at, status, closed_at, source, version) "
                f"SELECT COALESCE(c.unit_id, (SELECT MIN(id) FROM unit)), '', '窗口', {level}, {level} <= 2, "
                f"'', '', {'0' if sqlite else 'FALSE'}, {rated}, "
                f"CASE WHEN {level} > 2 THEN '无需处理' WHEN c.id % 2 = 0 THEN '已办结' ELSE '待核实' END, "
                f"CASE WHEN {level} <= 2 AND c.id % 2 = 0 THEN {closed} END, 'bench', 1 "
                f"FROM complaint c WHERE c.id <= {int(complaints)}"
            )
    return out


def write(spec: Spec) -> int:
    """Write the ratings of ``spec``'s office into the open database; return how many."""
    for sql in statements(spec.complaints, is_sqlite()):
        with write_transaction():  # the raw cursor: no parameters, so '%' is the modulo
            database.connection().cursor().execute(sql)
    return database.execute_sql("SELECT COUNT(*) FROM rating").fetchone()[0]


__all__ = ["PER_COMPLAINT", "RATING_MONTHS", "statements", "write"]
