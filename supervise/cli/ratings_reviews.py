"""``rating …`` and ``review …`` (SPEC §8, §11)."""

from __future__ import annotations

import argparse
import logging
from typing import Any

from ..errors import InvalidInput
from ..models import (
    FINDING_CATEGORIES,
    RATING_CHANNELS,
    REVIEW_CONCLUSIONS,
    REVIEW_METHODS,
    SEVERITIES,
    Finding,
)
from ..services.ratings import RatingQueries, RatingService
from ..services.reviews import ReviewQueries, ReviewService
from .admin import parse_date
from .complaints import parse_datetime
from .main import App, integer, json_flag

logger = logging.getLogger(__name__)


def _iso(value: Any) -> Any:
    return value.isoformat(sep=" ") if value is not None else None


def parse_scores(text: str) -> tuple[int | None, int | None, int | None]:
    """``90,85,80`` → (90, 85, 80); an empty part means no score."""
    parts = [p.strip() for p in text.replace("，", ",").split(",")]
    try:
        values = [int(p) if p else None for p in parts]
    except ValueError:
        raise InvalidInput(
            f"评分格式应为 A,B,C（0–100）：{text}", f"--scores takes A,B,C (0–100): {text}"
        ) from None
    if len(values) != 3:
        raise InvalidInput(
            f"评分应为三项 A,B,C：{text}", f"--scores takes three values A,B,C: {text}"
        )
    return values[0], values[1], values[2]


# -- rating ----------------------------------------------------------------------


def _rating_answer(app: App, r, text: str) -> None:
    app.emit(
        {
            "id": r.id,
            "status": r.status,
            "bad": r.bad,
            "contact_due_at": _iso(r.contact_due_at),
            "rectify_kind": r.rectify_kind,
            "rectify_due_at": _iso(r.rectify_due_at),
        },
        text,
    )


def cmd_rating_add(args: argparse.Namespace, app: App) -> int:
    r = RatingService(app.actor()).add(
        args.unit,
        args.level,
        channel=args.channel,
        window=args.window or "",
        matter=args.matter,
        staff=args.staff,
        reasons=args.reasons or "",
        comment=args.comment or "",
        rater=args.rater,
        phone=args.phone,
        real_name=False if args.anonymous else None,
        rated=parse_datetime(args.rated) if args.rated else None,
    )
    text = f"已登记评价 rating added: #{r.id}"
    if r.bad:
        text += f"（差评 bad，{r.contact_due_at:%Y-%m-%d} 前核实 verify by）"
    _rating_answer(app, r, text)
    return 0


def cmd_rating_verify(args: argparse.Namespace, app: App) -> int:
    r = RatingService(app.actor()).verify(
        args.id, args.finding, args.note, complex=args.complex, immediate=args.immediate
    )
    text = f"已核实 verified: #{r.id} {r.finding} → {r.status}"
    if r.rectify_due_at:
        text += f"（{r.rectify_kind}，{r.rectify_due_at:%Y-%m-%d} 前整改 rectify by）"
    _rating_answer(app, r, text)
    return 0


def cmd_rating_rectify(args: argparse.Namespace, app: App) -> int:
    r = RatingService(app.actor()).rectify(args.id, args.measures)
    _rating_answer(app, r, f"已整改 rectified: #{r.id} → {r.status}")
    return 0


def cmd_rating_visit(args: argparse.Namespace, app: App) -> int:
    r = RatingService(app.actor()).visit(args.id, args.result, args.note)
    _rating_answer(app, r, f"已回访 visited: #{r.id} → {r.status}")
    return 0


def cmd_rating_show(args: argparse.Namespace, app: App) -> int:
    data = RatingQueries(app.actor()).show(args.id, unmask=args.unmask)
    lines = [
        f"#{data['id']}  {data['level_name']}  {data['status']}  {data['channel']}",
        f"单位 unit: {data['unit']}  窗口 window: {data['window'] or '—'}  评价时间 rated: {data['rated_at']}",
        f"原因 reasons: {data['reasons'] or '—'}  内容 comment: {data['comment'] or '—'}",
    ]
    rater = data["rater"]
    if rater:
        lines.append(
            "评价人 rater: "
            + (
                "匿名 anonymous"
                if rater.get("anonymous")
                else f"{rater['name'] or ''} {rater['phone'] or ''}".strip()
            )
        )
    lines += [
        f"  {e['at']}  {e['action']:<4} {e['status'] or '':<4} {e['actor']}  {e['note']}"
        for e in data["timeline"]
    ]
    app.emit(data, lines)
    return 0


