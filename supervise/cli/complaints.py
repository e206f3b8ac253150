"""``complaint …`` and ``track CODE`` (SPEC §8, §11)."""

from __future__ import annotations

import argparse
import datetime as dt
import logging

from ..errors import InvalidInput
from ..models import CARDS, CATEGORIES, CHANNELS, VISIT_RESULTS
from ..services.complaint_queries import ComplaintFilter, ComplaintQueries, track
from ..services.complaints import ComplaintService, format_receipt
from .admin import parse_date
from .main import App, integer, json_flag

logger = logging.getLogger(__name__)


def parse_datetime(text: str) -> dt.datetime:
    try:
        return dt.datetime.fromisoformat(text).replace(microsecond=0, tzinfo=None)
    except ValueError:
        raise InvalidInput(
            f"时间格式应为 2026-10-05T14:03：{text}",
            f"date-times are ISO like 2026-10-05T14:03: {text}",
        ) from None


def _yes_no(text: str) -> bool:
    if text.lower() in ("yes", "y", "是", "1", "true"):
        return True
    if text.lower() in ("no", "n", "否", "0", "false"):
        return False
    raise InvalidInput(f"应为 yes 或 no：{text}", f"expected yes or no: {text}")


def cmd_add(args: argparse.Namespace, app: App) -> int:
    c = ComplaintService(app.actor()).register(
        channel=args.channel,
        category=args.category,
        content=args.content,
        title=args.title or "",
        unit=args.unit,
        staff=args.staff,
        matter=args.matter,
        name=args.name,
        phone=args.phone,
        id_no=args.id_no,
        anonymous=args.anonymous,
        received=parse_datetime(args.received) if args.received else None,
    )
    code = format_receipt(c.receipt_code)
    app.emit(
        {"number": c.number, "receipt_code": code, "status": c.status},
        [f"已登记 registered: {c.number}", f"查询码 receipt code: {code}"],
    )
    return 0


def cmd_assign(args: argparse.Namespace, app: App) -> int:
    c = ComplaintService(app.actor()).assign(
        args.number, args.unit, card=args.card, limit=args.limit
    )
    app.emit(
        {"number": c.number, "due_at": c.due_at.isoformat(sep=" "), "status": c.status},
        f"已交办 assigned: {c.number} → {args.unit}，{c.due_at:%Y-%m-%d} 前办结 due",
    )
    return 0


def cmd_reply(args: argparse.Namespace, app: App) -> int:
    c, on_time = ComplaintService(app.actor()).reply(args.number, args.text)
    app.emit(
        {"number": c.number, "status": c.status, "on_time": on_time},
        f"已反馈 replied: {c.number}（{'按期 on time' if on_time else '超期 late'}）",
    )
    return 0


def cmd_visit(args: argparse.Namespace, app: App) -> int:
    c, reopened = ComplaintService(app.actor()).visit(
        args.number, args.result, _yes_no(args.resolved), args.note
    )
    app.emit(
        {
            "number": c.number,
            "status": c.status,
            "reopened": reopened,
            "reopen_count": c.reopen_count,
        },
        f"已回访 visited: {c.number}" + ("，已重办 reopened" if reopened else ""),
    )
    return 0


def _show(app: App, number: str, unmask: bool = False) -> None:
    data = ComplaintQueries(app.actor()).show(number, unmask=unmask)
    lines = [
        f"{data['number']}  {data['status']}  {data['category']}  {data['channel']}",
        f"单位 unit: {data['unit'] or '—'}   受理 received: {data['received_at']}   期限 due: {data['due_at'] or '—'}",
        f"内容 content: {data['content']}",
    ]
    if data["complainant"]:
        lines.append(
            "诉求人 complainant: "
            + (
                "匿名 anonymous"
                if data["complainant"].get("anonymous")
                else f"{data['complainant']['name'] or ''} {data['complainant']['phone'] or ''} {data['complainant']['id_no'] or ''}"
            )
        )
    lines += [
        f"  {e['at']}  {e['action']:<6} {e['status'] or '':<5} {e['actor']}  {e['note']}"
        for e in data["timeline"]
    ]
    app.emit(data, lines)


def cmd_close(args: argparse.Namespace, app: App) -> int:
    ComplaintService(app.actor()).close(args.number, args.note)
    _show(app, args.number)
    return 0


def cmd_show(args: argparse.Namespace, app: App) -> int:
    _show(app, args.number, args.unmask)
    return 0


def cmd_list(args: argparse.Namespace, app: App) -> int:
    f = ComplaintFilter(
        status=args.status,
        unit=args.unit,
        category=args.category,
        channel=args.channel,
        search=args.search,
        received_from=parse_date(args.date_from) if args.date_from else None,
        received_to=parse_date(args.date_to) if args.date_to else None,
        overdue=args.overdue,
        limit=args.limit,
        offset=args.offset,
    )
    data = ComplaintQueries(app.actor()).list(f)
    lines = [f"共 {data['total']} 件 total"]
    lines += [
        f"{i['number']}  {i['status']:<4} {i['category']}  {(i['unit'] or '—'):<12} {i['received_at']}"
        f"{'  超期' if i['overdue'] else ''}  {i['title']}"
        for i in data["items"]
    ]
    app.emit(data, lines)
    return 0


