"""The import files of the generated office: what the imports suite reads.

Written once per spec into ``bench/.cache/files-<key>/``
(:func:`bench.cache.cache_dir`; the generator's cache key, so a new
generator version writes them again):

- ``ratings.xlsx`` 好差评评价明细: ``Spec.import_rows["ratings.xlsx"]`` rows
  (1,000,000 at full scale, issue #4's figure), 16 columns, a title row
  above the header, Excel date cells, levels as words and digits, rater
  names on the real-name ones;
- ``ratings.csv``: other ratings (other ids) as UTF-8 with a BOM, as the
  provincial platform exports them;
- ``hotline.xlsx`` 12345工单: orders of the month with their whole story
  (assigned, replied, visited, closed) for most, still with the unit for
  the rest.

Every row names the office's own units, staff and matters with the same
skew as the complaints (:func:`bench.gen_office.unit_weights`), so the files
import into a database that holds only the office's reference data
(:func:`bench.gen_office.reference_only`).  Rows follow from the seed; the
files' bytes also carry the workbook's creation time.
"""

from __future__ import annotations

import bisect
import csv
import datetime as dt
import itertools
import logging
import random
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from openpyxl import Workbook

from supervise.demo import names, words

from .cache import cache_dir
from .gen_complaints import template_fill
from .gen_office import make_units, unit_weights
from .gen_spec import Spec

logger = logging.getLogger(__name__)

RATING_HEADER = [
    "评价编号",
    "评价时间",
    "单位编码",
    "单位名称",
    "服务窗口",
    "工作人员工号",
    "工作人员姓名",
    "事项编码",
    "事项名称",
    "评价渠道",
    "评价等级",
    "差评原因",
    "评价内容",
    "评价人",
    "联系电话",
    "是否实名",
]
HOTLINE_HEADER = [
    "工单编号",
    "受理时间",
    "诉求类型",
    "诉求内容",
    "承办单位编码",
    "承办单位",
    "诉求渠道",
    "诉求人",
    "联系电话",
    "是否匿名",
    "涉及事项编码",
    "交办时间",
    "办理时限",
    "反馈时间",
    "办理结果",
    "回访时间",
    "回访结果",
    "是否解决",
    "办结时间",
]
LEVEL_WORDS = {5: "非常满意", 4: "满意", 3: "基本满意", 2: "不满意", 1: "非常不满意"}


def folder(spec: Spec) -> Path:
    return cache_dir() / f"files-{spec.key}"


class _Office:
    """The office's units, staff and matters, drawn with the complaints' skew."""

    def __init__(self, spec: Spec, rng: random.Random) -> None:
        self.units = make_units(random.Random(spec.seed))
        self.cum = list(itertools.accumulate(unit_weights(spec.seed, len(self.units))))
        self.rng = rng
        self.start = dt.datetime.strptime(spec.month, "%Y-%m")

    def pick(self) -> tuple[Any, tuple[int, str], tuple[int, str]]:
        """A unit (skewed), one of its staff and one of its matters: (unit, (id, name), (id, name))."""
        unit = self.units[bisect.bisect(self.cum, self.rng.random() * self.cum[-1])]
        staff = unit.staff[self.rng.randrange(len(unit.staff))]
        return unit, staff, unit.matters[self.rng.randrange(len(unit.matters))]

    def moment(self) -> dt.datetime:
        """A time in the month's first 28 days, office hours mostly."""
        day = self.rng.randrange(28)
        hour = self.rng.choice((8, 9, 9, 10, 10, 11, 14, 14, 15, 15, 16, 17, 19))
        return self.start + dt.timedelta(days=day, hours=hour, seconds=self.rng.randrange(3600))


def _pick(rng: random.Random, weights: Mapping[Any, float]) -> Any:
    return rng.choices(list(weights), list(weights.values()))[0]


