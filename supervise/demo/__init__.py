"""Demo data: a believable supervision office in an empty database (``supervise demo``).

:func:`generate` writes units, staff, matters, demo users of every role and
``months`` months of complaints, ratings, reviews and third-party surveys up
to ``today``.  Records are walked through their lifecycle as the services
would do it (same statuses, timeline actions and notes), stopping at
``today`` 18:00, so recent cases are still open and a few are overdue.

Everything but the receipt codes (which must stay unguessable) and password
salts follows from ``seed``.  Rows go in with bulk inserts inside one write
transaction, so a failure leaves the database as it was; one audit entry
records the run (plus one per demo user, written by the user service).

The package, by topic: :mod:`.office` (the generator's state and random
helpers), :mod:`.reference` (units, staff, matters, users),
:mod:`.complaints`, :mod:`.evaluations` (reviews, ratings, surveys),
:mod:`.bulk` (the multi-row insert), and the word lists :mod:`.catalogue`
(units and matters), :mod:`.names` (people) and :mod:`.words` (record texts).
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from .. import audit, permissions
from ..auth import Actor
from ..db import write_transaction
from ..errors import InvalidInput
from ..models import Complaint, TimelineEvent, Unit
from .bulk import CHUNK, insert
from .evaluations import Evaluations
from .office import COUNT_KEYS, STAFF_USERS, SUPERVISORS
from .reference import PASSWORD, Reference

__all__ = [
    "CHUNK",
    "COUNT_KEYS",
    "DEFAULT_TODAY",
    "PASSWORD",
    "STAFF_USERS",
    "SUPERVISORS",
    "generate",
]

logger = logging.getLogger(__name__)

DEFAULT_TODAY = dt.date(2026, 11, 20)


def generate(
    actor: Actor,
    *,
    seed: int = 2026,
    months: int = 6,
    progress: bool = False,
    today: dt.date | None = None,
) -> dict[str, Any]:
    """Fill an empty, migrated database with demo data.

    Returns ``{"counts": {...}, "users": [{"name", "role", "unit",
    "password"}, ...], "seed": seed}``; users that already exist are left
    alone and not listed.  Raises :class:`InvalidInput` when the database
    already holds units or complaints.
    """
    permissions.require(actor.role, "demo", actor.name)
    if not 1 <= months <= 36:
        raise InvalidInput("月数应在 1 到 36 之间", "months must be between 1 and 36")
    with write_transaction():
        if Unit.select().exists() or Complaint.select().exists():
            raise InvalidInput(
                "数据库中已有数据，演示数据只能写入空库",
                "the database already holds data; demo data goes into an empty database",
            )
        return _Generator(actor, seed, months, today or DEFAULT_TODAY, progress).run()


class _Generator(Reference, Evaluations):
    """The topics put together, in the order the rows must be written."""

    def run(self) -> dict[str, Any]:
        self._say("演示数据 demo: 单位、人员、事项 units, staff, matters")
        self._units()
        self._staff()
        self._matters()
        users = self._users()
        months = self._month_starts()
        reviews, seeds = self._reviews(months)
        complaints = self._complaints(months, seeds)
        self._store_complaints(complaints)
        self._store_reviews(reviews)
        for i, month in enumerate(months, 1):
            self._ratings(month)
            self._say(f"演示数据 demo: {i}/{len(months)} months")
        self._surveys(months)
        insert(TimelineEvent, self.events)
        self.counts["events"] = len(self.events)
        audit.append(self.actor.name, "demo.generate", "database", None, None, self.counts)
        logger.info("demo data written: %s", self.counts)
        return {"counts": dict(self.counts), "users": users, "seed": self.seed}
