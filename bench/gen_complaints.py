"""The complaint rows of the generated office, made in received order, chunk by chunk.

:class:`ComplaintRows` makes the rows of one month, as tuples in
:data:`COLUMNS` order.  Content comes from the sentence templates and word
lists of :mod:`supervise.demo` filled with the unit, matter and staff names;
units (:func:`bench.gen_office.unit_weights`) and matters within a unit are
drawn with a Zipf-like skew (the busiest unit takes about a sixth of all
complaints, the top ten about half); channels and categories with the demo
weights; received times over the month's working hours; statuses as of
``Spec.as_of`` (most closed, some still open and overdue), with due times
from the real working-day calendar.  Identities are sealed as registration
seals them.  Every draw comes from the one ``random.Random`` given, in a
fixed order, so the same spec always gives the same rows.

:func:`write_complaints` writes one chunk; on PostgreSQL each row carries
its keyword index (``tsv``).
"""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
import logging
import random
from collections.abc import Iterator, Sequence
from typing import Any

from supervise import identity, search
from supervise.db import is_sqlite
from supervise.demo import names, words
from supervise.models import CARDS, CHANNELS
from supervise.services.complaints import RECEIPT_ALPHABET
from supervise.settings import CORE_DEFAULTS
from supervise.workdays import WorkCalendar

from .gen_office import OfficeUnit, unit_weights
from .gen_spec import Spec
from .gen_write import write_rows

logger = logging.getLogger(__name__)

CHUNK = 50_000
ZIPF_MATTERS = 1.1  # exponent of the matter skew within a unit


def _zipf(n: int, s: float) -> list[float]:
    return [1.0 / (rank**s) for rank in range(1, n + 1)]


def _cumulative(weights: Sequence[float]) -> list[float]:
    return list(itertools.accumulate(weights))


def template_fill(rng: random.Random, unit: str, matter: str, staff: str) -> dict[str, Any]:
    """The values that fill the demo's sentence templates (titles, contents, replies)."""
    return {
        "unit": unit,
        "matter": matter,
        "staff": staff,
        "n": rng.randint(2, 6),
        "days": rng.randint(2, 15),
        "window": unit,
    }


def _receipt(i: int, seed: int) -> str:
    """12 base32 characters, unique per i: an odd multiplier is a bijection mod 2**60."""
    x = (i * 0x9E3779B97F4A7C15 + seed * 0x632BE59BD9B4E019) % (1 << 60)
    return "".join(RECEIPT_ALPHABET[(x >> (5 * k)) & 31] for k in range(12))


def _received_times(
    rng: random.Random, n: int, month: str, calendar: WorkCalendar
) -> list[dt.datetime]:
    """n times over the month: working days busier, 08:30–17:30 busiest, sorted."""
    first = dt.date.fromisoformat(month + "-01")
    nxt = (first + dt.timedelta(days=32)).replace(day=1)
    days = [first + dt.timedelta(days=d) for d in range((nxt - first).days)]
    day_w = _cumulative([1.0 if calendar.is_workday(d) else 0.25 for d in days])
    hour_w = _cumulative([0.2] * 8 + [1.0] * 10 + [0.4] * 6)  # 00–07, 08–17, 18–23
    times = []
    for _ in range(n):
        day = days[bisect.bisect(day_w, rng.random() * day_w[-1])]
        hour = bisect.bisect(hour_w, rng.random() * hour_w[-1])
        second = hour * 3600 + rng.randrange(3600)
        times.append(dt.datetime.combine(day, dt.time()) + dt.timedelta(seconds=second))
    times.sort()
    return times


def _ts(value: dt.datetime | None) -> str | None:
    """As peewee stores a DateTimeField (whole seconds); PostgreSQL reads it too."""
    return None if value is None else str(value)


COLUMNS = (
    "id",
    "version",
    "number",
    "receipt_code",
    "channel",
    "category",
    "title",
    "content",
    "identity_sealed",
    "masked_name",
    "masked_phone",
    "masked_id_no",
    "anonymous",
    "unit_id",
    "staff_id",
    "matter_id",
    "received_at",
    "status",
    "card",
    "limit_days",
    "assigned_at",
    "due_at",
    "replied_at",
    "reply_text",
    "visited_at",
    "visit_result",
    "resolved",
    "closed_at",
    "reopen_count",
    "extension_count",
    "source",
    "created_at",
    "end_reason",
    "merged_into_id",
)


