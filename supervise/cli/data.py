"""``import FORMAT FILE``: every format an importer plugin registers (SPEC §5)."""

from __future__ import annotations

import argparse
import logging

from ..importing import ProgressLine, run_import
from ..registry import get_registry
from .main import App, json_flag

logger = logging.getLogger(__name__)


def cmd_import(args: argparse.Namespace, app: App) -> int:
    spec = get_registry().importer(args.format)
    actor = app.actor()
    progress = ProgressLine(f"导入 {spec.title}", enabled=not app.json)
    try:
        result = run_import(
            actor, spec, args.file, skip_invalid=args.skip_invalid, errors_out=args.errors, progress=progress
        )
    finally:
        progress.done()
    lines = [f"已导入 imported: {result.imported}，重复 duplicates: {result.duplicates}，错误 errors: {len(result.errors)}（批次 batch {result.batch}）"]
    if result.errors_file:
        lines.append(f"错误明细 errors: {result.errors_file}")
    app.emit(result.as_dict(), lines)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("import", help="导入 import FORMAT FILE (units, staff, matters, and plugin formats)")
    p.add_argument("format", help="格式 format: units, staff, matters, …")
    p.add_argument("file", help=".xlsx 或 .csv")
    p.add_argument("--skip-invalid", action="store_true", help="导入有效行，报告其余 import the valid rows")
    p.add_argument("--errors", help="错误明细工作簿 errors workbook (default beside the input)")
    json_flag(p)
    p.set_defaults(run=cmd_import)
