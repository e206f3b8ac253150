"""Demo data: a believable supervision office in an empty database (``supervise demo``).

:func:`generate` writes units, staff, matters, demo users of every role and
``months`` months of complaints, ratings, reviews and third-party surveys up
to ``today``.  Records are walked through their lifecycle as the services
would do it (same statuses, timeline actions and notes), stopping at
``today`` 18:00, so recent cases are still open and a few are overdue.

Everything but the receipt codes (which must stay unguessable) and password
salts follows from ``seed``.  Rows go in with bulk inserts inside one write
transaction, so a failure leaves the database as it was; one audit entry
records the run (plus one per demo user, written by the user service).  The
word lists live in :mod:`supervise.demo_data`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import random
import sqlite3
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import peewee as pw

from . import audit, permissions, search, settings
from . import demo_data as data
from .auth import Actor
from .db import write_transaction
from .errors import InvalidInput
from .models import (
    RATING_LEVELS,
    Complaint,
    Counter,
    Finding,
    ImportBatch,
    Matter,
    Rating,
    Review,
    Staff,
    SurveyResult,
    TimelineEvent,
    Unit,
    User,
)
from .services.complaints import new_receipt_code
from .services.reference import ReferenceService
from .workdays import END_OF_DAY, WorkCalendar

logger = logging.getLogger(__name__)

DEFAULT_TODAY = dt.date(2026, 11, 20)
PASSWORD = "demo-2026"
STAFF_USERS = ("jiwei01", "jiwei02")
SUPERVISORS = ("jdy01", "jdy02", "jdy03")
CHUNK = 500
# Bound variables per statement: SQLite allows 32766 since 3.32, 999 before.
_MAX_PARAMS = 30000 if sqlite3.sqlite_version_info >= (3, 32) else 999
_WORK_MINUTES = 540  # 08:30–17:30
COUNT_KEYS = tuple(
    "units staff matters users complaints ratings reviews findings surveys events".split()
)


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


def _insert(
    model: type[pw.Model], rows: Sequence[dict[str, Any]], *, ids: bool = False
) -> list[int]:
    """Bulk-insert ``rows`` (dicts of field names, all with the same keys) in
    chunks; with ``ids``, return the new ids in the order of ``rows``.

    The multi-row INSERT is written here rather than by ``insert_many``, which
    builds an expression node per cell and made the demo ten times slower;
    values still pass through each field's ``db_value``, and fields left out
    get their defaults, as with ``insert_many``.
    """
    if not rows:
        return []
    meta, db = model._meta, model._meta.database
    names = list(rows[0])
    fields = [meta.fields[name] for name in names]
    defaults = {f: d for f, d in meta.defaults.items() if f.name not in names}
    fields += list(defaults)
    constant = [d() if callable(d) else d for d in defaults.values()]
    convert = [f.db_value for f in fields]
    columns = ", ".join(f'"{f.column_name}"' for f in fields)
    one_row = "(" + ", ".join([db.param] * len(fields)) + ")"
    size = max(1, min(CHUNK, _MAX_PARAMS // len(fields)))
    result: list[int] = []
    for start in range(0, len(rows), size):
        chunk = rows[start : start + size]
        last = (model.select(pw.fn.MAX(model.id)).scalar() or 0) if ids else 0
        params = [
            to_db(value)
            for row in chunk
            for to_db, value in zip(convert, [row[name] for name in names] + constant, strict=True)
        ]
        sql = f'INSERT INTO "{meta.table_name}" ({columns}) VALUES {", ".join([one_row] * len(chunk))}'
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


def _columns(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows without their private ``_keys``."""
    return [{k: v for k, v in row.items() if not k.startswith("_")} for row in rows]


@dataclass
class _Unit:
    code: str
    name: str
    kind: str
    parent: str | None
    weight: int  # share of complaints
    id: int = 0
    staff: list[tuple[int, str]] = field(default_factory=list)  # (id, name)
    matters: list[tuple[int, str]] = field(default_factory=list)  # (id, name)
    matter_weights: list[float] = field(default_factory=list)