class ComplaintRows:
    """Makes complaint rows in received order, chunk by chunk."""

    def __init__(
        self,
        spec: Spec,
        units: list[OfficeUnit],
        rng: random.Random,
        month: str | None = None,
        count: int | None = None,
        first_id: int = 1,
    ) -> None:
        self.spec, self.units, self.rng = spec, units, rng
        self.month = month or spec.month
        self.count = spec.complaints if count is None else count
        self.first_id = first_id
        self.calendar = WorkCalendar()
        self.as_of = dt.datetime.fromisoformat(spec.as_of)
        self.unit_cum = _cumulative(unit_weights(spec.seed, len(units)))
        self.matter_cum = {
            id(u.matters): _cumulative(_zipf(len(u.matters), ZIPF_MATTERS)) for u in units
        }
        channels = [c for c in CHANNELS if c in words.CHANNEL_WEIGHTS]
        self.channels, self.channel_cum = (
            channels,
            _cumulative([words.CHANNEL_WEIGHTS[c] for c in channels]),
        )
        cats = list(words.CATEGORY_WEIGHTS)
        self.categories, self.category_cum = (
            cats,
            _cumulative([words.CATEGORY_WEIGHTS[c] for c in cats]),
        )
        self.card_cum = {c: _cumulative(w) for c, w in words.CARD_WEIGHTS.items()}
        self.card_days = dict(CORE_DEFAULTS["complaint.card_days"])
        self._due: dict[tuple[dt.date, int], dt.datetime] = {}
        self.unit_counts = [0] * len(units)
        people = max(100, self.count // 5)
        self.people = [
            (names.person(rng), names.phone(rng), names.id_number(rng)) for _ in range(people)
        ]

    def due(self, received: dt.datetime, days: int) -> dt.datetime:
        key = (received.date(), days)
        if key not in self._due:
            self._due[key] = self.calendar.due_at(received.date(), days)
        return self._due[key]

    def rows(self) -> Iterator[list[tuple[Any, ...]]]:
        times = _received_times(self.rng, self.count, self.month, self.calendar)
        for start in range(0, len(times), CHUNK):
            yield [
                self._row(self.first_id + start + k, at)
                for k, at in enumerate(times[start : start + CHUNK])
            ]

    def _identity(
        self, number: str, name: str | None, phone: str | None, id_no: str | None
    ) -> tuple[Any, ...]:
        """Sealed as registration seals it (one ephemeral key for the run, as an import batch)."""
        if name is None and phone is None and id_no is None:
            return (None, None, None, None)
        if getattr(self, "_sealer", None) is None:
            self._sealer = identity.sealer()
        cols = identity.complaint_columns(self._sealer, number, name, phone, id_no)
        return (
            cols["identity_sealed"],
            cols["masked_name"],
            cols["masked_phone"],
            cols["masked_id_no"],
        )

    def _pick(self, cum: list[float]) -> int:
        return bisect.bisect(cum, self.rng.random() * cum[-1])

    def _row(self, cid: int, received: dt.datetime) -> tuple[Any, ...]:
        rng, w = self.rng, words
        ui = self._pick(self.unit_cum)
        unit = self.units[ui]
        self.unit_counts[ui] += 1
        mid, matter = unit.matters[self._pick(self.matter_cum[id(unit.matters)])]
        sid, staff = unit.staff[rng.randrange(len(unit.staff))]
        channel = self.channels[self._pick(self.channel_cum)]
        category = self.categories[self._pick(self.category_cum)]
        fill = template_fill(rng, unit.name, matter, staff)
        title = rng.choice(w.TITLES[category]).format(**fill)
        content = rng.choice(w.CONTENTS[category]).format(**fill)
        anonymous = rng.random() < (0.6 if category == "举报" else 0.08)
        name = phone = id_no = None
        if not anonymous:  # people who write in often write again: a pool, not one each
            name, phone, id_no = self.people[rng.randrange(len(self.people))]
        card = CARDS[self._pick(self.card_cum[category])]
        days = self.card_days[card]
        age = (self.as_of - received).total_seconds() / 86400
        done = min(0.97, 0.5 + age / 40)
        r = rng.random()
        status, end_reason, merged = "已办结", None, None
        if r < 0.02:
            status, end_reason = "不予受理", rng.choice(w.NOT_ACCEPTED)
        elif r < 0.03 and cid > self.first_id:
            merged = rng.randrange(max(self.first_id, cid - 2000), cid)
            seq = merged - self.first_id + 1
            status, end_reason = "已并单", f"并入 TS{self.month.replace('-', '')}{seq:05d}"
        elif r > done:
            status = rng.choices(("登记", "已交办", "已反馈", "已回访"), (10, 55, 25, 10))[0]
        assigned: dt.datetime | None = None
        due: dt.datetime | None = None
        replied: dt.datetime | None = None
        visited: dt.datetime | None = None
        closed: dt.datetime | None = None
        reply: str | None = None
        result: str | None = None
        resolved: bool | None = None
        reopen = 0
        if status not in ("登记", "不予受理"):
            assigned = min(self.as_of, received + dt.timedelta(minutes=rng.randint(10, 240)))
            due = self.due(received, days)
        if status == "已并单":
            closed = assigned
        if status in ("已反馈", "已回访", "已办结"):
            assert assigned is not None and due is not None  # every answered complaint was assigned
            span = max(600, int((due - assigned).total_seconds()))
            late = rng.random() < 0.08  # replied after the due time
            replied = assigned + dt.timedelta(
                seconds=span + rng.randrange(span) if late else rng.randrange(span)
            )
            reply = rng.choice(w.REPLIES).format(**fill)
            if replied > self.as_of:  # not yet replied as of the snapshot: still with the unit
                status, replied, reply = "已交办", None, None
        if status in ("已回访", "已办结") and not anonymous and category not in ("咨询", "表扬"):
            assert replied is not None  # 已回访 and 已办结 were replied
            visited = replied + dt.timedelta(hours=rng.randint(4, 72))
            if visited > self.as_of:
                status, visited = "已反馈", None
            else:
                result = rng.choices(("满意", "基本满意", "不满意"), (70, 22, 8))[0]
                resolved = result != "不满意" and rng.random() < 0.95
                if not resolved:  # 重办: back with the unit, as ComplaintService.visit() does
                    status, reopen, replied = "已交办", 1, None
        if status == "已办结":
            ended = visited or replied
            assert ended is not None
            closed = ended + dt.timedelta(hours=rng.randint(1, 24))
            if closed > self.as_of:
                status, closed = ("已回访" if visited else "已反馈"), None
        if status == "不予受理":
            closed = min(self.as_of, received + dt.timedelta(hours=rng.randint(1, 48)))
        return (
            cid,
            1,
            f"TS{received:%Y%m}{cid - self.first_id + 1:05d}",
            _receipt(cid, self.spec.seed),
            channel,
            category,
            title,
            content,
            *self._identity(f"TS{received:%Y%m}{cid:05d}", name, phone, id_no),
            int(anonymous),
            unit.id,
            sid,
            mid,
            _ts(received),
            status,
            card if assigned else None,
            days if assigned else None,
            _ts(assigned),
            _ts(due),
            _ts(replied),
            reply,
            _ts(visited),
            result,
            None if resolved is None else int(resolved),
            _ts(closed),
            reopen,
            0,
            "entered",
            _ts(received),
            end_reason,
            merged,
        )


_TEXTS = [COLUMNS.index(f) for f in search.COMPLAINTS.fields]  # title, content, reply_text


def write_complaints(chunk: list[tuple[Any, ...]]) -> None:
    """One chunk of complaints; on PostgreSQL each row carries its keyword index (``tsv``)."""
    if is_sqlite():
        write_rows("complaint", COLUMNS, chunk)
        return
    write_rows(
        "complaint",
        (*COLUMNS, "tsv"),
        [(*r, search.tsvector(*(r[i] for i in _TEXTS))) for r in chunk],
    )
