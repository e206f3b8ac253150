"""``escalate``, ``escalation list`` and ``accountability …`` (SPEC §2.4, §8, §11).

A rule that fails is skipped: the engine logs one line on stderr and the
``--json`` answer lists it under ``failures``; the command still succeeds.
"""

from __future__ import annotations

import argparse
import logging

from ..errors import InvalidInput
from ..models import CASE_STATUSES, ESCALATION_LEVELS, PERSON_FORMS, SANCTIONS, UNIT_FORMS
from ..rules import EscalationEngine, ProposalEngine
from ..services.accountability import ESCALATION_STATES, AccountabilityService, EscalationQueries
from .complaints import parse_datetime
from .main import App, integer, json_flag

logger = logging.getLogger(__name__)


def _as_of(args: argparse.Namespace):
    return parse_datetime(args.as_of) if args.as_of else None


def _limit(value: int) -> int | None:
    if value < 0:
        raise InvalidInput("--limit 不能为负数", "--limit cannot be negative")
    return None if value == 0 else value


def cmd_escalate(args: argparse.Namespace, app: App) -> int:
    run = EscalationEngine(app.actor()).run(_as_of(args), limit=_limit(args.limit))
    lines = [
        f"督办规则运行 escalate @ {run.as_of:%Y-%m-%d %H:%M:%S}：新增/升级 raised {run.raised_total}，"
        f"解除 resolved {run.resolved}，在办 open {run.open}"
    ]
    for name, info in run.by_rule.items():
        levels = "，".join(f"{level} {n}" for level, n in info["raised"].items()) or "—"
        lines.append(f"  {name}: 新增/升级 {levels}；解除 {info['resolved']}；在办 {info['open']}")
    lines += [
        f"  {i['rule']}  {i['level']:<4} {i['target']}  {i['unit'] or ''}" for i in run.raised
    ]
    if len(run.raised) < run.raised_total:
        lines.append(f"  …（仅列出前 {len(run.raised)} 条 / first {len(run.raised)} shown）")
    app.emit(run.as_dict(), lines)
    return 0


def cmd_escalation_list(args: argparse.Namespace, app: App) -> int:
    data = EscalationQueries(app.actor()).list(
        state=args.state, level=args.level, rule=args.rule, limit=args.limit, offset=args.offset
    )
    lines = [f"共 {data['total']} 条 total"]
    lines += [
        f"{i['id']:>6}  {i['state']:<8} {i['level']:<4} {i['rule']}  {i['target']}  {i['unit'] or ''}  "
        f"{i['updated_at']}  {i['reason']}"
        for i in data["items"]
    ]
    app.emit(data, lines)
    return 0


def cmd_propose(args: argparse.Namespace, app: App) -> int:
    run = ProposalEngine(app.actor()).run(_as_of(args), limit=_limit(args.limit))
    lines = [
        f"问责规则运行 propose @ {run.as_of:%Y-%m-%d %H:%M:%S}：新建议 proposed {run.proposed_total}"
    ]
    lines += [f"  {name}: {info['proposed']}" for name, info in run.by_rule.items()]
    lines += [
        f"  #{i['id']}  {i['rule']}  {i['kind']}  {i['target']}  {i['reason']}"
        for i in run.proposed
    ]
    if len(run.proposed) < run.proposed_total:
        lines.append(f"  …（仅列出前 {len(run.proposed)} 条 / first {len(run.proposed)} shown）")
    app.emit(run.as_dict(), lines)
    return 0


def _case_lines(data: dict) -> list[str]:
    lines = [
        f"#{data['id']}  {data['status']}  {data['rule']}  {data['kind']}  {data['target']}",
        f"理由 reason: {data['reason']}",
        f"提出 proposed: {data['proposed_at']}",
    ]
    if data["status"] != "待决定":
        decided = data["form"] or "不予问责"
        if data["sanction"]:
            decided += (
                f"（{data['sanction']}"
                + (f"，至 {data['sanction_ends']}" if data["sanction_ends"] else "")
                + "）"
            )
        lines.append(f"决定 decision: {decided}  {data['decided_by']}  {data['decided_at']}")
        lines.append(f"依据 basis: {data['basis']}")
    lines += [
        f"  证据 evidence: {ref['kind']} {ref['id']}"
        + (f"  {ref['target']}" if ref.get("target") else "")
        for ref in data["evidence"]
    ]
    return lines


