"""Example third-party supervise plugin: implements every hook, each tiny and checkable.

Installed through its ``supervise`` entry point (``example = supervise_example``);
``tests/test_plugins.py`` loads it both ways (entry point and direct register).
"""

from __future__ import annotations

import csv
import datetime as dt
import logging
from collections.abc import Iterable, Mapping
from pathlib import Path

from peewee import fn

from supervise import hookimpl
from supervise.circulars import CircularData
from supervise.errors import InvalidInput
from supervise.exporting import LedgerFilter
from supervise.extension import (
    CircularSpec,
    Column,
    ExporterSpec,
    ImporterSpec,
    MenuAction,
    RuleSpec,
    ViewSpec,
)
from supervise.models import Complaint, Escalation, Unit
from supervise.rules import CaseProposal, EscalationHit, RuleContext, complaint_unanswered

logger = logging.getLogger(__name__)

#: Every change notification received, as (action, table, record_id, actor).
CHANGES: list[tuple[str, str, str | None, str]] = []
#: Labels of menu actions that were invoked.
INVOKED: list[str] = []

COLUMNS = (
    Column("单位编码", True, aliases=("unit code",), help="the unit's code"),
    Column("备注", False, help="free text"),
)


def import_rows(rows: Iterable[Mapping[str, object]], **context: object) -> int:
    """Count the rows given; rows missing a required column raise ValueError."""
    count = 0
    for row in rows:
        for column in COLUMNS:
            if column.required and not row.get(column.name):
                raise ValueError(f"row {count + 1}: {column.name} is empty")
        count += 1
    return count


def write_csv(rows: Iterable[Mapping[str, object]], path: str | Path) -> Path:
    """Write the rows to a UTF-8 csv file with a header; returns the path."""
    rows = list(rows)
    path = Path(path)
    fields = list(rows[0]) if rows else []
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
    return path


def unit_counts(unit: str | None = None) -> list[dict[str, object]]:
    """Complaints per unit (code, name, count), busiest first — no identities."""
    query = (
        Complaint.select(Unit.code, Unit.name, fn.COUNT(Complaint.id).alias("n"))
        .join(Unit, on=(Complaint.unit == Unit.id))
        .group_by(Unit.code, Unit.name)
        .order_by(fn.COUNT(Complaint.id).desc(), Unit.code)
    )
    if unit:
        query = query.where(Unit.code == unit)
    return [{"单位编码": code, "单位": name, "件数": n} for code, name, n in query.tuples()]


def export_counts(
    *, path: Path, filters: LedgerFilter, progress=None, cancel=None, **context: object
) -> int:
    """The exporter as the core calls it (docs/PLUGINS.md): complaints per unit to csv."""
    filters.only("example_csv", ("unit",))
    rows = unit_counts(filters.unit)
    if cancel is not None and cancel():
        raise RuntimeError("cancelled")
    write_csv(rows, path)
    if progress is not None:
        progress(len(rows), len(rows))
    return len(rows)


def at_least(values: Mapping[str, int], threshold: int = 3, **context: object) -> list[str]:
    """The keys whose value is at least ``threshold``, sorted."""
    return sorted(key for key, value in values.items() if value >= threshold)


def more_than(counts: Mapping[str, int], limit: int = 2, **context: object) -> list[str]:
    """The keys counted more than ``limit`` times, sorted."""
    return sorted(key for key, n in counts.items() if n > limit)


def overdue_rule(ctx: RuleContext, **context: object) -> list[EscalationHit]:
    """A unit with at least ``threshold`` unanswered complaints past due at
    ``ctx.as_of`` gets a 约谈提醒 — a rule that answers in Python, after one
    grouped query (the engine also takes a SELECT, see docs/RULES.md)."""
    threshold = ctx.int_param("threshold", 1)
    rows = (
        Complaint.select(Complaint.unit, fn.COUNT(Complaint.id))
        .where(
            complaint_unanswered(ctx.as_of)
            & (Complaint.due_at < ctx.as_of)
            & Complaint.unit.is_null(False)
        )
        .group_by(Complaint.unit)
        .tuples()
    )
    counts = {str(unit): n for unit, n in rows}
    return [
        EscalationHit("unit", int(unit), "约谈提醒", f"本单位超期未反馈工单 {counts[unit]} 件")
        for unit in at_least(counts, threshold)
    ]


