"""Built-in importers of reference data: units 单位, staff 工作人员, matters 事项.

Each row is keyed by its code; a code already in the database counts as a
duplicate and is left as it is, so importing the same file twice adds
nothing.  The engine has already checked the required values; parents may
appear in the same file (units are written in file order, so a parent row
comes first or already exists).  Reference rows carry no batch mark, so
these imports cannot be undone (``import undo`` says so).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from supervise import hookimpl
from supervise.extension import Column, ImporterSpec
from supervise.importing import ImportContext, as_int
from supervise.models import UNIT_KINDS, Matter, Staff, Unit
from supervise.tabular import Row

logger = logging.getLogger(__name__)

UNIT_COLUMNS = (
    Column("单位编码", True, ("单位代码",), "唯一编码，如 U01", example="U01"),
    Column("单位名称", True, ("单位",), example="市人力资源和社会保障局"),
    Column(
        "上级单位编码", False, ("上级编码",), "两级单位树的上级；上级须已存在或在本文件中排在前面"
    ),
    Column("类型", False, ("单位类型",), "默认 部门", choices=UNIT_KINDS, example="部门"),
)
STAFF_COLUMNS = (
    Column("工号", True, ("人员编号",), "唯一工号", example="S0001"),
    Column("姓名", True, example="张三"),
    Column("单位编码", True, ("单位代码",), "须为已有单位", example="U01"),
    Column("岗位", False, ("职务",), example="综合窗口"),
)
MATTER_COLUMNS = (
    Column("事项编码", True, ("事项代码",), "唯一编码", example="M0001"),
    Column("事项名称", True, example="企业开办"),
    Column("单位编码", True, ("单位代码",), "须为已有单位", example="U01"),
    Column("法定时限", True, ("法定办结时限",), "工作日", example="20"),
    Column(
        "承诺时限",
        False,
        ("承诺办结时限",),
        "工作日；不超过法定时限（压缩目标：不超过法定时限的 25%）",
        example="5",
    ),
)


def _code(value: object) -> str:
    return str(value).strip()


def import_units(ctx: ImportContext, rows: Iterable[Row], **_: object) -> None:
    known = {code: uid for code, uid in Unit.select(Unit.code, Unit.id).tuples()}
    seen: set[str] = set()
    for row in rows:
        code, v = _code(row.cells["单位编码"]), row.cells
        kind = v.get("类型") or "部门"
        parent = _code(v["上级单位编码"]) if v.get("上级单位编码") else None
        if code in seen:
            ctx.error(row, "单位编码", "文件内编码重复 duplicate code in the file")
            continue
        seen.add(code)
        if kind not in UNIT_KINDS:
            ctx.error(row, "类型", f"类型应为 {'/'.join(UNIT_KINDS)} unknown kind")
            continue
        if parent and parent not in known:
            ctx.error(row, "上级单位编码", "上级单位编码不存在 unknown parent unit code")
            continue
        if code in known:
            ctx.duplicates += 1
            continue
        unit = Unit.create(
            code=code,
            name=str(v["单位名称"]),
            parent=known.get(parent) if parent else None,
            kind=kind,
        )
        known[code] = unit.id
        ctx.imported += 1


def import_staff(ctx: ImportContext, rows: Iterable[Row], **_: object) -> None:
    units = dict(Unit.select(Unit.code, Unit.id).tuples())
    existing = {n for (n,) in Staff.select(Staff.number).tuples()}
    seen: set[str] = set()
    batch: list[dict[str, object]] = []
    for row in rows:
        number, unit = _code(row.cells["工号"]), _code(row.cells["单位编码"])
        if number in seen:
            ctx.error(row, "工号", "文件内工号重复 duplicate staff number in the file")
            continue
        seen.add(number)
        if unit not in units:
            ctx.error(row, "单位编码", "单位编码不存在 unknown unit code")
            continue
        if number in existing:
            ctx.duplicates += 1
            continue
        batch.append(
            {
                "number": number,
                "name": str(row.cells["姓名"]),
                "unit": units[unit],
                "post": str(row.cells.get("岗位") or ""),
            }
        )
    for start in range(0, len(batch), 500):
        Staff.insert_many(batch[start : start + 500]).execute()
    ctx.imported += len(batch)


def import_matters(ctx: ImportContext, rows: Iterable[Row], **_: object) -> None:
    units = dict(Unit.select(Unit.code, Unit.id).tuples())
    existing = {c for (c,) in Matter.select(Matter.code).tuples()}
    seen: set[str] = set()
    batch: list[dict[str, object]] = []
    for row in rows:
        v = row.cells
        code, unit = _code(v["事项编码"]), _code(v["单位编码"])
        if code in seen:
            ctx.error(row, "事项编码", "文件内编码重复 duplicate code in the file")
            continue
        seen.add(code)
        if unit not in units:
            ctx.error(row, "单位编码", "单位编码不存在 unknown unit code")
            continue
        try:
            legal = as_int(v["法定时限"])
            if legal < 1:
                raise ValueError
        except ValueError:
            ctx.error(row, "法定时限", "应为正整数（工作日） must be a positive whole number")
            continue
        promised = None
        if v.get("承诺时限") not in (None, ""):
            try:
                promised = as_int(v["承诺时限"])
                if not 0 < promised <= legal:
                    raise ValueError
            except ValueError:
                ctx.error(row, "承诺时限", "应为不超过法定时限的正整数 must be 1..legal limit")
                continue
        if code in existing:
            ctx.duplicates += 1
            continue
        batch.append(
            {
                "code": code,
                "name": str(v["事项名称"]),
                "unit": units[unit],
                "legal_days": legal,
                "promised_days": promised,
            }
        )
    for start in range(0, len(batch), 500):
        Matter.insert_many(batch[start : start + 500]).execute()
    ctx.imported += len(batch)


@hookimpl
def supervise_register_importers() -> list[ImporterSpec]:
    return [
        ImporterSpec("units", "单位", UNIT_COLUMNS, import_units, "单位编码、名称、上级与类型"),
        ImporterSpec(
            "staff", "工作人员", STAFF_COLUMNS, import_staff, "工号、姓名、所属单位与岗位"
        ),
        ImporterSpec(
            "matters",
            "政务服务事项",
            MATTER_COLUMNS,
            import_matters,
            "事项编码、名称、单位、法定与承诺时限",
        ),
    ]
