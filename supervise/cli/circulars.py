"""``circular KIND --out FILE [--month YYYY-MM] [--case ID …]`` (SPEC §7, §8)."""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import sys

from ..circulars import CircularService
from ..errors import InvalidInput, UsageError
from .admin import parse_date
from .complaints import parse_datetime
from .main import App, json_flag

logger = logging.getLogger(__name__)


def parse_month(text: str) -> dt.date:
    try:
        return dt.datetime.strptime(text.strip(), "%Y-%m").date()
    except ValueError:
        raise InvalidInput(f"月份格式应为 YYYY-MM：{text}", f"months are YYYY-MM: {text}") from None


def cmd_circular(args: argparse.Namespace, app: App) -> int:
    service = CircularService(app.actor())
    if args.list:
        kinds = [
            {"name": k.name, "title": k.title, "template": k.template, "description": k.description}
            for k in service.kinds()
        ]
        app.emit(
            {"kinds": kinds}, [f"{k['name']:<14} {k['title']}  {k['description']}" for k in kinds]
        )
        return 0
    if not args.kind or not args.out:
        raise UsageError(
            "请给出通报类型和 --out 文件（或用 --list 查看类型）",
            "give the circular KIND and --out FILE (or --list the kinds)",
        )
    result = service.issue(
        args.kind,
        args.out,
        month=parse_month(args.month) if args.month else None,
        cases=args.case or (),
        date=parse_date(args.date) if args.date else None,
        as_of=parse_datetime(args.as_of) if args.as_of else None,
    )
    for warning in result["warnings"]:
        print(f"supervise: 警告 / warning: {warning}", file=sys.stderr)
    app.emit(
        result,
        [
            f"已印发 issued: {result['number']}  {result['title']}",
            f"文件 file: {result['file']}（{result['pages']} 页 pages）",
        ],
    )
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "circular", help="通报 circular KIND --out FILE [--month YYYY-MM] [--case ID …]"
    )
    p.add_argument("kind", nargs="?", help="通报类型 kind: criticism / commendation / monthly …")
    p.add_argument("--out", help="输出 PDF 文件 the PDF to write")
    p.add_argument("--month", help="月份 YYYY-MM")
    p.add_argument(
        "--case",
        nargs="+",
        action="extend",
        help="问责案件编号或工单号 case ids (criticism) or complaint numbers (commendation)",
    )
    p.add_argument("--date", help="成文日期 YYYY-MM-DD（默认今天 default today）")
    p.add_argument("--as-of", dest="as_of", help="统计截止 as-of time, ISO (monthly)")
    p.add_argument("--list", action="store_true", help="列出通报类型 list the kinds")
    json_flag(p)
    p.set_defaults(run=cmd_circular)
