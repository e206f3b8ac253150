"""Example third-party supervise plugin: implements every hook, each tiny and checkable.

Installed through its ``supervise`` entry point (``example = supervise_example``);
``tests/test_plugins.py`` loads it both ways (entry point and direct register).
"""

from __future__ import annotations

import csv
import logging
from collections.abc import Iterable, Mapping
from pathlib import Path

from supervise import hookimpl
from supervise.extension import (
    CircularSpec,
    Column,
    ExporterSpec,
    ImporterSpec,
    MenuAction,
    RuleSpec,
    ViewSpec,
)

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


def export_rows(rows: Iterable[Mapping[str, object]], path: str | Path, **context: object) -> Path:
    """Write the rows to a UTF-8 csv file with a header; returns the path."""
    rows = list(rows)
    path = Path(path)
    fields = list(rows[0]) if rows else []
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
    return path


def overdue_rule(
    overdue_days: Mapping[str, int], threshold: int = 3, **context: object
) -> list[str]:
    """The record ids overdue by at least ``threshold`` days, sorted."""
    return sorted(rid for rid, days in overdue_days.items() if days >= threshold)


def repeat_offender_rule(counts: Mapping[str, int], limit: int = 2, **context: object) -> list[str]:
    """The units with more than ``limit`` cases, sorted."""
    return sorted(unit for unit, n in counts.items() if n > limit)


def write_circular(title: str, body: str, path: str | Path, **context: object) -> Path:
    """Write a plain-text stand-in for a circular; returns the path."""
    path = Path(path)
    path.write_text(f"{title}\n\n{body}\n", encoding="utf-8")
    return path


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
    return [ExporterSpec("example_csv", "示例导出", export_rows, "rows to csv")]


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
    return [CircularSpec("example_circular", "示例通报", "example.txt", write_circular)]


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