def cmd_simple(action: str):
    def run(args: argparse.Namespace, app: App) -> int:
        service = ComplaintService(app.actor())
        if action == "dispute":
            c = service.dispute(args.number, args.reason)
        elif action == "extend":
            c = service.request_extension(args.number, args.days, args.reason)
        elif action == "approve":
            c = service.decide_extension(args.number, not args.reject, args.note)
        elif action == "refuse":
            c = service.refuse(args.number, args.reason)
        else:
            c = service.merge(args.number, args.into, args.reason)
        app.emit(
            {
                "number": c.number,
                "status": c.status,
                "due_at": c.due_at.isoformat(sep=" ") if c.due_at else None,
            },
            f"{c.number}: {c.status}",
        )
        return 0

    return run


def cmd_track(args: argparse.Namespace, app: App) -> int:
    data = track(args.code)
    lines = [
        f"查询码 {data['receipt_code']}  {data['category']}  当前状态 status: {data['status']}",
        f"受理 received: {data['received_at']}   期限 due: {data['due_at'] or '—'}",
    ]
    lines += [f"  {s['at']}  {s['action']}  {s['status'] or ''}" for s in data["steps"]]
    app.emit(data, lines)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    group = sub.add_parser("complaint", help="诉求工单 complaint workflow").add_subparsers(
        dest="action", metavar="ACTION", required=True
    )

    p = group.add_parser("add", help="登记 register a complaint")
    p.add_argument("--channel", required=True, help="/".join(CHANNELS))
    p.add_argument("--category", required=True, help="/".join(CATEGORIES))
    p.add_argument("--content", required=True)
    p.add_argument("--title")
    p.add_argument("--unit")
    p.add_argument("--staff")
    p.add_argument("--matter")
    p.add_argument("--name")
    p.add_argument("--phone")
    p.add_argument("--id-no")
    p.add_argument("--anonymous", action="store_true")
    p.add_argument("--received", help="受理时间 ISO, e.g. 2026-10-05T14:03")
    p.set_defaults(run=cmd_add)

    p = group.add_parser("assign", help="交办/改派 assign to a unit")
    p.add_argument("number")
    p.add_argument("--unit", required=True)
    p.add_argument("--card", choices=CARDS)
    p.add_argument("--limit", type=integer, help="办理时限（工作日） working days")
    p.set_defaults(run=cmd_assign)

    p = group.add_parser("reply", help="反馈 the unit's reply")
    p.add_argument("number")
    p.add_argument("--text", required=True)
    p.set_defaults(run=cmd_reply)

    p = group.add_parser("visit", help="回访 return visit")
    p.add_argument("number")
    p.add_argument("--result", required=True, choices=VISIT_RESULTS)
    p.add_argument("--resolved", required=True, help="yes/no")
    p.add_argument("--note", default="")
    p.set_defaults(run=cmd_visit)

    p = group.add_parser("close", help="办结 close")
    p.add_argument("number")
    p.add_argument("--note", default="")
    p.set_defaults(run=cmd_close)

    p = group.add_parser("show", help="查看 the record with its timeline")
    p.add_argument("number")
    p.add_argument(
        "--unmask", action="store_true", help="显示诉求人身份（留痕） show identity (audited)"
    )
    p.set_defaults(run=cmd_show)

    p = group.add_parser("list", help="列表 list with filters")
    p.add_argument("--status")
    p.add_argument("--unit")
    p.add_argument("--category")
    p.add_argument("--channel")
    p.add_argument("--search", help="关键词 keyword(s), two or more characters")
    p.add_argument("--from", dest="date_from", help="受理日期起 YYYY-MM-DD")
    p.add_argument("--to", dest="date_to", help="受理日期止 YYYY-MM-DD")
    p.add_argument("--overdue", action="store_true", help="仅超期 overdue only")
    p.add_argument("--limit", type=integer, default=20)
    p.add_argument("--offset", type=integer, default=0)
    p.set_defaults(run=cmd_list)

    p = group.add_parser("dispute", help="退回 the unit disputes the assignment")
    p.add_argument("number")
    p.add_argument("--reason", required=True)
    p.set_defaults(run=cmd_simple("dispute"))

    p = group.add_parser("extend", help="申请延期 request an extension")
    p.add_argument("number")
    p.add_argument("--days", type=integer, required=True)
    p.add_argument("--reason", required=True)
    p.set_defaults(run=cmd_simple("extend"))

    p = group.add_parser(
        "approve-extension", help="审批延期 approve (or --reject) a pending extension"
    )
    p.add_argument("number")
    p.add_argument("--reject", action="store_true")
    p.add_argument("--note", default="")
    p.set_defaults(run=cmd_simple("approve"))

    p = group.add_parser("refuse", help="不予受理 refuse with a reason")
    p.add_argument("number")
    p.add_argument("--reason", required=True)
    p.set_defaults(run=cmd_simple("refuse"))

    p = group.add_parser("merge", help="并单 merge into an earlier complaint")
    p.add_argument("number")
    p.add_argument("--into", required=True)
    p.add_argument("--reason", default="")
    p.set_defaults(run=cmd_simple("merge"))

    for parser in group.choices.values():
        json_flag(parser)

    p = sub.add_parser("track", help="凭查询码查询进度 public progress by receipt code (no login)")
    p.add_argument("code")
    json_flag(p)
    p.set_defaults(run=cmd_track)
