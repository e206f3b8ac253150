"""A deterministic city-scale office for the benchmarks.

:func:`build` fills an empty database (created by
:func:`supervise.migrations.upgrade`) with 300 units in a two-level tree,
their staff and matters, ``Spec.complaints`` complaints received over
one month (the measured month), ``Spec.history_months`` months of older
complaints (together ``Spec.history_share`` of the month's count), ten
ratings per complaint of the month with the demo's reasons and comments
(:mod:`bench.gen_ratings`, which writes their keyword index too), then the
complaints' keyword index: on SQLite through :func:`supervise.search.rebuild`
(which feeds :func:`supervise.search.index_complaints` in big batches), on
PostgreSQL as the ``tsv`` column written in the ``COPY`` with each row, the
GIN indexes built once at the end.  The import files
come from the same spec (:mod:`bench.gen_files`).  Everything follows from
``Spec.seed``: the same spec always gives the same rows.

What makes the rows realistic: content from the sentence templates and word
lists of :mod:`supervise.demo` filled with the unit, matter and staff
names; units and matters drawn with a Zipf-like skew (the busiest unit takes
about a sixth of all complaints, the top ten about half); channels and
categories with the demo weights; received times over the month's working
hours; statuses as of a few days after the month (most closed, some still
open and overdue), with due times from the real working-day calendar.

Rows are written with the raw driver, not the ORM: ``executemany`` on the
SQLite connection, ``COPY`` on PostgreSQL.  No timeline events or audit
entries are written for the generated complaints (the records figures do
not read them).

:mod:`bench.cache` keeps one generated database per spec: a file under
``bench/.cache/`` for SQLite, a database named after the spec for
PostgreSQL.  Each run measures a fresh copy of it, so what a run writes
(registrations) never leaks into the next.  Run as ``python -m bench.generate``
to build a cache entry in its own process.
"""

from __future__ import annotations

import argparse
import bisect
import csv
import datetime as dt
import hashlib
import io
import itertools
import json
import logging
import os
import random
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from supervise import identity, migrations, search
from supervise.db import close_database, database, is_sqlite, open_database, write_transaction
from supervise.demo import catalogue, names, words
from supervise.models import ALL_MODELS, CARDS, CHANNELS, Complaint, Rating
from supervise.services.complaints import RECEIPT_ALPHABET
from supervise.settings import CORE_DEFAULTS
from supervise.workdays import WorkCalendar

from . import gen_ratings

logger = logging.getLogger(__name__)

GENERATOR_VERSION = 4  # bump when the rows change, so that old caches are not reused
FULL_SCALE = 1_000_000
CACHE_DIR = Path(__file__).resolve().parent / ".cache"  # unless SUPERVISE_BENCH_CACHE names another
DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/supervise_bench"
CHUNK = 50_000
ZIPF_UNITS = 1.0  # exponent of the unit skew
ZIPF_MATTERS = 1.1  # exponent of the matter skew within a unit
CHILDREN = 9  # child units per top-level unit: 30 + 30 * 9 = 300
STAFF_PER_UNIT = 10

# Top-level units beyond the demo catalogue's: (name, kind, the words their matters are made of).
EXTRA_DEPARTMENTS = [
    ("市教育局", ("民办学校设立", "教师资格认定", "学历证明")),
    ("市民政局", ("社会团体登记", "婚姻登记档案查询", "养老机构备案")),
    ("市卫生健康委", ("医师执业注册", "医疗机构执业登记", "出生医学证明")),
    ("市交通运输局", ("道路运输经营许可", "出租汽车驾驶员从业资格", "网约车运输证")),
    ("市生态环境局", ("排污许可证核发", "建设项目环评审批", "危险废物经营许可")),
    ("市城市管理局", ("城市绿地占用审批", "户外招牌设置备案", "渣土运输核准")),
    ("市文化广电旅游局", ("营业性演出审批", "旅行社设立许可", "娱乐场所经营许可")),
    ("市应急管理局", ("危险化学品经营许可", "烟花爆竹经营许可", "安全评价备案")),
    ("市农业农村局", ("农药经营许可", "兽药经营许可", "种子生产经营许可")),
    ("市水务局", ("取水许可", "河道管理范围内建设审批", "城市排水许可")),
    ("市商务局", ("对外贸易经营者备案", "单用途预付卡备案", "报废机动车回收资质")),
    ("市退役军人事务局", ("优待证申领", "退役士兵安置", "伤残抚恤申请")),
    ("市司法局", ("法律援助申请", "公证员执业审核", "人民调解申请")),
    ("市财政局", ("政府采购供应商投诉", "会计代理记账许可", "非税收入票据领用")),
    ("市科技局", ("高新技术企业认定", "科技型中小企业评价", "技术合同登记")),
    ("市发展改革委", ("企业投资项目备案", "固定资产投资项目节能审查", "价格认定")),
]
MATTER_FORMS = ("申请", "审批", "变更", "延续", "注销", "查询")
WINDOW_NAMES = (
    "综合受理窗口",
    "审批服务窗口",
    "咨询导服台",
    "帮办代办窗口",
    "自助服务区",
    "网上办事服务专区",
    "企业服务专窗",
    "跨省通办窗口",
    "“办不成事”反映窗口",
)
STREETS = (
    "和平街道",
    "新华街道",
    "湖滨街道",
    "青山镇",
    "白沙镇",
    "科创街道",
    "东风街道",
    "解放街道",
    "城关镇",
    "长安街道",
    "滨江街道",
    "光明街道",
    "建设街道",
    "向阳街道",
)