def cmd_rating_list(args: argparse.Namespace, app: App) -> int:
    data = RatingQueries(app.actor()).list(
        unit=args.unit,
        status=args.status,
        bad_only=args.bad,
        date_from=parse_date(args.date_from) if args.date_from else None,
        date_to=parse_date(args.date_to) if args.date_to else None,
        limit=args.limit,
        offset=args.offset,
        search=args.search,
    )
    lines = [f"共 {data['total']} 条 total"]
    lines += [
        f"#{i['id']:<6} {i['level_name']:<5} {i['status']:<4} {i['unit'] or '—'}  {i['rated_at']}"
        f"{'  超期' if i['overdue'] else ''}"
        for i in data["items"]
    ]
    app.emit(data, lines)
    return 0


# -- review ----------------------------------------------------------------------


def cmd_review_submit(args: argparse.Namespace, app: App) -> int:
    findings = [(text, args.category, args.severity) for text in args.finding]
    r = ReviewService(app.actor()).submit(
        args.unit,
        args.method,
        findings,
        window=args.window or "",
        staff=args.staff,
        review_date=parse_date(args.date) if args.date else None,
        scores=parse_scores(args.scores) if args.scores else None,
        conclusion=args.conclusion,
    )
    ids = [f.id for f in r.findings.order_by(Finding.id)]
    app.emit(
        {"id": r.id, "status": r.status, "findings": ids},
        f"已提交评议 review submitted: #{r.id}（问题 findings: {', '.join(f'#{i}' for i in ids)}）",
    )
    return 0


def cmd_review_adopt(args: argparse.Namespace, app: App) -> int:
    r, complaints = ReviewService(app.actor()).adopt(
        args.id, to_complaint=args.to_complaint, note=args.note
    )
    numbers = [c.number for c in complaints]
    app.emit(
        {
            "id": r.id,
            "status": r.status,
            "numbers": numbers,
            "number": numbers[0] if numbers else None,
        },
        f"已采纳 adopted: #{r.id}"
        + (f"，已转工单 forwarded: {', '.join(numbers)}" if numbers else ""),
    )
    return 0


def cmd_review_reject(args: argparse.Namespace, app: App) -> int:
    r = ReviewService(app.actor()).reject(args.id, args.reason)
    app.emit(
        {"id": r.id, "status": r.status, "reject_reason": r.reject_reason},
        f"不予采纳 rejected: #{r.id}",
    )
    return 0


def cmd_review_attach(args: argparse.Namespace, app: App) -> int:
    a = ReviewService(app.actor()).attach(args.finding_id, args.file)
    app.emit(
        {
            "id": a.id,
            "finding": args.finding_id,
            "name": a.filename,
            "mime": a.mime,
            "size": a.size,
            "sha256": a.sha256,
        },
        f"已上传附件 attached: {a.filename}（{a.size} 字节 bytes，sha256 {a.sha256}）",
    )
    return 0


def cmd_review_show(args: argparse.Namespace, app: App) -> int:
    data = ReviewQueries(app.actor()).show(args.id)
    lines = [
        f"#{data['id']}  {data['status']}  {data['method']}  {data['review_date']}  评议人 reviewer: {data['reviewer']}",
        f"单位 unit: {data['unit']}  窗口 window: {data['window'] or '—'}  结论 conclusion: {data['conclusion'] or '—'}",
    ]
    if data["reject_reason"]:
        lines.append(f"未采纳理由 reason: {data['reject_reason']}")
    for f in data["findings"]:
        lines.append(
            f"  问题 #{f['id']} [{f['category']}/{f['severity']}] {f['description']}"
            + (f"  → {f['complaint']}" if f["complaint"] else "")
        )
        lines += [
            f"    附件 {a['name']}  {a['size']} B  sha256 {a['sha256']}" for a in f["attachments"]
        ]
    lines += [
        f"  {e['at']}  {e['action']:<4} {e['status'] or '':<4} {e['actor']}  {e['note']}"
        for e in data["timeline"]
    ]
    app.emit(data, lines)
    return 0


def cmd_review_list(args: argparse.Namespace, app: App) -> int:
    data = ReviewQueries(app.actor()).list(
        unit=args.unit,
        status=args.status,
        date_from=parse_date(args.date_from) if args.date_from else None,
        date_to=parse_date(args.date_to) if args.date_to else None,
        limit=args.limit,
        offset=args.offset,
    )
    lines = [f"共 {data['total']} 条 total"]
    lines += [
        f"#{i['id']:<6} {i['status']:<4} {i['review_date']}  {i['method']}  {i['unit'] or '—'}"
        f"  {i['reviewer']}  问题 {i['findings']} 条"
        for i in data["items"]
    ]
    app.emit(data, lines)
    return 0


# -- parsers -----------------------------------------------------------------------


def _list_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--unit")
    p.add_argument("--status")
    p.add_argument("--from", dest="date_from", help="日期起 YYYY-MM-DD")
    p.add_argument("--to", dest="date_to", help="日期止 YYYY-MM-DD")
    p.add_argument("--limit", type=integer, default=20)
    p.add_argument("--offset", type=integer, default=0)


