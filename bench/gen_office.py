"""The generated office's reference data: 300 units in a two-level tree, their matters and staff.

The 30 top-level units are the demo catalogue's departments and districts
plus :data:`EXTRA_DEPARTMENTS`; each has nine children (windows, or streets
and towns under a district) that share its matters.  :func:`unit_weights`
gives the Zipf-like skew by which complaints, ratings and import rows pick
their unit, the same in every month and file.  :func:`write_reference`
writes the units, matters and staff; :func:`reference_only` makes a database
holding only those, for the import figures.
"""

from __future__ import annotations

import itertools
import logging
import random
from dataclasses import dataclass, field

from supervise import migrations
from supervise.db import close_database, open_database, write_transaction
from supervise.demo import catalogue, names

from .gen_spec import Spec
from .gen_write import reset_sequence, write_rows

logger = logging.getLogger(__name__)

ZIPF_UNITS = 1.0  # exponent of the unit skew
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


@dataclass
class OfficeUnit:
    id: int
    code: str
    name: str
    kind: str
    parent_id: int | None
    matters: list[tuple[int, str]] = field(default_factory=list)  # (id, name), own or the parent's
    staff: list[tuple[int, str]] = field(default_factory=list)


def make_units(rng: random.Random) -> list[OfficeUnit]:
    tops: list[tuple[str, str, list[str]]] = []  # (name, kind, matter names)
    for name, kind, _weight, _children in catalogue.DEPARTMENTS:
        tops.append((name, kind, [m for m, _ in catalogue.DEPARTMENT_MATTERS[name]]))
    for name, subjects in EXTRA_DEPARTMENTS:
        tops.append((name, "部门", [s + f for s in subjects for f in MATTER_FORMS[:4]]))
    for name, kind, _weight, _children in catalogue.DISTRICTS:
        tops.append((name, kind, [m for m, _ in catalogue.DISTRICT_MATTERS]))
    units: list[OfficeUnit] = []
    for i, (name, kind, _matters) in enumerate(tops, 1):
        units.append(OfficeUnit(i, f"U{i:02d}", name, kind, None))
    streets = iter(itertools.cycle(STREETS))
    for parent in list(units):
        for k in range(1, CHILDREN + 1):
            if parent.kind == "区县" and k > 4:
                child_name, child_kind = parent.name + next(streets), "乡镇街道"
            else:
                short = parent.name.removeprefix("市")
                child_name, child_kind = short + WINDOW_NAMES[(k - 1) % len(WINDOW_NAMES)], "窗口"
            units.append(
                OfficeUnit(
                    len(units) + 1, f"{parent.code}{k:02d}", child_name, child_kind, parent.id
                )
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


def write_reference(units: list[OfficeUnit], rng: random.Random) -> tuple[int, int]:
    """Units, matters and staff of the office, one transaction; return (matters, staff)."""
    with write_transaction():
        write_rows(
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
        write_rows(
            "matter",
            ("id", "version", "code", "name", "unit_id", "legal_days", "promised_days"),
            matter_rows,
        )
        staff_rows = [
            (sid, 1, f"S{sid:05d}", name, u.id, "窗口受理员", 1)
            for u in units
            for sid, name in u.staff
        ]
        write_rows(
            "staff", ("id", "version", "number", "name", "unit_id", "post", "active"), staff_rows
        )
        for table in ("unit", "matter", "staff"):
            reset_sequence(table)
    return len(matter_rows), len(staff_rows)


def reference_only(url: str, spec: Spec) -> list[str]:
    """Fill the empty database at ``url`` with ``spec``'s units, matters and staff only.

    The import figures start from this: the same office, no records yet.
    Returns the unit codes.
    """
    open_database(url)
    try:
        migrations.upgrade()
        units = make_units(random.Random(spec.seed))
        write_reference(units, random.Random(spec.seed))
        return [u.code for u in units]
    finally:
        close_database()