@dataclass(frozen=True)
class Spec:
    """What to generate; every row follows from these values."""

    complaints: int
    seed: int = 2026
    month: str = "2026-10"  # the month the complaints are received in
    as_of: str = "2026-11-05 18:00:00"  # statuses are as of this moment
    history_months: int = 12  # months of older complaints before ``month``
    history_share: float = 0.25  # all those months together hold this share of ``complaints``

    @property
    def history(self) -> int:
        """Complaints of each history month."""
        if not self.history_months:
            return 0
        return round(self.complaints * self.history_share / self.history_months)

    @property
    def import_rows(self) -> dict[str, int]:
        """Rows of each generated import file (:mod:`bench.gen_files`)."""
        return {
            "ratings.xlsx": self.complaints,
            "ratings.csv": max(200, self.complaints // 5),
            "hotline.xlsx": max(100, self.complaints // 10),
        }

    @classmethod
    def at_scale(cls, scale: float, seed: int = 2026) -> Spec:
        return cls(complaints=max(1, round(FULL_SCALE * scale)), seed=seed)

    @property
    def key(self) -> str:
        # short: it names PostgreSQL databases, whose names stop at 63 bytes
        shape = (self.month, self.as_of, self.history_months, self.history_share)
        digest = hashlib.sha256(f"{shape}-{GENERATOR_VERSION}-{schema_tag()}".encode()).hexdigest()
        return f"c{self.complaints}_s{self.seed}_v{GENERATOR_VERSION}_{digest[:10]}"


def schema_tag() -> str:
    """The schema version and a digest of every table's columns and indexes.

    Part of the cache key: a new migration, column or index makes a new
    cache entry instead of measuring an out-of-date database.
    """
    shape = [
        (m._meta.table_name, sorted(m._meta.fields), [list(i) for i in m._meta.indexes])
        for m in ALL_MODELS
    ]
    digest = hashlib.sha256(repr(shape).encode()).hexdigest()[:8]
    return f"{migrations.LATEST}-{digest}"


@dataclass
class Office:
    """What the figures need to know about the generated rows."""

    units: list[tuple[str, int]]  # (code, complaints) busiest first
    matters: int
    staff: int
    complaints: int  # of the measured month; ``units`` counts these
    month: str
    timings: dict[str, float] = field(default_factory=dict)
    history: int = 0  # complaints of the months before
    ratings: int = 0

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> Office:
        data = json.loads(text)
        data["units"] = [tuple(u) for u in data["units"]]
        return cls(**data)


# -- reference data -------------------------------------------------------------


@dataclass
class _Unit:
    id: int
    code: str
    name: str
    kind: str
    parent_id: int | None
    matters: list[tuple[int, str]] = field(default_factory=list)  # (id, name), own or the parent's
    staff: list[tuple[int, str]] = field(default_factory=list)


def _units(rng: random.Random) -> list[_Unit]:
    tops: list[tuple[str, str, list[str]]] = []  # (name, kind, matter names)
    for name, kind, _weight, _children in catalogue.DEPARTMENTS:
        tops.append((name, kind, [m for m, _ in catalogue.DEPARTMENT_MATTERS[name]]))
    for name, subjects in EXTRA_DEPARTMENTS:
        tops.append((name, "部门", [s + f for s in subjects for f in MATTER_FORMS[:4]]))
    for name, kind, _weight, _children in catalogue.DISTRICTS:
        tops.append((name, kind, [m for m, _ in catalogue.DISTRICT_MATTERS]))
    units: list[_Unit] = []
    for i, (name, kind, _matters) in enumerate(tops, 1):
        units.append(_Unit(i, f"U{i:02d}", name, kind, None))
    streets = iter(itertools.cycle(STREETS))
    for parent in list(units):
        for k in range(1, CHILDREN + 1):
            if parent.kind == "区县" and k > 4:
                child_name, child_kind = parent.name + next(streets), "乡镇街道"
            else:
                short = parent.name.removeprefix("市")
                child_name, child_kind = short + WINDOW_NAMES[(k - 1) % len(WINDOW_NAMES)], "窗口"
            units.append(
                _Unit(len(units) + 1, f"{parent.code}{k:02d}", child_name, child_kind, parent.id)
            )
    matter_id = itertools.count(1)
    by_id = {u.id: u for u in units}
    for u, (_name, _kind, matter_names) in zip(units, tops, strict=False):
        u.matters = [(next(matter_id), m) for m in matter_names]
    for u in units:
        if u.parent_id is not None:
            u.matters = by_id[u.parent_id].matters
    staff_id = itertools.count(1)
    for u in units:
        u.staff = [(next(staff_id), names.person(rng)) for _ in range(STAFF_PER_UNIT)]
    return units


def _legal_days(rng: random.Random) -> int:
    return rng.choice((5, 10, 15, 20, 30, 60))


# -- complaints -----------------------------------------------------------------


def _zipf(n: int, s: float) -> list[float]:
    return [1.0 / (rank**s) for rank in range(1, n + 1)]


def _cumulative(weights: Sequence[float]) -> list[float]:
    return list(itertools.accumulate(weights))


def unit_weights(seed: int, n: int) -> list[float]:
    """Zipf weights of the n units over a shuffled order, the same in every month and file.

    Which unit is busiest does not follow the tree.
    """
    order = list(range(n))
    random.Random(f"units-{seed}").shuffle(order)
    weights = [0.0] * n
    for rank, index in enumerate(order, 1):
        weights[index] = 1.0 / rank**ZIPF_UNITS
    return weights


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


class _Complaints:
    """Makes complaint rows in received order, chunk by chunk."""

    def __init__(
        self,
        spec: Spec,
        units: list[_Unit],
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


# -- writing ----------------------------------------------------------------------


def _ts(value: dt.datetime | None) -> str | None:
    """As peewee stores a DateTimeField (whole seconds); PostgreSQL reads it too."""
    return None if value is None else str(value)


def _write(table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
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


_TEXTS = [COLUMNS.index(f) for f in search.COMPLAINTS.fields]  # title, content, reply_text


def _write_complaints(chunk: list[tuple[Any, ...]]) -> None:
    """One chunk of complaints; on PostgreSQL each row carries its keyword index (``tsv``)."""
    if is_sqlite():
        _write("complaint", COLUMNS, chunk)
        return
    _write(
        "complaint",
        (*COLUMNS, "tsv"),
        [(*r, search.tsvector(*(r[i] for i in _TEXTS))) for r in chunk],
    )


def _reset_sequence(table: str) -> None:
    if not is_sqlite():
        database.execute_sql(
            f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), (SELECT MAX(id) FROM \"{table}\"))"
        )


def write_reference(units: list[_Unit], rng: random.Random) -> tuple[int, int]:
    """Units, matters and staff of the office, one transaction; return (matters, staff)."""
    with write_transaction():
        _write(
            "unit",
            ("id", "version", "code", "name", "parent_id", "kind", "active"),
            [(u.id, 1, u.code, u.name, u.parent_id, u.kind, 1) for u in units],
        )
        seen: set[int] = set()
        matter_rows = []
        for u in units:
            for mid, name in u.matters:
                if mid not in seen:
                    seen.add(mid)
                    legal = _legal_days(rng)
                    matter_rows.append(
                        (mid, 1, f"M{mid:04d}", name, u.id, legal, max(1, legal // 4))
                    )
        _write(
            "matter",
            ("id", "version", "code", "name", "unit_id", "legal_days", "promised_days"),
            matter_rows,
        )
        staff_rows = [
            (sid, 1, f"S{sid:05d}", name, u.id, "窗口受理员", 1)
            for u in units
            for sid, name in u.staff
        ]
        _write(
            "staff", ("id", "version", "number", "name", "unit_id", "post", "active"), staff_rows
        )
        for table in ("unit", "matter", "staff"):
            _reset_sequence(table)
    return len(matter_rows), len(staff_rows)


def reference_only(url: str, spec: Spec) -> list[str]:
    """Fill the empty database at ``url`` with ``spec``'s units, matters and staff only.

    The import figures start from this: the same office, no records yet.
    Returns the unit codes.
    """
    open_database(url)
    try:
        migrations.upgrade()
        units = _units(random.Random(spec.seed))
        write_reference(units, random.Random(spec.seed))
        return [u.code for u in units]
    finally:
        close_database()


def history_months(spec: Spec) -> list[str]:
    """The ``spec.history_months`` months before ``spec.month``, oldest first."""
    year, month = map(int, spec.month.split("-"))
    out = []
    for back in range(spec.history_months, 0, -1):
        y, m = divmod(year * 12 + month - 1 - back, 12)
        out.append(f"{y:04d}-{m + 1:02d}")
    return out


@contextmanager
def _bulk(model: Any) -> Iterator[None]:
    """Drop ``model``'s own indexes for a bulk load and build each once afterwards."""
    own = {i._name for i in model._meta.fields_to_index()}
    table = model._meta.table_name
    with write_transaction():
        for index in database.get_indexes(table):
            if index.name in own:
                database.execute_sql(f'DROP INDEX "{index.name}"')
    yield
    with write_transaction():
        model._schema.create_indexes(safe=True)  # exactly the model's indexes
        _reset_sequence(table)


def build(url: str, spec: Spec, progress: bool = False) -> Office:
    """Fill the empty database at ``url`` with ``spec``'s office; return what was made.

    In order: reference data; the measured month's complaints (ids 1..N, so
    that they are the same rows whatever the history); the history months'
    complaints (ids after N, same unit skew, most closed long ago); ratings
    (:mod:`bench.gen_ratings`); then the keyword index of every complaint
    (SQLite; on PostgreSQL it came with the rows, only the GIN indexes are built).
    """
    timings: dict[str, float] = {}
    start = time.perf_counter()
    open_database(url)
    try:
        migrations.upgrade()
        rng = random.Random(spec.seed)
        units = _units(rng)
        if is_sqlite():
            database.execute_sql("PRAGMA synchronous = OFF")  # a cache file: rebuilt on failure
        matters, staff = write_reference(units, rng)
        if not is_sqlite():  # the GIN indexes are built once, after the rows
            with write_transaction():
                for ix in search.INDEXES:
                    database.execute_sql(f"DROP INDEX IF EXISTS {ix.gin}")
        maker = _Complaints(spec, units, rng)
        made = 0
        counters = [(spec.month, spec.complaints)]
        with _bulk(Complaint):
            for chunk in maker.rows():
                with write_transaction():
                    _write_complaints(chunk)
                made += len(chunk)
                if progress:
                    print(f"  complaints {made:,}/{spec.complaints:,}", flush=True)
            old = random.Random(f"history-{spec.seed}")
            for month in history_months(spec) if spec.history else []:
                past = _Complaints(spec, units, old, month, spec.history, made + 1)
                for chunk in past.rows():
                    with write_transaction():
                        _write_complaints(chunk)
                    made += len(chunk)
                counters.append((month, spec.history))
                if progress:
                    print(f"  history {month}: {spec.history:,}", flush=True)
        with write_transaction():
            database.connection().cursor().executemany(
                "INSERT INTO counter (name, value) VALUES (%s, %s)".replace("%s", database.param),
                [(f"complaint:{m.replace('-', '')}", n) for m, n in counters],
            )
        timings["rows_s"] = time.perf_counter() - start
        t = time.perf_counter()
        with _bulk(Rating):
            ratings = gen_ratings.write(spec)
        timings["ratings_s"] = time.perf_counter() - t
        if progress:
            print(f"  ratings {ratings:,}", flush=True)
        t = time.perf_counter()
        if is_sqlite():
            search.rebuild(batch_size=20_000)
        else:  # the tsv columns came with the rows: build each GIN index in one pass
            with write_transaction():
                database.execute_sql("SET LOCAL maintenance_work_mem = '256MB'")
                search.create_schema()
        timings["index_s"] = time.perf_counter() - t
        if is_sqlite():
            database.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        else:
            database.execute_sql("ANALYZE")  # what autovacuum does after a bulk load
        by_count = sorted(
            zip(maker.unit_counts, units, strict=True), key=lambda p: (-p[0], p[1].id)
        )
        return Office(
            units=[(u.code, n) for n, u in by_count],
            matters=matters,
            staff=staff,
            complaints=spec.complaints,
            month=spec.month,
            timings=timings,
            history=made - spec.complaints,
            ratings=ratings,
        )
    finally:
        close_database()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.generate", description="build a cached bench database"
    )
    parser.add_argument("--complaints", type=int, required=True)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--engine", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument(
        "--pg-url", default=os.environ.get("SUPERVISE_BENCH_PG_URL", DEFAULT_PG_URL)
    )
    args = parser.parse_args(argv)
    from .cache import ensure  # the cache builds with this module's build()

    try:
        office = ensure(Spec(args.complaints, args.seed), args.engine, args.pg_url, progress=True)
    except Exception as exc:  # one line for the person, the traceback for the log
        logger.debug("generation failed", exc_info=True)
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        print(f"生成测试库失败 / generating the bench database failed: {first}", file=sys.stderr)
        return 3
    print(office.to_json(), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
