"""The monthly ranking as the rules need it: :func:`bottom_units` (the seam).

The ranking rule (排名连续落后) asks only "which units are the last ``n`` of
month M's ranking".  The monthly report (SPEC §6, :mod:`supervise.report`)
owns the ranking; this module asks it for the 综合得分 of one month as of
one instant (``Month.scores`` on a :class:`ScoresMonth`, which counts only
what the scores read; the same scores and the same order as
``monthly_figures``' ``ranking``) without building the rest of the report,
and takes the tail of the ranking the way the report cuts its 黑榜: at most
half of the ranked units, so that a handful of units never all count as
"last five".  This is the only place the rules touch the report.
"""

from __future__ import annotations

import datetime as dt
import logging

from ..exporting import month_bounds
from ..models import Unit
from ..report.counts import surveys
from ..report.figures import Month, ranks, weights
from ..report.summary import MonthCounts

logger = logging.getLogger(__name__)


class ScoresMonth(Month):
    """What :meth:`Month.scores` reads of one month, and nothing else: the
    report's kept counts of a month that is over (``report_count``, see
    :mod:`supervise.report.summary`), else the deadline, visit and rating
    counts from the records (``scores_only``) — not 受理量, 督办 or 问责, which
    at a million complaints and two million escalations cost most of a full
    month's counts — and the surveys."""

    def __init__(self, month: str, as_of: dt.datetime) -> None:  # not Month's: no matters
        self.month = month
        self.start, self.end = month_bounds(month)
        self.source = MonthCounts(month, self.start, self.end, as_of, scores_only=True)
        self.counts = self.source.units
        self.surveys = surveys(self.start.date(), (self.end - dt.timedelta(days=1)).date())


def bottom_units(month: str, n: int, as_of: dt.datetime) -> list[int]:
    """The ids of the last ``n`` units of ``month``'s ranking as of ``as_of``, last first.

    Units without a 综合得分 (no data in the month) are not ranked.  At most
    half of the ranked units are returned (the report's 黑榜 rule).
    """
    scores = ScoresMonth(month, as_of).scores(weights())
    if not scores:
        return []
    codes = dict(Unit.select(Unit.id, Unit.code).where(Unit.id.in_(list(scores))).tuples())
    ranked = [unit for unit, _ in ranks(scores, codes)]
    size = min(n, len(ranked) // 2)
    return list(reversed(ranked))[:size]


__all__ = ["ScoresMonth", "bottom_units"]