def cmd_decide(args: argparse.Namespace, app: App) -> int:
    service = AccountabilityService(app.actor())
    service.decide(args.id, args.form, args.basis, args.sanction)
    data = service.show(args.id)
    app.emit(data, _case_lines(data))
    return 0


def cmd_dismiss(args: argparse.Namespace, app: App) -> int:
    service = AccountabilityService(app.actor())
    service.dismiss(args.id, args.reason)
    data = service.show(args.id)
    app.emit(data, _case_lines(data))
    return 0


def cmd_show(args: argparse.Namespace, app: App) -> int:
    data = AccountabilityService(app.actor()).show(args.id)
    app.emit(data, _case_lines(data))
    return 0


def cmd_case_list(args: argparse.Namespace, app: App) -> int:
    data = AccountabilityService(app.actor()).list(
        status=args.status, rule=args.rule, unit=args.unit, limit=args.limit, offset=args.offset
    )
    lines = [f"共 {data['total']} 件 total"]
    lines += [
        f"#{i['id']:<6} {i['status']:<4} {i['rule']}  {i['kind']}  {i['target']}  {i['form'] or ''}"
        f"{'（' + i['sanction'] + '）' if i['sanction'] else ''}  {i['proposed_at']}"
        for i in data["items"]
    ]
    app.emit(data, lines)
    return 0


def _paging(p: argparse.ArgumentParser) -> None:
    p.add_argument("--limit", type=integer, default=20)
    p.add_argument("--offset", type=integer, default=0)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "escalate", help="运行督办规则 run the escalation rules (re-running adds no duplicates)"
    )
    p.add_argument("--as-of", help="运行时点 ISO, e.g. 2026-10-05T09:00 (default now)")
    p.add_argument(
        "--limit", type=integer, default=1000, help="raised 列表最多条数，0 为全部 (default 1000)"
    )
    json_flag(p)
    p.set_defaults(run=cmd_escalate)

    group = sub.add_parser("escalation", help="督办记录 escalation records").add_subparsers(
        dest="action", metavar="ACTION", required=True
    )
    p = group.add_parser("list", help="列表 list escalations")
    p.add_argument("--state", choices=ESCALATION_STATES)
    p.add_argument("--level", help="/".join(ESCALATION_LEVELS))
    p.add_argument("--rule")
    _paging(p)
    json_flag(p)
    p.set_defaults(run=cmd_escalation_list)

    group = sub.add_parser(
        "accountability", help="问责 accountability propose|decide|dismiss|show|list"
    ).add_subparsers(dest="action", metavar="ACTION", required=True)
    p = group.add_parser(
        "propose", help="运行问责规则 run the accountability rules (proposals only)"
    )
    p.add_argument("--as-of", help="运行时点 ISO, e.g. 2026-10-05T09:00 (default now)")
    p.add_argument(
        "--limit", type=integer, default=1000, help="proposed 列表最多条数，0 为全部 (default 1000)"
    )
    p.set_defaults(run=cmd_propose)

    p = group.add_parser("decide", help="作出问责决定 decide a case (staff)")
    p.add_argument("id", type=integer)
    p.add_argument(
        "--form", required=True, help=f"单位 {'/'.join(UNIT_FORMS)}；个人 {'/'.join(PERSON_FORMS)}"
    )
    p.add_argument("--basis", required=True, help="依据 the basis of the decision")
    p.add_argument("--sanction", help=f"政务处分种类 {'/'.join(SANCTIONS)}")
    p.set_defaults(run=cmd_decide)

    p = group.add_parser("dismiss", help="不予问责 dismiss a case with a reason (staff)")
    p.add_argument("id", type=integer)
    p.add_argument("--reason", required=True)
    p.set_defaults(run=cmd_dismiss)

    p = group.add_parser("show", help="查看 one case with its evidence")
    p.add_argument("id", type=integer)
    p.set_defaults(run=cmd_show)

    p = group.add_parser("list", help="列表 list cases")
    p.add_argument("--status", help="/".join(CASE_STATUSES))
    p.add_argument("--rule")
    p.add_argument("--unit")
    _paging(p)
    p.set_defaults(run=cmd_case_list)

    for parser in group.choices.values():
        json_flag(parser)