def repeat_offender_rule(ctx: RuleContext, **context: object) -> list[CaseProposal]:
    """A unit whose complaints carry more than ``limit`` open escalations at
    督办 or above: one 慢作为 proposal per unit and month, citing them."""
    limit = ctx.int_param("limit")
    high = ("督办", "挂牌督办")
    rows = (
        Escalation.select(Complaint.unit, Escalation.id)
        .join(
            Complaint,
            on=((Escalation.target_kind == "complaint") & (Escalation.target_id == Complaint.id)),
        )
        .where(
            (Escalation.state == "open")
            & Escalation.level.in_(high)
            & Complaint.unit.is_null(False)
            & (Escalation.updated_at <= ctx.as_of)
        )
        .order_by(Escalation.id)
        .tuples()
    )
    cited: dict[str, list[int]] = {}
    for unit, escalation in rows:
        cited.setdefault(str(unit), []).append(escalation)
    month = ctx.as_of.strftime("%Y-%m")
    return [
        CaseProposal(
            f"unit:{unit}:{month}",
            "unit",
            int(unit),
            None,
            "慢作为",
            [{"kind": "escalation", "id": e} for e in cited[unit]],
            f"{month} 本单位督办及以上在办 {len(cited[unit])} 件",
        )
        for unit in more_than({u: len(ids) for u, ids in cited.items()}, limit)
    ]


def overdue_units(as_of: dt.datetime) -> list[tuple[str, int]]:
    """(unit name, unanswered complaints past due at ``as_of``), most first."""
    rows = (
        Complaint.select(Unit.name, fn.COUNT(Complaint.id))
        .join(Unit, on=(Complaint.unit == Unit.id))
        .where(complaint_unanswered(as_of) & (Complaint.due_at < as_of))
        .group_by(Unit.name)
        .order_by(fn.COUNT(Complaint.id).desc(), Unit.name)
        .tuples()
    )
    return [(name, n) for name, n in rows]


def overdue_circular(*, as_of: dt.datetime, date: dt.date, **context: object) -> CircularData:
    """A 超期通报: the units with unanswered complaints past due, through the
    core's ``criticism.txt`` wording (a plugin may ship its own template as
    ``"package:file.txt"``)."""
    units = overdue_units(as_of)
    if not units:
        raise InvalidInput(
            "没有超期未反馈的单位，无须通报", "no unit has unanswered complaints past due"
        )
    names = [name for name, _ in units]
    summary = names[0] if len(names) == 1 else f"{names[0]}等{len(names)}个单位"
    items = [
        {
            "对象": name,
            "问题类型": "超期未反馈",
            "事实": f"截至{as_of:%Y年%m月%d日}，有{n}件诉求超过办理时限未反馈。",
            "证据": "",
            "决定日期": f"{date.year}年{date.month}月{date.day}日",
            "处理": "予以通报",
            "依据": "",
            "单位": name,
        }
        for name, n in units
    ]
    return CircularData(
        values={"单位概括": summary, "问题概括": "超期未反馈", "件数": str(len(items))},
        lists={"案件列表": items},
        subject=f"超期未反馈 {len(items)} 个单位",
    )


def say_hello(**context: object) -> str:
    INVOKED.append("示例问候")
    return "你好"


class ExampleView:
    """A stand-in view: remembers its parent (a real view would be a ttk.Frame)."""

    def __init__(self, parent: object, **context: object) -> None:
        self.parent = parent


@hookimpl
def supervise_register_importers() -> list[ImporterSpec]:
    return [ImporterSpec("example", "示例导入", COLUMNS, import_rows, "example import format")]


@hookimpl
def supervise_register_exporters() -> list[ExporterSpec]:
    return [ExporterSpec("example_csv", "示例导出", export_counts, "complaints per unit to csv")]


@hookimpl
def supervise_register_escalation_rules() -> list[RuleSpec]:
    return [RuleSpec("example_rule", "示例督办规则", "escalation", overdue_rule, {"threshold": 3})]


@hookimpl
def supervise_register_accountability_rules() -> list[RuleSpec]:
    return [
        RuleSpec(
            "example_accountability",
            "示例问责规则",
            "accountability",
            repeat_offender_rule,
            {"limit": 2},
        )
    ]


@hookimpl
def supervise_register_circulars() -> list[CircularSpec]:
    return [CircularSpec("example_circular", "示例超期通报", "criticism.txt", overdue_circular)]


@hookimpl
def supervise_gui_menu_actions() -> list[MenuAction]:
    return [MenuAction("工具", "示例问候", say_hello, roles=("admin",))]


@hookimpl
def supervise_gui_views() -> list[ViewSpec]:
    return [ViewSpec("example_view", "示例页面", ExampleView)]


@hookimpl
def supervise_default_settings() -> dict[str, object]:
    return {"example.threshold": 3}


@hookimpl
def supervise_record_changed(action: str, table: str, record_id: str | None, actor: str) -> None:
    CHANGES.append((action, table, record_id, actor))


@hookimpl
def supervise_circular_font(role: str) -> str | None:
    return None