def register(sub: argparse._SubParsersAction) -> None:
    group = sub.add_parser("rating", help="好差评 ratings and the 差评 loop").add_subparsers(
        dest="action", metavar="ACTION", required=True
    )

    p = group.add_parser("add", help="登记评价 add a rating")
    p.add_argument("--unit", required=True)
    p.add_argument("--level", required=True, help="1..5 或 非常满意…非常不满意")
    p.add_argument("--channel", default="窗口", help="/".join(RATING_CHANNELS))
    p.add_argument("--window")
    p.add_argument("--matter")
    p.add_argument("--staff")
    p.add_argument("--reasons", help="差评原因")
    p.add_argument("--comment")
    p.add_argument("--rater", help="评价人（填写即为实名） rater name (real-name)")
    p.add_argument("--phone")
    p.add_argument("--anonymous", action="store_true", help="非实名 not a real-name rating")
    p.add_argument("--rated", help="评价时间 ISO, e.g. 2026-10-05T14:03")
    p.set_defaults(run=cmd_rating_add)

    p = group.add_parser("verify", help="核实差评 verify a bad rating")
    p.add_argument("id", type=integer)
    p.add_argument("--finding", required=True, help="属实/不属实/误评（误评申诉）")
    kind = p.add_mutually_exclusive_group()
    kind.add_argument("--complex", action="store_true", help="复杂问题，限期整改 15 个工作日")
    kind.add_argument("--immediate", action="store_true", help="立行立改（当日）")
    p.add_argument("--note", default="")
    p.set_defaults(run=cmd_rating_verify)

    p = group.add_parser("rectify", help="整改 record the measures")
    p.add_argument("id", type=integer)
    p.add_argument("--measures", required=True)
    p.set_defaults(run=cmd_rating_rectify)

    p = group.add_parser("visit", help="回访评价人 return visit (office)")
    p.add_argument("id", type=integer)
    p.add_argument("--result", required=True, help="回访结果 result text")
    p.add_argument("--note", default="")
    p.set_defaults(run=cmd_rating_visit)

    p = group.add_parser("show", help="查看 the rating with its timeline")
    p.add_argument("id", type=integer)
    p.add_argument(
        "--unmask", action="store_true", help="显示评价人身份（留痕） show identity (audited)"
    )
    p.set_defaults(run=cmd_rating_show)

    p = group.add_parser("list", help="列表 list with filters")
    _list_flags(p)
    p.add_argument("--bad", action="store_true", help="仅差评 bad ratings only")
    p.add_argument(
        "--search", help="关键词（评价内容、差评原因、窗口） keyword in comment, reasons, window"
    )
    p.set_defaults(run=cmd_rating_list)

    for parser in group.choices.values():
        json_flag(parser)

    group = sub.add_parser("review", help="监督评议 reviews and findings").add_subparsers(
        dest="action", metavar="ACTION", required=True
    )

    p = group.add_parser("submit", help="提交评议 submit a review")
    p.add_argument("--unit", required=True)
    p.add_argument("--method", required=True, help="/".join(REVIEW_METHODS))
    p.add_argument(
        "--finding", action="append", required=True, help="问题描述 (repeat for several)"
    )
    p.add_argument("--category", default="其他", help="/".join(FINDING_CATEGORIES))
    p.add_argument("--severity", default="一般", help="/".join(SEVERITIES))
    p.add_argument("--scores", help="工作态度,服务品质,管理水准 e.g. 90,85,80")
    p.add_argument("--conclusion", help="/".join(REVIEW_CONCLUSIONS))
    p.add_argument("--window")
    p.add_argument("--staff")
    p.add_argument("--date", help="评议日期 YYYY-MM-DD")
    p.set_defaults(run=cmd_review_submit)

    p = group.add_parser("adopt", help="采纳 adopt")
    p.add_argument("id", type=integer)
    p.add_argument(
        "--to-complaint",
        action="store_true",
        help="每条问题转为交办工单 forward each finding as a complaint",
    )
    p.add_argument("--note", default="")
    p.set_defaults(run=cmd_review_adopt)

    p = group.add_parser("reject", help="不予采纳 reject with a reason")
    p.add_argument("id", type=integer)
    p.add_argument("--reason", required=True)
    p.set_defaults(run=cmd_review_reject)

    p = group.add_parser("attach", help="上传附件 attach a file (≤ 20 MB) to a finding")
    p.add_argument("finding_id", type=integer, metavar="FINDING_ID")
    p.add_argument("file")
    p.set_defaults(run=cmd_review_attach)

    p = group.add_parser("show", help="查看 the review with findings and timeline")
    p.add_argument("id", type=integer)
    p.set_defaults(run=cmd_review_show)

    p = group.add_parser("list", help="列表 list (a supervisor sees their own)")
    _list_flags(p)
    p.set_defaults(run=cmd_review_list)

    for parser in group.choices.values():
        json_flag(parser)
