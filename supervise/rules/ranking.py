"""The monthly ranking as the rules need it: :func:`bottom_units` (the seam).

The ranking rule (排名连续落后) asks only "which units are the last ``n`` of
month M's ranking".  The monthly report (SPEC §6, :mod:`supervise.report`)
owns the ranking; this module asks it for the 综合得分 of one month as of
one instant (``Month(…).scores``, the same scores and the same order as
``monthly_figures``' ``ranking``) without building the rest of the report,
and takes the tail of the ranking the way the report cuts its 黑榜: at most
half of the ranked units, so that a handful of units never all count as
"last five".  This is the only place the rules touch the report.
"""

from __future__ import annotations

import datetime as dt
import logging

from ..models import Unit
from ..report.figures import Month, ranks, weights

logger = logging.getLogger(__name__)


def bottom_units(month: str, n: int, as_of: dt.datetime) -> list[int]:
    """The ids of the last ``n`` units of ``month``'s ranking as of ``as_of``, last first.

    Units without a 综合得分 (no data in the month) are not ranked.  At most
    half of the ranked units are returned (the report's 黑榜 rule).
    """
    scores = Month(month, as_of).scores(weights())
    if not scores:
        return []
    codes = dict(Unit.select(Unit.id, Unit.code).where(Unit.id.in_(list(scores))).tuples())
    ranked = [unit for unit, _ in ranks(scores, codes)]
    size = min(n, len(ranked) // 2)
    return list(reversed(ranked))[:size]


__all__ = ["bottom_units"]
