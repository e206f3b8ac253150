"""``export NAME --out FILE`` (Excel ledgers) and ``report monthly`` (SPEC §6, §8, §11).

openpyxl and reportlab are imported by the handlers, not when the parser is
built, so that other commands start quickly.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time

from .. import permissions
from ..errors import UsageError
from .admin import parse_date
from .complaints import parse_datetime
from .main import App, json_flag

logger = logging.getLogger(__name__)


class Progress:
    """A one-line progress display on stderr (only on a terminal, never with ``--json``)."""

    def __init__(self, label: str, enabled: bool = True, unit: str = "行 rows") -> None:
        self.label, self.unit = label, unit
        self.enabled = enabled and sys.stderr.isatty()
        self.start = time.monotonic()
        self.shown = False

    def __call__(self, done: int, total: int | None = None) -> None:
        if not self.enabled:
            return
        elapsed = time.monotonic() - self.start
        share = f" ({done / total:.0%})" if total else ""
        of = f" / {total:,}" if total is not None else ""
        sys.stderr.write(f"\r{self.label}: {done:,}{of} {self.unit}{share}, {elapsed:5.1f} s")
        sys.stderr.flush()
        self.shown = True

    def done(self) -> None:
        if self.shown:
            sys.stderr.write("\n")


def cmd_export(args: argparse.Namespace, app: App) -> int:
    from ..exporting import LedgerFilter, run_export
    from ..registry import get_registry

    actor = app.actor()
    spec = get_registry().exporter(args.name)
    filters = LedgerFilter(
        month=args.month,
        status=args.status,
        unit=args.unit,
        category=args.category,
        channel=args.channel,
        level=args.level,
        search=args.search,
        date_from=parse_date(args.date_from) if args.date_from else None,
        date_to=parse_date(args.date_to) if args.date_to else None,
        overdue=args.overdue,
        bad_only=args.bad,
        as_of=parse_datetime(args.as_of) if args.as_of else None,
    )
    progress = Progress(f"导出 {spec.title}", enabled=not app.json)
    try:
        result = run_export(
            actor, args.name, args.out, filters, unmask=args.unmask, progress=progress
        )
    finally:
        progress.done()
    rows = f"{result.rows:,} 行 rows" if result.rows is not None else ""
    masked = "，含完整身份信息（已留痕） identities unmasked (audited)" if result.unmasked else ""
    app.emit(result.as_dict(), f"已导出 exported {result.title}：{rows}{masked} → {result.path}")
    return 0


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.2f}%"


def cmd_report_monthly(args: argparse.Namespace, app: App) -> int:
    if not args.out and not app.json:
        raise UsageError(
            "请用 --out DIR 指定输出目录（或用 --json 只输出数字）",
            "give --out DIR (or --json for the figures only)",
        )
    from ..report import monthly_figures, write_monthly

    actor = app.actor()
    as_of = parse_datetime(args.as_of) if args.as_of else None
    progress = Progress(f"月报 {args.month}", enabled=not app.json, unit="步 steps")
    try:
        if args.out:
            figures = monthly_figures(args.month, as_of)
            files = write_monthly(actor, args.month, as_of, args.out, progress, figures=figures)
        else:
            permissions.require(actor.role, "report", actor.name)
            figures, files = monthly_figures(args.month, as_of), []
    finally:
        progress.done()
    t = figures["total"]
    lines = [
        f"月报 {figures['月份']}（截止 as of {figures['截止时间']}）",
        f"受理量 {t['受理量']:,}  按期办结率 {_pct(t['按期办结率'])}  满意率 {_pct(t['满意率'])}  "
        f"解决率 {_pct(t['解决率'])}  好评率 {_pct(t['好评率'])}  综合得分 {t['综合得分'] if t['综合得分'] is not None else '—'}",
        "流动红旗 red flag: " + ("、".join(r["单位名称"] for r in figures["流动红旗"]) or "—"),
    ]
    lines += [
        f"  {r['排名']:>3}  {r['单位名称']}  {r['综合得分']:.2f}" for r in figures["ranking"][:10]
    ]
    lines += [f"已生成 written: {p}" for p in files]
    app.emit({**figures, "files": [str(p) for p in files]}, lines)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "export",
        help="导出台账 export NAME --out FILE (complaints, ratings, reviews, escalations, "
        "accountability, monthly)",
    )
    p.add_argument(
        "name", help="台账 complaints / ratings / reviews / escalations / accountability / monthly"
    )
    p.add_argument("--out", required=True, help="输出文件 output .xlsx")
    p.add_argument("--month", help="月份 YYYY-MM")
    p.add_argument(
        "--unmask", action="store_true", help="导出完整身份信息（留痕） full identities (audited)"
    )
    p.add_argument("--status", help="状态 status")
    p.add_argument("--unit", help="单位编码 unit code")
    p.add_argument("--category", help="类别 category (complaints)")
    p.add_argument("--channel", help="渠道 channel (complaints, ratings)")
    p.add_argument("--level", help="级别/等级 level (escalations, ratings)")
    p.add_argument("--search", help="关键词 keyword(s) (complaints)")
    p.add_argument("--from", dest="date_from", help="日期起 YYYY-MM-DD")
    p.add_argument("--to", dest="date_to", help="日期止 YYYY-MM-DD")
    p.add_argument(
        "--overdue", action="store_true", help="仅超期 overdue only (complaints, ratings)"
    )
    p.add_argument("--bad", action="store_true", help="仅差评 bad ratings only")
    p.add_argument("--as-of", help="截止时间 ISO (monthly)")
    json_flag(p)
    p.set_defaults(run=cmd_export)

    group = sub.add_parser(
        "report", help="月报 report monthly --month YYYY-MM --out DIR"
    ).add_subparsers(dest="kind", metavar="KIND", required=True)
    p = group.add_parser("monthly", help="月度报告 xlsx + PDF")
    p.add_argument("--month", required=True, help="月份 YYYY-MM")
    p.add_argument("--as-of", help="统计截止时间 ISO, e.g. 2026-11-05T12:00 (default now)")
    p.add_argument("--out", help="输出目录 output folder (optional with --json)")
    json_flag(p)
    p.set_defaults(run=cmd_report_monthly)
