"""The office under construction: the state and random helpers that the
topic modules (:mod:`.reference`, :mod:`.complaints`, :mod:`.evaluations`)
share through :class:`Office`, their common base class."""

from __future__ import annotations

import datetime as dt
import logging
import random
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .. import settings
from ..auth import Actor
from ..workdays import WorkCalendar
from .catalogue import LIAISON_UNITS

logger = logging.getLogger(__name__)

STAFF_USERS = ("jiwei01", "jiwei02")
SUPERVISORS = ("jdy01", "jdy02", "jdy03")
_WORK_MINUTES = 540  # 08:30–17:30
COUNT_KEYS = tuple(
    "units staff matters users complaints ratings reviews findings surveys events".split()
)


@dataclass
class DemoUnit:
    """A unit as the generator sees it, with its staff and matters once stored."""

    code: str
    name: str
    kind: str
    parent: str | None
    weight: int  # share of complaints
    id: int = 0
    staff: list[tuple[int, str]] = field(default_factory=list)  # (id, name)
    matters: list[tuple[int, str]] = field(default_factory=list)  # (id, name)
    matter_weights: list[float] = field(default_factory=list)


class Office:
    """What the generator knows while it writes: settings, the seeded random
    number generator, the units with their staff and matters, ids of what is
    stored, the counts and the timeline events still to be written."""

    def __init__(
        self, actor: Actor, seed: int, months: int, today: dt.date, progress: bool
    ) -> None:
        self.actor, self.seed, self.months, self.today = actor, seed, months, today
        self.rng = random.Random(seed)
        self.as_of = dt.datetime.combine(today, dt.time(18, 0))
        self.progress = progress
        self.cal = WorkCalendar.from_database()
        self.card_days: dict[str, int] = settings.get("complaint.card_days")
        self.contact_days = int(settings.get("rating.contact_days"))
        self.rectify_days = (
            int(settings.get("rating.rectify_simple_days")),
            int(settings.get("rating.rectify_complex_days")),
        )
        self.units: list[DemoUnit] = []
        self.by_code: dict[str, DemoUnit] = {}
        self.user_ids: dict[str, int] = {}
        self.complaint_ids: dict[str, int] = {}
        self.counts = dict.fromkeys(COUNT_KEYS, 0)
        self.events: list[dict[str, Any]] = []

    def _say(self, line: str) -> None:
        if self.progress:
            print(line, file=sys.stderr, flush=True)

    # -- random helpers -------------------------------------------------------------

    def _pick(self, weights: Mapping[Any, float]) -> Any:
        return self.rng.choices(list(weights), weights=list(weights.values()))[0]

    def _work_time(self, day: dt.date) -> dt.datetime:
        start = dt.datetime.combine(day, dt.time(8, 30))
        return start + dt.timedelta(minutes=self.rng.randint(0, _WORK_MINUTES))

    def _later(self, moment: dt.datetime, lo: int, hi: int) -> dt.datetime:
        """A moment ``lo``..``hi`` working days after ``moment`` (0: later that day)."""
        k = self.rng.randint(lo, hi)
        if k == 0:
            later = moment + dt.timedelta(minutes=self.rng.randint(20, 180))
            if later.date() == moment.date():
                return later
            k = 1
        return self._work_time(self.cal.add(moment.date(), k))

    def _month_days(self, start: dt.date) -> tuple[list[dt.date], list[dt.date], float]:
        """The month's days up to today, its working days up to today, and the
        share of its working days that has passed."""
        end = dt.date(start.year + start.month // 12, start.month % 12 + 1, 1)
        days = [start + dt.timedelta(days=i) for i in range((end - start).days)]
        work = [d for d in days if self.cal.is_workday(d)]
        done = [d for d in work if d <= self.today]
        return [d for d in days if d <= self.today], done, len(done) / max(1, len(work))

    def _month_starts(self) -> list[dt.date]:
        year, month = self.today.year, self.today.month
        starts = []
        for _ in range(self.months):
            starts.append(dt.date(year, month, 1))
            year, month = (year, month - 1) if month > 1 else (year - 1, 12)
        return starts[::-1]

    def _pick_unit(self, weights: Sequence[float]) -> DemoUnit:
        return self.rng.choices(self.units, weights=weights)[0]

    def _pick_matter(self, u: DemoUnit, share: float) -> tuple[int, str] | None:
        if not u.matters or self.rng.random() >= share:
            return None
        return self.rng.choices(u.matters, weights=u.matter_weights)[0]

    def _pick_staff(self, u: DemoUnit, share: float) -> tuple[int, str] | None:
        if not u.staff or self.rng.random() >= share:
            return None
        return self.rng.choice(u.staff)

    def _unit_actor(self, u: DemoUnit) -> str:
        """Who answers for a unit: its liaison user, else the unit itself."""
        return f"lly_{u.code}" if u.code in LIAISON_UNITS else u.name

    def _step(
        self,
        c: dict[str, Any],
        at: dt.datetime,
        actor: str,
        action: str,
        note: str = "",
        status: str = "",
    ) -> dict[str, Any]:
        """A timeline event of complaint ``c`` (by number until ids exist); the
        status after the step is ``c``'s unless given."""
        return self._event("complaint", c["number"], at, actor, action, status or c["status"], note)

    def _event(
        self,
        kind: str,
        ref: object,
        at: dt.datetime,
        actor: str,
        action: str,
        status: str | None,
        note: str = "",
    ) -> dict[str, Any]:
        event = {
            "record_kind": kind,
            "record_id": ref,
            "at": at,
            "actor": actor,
            "action": action,
            "status": status,
            "note": note,
        }
        self.events.append(event)
        return event