class _Generator:
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
        self.units: list[_Unit] = []
        self.by_code: dict[str, _Unit] = {}
        self.user_ids: dict[str, int] = {}
        self.complaint_ids: dict[str, int] = {}
        self.counts = dict.fromkeys(COUNT_KEYS, 0)
        self.events: list[dict[str, Any]] = []

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
        _insert(TimelineEvent, self.events)
        self.counts["events"] = len(self.events)
        audit.append(self.actor.name, "demo.generate", "database", None, None, self.counts)
        logger.info("demo data written: %s", self.counts)
        return {"counts": dict(self.counts), "users": users, "seed": self.seed}

    def _say(self, line: str) -> None:
        if self.progress:
            print(line, file=sys.stderr, flush=True)

    # -- random helpers -------------------------------------------------------------

    def _pick(self, weights: dict[Any, float]) -> Any:
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

    def _pick_unit(self, weights: list[float]) -> _Unit:
        return self.rng.choices(self.units, weights=weights)[0]

    def _pick_matter(self, u: _Unit, share: float) -> tuple[int, str] | None:
        if not u.matters or self.rng.random() >= share:
            return None
        return self.rng.choices(u.matters, weights=u.matter_weights)[0]

    def _pick_staff(self, u: _Unit, share: float) -> tuple[int, str] | None:
        if not u.staff or self.rng.random() >= share:
            return None
        return self.rng.choice(u.staff)

    def _unit_actor(self, u: _Unit) -> str:
        """Who answers for a unit: its liaison user, else the unit itself."""
        return f"lly_{u.code}" if u.code in data.LIAISON_UNITS else u.name

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

    # -- reference data and users ------------------------------------------------------

    def _units(self) -> None:
        for i, (name, kind, weight, children) in enumerate(data.DEPARTMENTS + data.DISTRICTS, 1):
            top = _Unit(f"U{i:02d}", name, kind, None, weight)
            self.units.append(top)
            for j, (child, child_kind, child_weight) in enumerate(children, 1):
                self.units.append(
                    _Unit(f"{top.code}{j:02d}", child, child_kind, top.code, child_weight)
                )
        self.by_code = {u.code: u for u in self.units}
        for children in (False, True):  # parents first: children need their ids
            rows = [
                {
                    "code": u.code,
                    "name": u.name,
                    "kind": u.kind,
                    "parent": self.by_code[u.parent].id if u.parent else None,
                }
                for u in self.units
                if (u.parent is not None) == children
            ]
            _insert(Unit, rows)
            ids = dict(Unit.select(Unit.code, Unit.id).tuples())
            for u in self.units:
                u.id = ids.get(u.code, 0)
        self.counts["units"] = len(self.units)

    def _staff(self) -> None:
        rows: list[dict[str, Any]] = []
        seen: set[str] = set()
        for u in self.units:
            if u.kind == "窗口":
                n, posts = self.rng.randint(10, 16), data.POSTS_WINDOW
            elif u.kind == "乡镇街道":
                n, posts = self.rng.randint(5, 8), data.POSTS_STREET
            else:
                n, posts = self.rng.randint(3, 6), data.POSTS_OFFICE
            for _ in range(n):
                name = data.person(self.rng)
                while name in seen:
                    name = data.person(self.rng)
                seen.add(name)
                rows.append(
                    {
                        "number": f"S{len(rows) + 1:04d}",
                        "name": name,
                        "unit": u.id,
                        "post": self.rng.choice(posts),
                        "_unit": u,
                    }
                )
        for staff_id, row in zip(_insert(Staff, _columns(rows), ids=True), rows, strict=True):
            row["_unit"].staff.append((staff_id, row["name"]))
        self.counts["staff"] = len(rows)

    def _matters(self) -> None:
        rows: list[dict[str, Any]] = []
        for u in self.units:
            if u.parent is not None:
                continue
            for name, legal in data.DEPARTMENT_MATTERS.get(u.name, data.DISTRICT_MATTERS):
                least = -(-legal * 3 // 10)  # 30%, rounded up
                if self.rng.random() < 0.1:  # misses the 75% compression target
                    promised = self.rng.randint(least, max(least, legal * 6 // 10))
                else:
                    promised = max(1, int(legal * self.rng.uniform(0.1, 0.25)))
                rows.append(
                    {
                        "code": f"M{len(rows) + 1:03d}",
                        "name": name,
                        "unit": u.id,
                        "legal_days": legal,
                        "promised_days": min(promised, legal),
                        "_unit": u,
                    }
                )
        for matter_id, row in zip(_insert(Matter, _columns(rows), ids=True), rows, strict=True):
            row["_unit"].matters.append((matter_id, row["name"]))
        for u in self.units:
            if u.parent is None:  # a few matters take most of the cases
                self.rng.shuffle(u.matters)
                u.matter_weights = [1 / (i + 1) for i in range(len(u.matters))]
        for u in self.units:  # windows and streets handle (some of) their parent's matters
            if u.parent is None:
                continue
            parent = self.by_code[u.parent]
            words = (
                data.STREET_MATTER_WORDS
                if u.kind == "乡镇街道"
                else data.CHILD_MATTER_WORDS.get(u.name)
            )
            for matter, weight in zip(parent.matters, parent.matter_weights, strict=True):
                if words is None or any(w in matter[1] for w in words):
                    u.matters.append(matter)
                    u.matter_weights.append(weight)
        self.counts["matters"] = len(rows)

    def _users(self) -> list[dict[str, Any]]:
        specs: list[tuple[str, str, str | None]] = [("admin", "admin", None)]
        specs += [(name, "staff", None) for name in STAFF_USERS]
        specs += [(f"lly_{code}", "liaison", code) for code in data.LIAISON_UNITS]
        specs += [(name, "supervisor", None) for name in SUPERVISORS]
        specs.append(("leader", "viewer", None))
        service = ReferenceService(self.actor)
        created = []
        for name, role, unit in specs:
            existing = User.get_or_none(User.name == name)
            if existing is not None:
                logger.info("demo user %s exists; left as it is", name)
                self.user_ids[name] = existing.id
                continue
            self.user_ids[name] = service.add_user(name, role, PASSWORD, unit).id
            created.append({"name": name, "role": role, "unit": unit, "password": PASSWORD})
        self.counts["users"] = len(created)
        return created

    # -- reviews 监督评议 (written after the complaints that adopted findings become) ----

    def _reviews(self, months: list[dt.date]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        reviews: list[dict[str, Any]] = []
        seeds: list[dict[str, Any]] = []
        kind_weight = {"窗口": 5, "乡镇街道": 3, "区县": 1, "部门": 1}
        weights = [kind_weight[u.kind] for u in self.units]
        for month in months:
            _, workdays, share = self._month_days(month)
            for _ in range(round(self.rng.randint(10, 20) * share) if workdays else 0):
                review = self._review(self.rng.choice(workdays), self._pick_unit(weights))
                reviews.append(review)
                seeds += review["_seeds"]
        return reviews, seeds

    def _review(self, day: dt.date, u: _Unit) -> dict[str, Any]:
        rng = self.rng
        reviewer = rng.choice(SUPERVISORS) if rng.random() < 0.7 else rng.choice(STAFF_USERS)
        method = self._pick(data.METHOD_WEIGHTS)
        staff = self._pick_staff(u, 0.4)
        matter = self._pick_matter(u, 0.9)
        window = f"{rng.randint(1, 12)}号窗口" if u.kind == "窗口" else ""
        scores: list[int | None] = [None, None, None]
        conclusion = None
        if method != "视频巡查" or rng.random() < 0.5:
            base = rng.gauss(84, 8)
            marks = [max(60, min(100, round(base + rng.gauss(0, 4)))) for _ in range(3)]
            mean = sum(marks) / 3
            conclusion = (
                "好" if mean >= 90 else "较好" if mean >= 80 else "一般" if mean >= 70 else "差"
            )
            scores = list(marks)
        created = min(self._work_time(day), self.as_of)
        findings = []
        for _ in range(rng.choice((1, 1, 2, 2, 3))):
            category = self._pick(data.FINDING_CATEGORY_WEIGHTS)
            if category == "纪律":
                severity = rng.choice(("较重", "严重"))
            else:
                severity = self._pick({"一般": 72, "较重": 24, "严重": 4})
            text = rng.choice(data.FINDINGS[category]).format(
                window=f"{u.name}{window}",
                staff=staff[1] if staff else "",
                matter=matter[1].removesuffix("办理") if matter else "相关事项",
            )
            findings.append({"description": text, "category": category, "severity": severity})
        review: dict[str, Any] = {
            "reviewer": self.user_ids[reviewer],
            "reviewer_name": reviewer,
            "unit": u.id,
            "window": window,
            "staff": staff[0] if staff else None,
            "review_date": day,
            "method": method,
            "score_attitude": scores[0],
            "score_quality": scores[1],
            "score_management": scores[2],
            "conclusion": conclusion,
            "status": "待审核",
            "reject_reason": None,
            "decided_by": None,
            "decided_at": None,
            "created_at": created,
            "_findings": findings,
            "_seeds": [],
            "_events": [
                (
                    created,
                    reviewer,
                    "提交",
                    "待审核",
                    f"{method}，{u.name}，问题 {len(findings)} 条",
                )
            ],
        }
        decided = self._later(created, 1, 5)
        if decided > self.as_of or rng.random() < 0.08:
            return review  # still waiting for the office
        decider = rng.choice(STAFF_USERS)
        review.update(decided_by=decider, decided_at=decided)
        if rng.random() >= 0.78:
            reason = rng.choice(data.REVIEW_REJECT_REASONS)
            review.update(status="未采纳", reject_reason=reason)
            review["_events"].append((decided, decider, "不予采纳", "未采纳", reason))
            return review
        review["status"] = "已采纳"
        review["_events"].append((decided, decider, "采纳", "已采纳", "采纳"))
        serious = any(f["severity"] != "一般" for f in findings)
        if rng.random() < (0.7 if serious else 0.2):  # 采纳 and 交办: one complaint per finding
            for f in findings:
                seed = self._seed(
                    decided,
                    u,
                    channel="社会监督员",
                    category="投诉",
                    content=f["description"],
                    staff=staff,
                    matter=matter,
                )
                seed.update(
                    title=f"监督评议发现{u.name}{f['category']}问题",
                    complainant_name=None,
                    complainant_phone=None,
                    complainant_id_no=None,
                    anonymous=False,
                    _finding=f,
                    _clerk=decider,
                )
                review["_seeds"].append(seed)
        return review

    # -- complaints 诉求工单 ---------------------------------------------------------------

    def _seed(
        self,
        received: dt.datetime,
        u: _Unit,
        *,
        channel: str,
        category: str,
        content: str | None = None,
        staff: tuple[int, str] | None = None,
        matter: tuple[int, str] | None = None,
    ) -> dict[str, Any]:
        """A complaint as registered (登记), before its lifecycle."""
        rng = self.rng
        if content is None:
            staff = self._pick_staff(u, 0.6 if category in ("投诉", "表扬", "举报") else 0.1)
            matter = self._pick_matter(u, 0.85)
        words = {
            "unit": u.name,
            "matter": matter[1].removesuffix("办理") if matter else "相关业务",
            "staff": staff[1] if staff else "",
            "n": rng.randint(2, 5),
            "days": rng.randint(2, 10),
        }
        title = rng.choice(data.TITLES[category]).format(**words)
        if content is None:
            content = rng.choice(data.CONTENTS[category]).format(**words)
            content = content.replace("来电人", data.CALLER.get(channel, "群众"))
        anonymous = rng.random() < (0.5 if category == "举报" else 0.12)
        return {
            "channel": channel,
            "category": category,
            "title": title,
            "content": content,
            "complainant_name": None if anonymous else data.person(rng),
            "complainant_phone": None if anonymous or rng.random() < 0.05 else data.phone(rng),
            "complainant_id_no": None if anonymous or rng.random() < 0.65 else data.id_number(rng),
            "anonymous": anonymous,
            "unit": u.id,
            "staff": staff[0] if staff else None,
            "matter": matter[0] if matter else None,
            "received_at": received,
            "created_at": received,
            **_NEW_COMPLAINT,
            "_unit": u,
            "_matter": words["matter"],
        }

    def _complaints(
        self, months: list[dt.date], seeds: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        """All complaints in order of receipt, numbered per month, each walked to ``as_of``."""
        weights = [u.weight**1.6 for u in self.units]  # a few units take most
        for month in months:
            _, workdays, share = self._month_days(month)
            for _ in range(round(self.rng.randint(150, 250) * share) if workdays else 0):
                received = self._work_time(self.rng.choice(workdays))
                seeds.append(
                    self._seed(
                        received,
                        self._pick_unit(weights),
                        channel=self._pick(data.CHANNEL_WEIGHTS),
                        category=self._pick(data.CATEGORY_WEIGHTS),
                    )
                )
        seeds.sort(key=lambda c: c["received_at"])
        sequence: dict[str, int] = {}
        for i, c in enumerate(seeds):
            month = f"{c['received_at']:%Y%m}"
            sequence[month] = sequence.get(month, 0) + 1
            c["number"] = f"TS{month}{sequence[month]:05d}"
            c["receipt_code"] = new_receipt_code()  # unguessable: never from the seed
            self._lifecycle(c, seeds[max(0, i - 300) : i])
        self.counts["complaints"] = len(seeds)
        return seeds

    def _lifecycle(self, c: dict[str, Any], earlier: list[dict[str, Any]]) -> None:
        """Walk one complaint through its steps as far as ``as_of``, as
        :class:`~supervise.services.complaints.ComplaintService` records them."""
        clerk = c.get("_clerk") or self.rng.choice(STAFF_USERS)
        registered = self._step(c, c["received_at"], clerk, "登记", f"{c['channel']}受理")
        if "_finding" in c:
            c["_finding"].update(_number=c["number"], _event=registered)
        elif self._ends_early(c, earlier, clerk):
            return
        if self._assign(c, clerk):
            self._answer(c, clerk)

    def _ends_early(self, c: dict[str, Any], earlier: list[dict[str, Any]], clerk: str) -> bool:
        """不予受理 or 并单 for a few; True when the complaint ended there."""
        roll = self.rng.random()
        if roll >= 0.045 or c["category"] == "表扬":
            return False
        at = self._later(c["received_at"], 0, 1)
        if at > self.as_of:
            return False
        if roll < 0.02:
            reason = self.rng.choice(data.NOT_ACCEPTED)
            c.update(status="不予受理", end_reason=reason, closed_at=at)
            self._step(c, at, clerk, "不予受理", reason)
            return True
        recent = c["received_at"] - dt.timedelta(days=20)
        same = [
            e
            for e in earlier
            if e["unit"] == c["unit"]
            and e["received_at"] >= recent
            and e["status"] not in ("不予受理", "已并单")
        ]
        if not same:
            return False
        target = self.rng.choice(same)
        reason = f"并入 {target['number']}：反映同一问题，并入该件办理"
        c.update(status="已并单", end_reason=reason, closed_at=at, _merged=target["number"])
        self._step(c, at, clerk, "并单", reason)
        return True

    def _assign(self, c: dict[str, Any], clerk: str) -> bool:
        """交办 (a few first to the wrong unit: 退回, then 改派); False if not yet."""
        rng, u, received = self.rng, c["_unit"], c["received_at"]
        if "_finding" in c:  # adopted and assigned in one action, 黄 card
            card, at = "黄", received
        else:
            card = rng.choices(("蓝", "黄", "红"), weights=data.CARD_WEIGHTS[c["category"]])[0]
            at = received + dt.timedelta(minutes=rng.randint(10, 150))
            at = min(at, dt.datetime.combine(received.date(), dt.time(20, 0)))
        limit = int(self.card_days[card])
        due = self.cal.due_at(received, limit)  # counted from the day of receipt
        if at > self.as_of:
            return False
        action = "交办"
        if "_finding" not in c and rng.random() < 0.03:
            wrong = rng.choice([w for w in self.units if w.parent is None and w is not u])
            back = at + dt.timedelta(minutes=rng.randint(30, 120))
            again = back + dt.timedelta(minutes=rng.randint(10, 60))
            if again <= self.as_of:
                note = _assign_note(wrong.name, card, limit, due)
                self._step(c, at, clerk, "交办", note, status="已交办")
                self._step(c, back, self._unit_actor(wrong), "退回", "非本单位职责范围，申请退回")
                at, action = again, "改派"
        c.update(status="已交办", card=card, limit_days=limit, assigned_at=at, due_at=due)
        self._step(c, at, clerk, action, _assign_note(u.name, card, limit, due))
        return True

    def _answer(self, c: dict[str, Any], clerk: str) -> None:
        """反馈 → 回访 (不满意: 重办, once or twice) → 办结, as far as ``as_of``."""
        rng, u = self.rng, c["_unit"]
        reopens = 0
        if rng.random() < (0.13 if c["category"] in ("投诉", "求助", "举报") else 0.04):
            reopens = 1 if rng.random() < 0.8 else 2
        start, limit = c["assigned_at"], c["limit_days"]
        while True:
            start = self._maybe_extend(c, start, clerk)
            reply = self._reply_time(start, c["due_at"], limit)
            if reply is None or reply > self.as_of:
                return
            text = rng.choice(data.REPLIES).format(matter=c["_matter"])
            c.update(status="已反馈", replied_at=reply, reply_text=text)
            timely = "按期反馈" if reply <= c["due_at"] else "超期反馈"
            self._step(c, reply, self._unit_actor(u), "反馈", f"{timely}：{text}")
            last = reply
            if c["anonymous"] or (c["category"] in ("咨询", "表扬") and rng.random() < 0.5):
                break  # no one to visit back: closed after the reply
            visited = last = self._later(reply, 1, 3)
            if visited > self.as_of:
                return
            if c["reopen_count"] < reopens:
                result, resolved = ("不满意", False) if rng.random() < 0.9 else ("基本满意", False)
            else:
                result, resolved = ("满意", True) if rng.random() < 0.62 else ("基本满意", True)
            c.update(status="已回访", visited_at=visited, visit_result=result, resolved=resolved)
            self._step(c, visited, clerk, "回访", f"{result}，{'已解决' if resolved else '未解决'}")
            if resolved:
                break
            start = visited  # 重办: the limit again, from the day of the visit
            c["reopen_count"] += 1
            c.update(status="已交办", due_at=self.cal.due_at(start, limit), replied_at=None)
            note = f"第 {c['reopen_count']} 次重办，{c['due_at']:%Y-%m-%d} 前办结"
            self._step(c, start, clerk, "重办", note)
        closed = self._later(last, 0, 1)
        if closed <= self.as_of:
            c.update(status="已办结", closed_at=closed)
            self._step(c, closed, clerk, "办结")

    def _maybe_extend(self, c: dict[str, Any], start: dt.datetime, clerk: str) -> dt.datetime:
        """延期 for a few: the unit asks for 5 more working days, staff approve.
        Returns when the unit's work goes on: ``start``, or the approval."""
        if c["limit_days"] < 3 or c["extension_count"] or self.rng.random() >= 0.04:
            return start
        asked = self._work_time(self.cal.add(start.date(), max(1, c["limit_days"] - 1)))
        approved = asked + dt.timedelta(minutes=self.rng.randint(20, 120))
        if not start < asked < approved <= min(self.as_of, c["due_at"]):
            return start
        c["due_at"] = self.cal.due_at(c["due_at"].date(), 5)
        c["extension_count"] = 1
        unit_actor = self._unit_actor(c["_unit"])
        self._step(c, asked, unit_actor, "申请延期", "申请延期 5 个工作日：需协调多个部门联合核查")
        self._step(
            c, approved, clerk, "批准延期", f"延期 5 个工作日，{c['due_at']:%Y-%m-%d} 前办结。"
        )
        return approved

    def _reply_time(self, start: dt.datetime, due: dt.datetime, limit: int) -> dt.datetime | None:
        """When the unit answers: mostly on time, about 12% late, a few never."""
        roll = self.rng.random()
        if roll < 0.03:
            return None
        if roll < 0.15:
            return self._work_time(self.cal.add(due.date(), self.rng.randint(1, 6)))
        reply = self._later(start, 0, limit)
        return min(reply, due - dt.timedelta(minutes=self.rng.randint(1, 30)))

    def _store_complaints(self, complaints: list[dict[str, Any]]) -> None:
        _insert(Complaint, _columns(complaints))
        ids = self.complaint_ids = dict(Complaint.select(Complaint.number, Complaint.id).tuples())
        for c in complaints:
            if "_merged" in c:
                Complaint.update(merged_into=ids[c["_merged"]]).where(
                    Complaint.id == ids[c["number"]]
                ).execute()
        for event in self.events:
            event["record_id"] = ids[event["record_id"]]
        last = {f"complaint:{c['number'][2:8]}": int(c["number"][8:]) for c in complaints}
        if last:  # the month counters go on from here
            Counter.insert_many([{"name": k, "value": v} for k, v in last.items()]).on_conflict(
                conflict_target=[Counter.name], preserve=[Counter.value]
            ).execute()
        search.index_complaints(
            (ids[c["number"]], c["title"], c["content"], c["reply_text"]) for c in complaints
        )

    def _store_reviews(self, reviews: list[dict[str, Any]]) -> None:
        review_ids = _insert(Review, _columns(reviews), ids=True)
        findings = []
        for review_id, review in zip(review_ids, reviews, strict=True):
            for f in review["_findings"]:
                number = f.get("_number")
                findings.append(
                    {
                        "review": review_id,
                        "description": f["description"],
                        "category": f["category"],
                        "severity": f["severity"],
                        "complaint": self.complaint_ids[number] if number else None,
                        "_f": f,
                    }
                )
        for finding_id, row in zip(
            _insert(Finding, _columns(findings), ids=True), findings, strict=True
        ):
            row["_f"]["_id"] = finding_id
        for review_id, review in zip(review_ids, reviews, strict=True):
            numbers = [f["_number"] for f in review["_findings"] if "_number" in f]
            for at, actor, action, status, note in review["_events"]:
                if action == "采纳" and numbers:
                    note = f"采纳，转为工单 {'、'.join(numbers)}"
                self._event("review", review_id, at, actor, action, status, note)
            for f in review["_findings"]:
                if "_event" in f:
                    f["_event"]["note"] += (
                        f"；来源：监督评议 #{review_id} 问题 #{f['_id']}"
                        f"（{review['reviewer_name']}，{review['method']}）"
                    )
        self.counts["reviews"], self.counts["findings"] = len(reviews), len(findings)

    # -- ratings 好差评 -----------------------------------------------------------------------

    def _ratings(self, month: dt.date) -> None:
        """One month of ratings: window and hotline ones entered, the rest from an import batch."""
        days, workdays, share = self._month_days(month)
        if not workdays:
            return
        kind_weight = {"窗口": 6, "乡镇街道": 3, "区县": 2, "部门": 1}
        weights = [kind_weight[u.kind] * (1 + u.weight / 5) for u in self.units]
        rows = [
            self._rating(self._pick_unit(weights), days, workdays)
            for _ in range(round(self.rng.randint(1500, 3000) * share))
        ]
        rows.sort(key=lambda r: r["rated_at"])
        imported = [r for r in rows if r["source"] != "entered"]
        done = min(self.as_of, self._work_time(self.cal.add(rows[-1]["rated_at"].date(), 1)))
        batch = ImportBatch.create(
            format="ratings",
            filename=f"好差评评价明细_{month:%Y%m}.xlsx",
            sha256=hashlib.sha256(f"demo-ratings-{month:%Y%m}-{self.seed}".encode()).hexdigest(),
            user=self.user_ids[STAFF_USERS[0]],
            started_at=done,
            finished_at=done,
            rows=len(imported),
            imported=len(imported),
            state="完成",
        )
        for i, row in enumerate(imported, 1):
            row.update(batch=batch.id, external_id=f"PJ{month:%Y%m}{i:06d}")
        for rating_id, row in zip(_insert(Rating, _columns(rows), ids=True), rows, strict=True):
            for at, actor, action, status, note in row["_events"]:
                self._event("rating", rating_id, at, actor, action, status, note)
        self.counts["ratings"] += len(rows)

    def _rating(self, u: _Unit, days: list[dt.date], workdays: list[dt.date]) -> dict[str, Any]:
        rng = self.rng
        channel = self._pick(data.RATING_CHANNEL_WEIGHTS)
        if channel in ("窗口", "自助终端"):
            rated = self._work_time(rng.choice(workdays))
        else:  # online, any day from 07:00 to 23:00
            rated = dt.datetime.combine(rng.choice(days), dt.time(7)) + dt.timedelta(
                minutes=rng.randint(0, 960)
            )
        rated = min(rated, self.as_of - dt.timedelta(minutes=rng.randint(1, 120)))
        level = self._pick(data.RATING_LEVEL_WEIGHTS)
        bad = level <= 2
        staff = self._pick_staff(u, 0.75 if channel == "窗口" else 0.3)
        matter = self._pick_matter(u, 0.6)
        real = rng.random() < 0.4
        if bad:
            reasons = "；".join(rng.sample(data.BAD_REASONS, rng.randint(1, 2)))
            comment = rng.choice(data.BAD_COMMENTS)
        else:
            reasons = rng.choice(data.GOOD_REASONS) if level >= 4 and rng.random() < 0.5 else ""
            comment = rng.choice(data.GOOD_COMMENTS) if level >= 4 and rng.random() < 0.35 else ""
        row: dict[str, Any] = {
            "unit": u.id,
            "window": f"{rng.randint(1, 12)}号窗口" if u.kind == "窗口" else "",
            "staff": staff[0] if staff else None,
            "matter": matter[0] if matter else None,
            "channel": channel,
            "level": level,
            "bad": bad,
            "reasons": reasons,
            "comment": comment,
            "rater_name": data.person(rng) if real else None,
            "rater_phone": data.phone(rng) if real else None,
            "real_name": real,
            "rated_at": rated,
            "source": "entered" if channel in ("窗口", "热线") else "import",
            **_NEW_RATING,
            "_events": [],
        }
        clerk = rng.choice(STAFF_USERS)
        note = f"{RATING_LEVELS[level]}（{channel}）"
        if bad:
            row.update(status="待核实", contact_due_at=self.cal.due_at(rated, self.contact_days))
            note += f"，差评，{row['contact_due_at']:%Y-%m-%d} 前核实联系"
        if bad or row["source"] == "entered":  # imported praise has its batch, not a timeline
            row["_events"].append((rated, clerk, "评价", row["status"], note))
        if bad:
            self._bad_rating(row, u, clerk)
        return row

    def _bad_rating(self, row: dict[str, Any], u: _Unit, clerk: str) -> None:
        """The 差评 loop as :class:`~supervise.services.ratings.RatingService`
        records it: 核实 → 整改 (属实) → 回访 (real name) → 已办结, as far as ``as_of``."""
        rng, steps, unit_actor = self.rng, row["_events"], self._unit_actor(u)
        verified = self._later(row["rated_at"], 0, 2)
        if rng.random() < 0.04 or verified > self.as_of:
            return
        finding = self._pick({"属实": 60, "不属实": 28, "误评申诉": 12})
        contacted = "按期核实" if verified <= row["contact_due_at"] else "超期核实"
        after = "待回访" if row["real_name"] else "已办结"  # every real-name 差评 is visited back
        row.update(finding=finding, verified_at=verified)
        if finding != "属实":
            row.update(status=after, closed_at=verified if after == "已办结" else None)
            steps.append((verified, unit_actor, "核实", after, f"{contacted}：{finding}"))
            last = verified
        else:
            roll = rng.random()
            if roll < 0.4:
                kind, due = "立行立改", dt.datetime.combine(verified.date(), END_OF_DAY)
                rectified = min(verified + dt.timedelta(minutes=rng.randint(20, 180)), due)
            else:
                days = self.rectify_days[0] if roll < 0.8 else self.rectify_days[1]
                kind, due = "限期整改", self.cal.due_at(verified, days)
                rectified = self._later(verified, 0, days)
            if rng.random() < 0.1:
                rectified = self._later(due, 1, 4)
            row.update(status="待整改", rectify_kind=kind, rectify_due_at=due)
            steps.append(
                (
                    verified,
                    unit_actor,
                    "核实",
                    "待整改",
                    f"{contacted}：属实，{kind}，{due:%Y-%m-%d} 前整改",
                )
            )
            if rng.random() < 0.05 or rectified > self.as_of:
                return
            measures = rng.choice(data.RECTIFY_MEASURES)
            row.update(
                status=after,
                measures=measures,
                rectified_at=rectified,
                closed_at=rectified if after == "已办结" else None,
            )
            steps.append(
                (
                    rectified,
                    unit_actor,
                    "整改",
                    after,
                    f"{'按期' if rectified <= due else '超期'}整改：{measures}",
                )
            )
            last = rectified
        if after == "已办结":
            return
        visited = self._later(last, 1, 3)
        if rng.random() < 0.05 or visited > self.as_of:
            return
        row.update(status="已办结", visited_at=visited, closed_at=visited)
        result = "评价人认可整改结果" if finding == "属实" else "已向评价人说明核实情况"
        steps.append((visited, clerk, "回访", "已办结", f"回访结果：{result}"))

    # -- third-party surveys 第三方评估 ---------------------------------------------------------

    def _surveys(self, months: list[dt.date]) -> None:
        """One result per top-level unit for every finished quarter the months
        touch, or at least for the last finished quarter."""
        first = _quarter_start(months[0])
        if _quarter_end(first) >= self.today:
            first = _quarter_start(first - dt.timedelta(days=1))
        quarters = [first]
        while _quarter_end(_next_quarter(quarters[-1])) < self.today:
            quarters.append(_next_quarter(quarters[-1]))
        rows = []
        for i, start in enumerate(quarters):
            for u in self.units:
                if u.parent is not None:
                    continue
                satisfaction = round(self.rng.uniform(0.84, 0.97) - u.weight / 200, 3)
                rows.append(
                    {
                        "agency": data.SURVEY_AGENCIES[i % len(data.SURVEY_AGENCIES)],
                        "period_start": start,
                        "period_end": _quarter_end(start),
                        "unit": u.id,
                        "sample_size": self.rng.randint(120, 400),
                        "satisfaction": satisfaction,
                        "score": round(satisfaction * 100 - self.rng.uniform(0, 4), 1),
                        "problems": "；".join(self.rng.sample(data.SURVEY_PROBLEMS, 2)),
                    }
                )
        _insert(SurveyResult, rows)
        self.counts["surveys"] = len(rows)


# The fields a registered complaint has yet to fill in, and a rating before handling.
_NEW_COMPLAINT: dict[str, Any] = {
    "status": "登记",
    "reopen_count": 0,
    "extension_count": 0,
    **dict.fromkeys(
        "card limit_days assigned_at due_at replied_at reply_text visited_at visit_result resolved closed_at end_reason".split()
    ),
}
_NEW_RATING: dict[str, Any] = {
    "status": "无需处理",
    **dict.fromkeys(
        "contact_due_at finding verified_at rectify_kind rectify_due_at measures rectified_at visited_at closed_at batch external_id".split()
    ),
}


def _assign_note(unit: str, card: str, limit: int, due: dt.datetime) -> str:
    return f"承办单位 {unit}，{card}色交办单，时限 {limit} 个工作日，{due:%Y-%m-%d} 前办结"


def _quarter_start(day: dt.date) -> dt.date:
    return dt.date(day.year, (day.month - 1) // 3 * 3 + 1, 1)


def _next_quarter(start: dt.date) -> dt.date:
    return dt.date(start.year + (start.month >= 10), (start.month + 2) % 12 + 1, 1)


def _quarter_end(start: dt.date) -> dt.date:
    return _next_quarter(start) - dt.timedelta(days=1)