def rating_rows(spec: Spec, count: int, prefix: str) -> Iterator[list[Any]]:
    """``count`` ratings rows in RATING_HEADER order (dates as date-times)."""
    rng = random.Random(f"ratings-{prefix}-{spec.seed}")
    office = _Office(spec, rng)
    for i in range(count):
        unit, (sid, staff), (mid, matter) = office.pick()
        level = _pick(rng, words.RATING_LEVEL_WEIGHTS)
        real = rng.random() < (0.6 if level <= 2 else 0.2)
        bad = level <= 2
        yield [
            f"{prefix}{spec.month.replace('-', '')}{i:08d}",
            office.moment(),
            unit.code,
            unit.name,
            f"{unit.id % 7 + 1}号窗口",
            f"S{sid:05d}",
            staff,
            f"M{mid:04d}",
            matter,
            _pick(rng, words.RATING_CHANNEL_WEIGHTS),
            LEVEL_WORDS[level] if i % 2 else level,
            rng.choice(words.BAD_REASONS) if bad else None,
            rng.choice(words.BAD_COMMENTS if bad else words.GOOD_COMMENTS),
            names.person(rng) if real else None,
            names.phone(rng) if real else None,
            "是" if real else "否",
        ]


def hotline_rows(spec: Spec, count: int) -> Iterator[list[Any]]:
    """``count`` 12345 orders in HOTLINE_HEADER order."""
    rng = random.Random(f"hotline-{spec.seed}")
    office = _Office(spec, rng)
    for i in range(count):
        unit, (_sid, staff), (mid, matter) = office.pick()
        category = _pick(rng, words.CATEGORY_WEIGHTS)
        fill = template_fill(rng, unit.name, matter, staff)
        received = office.moment()
        anonymous = rng.random() < 0.1
        assigned = received + dt.timedelta(minutes=rng.randint(10, 240))
        limit = rng.choice((1, 3, 5, 10))
        row: list[Any] = [
            f"GD{spec.month.replace('-', '')}{i:07d}",
            received,
            category,
            rng.choice(words.CONTENTS[category]).format(**fill),
            unit.code,
            unit.name,
            "12345热线",
            None if anonymous else names.person(rng),
            None if anonymous else names.phone(rng),
            "是" if anonymous else "否",
            f"M{mid:04d}",
            assigned,
            limit,
        ]
        if rng.random() < 0.3:  # still with the unit
            row += [None] * 6
        else:
            replied = assigned + dt.timedelta(hours=rng.randint(2, 24 * limit + 24))
            visited = replied + dt.timedelta(hours=rng.randint(4, 48))
            result = rng.choices(("满意", "基本满意", "不满意"), (70, 22, 8))[0]
            resolved = result != "不满意"
            closed = visited + dt.timedelta(hours=2) if resolved else None
            row += [
                replied,
                rng.choice(words.REPLIES).format(**fill),
                visited,
                result,
                "是" if resolved else "否",
                closed,
            ]
        yield row


def write_xlsx(
    path: Path, title: str, sheet_name: str, header: list[str], rows: Iterator[list[Any]]
) -> None:
    book = Workbook(write_only=True)
    sheet = book.create_sheet(sheet_name)
    sheet.append([title])
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    tmp = path.with_suffix(".part")
    book.save(tmp)
    tmp.replace(path)


def _csv(path: Path, header: list[str], rows: Iterator[list[Any]]) -> None:
    tmp = path.with_suffix(".part")
    with tmp.open("w", encoding="utf-8-sig", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(header)
        for row in rows:
            out.writerow(
                [
                    ""
                    if v is None
                    else f"{v:%Y-%m-%d %H:%M:%S}"
                    if isinstance(v, dt.datetime)
                    else v
                    for v in row
                ]
            )
    tmp.replace(path)


def ensure_files(spec: Spec) -> dict[str, Path]:
    """The import files of ``spec`` (written when missing); name → path."""
    where = folder(spec)
    where.mkdir(parents=True, exist_ok=True)
    sizes = spec.import_rows
    writers = {
        "ratings.xlsx": lambda p: write_xlsx(
            p,
            "政务服务好差评评价明细（导出）",
            "评价明细",
            RATING_HEADER,
            rating_rows(spec, sizes["ratings.xlsx"], "PJ"),
        ),
        "ratings.csv": lambda p: _csv(
            p, RATING_HEADER, rating_rows(spec, sizes["ratings.csv"], "PC")
        ),
        "hotline.xlsx": lambda p: write_xlsx(
            p,
            "12345热线工单明细",
            "工单",
            HOTLINE_HEADER,
            hotline_rows(spec, sizes["hotline.xlsx"]),
        ),
    }
    paths = {}
    for name, write in writers.items():
        path = where / name
        if not path.exists():
            write(path)
        paths[name] = path
    return paths


__all__ = ["HOTLINE_HEADER", "RATING_HEADER", "ensure_files", "hotline_rows", "rating_rows"]
