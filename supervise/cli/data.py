"""``import …``: every format an importer plugin registers, and the batches (SPEC §5, §8).

    import FORMAT FILE [--skip-invalid] [--errors OUT.xlsx] [--json]
    import formats [--json]                      the formats and their columns
    import template FORMAT --out FILE.xlsx       a blank template workbook
    import list [--format F] [--limit N] [--json]
    import undo BATCH [--json]

``formats``, ``template``, ``list`` and ``undo`` are reserved words: a
plugin format of that name cannot be imported from the command line.
"""

from __future__ import annotations

import argparse
import logging
import sys
from typing import Any

from ..errors import UsageError
from ..import_batches import ImportBatches
from ..importing import ProgressLine, run_import
from ..registry import get_registry
from .main import App, integer, json_flag

logger = logging.getLogger(__name__)

ACTIONS = ("formats", "template", "list", "undo")


def _need(args: argparse.Namespace, what: str, zh: str) -> str:
    if not args.arg:
        raise UsageError(f"缺少参数：{zh}", f"missing argument: {what}")
    return args.arg


def cmd_import(args: argparse.Namespace, app: App) -> int:
    handler = {"formats": _formats, "template": _template, "list": _list, "undo": _undo}.get(
        args.target
    )
    if handler is not None:
        return handler(args, app)
    path = _need(args, "FILE", "文件")
    actor = app.actor()  # logs in first: the drop-in folder setting can add formats
    spec = get_registry().importer(args.target)
    progress = ProgressLine(f"导入 {spec.title}", enabled=not app.json)
    try:
        result = run_import(
            actor,
            spec,
            path,
            skip_invalid=args.skip_invalid,
            errors_out=args.errors,
            progress=progress,
        )
    finally:
        progress.done()
    lines = [
        f"已导入 imported: {result.imported}，重复 duplicates: {result.duplicates}，"
        f"错误 errors: {len(result.errors)}（批次 batch {result.batch}，读取 read {result.read} 行）"
    ]
    if result.imported == 0 and result.duplicates and not result.errors:
        lines.append(
            "文件中的记录均已导入过，未新增 / every row was imported before; nothing added"
        )
    if result.errors_file:
        print(
            f"supervise: {len(result.errors)} 行有错误未导入，见 {result.errors_file} / "
            f"{len(result.errors)} bad values not imported; see {result.errors_file}",
            file=sys.stderr,
        )
    app.emit(result.as_dict(), lines)
    return 0


def _column(c: Any) -> dict[str, Any]:
    return {
        "name": c.name,
        "required": c.required,
        "aliases": list(c.aliases),
        "choices": list(c.choices),
        "help": c.help,
        "example": c.example,
    }


def _formats(args: argparse.Namespace, app: App) -> int:
    specs = get_registry().importers()
    data = {
        "formats": [
            {
                "name": s.name,
                "title": s.title,
                "description": s.description,
                "columns": [_column(c) for c in s.columns],
            }
            for s in specs
        ]
    }
    lines = []
    for s in specs:
        lines.append(f"{s.name:<10} {s.title}")
        lines += [
            f"    {'*' if c.required else ' '} {c.name}"
            + (f"（{'/'.join(c.choices)}）" if c.choices else "")
            for c in s.columns
        ]
    app.emit(data, lines)
    return 0


def _template(args: argparse.Namespace, app: App) -> int:
    from ..import_templates import write_template

    spec = get_registry().importer(_need(args, "FORMAT", "格式"))
    if not args.out:
        raise UsageError("请用 --out 指定模板文件", "give the template file with --out")
    path = write_template(spec, args.out)
    app.emit(
        {"format": spec.name, "file": str(path), "columns": [c.name for c in spec.columns]},
        f"已生成模板 template written: {path}",
    )
    return 0


def _list(args: argparse.Namespace, app: App) -> int:
    data = ImportBatches(app.actor()).list(format=args.format, limit=args.limit)
    lines = [f"共 total {data['total']}"] + [
        f"  #{b['batch']:<5} {b['format']:<9} {b['state']:<4} {b['started_at']}  {b['user'] or '—'}  "
        f"导入 {b['imported']} 重复 {b['duplicates']} 错误 {b['errors']}  {b['file']}"
        for b in data["items"]
    ]
    app.emit(data, lines)
    return 0


def _undo(args: argparse.Namespace, app: App) -> int:
    text = _need(args, "BATCH", "批次号")
    try:
        batch = int(text)
    except ValueError:
        raise UsageError(f"批次号应为整数：{text}", f"the batch is a number: {text}") from None
    data = ImportBatches(app.actor()).undo(batch)
    removed = "，".join(f"{k} {v}" for k, v in data["removed"].items()) or "—"
    app.emit(data, f"已撤销批次 batch {batch} undone（删除 removed: {removed}）")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "import",
        help="导入 import FORMAT FILE；import formats|list|undo BATCH|template FORMAT --out FILE",
        description=__doc__.split("\n\n")[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "target",
        metavar="FORMAT|formats|template|list|undo",
        help="导入格式（ratings, hotline, survey, findings, units, staff, matters, …）或操作",
    )
    p.add_argument(
        "arg", nargs="?", metavar="FILE|BATCH|FORMAT", help=".xlsx 或 .csv 文件；批次号；模板的格式"
    )
    p.add_argument(
        "--skip-invalid", action="store_true", help="导入有效行，报告其余 import the valid rows"
    )
    p.add_argument("--errors", help="错误明细工作簿 errors workbook (default beside the input)")
    p.add_argument("--out", help="模板文件 template file (.xlsx)")
    p.add_argument("--format", help="import list: 只列此格式 only this format")
    p.add_argument("--limit", type=integer, default=50, help="import list: 条数 rows (default 50)")
    json_flag(p)
    p.set_defaults(run=cmd_import)
