"""Built-in Excel exports (导出): the ledgers (台账) of complaints, ratings,
reviews, escalations and accountability cases, and the monthly report
workbook (SPEC §4, §6, §10).

Each ledger is one streamed sheet after a cover sheet (who exported, when,
with which filters, how identities appear, how many rows), written with
:mod:`supervise.xlsx`.  Filters are those of the list views; a filter a
ledger does not have is refused (exit 2).  Complainant and rater identities
are masked (张*, 138****1234) for admin/staff, shown in full only with
``unmask`` (checked and audited by :func:`supervise.exporting.run_export`),
and left out entirely for roles that may never see them (viewer).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import peewee as pw

from supervise import hookimpl, permissions
from supervise import identity as identities
from supervise.auth import Actor
from supervise.errors import InvalidInput, NotPermitted, UsageError
from supervise.exporting import LedgerFilter, as_date, as_datetime, stream, within, yes_no
from supervise.extension import ExporterSpec
from supervise.models import (
    CASE_STATUSES,
    CATEGORIES,
    CHANNELS,
    COMPLAINT_STATUSES,
    ESCALATION_LEVELS,
    RATING_CHANNELS,
    RATING_LEVELS,
    RATING_STATUSES,
    REVIEW_STATUSES,
    AccountabilityCase,
    Complaint,
    Escalation,
    Finding,
    Matter,
    Rating,
    Review,
    Staff,
    Unit,
    now,
)
from supervise.permissions import ROLE_NAMES
from supervise.report.counts import escalation_unit
from supervise.services.complaint_queries import ComplaintFilter, ComplaintQueries
from supervise.services.reference import get_unit
from supervise.xlsx import DATE, DATETIME, INT, Col, Progress, XlsxBook

logger = logging.getLogger(__name__)

NONE, MASKED, FULL = "none", "masked", "full"
IDENTITY_NOTE = {
    NONE: "不含身份信息",
    MASKED: "已脱敏（张*、138****1234）",
    FULL: "完整显示（已记入审计日志）",
}
ESCALATION_STATES = {"open": "督办中", "resolved": "已解除"}
TARGET_KINDS = {
    "complaint": "工单",
    "rating": "评价",
    "review": "评议",
    "unit": "单位",
    "finding": "问题",
    "escalation": "督办",
    "staff": "人员",
}
SOURCES = {"entered": "录入"}


def _identity(actor: Actor, unmask: bool) -> str:
    if unmask and not permissions.allowed(actor.role, "export.unmask"):
        raise NotPermitted(
            "无权导出完整身份信息", f"not permitted: export.unmask for role {actor.role}"
        )
    if not permissions.allowed(actor.role, "identity.view"):
        return NONE
    if unmask:
        identities.require_key(actor)  # one clear line before any file is written
    return FULL if unmask else MASKED


def _no_identities(ledger: str, unmask: bool) -> None:
    """A ledger without complainant or rater identities has nothing to unmask (exit 2)."""
    if unmask:
        raise UsageError(
            f"“{ledger}”不含身份信息，无需 --unmask",
            f"export {ledger} holds no identities: drop --unmask",
        )


def _choice(value: str | None, allowed: Iterable[str], zh: str, en: str) -> str | None:
    allowed = tuple(allowed)
    if value is not None and value not in allowed:
        raise InvalidInput(
            f"{zh}无效：{value}（可选：{'/'.join(allowed)}）", f"unknown {en}: {value}"
        )
    return value


def _source(value: str | None) -> str | None:
    return SOURCES.get(value, "导入") if value else None


def _write(
    *,
    actor: Actor,
    path: Path,
    filters: LedgerFilter,
    identity: str,
    title: str,
    columns: Sequence[Col],
    rows: Iterable[Sequence[Any]],
    total: int | None,
    progress: Progress | None,
    cancel: Callable[[], bool] | None,
) -> int:
    """The cover and one streamed table; returns the number of data rows."""
    with XlsxBook(path) as book:
        table = book.table(title, columns)
        count = table.extend(rows, progress=progress, total=total, cancel=cancel)
        book.cover(
            title,
            [
                ("台账", title),
                ("导出人", f"{actor.name}（{ROLE_NAMES.get(actor.role, actor.role)}）"),
                ("导出时间", now()),
                ("筛选条件", filters.describe()),
                ("身份信息", IDENTITY_NOTE[identity]),
                ("记录数", count),
                ("说明", "以 = + - @ 等开头的文本已在前面加 ' 以防作为公式执行。"),
            ],
        )
        book.save()
    return count


def _unit_filter(f: LedgerFilter) -> int | None:
    return get_unit(f.unit).id if f.unit else None


# -- complaints 工单台账 -------------------------------------------------------------------


def export_complaints(
    *,
    actor: Actor,
    path: Path,
    filters: LedgerFilter,
    unmask: bool = False,
    progress: Progress | None = None,
    cancel: Callable[[], bool] | None = None,
    **context: object,
) -> int:
    f = filters
    f.only(
        "complaints",
        (
            "month",
            "status",
            "unit",
            "category",
            "channel",
            "search",
            "date_from",
            "date_to",
            "overdue",
        ),
    )
    _choice(f.status, COMPLAINT_STATUSES, "工单状态", "complaint status")
    _choice(f.category, CATEGORIES, "类别", "category")
    _choice(f.channel, CHANNELS, "渠道", "channel")
    identity = _identity(actor, unmask)
    base = ComplaintQueries(actor).query(
        ComplaintFilter(
            status=f.status,
            unit=f.unit,
            category=f.category,
            channel=f.channel,
            search=f.search,
            overdue=f.overdue,
        )
    )
    base = within(base, Complaint.received_at, f)
    U, M, S = Unit.alias(), Matter.alias(), Staff.alias()
    C = Complaint
    query = (
        base.select(
            C.number,
            C.received_at,
            C.channel,
            C.category,
            C.title,
            C.content,
            C.identity_sealed,
            C.masked_name,
            C.masked_phone,
            C.masked_id_no,
            C.anonymous,
            U.code,
            U.name,
            M.code,
            M.name,
            S.number,
            S.name,
            C.status,
            C.card,
            C.limit_days,
            C.assigned_at,
            C.due_at,
            C.extension_count,
            C.replied_at,
            C.reply_text,
            C.visited_at,
            C.visit_result,
            C.resolved,
            C.reopen_count,
            C.closed_at,
            C.end_reason,
            C.source,
            C.external_id,
        )
        .join_from(C, U, pw.JOIN.LEFT_OUTER, on=(C.unit == U.id))
        .join_from(C, M, pw.JOIN.LEFT_OUTER, on=(C.matter == M.id))
        .join_from(C, S, pw.JOIN.LEFT_OUTER, on=(C.staff == S.id))
        .order_by(C.received_at, C.id)
    )
    who = (
        [Col("诉求人", width=10), Col("联系电话", width=14), Col("证件号码", width=20)]
        if identity != NONE
        else []
    )
    columns = [
        Col("工单编号", width=16),
        Col("受理时间", DATETIME),
        Col("渠道", width=12),
        Col("类别", width=6),
        Col("标题", width=24),
        Col("诉求内容", width=50),
        *who,
        Col("是否匿名", width=6),
        Col("承办单位编码", width=10),
        Col("承办单位", width=22),
        Col("事项编码", width=10),
        Col("涉及事项", width=24),
        Col("工号", width=8),
        Col("工作人员", width=8),
        Col("状态", width=8),
        Col("交办单", width=6),
        Col("办理时限（工作日）", INT),
        Col("交办时间", DATETIME),
        Col("办理期限", DATETIME),
        Col("延期次数", INT),
        Col("反馈时间", DATETIME),
        Col("按期反馈", width=6),
        Col("反馈内容", width=40),
        Col("回访时间", DATETIME),
        Col("回访结果", width=8),
        Col("是否解决", width=6),
        Col("重办次数", INT),
        Col("办结时间", DATETIME),
        Col("是否超期", width=6),
        Col("终止原因", width=24),
        Col("来源", width=6),
        Col("外部编号", width=16),
    ]
    at = now()

    def convert(r: Sequence[Any]) -> list[Any]:
        (
            number,
            received,
            channel,
            category,
            title,
            content,
            sealed,
            name,
            phone,
            id_no,
            anonymous,
            ucode,
            uname,
            mcode,
            mname,
            snum,
            sname,
            status,
            card,
            limit_days,
            assigned,
            due,
            ext,
            replied,
            reply,
            visited,
            vresult,
            resolved,
            reopen,
            closed,
            end_reason,
            source,
            external,
        ) = r
        due, replied = as_datetime(due), as_datetime(replied)
        row = [number, as_datetime(received), channel, category, title, content]
        if identity == FULL:
            clear = identities.open_complaint(actor, number, sealed)
            row += [clear["name"], clear["phone"], clear["id_no"]]
        elif identity == MASKED:
            row += ["匿名", None, None] if anonymous else [name, phone, id_no]
        on_time = None if replied is None or due is None else ("是" if replied <= due else "否")
        overdue = "是" if status == "已交办" and due is not None and due < at else "否"
        row += [
            yes_no(anonymous),
            ucode,
            uname,
            mcode,
            mname,
            snum,
            sname,
            status,
            card,
            limit_days,
            as_datetime(assigned),
            due,
            ext,
            replied,
            on_time,
            reply,
            as_datetime(visited),
            vresult,
            yes_no(resolved),
            reopen,
            as_datetime(closed),
            overdue,
            end_reason,
            _source(source),
            external,
        ]
        return row

    return _write(
        actor=actor,
        path=path,
        filters=f,
        identity=identity,
        title="诉求工单台账",
        columns=columns,
        rows=map(convert, stream(query)),
        total=base.count(),
        progress=progress,
        cancel=cancel,
    )


# -- ratings 好差评台账 --------------------------------------------------------------------


def export_ratings(
    *,
    actor: Actor,
    path: Path,
    filters: LedgerFilter,
    unmask: bool = False,
    progress: Progress | None = None,
    cancel: Callable[[], bool] | None = None,
    **context: object,
) -> int:
    f = filters
    f.only(
        "ratings",
        (
            "month",
            "status",
            "unit",
            "channel",
            "level",
            "date_from",
            "date_to",
            "bad_only",
            "overdue",
        ),
    )
    permissions.require(actor.role, "rating.read", actor.name)
    _choice(f.status, RATING_STATUSES, "评价状态", "rating status")
    _choice(f.channel, RATING_CHANNELS, "评价渠道", "rating channel")
    identity = _identity(actor, unmask)
    R = Rating
    base = within(R.select(), R.rated_at, f)
    if actor.role == permissions.LIAISON:
        base = base.where(R.unit == actor.unit_id)
    if f.unit:
        base = base.where(R.unit == _unit_filter(f))
    if f.status:
        base = base.where(R.status == f.status)
    if f.channel:
        base = base.where(R.channel == f.channel)
    if f.level:
        words = {str(k): k for k in RATING_LEVELS} | {v: k for k, v in RATING_LEVELS.items()}
        level = words.get(f.level.strip())
        if level is None:
            raise InvalidInput(
                f"评价等级无效：{f.level}（1–5 或 {'/'.join(RATING_LEVELS.values())}）",
                f"bad rating level: {f.level}",
            )
        base = base.where(R.level == level)
    if f.bad_only:
        base = base.where(R.level <= 2)
    at = now()
    if f.overdue:
        base = base.where(
            ((R.status == "待核实") & (R.contact_due_at < at))
            | ((R.status == "待整改") & (R.rectify_due_at < at))
        )
    U, M, S = Unit.alias(), Matter.alias(), Staff.alias()
    query = (
        base.select(
            R.id,
            R.rated_at,
            U.code,
            U.name,
            R.window,
            S.number,
            S.name,
            M.code,
            M.name,
            R.channel,
            R.level,
            R.reasons,
            R.comment,
            R.masked_name,
            R.masked_phone,
            R.real_name,
            R.status,
            R.contact_due_at,
            R.finding,
            R.verified_at,
            R.rectify_kind,
            R.rectify_due_at,
            R.measures,
            R.rectified_at,
            R.visited_at,
            R.closed_at,
            R.source,
            R.external_id,
            R.unit,
            R.identity_sealed,
        )
        .join_from(R, U, pw.JOIN.LEFT_OUTER, on=(R.unit == U.id))
        .join_from(R, M, pw.JOIN.LEFT_OUTER, on=(R.matter == M.id))
        .join_from(R, S, pw.JOIN.LEFT_OUTER, on=(R.staff == S.id))
        .order_by(R.rated_at, R.id)
    )
    who = [Col("评价人", width=10), Col("联系电话", width=14)] if identity != NONE else []
    columns = [
        Col("评价编号", INT),
        Col("评价时间", DATETIME),
        Col("单位编码", width=10),
        Col("单位", width=22),
        Col("服务窗口", width=14),
        Col("工号", width=8),
        Col("工作人员", width=8),
        Col("事项编码", width=10),
        Col("事项", width=24),
        Col("评价渠道", width=8),
        Col("评价等级", INT),
        Col("等级名称", width=10),
        Col("是否差评", width=6),
        Col("差评原因", width=20),
        Col("评价内容", width=40),
        *who,
        Col("是否实名", width=6),
        Col("处理状态", width=8),
        Col("核实期限", DATETIME),
        Col("核实结论", width=8),
        Col("核实时间", DATETIME),
        Col("整改方式", width=8),
        Col("整改期限", DATETIME),
        Col("整改措施", width=30),
        Col("整改时间", DATETIME),
        Col("回访时间", DATETIME),
        Col("办结时间", DATETIME),
        Col("是否超期", width=6),
        Col("来源", width=6),
        Col("外部编号", width=16),
    ]

    def convert(r: Sequence[Any]) -> list[Any]:
        (
            rid,
            rated,
            ucode,
            uname,
            window,
            snum,
            sname,
            mcode,
            mname,
            channel,
            level,
            reasons,
            comment,
            rater,
            phone,
            real_name,
            status,
            contact_due,
            finding,
            verified,
            rectify_kind,
            rectify_due,
            measures,
            rectified,
            visited,
            closed,
            source,
            external,
            unit_id,
            sealed,
        ) = r
        contact_due, rectify_due = as_datetime(contact_due), as_datetime(rectify_due)
        row = [
            rid,
            as_datetime(rated),
            ucode,
            uname,
            window,
            snum,
            sname,
            mcode,
            mname,
            channel,
            level,
            RATING_LEVELS.get(level),
            yes_no(level <= 2),
            reasons,
            comment,
        ]
        if identity == FULL:
            aad = identities.rating_aad(unit_id, as_datetime(rated), source, external)
            clear = identities.open_rating(actor, aad, sealed)
            row += [clear["name"], clear["phone"]]
        elif identity == MASKED:
            row += ["匿名", None] if not (rater or phone) else [rater, phone]
        overdue = (status == "待核实" and contact_due is not None and contact_due < at) or (
            status == "待整改" and rectify_due is not None and rectify_due < at
        )
        row += [
            yes_no(real_name),
            status,
            contact_due,
            finding,
            as_datetime(verified),
            rectify_kind,
            rectify_due,
            measures,
            as_datetime(rectified),
            as_datetime(visited),
            as_datetime(closed),
            yes_no(overdue),
            _source(source),
            external,
        ]
        return row

    return _write(
        actor=actor,
        path=path,
        filters=f,
        identity=identity,
        title="好差评台账",
        columns=columns,
        rows=map(convert, stream(query)),
        total=base.count(),
        progress=progress,
        cancel=cancel,
    )


# -- reviews 监督评议台账 (one row per finding) ---------------------------------------------


def export_reviews(
    *,
    actor: Actor,
    path: Path,
    filters: LedgerFilter,
    unmask: bool = False,
    progress: Progress | None = None,
    cancel: Callable[[], bool] | None = None,
    **context: object,
) -> int:
    f = filters
    f.only("reviews", ("month", "status", "unit", "date_from", "date_to"))
    permissions.require(actor.role, "review.read", actor.name)
    _choice(f.status, REVIEW_STATUSES, "评议状态", "review status")
    _no_identities("reviews", unmask)
    V = Review
    base = within(V.select(), V.review_date, f)
    if actor.role == permissions.SUPERVISOR:
        base = base.where(V.reviewer == actor.user_id)
    if f.unit:
        base = base.where(V.unit == _unit_filter(f))
    if f.status:
        base = base.where(V.status == f.status)
    U, S, F, C = Unit.alias(), Staff.alias(), Finding.alias(), Complaint.alias()
    query = (
        base.select(
            V.id,
            V.review_date,
            V.method,
            V.reviewer_name,
            U.code,
            U.name,
            V.window,
            S.number,
            S.name,
            V.score_attitude,
            V.score_quality,
            V.score_management,
            V.conclusion,
            V.status,
            V.reject_reason,
            V.decided_by,
            V.decided_at,
            F.id,
            F.description,
            F.category,
            F.severity,
            C.number,
            V.source,
        )
        .join_from(V, U, pw.JOIN.LEFT_OUTER, on=(V.unit == U.id))
        .join_from(V, S, pw.JOIN.LEFT_OUTER, on=(V.staff == S.id))
        .join_from(V, F, pw.JOIN.LEFT_OUTER, on=(F.review == V.id))
        .join_from(F, C, pw.JOIN.LEFT_OUTER, on=(F.complaint == C.id))
        .order_by(V.review_date, V.id, F.id)
    )
    columns = [
        Col("评议编号", INT),
        Col("评议日期", DATE),
        Col("评议方式", width=8),
        Col("评议人", width=10),
        Col("单位编码", width=10),
        Col("被评议单位", width=22),
        Col("窗口", width=14),
        Col("工号", width=8),
        Col("工作人员", width=8),
        Col("工作态度", INT),
        Col("服务品质", INT),
        Col("管理水准", INT),
        Col("评议结论", width=6),
        Col("审核状态", width=8),
        Col("不予采纳理由", width=24),
        Col("审核人", width=10),
        Col("审核时间", DATETIME),
        Col("问题编号", INT),
        Col("问题描述", width=40),
        Col("问题类别", width=6),
        Col("严重程度", width=6),
        Col("转办工单", width=16),
        Col("来源", width=6),
    ]

    def convert(r: Sequence[Any]) -> list[Any]:
        row = list(r)
        row[1], row[16], row[22] = as_date(row[1]), as_datetime(row[16]), _source(row[22])
        return row

    total = base.join(F, pw.JOIN.LEFT_OUTER, on=(F.review == V.id)).count()
    return _write(
        actor=actor,
        path=path,
        filters=f,
        identity=NONE,
        title="监督评议台账",
        columns=columns,
        rows=map(convert, stream(query)),
        total=total,
        progress=progress,
        cancel=cancel,
    )


# -- escalations 督办台账 ------------------------------------------------------------------


def export_escalations(
    *,
    actor: Actor,
    path: Path,
    filters: LedgerFilter,
    unmask: bool = False,
    progress: Progress | None = None,
    cancel: Callable[[], bool] | None = None,
    **context: object,
) -> int:
    f = filters
    f.only("escalations", ("month", "status", "unit", "level", "date_from", "date_to"))
    _no_identities("escalations", unmask)
    _choice(f.level, ESCALATION_LEVELS, "督办级别", "escalation level")
    E = Escalation
    states = {v: k for k, v in ESCALATION_STATES.items()} | {k: k for k in ESCALATION_STATES}
    if f.status is not None and f.status not in states:
        raise InvalidInput(
            f"督办状态无效：{f.status}（可选：督办中/已解除）",
            f"unknown escalation state: {f.status}",
        )
    responsible = escalation_unit()
    base = within(E.select(), E.raised_at, f)
    if f.unit:
        base = base.where(responsible == _unit_filter(f))
    if f.status:
        base = base.where(E.state == states[f.status])
    if f.level:
        base = base.where(E.level == f.level)
    number = Complaint.select(Complaint.number).where(
        (E.target_kind == "complaint") & (Complaint.id == E.target_id)
    )
    query = base.select(
        E.id,
        E.rule,
        E.level,
        E.target_kind,
        E.target_id,
        number,
        responsible,
        E.reason,
        E.raised_at,
        E.updated_at,
        E.state,
        E.resolved_at,
    ).order_by(E.raised_at, E.id)
    units = {
        uid: (code, name) for uid, code, name in Unit.select(Unit.id, Unit.code, Unit.name).tuples()
    }
    columns = [
        Col("督办编号", INT),
        Col("规则", width=14),
        Col("级别", width=8),
        Col("对象类型", width=6),
        Col("督办对象", width=16),
        Col("责任单位编码", width=10),
        Col("责任单位", width=22),
        Col("督办事由", width=40),
        Col("发起时间", DATETIME),
        Col("更新时间", DATETIME),
        Col("状态", width=6),
        Col("解除时间", DATETIME),
    ]

    def convert(r: Sequence[Any]) -> list[Any]:
        (
            eid,
            rule,
            level,
            kind,
            target_id,
            cnumber,
            unit_id,
            reason,
            raised,
            updated,
            state,
            resolved,
        ) = r
        code, name = units.get(unit_id, (None, None))
        target = cnumber or (code if kind == "unit" else f"#{target_id}")
        return [
            eid,
            rule,
            level,
            TARGET_KINDS.get(kind, kind),
            target,
            code,
            name,
            reason,
            as_datetime(raised),
            as_datetime(updated),
            ESCALATION_STATES.get(state, state),
            as_datetime(resolved),
        ]

    return _write(
        actor=actor,
        path=path,
        filters=f,
        identity=NONE,
        title="督办台账",
        columns=columns,
        rows=map(convert, stream(query)),
        total=base.count(),
        progress=progress,
        cancel=cancel,
    )


# -- accountability 问责台账 ---------------------------------------------------------------


def _evidence(text: str | None, numbers: dict[int, str]) -> str:
    try:
        items = json.loads(text or "[]")
    except ValueError:
        return text or ""
    parts = []
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict):
            kind, rid = item.get("kind"), item.get("id")
            label = numbers.get(rid) if kind == "complaint" and rid in numbers else f"#{rid}"
            parts.append(f"{TARGET_KINDS.get(str(kind), kind)} {label}")
    return "、".join(parts)


def export_accountability(
    *,
    actor: Actor,
    path: Path,
    filters: LedgerFilter,
    unmask: bool = False,
    progress: Progress | None = None,
    cancel: Callable[[], bool] | None = None,
    **context: object,
) -> int:
    f = filters
    f.only("accountability", ("month", "status", "unit", "date_from", "date_to"))
    permissions.require(actor.role, "accountability.read", actor.name)
    _choice(f.status, CASE_STATUSES, "问责状态", "case status")
    _no_identities("accountability", unmask)
    A = AccountabilityCase
    base = within(A.select(), A.proposed_at, f)
    if f.unit:
        base = base.where(A.unit == _unit_filter(f))
    if f.status:
        base = base.where(A.status == f.status)
    U, S = Unit.alias(), Staff.alias()
    query = (
        base.select(
            A.id,
            A.rule,
            A.target_kind,
            U.code,
            U.name,
            S.number,
            S.name,
            A.failure_kind,
            A.reason,
            A.evidence,
            A.proposed_at,
            A.status,
            A.form,
            A.sanction,
            A.sanction_ends,
            A.basis,
            A.decided_by,
            A.decided_at,
        )
        .join_from(A, U, pw.JOIN.LEFT_OUTER, on=(A.unit == U.id))
        .join_from(A, S, pw.JOIN.LEFT_OUTER, on=(A.staff == S.id))
        .order_by(A.proposed_at, A.id)
    )
    rows = list(stream(query))  # cases are few; the evidence needs complaint numbers first
    ids = set()
    for r in rows:
        try:
            ids |= {
                e.get("id")
                for e in json.loads(r[9] or "[]")
                if isinstance(e, dict) and e.get("kind") == "complaint"
            }
        except (ValueError, TypeError, AttributeError):
            continue
    ids.discard(None)
    numbers = (
        dict(
            Complaint.select(Complaint.id, Complaint.number)
            .where(Complaint.id.in_(list(ids)))
            .tuples()
        )
        if ids
        else {}
    )
    columns = [
        Col("案件编号", INT),
        Col("规则", width=16),
        Col("问责对象", width=6),
        Col("单位编码", width=10),
        Col("单位", width=22),
        Col("工号", width=8),
        Col("工作人员", width=8),
        Col("失职类型", width=8),
        Col("事由", width=40),
        Col("证据", width=30),
        Col("提出时间", DATETIME),
        Col("状态", width=8),
        Col("问责形式", width=10),
        Col("政务处分", width=8),
        Col("处分期满", DATE),
        Col("依据", width=30),
        Col("决定人", width=10),
        Col("决定时间", DATETIME),
    ]

    def convert(r: Sequence[Any]) -> list[Any]:
        row = list(r)
        row[2] = "单位" if row[2] == "unit" else "个人"
        row[9] = _evidence(row[9], numbers)
        row[10], row[14], row[17] = as_datetime(row[10]), as_date(row[14]), as_datetime(row[17])
        return row

    return _write(
        actor=actor,
        path=path,
        filters=f,
        identity=NONE,
        title="问责台账",
        columns=columns,
        rows=map(convert, rows),
        total=len(rows),
        progress=progress,
        cancel=cancel,
    )


# -- the monthly report workbook ----------------------------------------------------------


def export_monthly(
    *,
    actor: Actor,
    path: Path,
    filters: LedgerFilter,
    unmask: bool = False,
    progress: Progress | None = None,
    **context: object,
) -> int:
    from supervise.report import monthly_figures, write_workbook

    f = filters
    f.only("monthly", ("month", "as_of"))
    _no_identities("monthly", unmask)
    if not f.month:
        raise UsageError("月报须指定 --month YYYY-MM", "the monthly workbook needs --month YYYY-MM")
    permissions.require(actor.role, "report", actor.name)
    figures = monthly_figures(f.month, f.as_of)
    write_workbook(figures, path, actor)
    if progress is not None:
        progress(1, 1)
    return len(figures["units"])


@hookimpl
def supervise_register_exporters() -> list[ExporterSpec]:
    return [
        ExporterSpec(
            "complaints",
            "诉求工单台账",
            export_complaints,
            "工单全流程：受理、交办、反馈、回访、办结",
        ),
        ExporterSpec("ratings", "好差评台账", export_ratings, "评价明细与差评核实、整改、回访"),
        ExporterSpec("reviews", "监督评议台账", export_reviews, "评议及其发现的问题，一行一个问题"),
        ExporterSpec(
            "escalations", "督办台账", export_escalations, "预警、催办、督办、挂牌督办、约谈提醒"
        ),
        ExporterSpec("accountability", "问责台账", export_accountability, "问责建议与决定"),
        ExporterSpec(
            "monthly", "月度报告工作簿", export_monthly, "汇总、排名、单位明细、热点、趋势"
        ),
    ]
