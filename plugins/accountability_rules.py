"""Built-in accountability rules (问责规则, SPEC §2.4, §4).

Each rule proposes cases with their evidence; nothing is decided by a rule.
Four rules are one set-based SELECT of ``(key, target_kind, unit_id,
staff_id, failure_kind, evidence, reason)``; the ranking rule looks at a
handful of units a month and answers in Python.  ``key`` names the evidence
(the engine prefixes the rule), so a case is proposed once per evidence.

| rule | failure | target | proposes when |
|---|---|---|---|
| 超期慢作为 | 慢作为 | unit | a complaint unanswered more than ``days`` working days past due |
| 督办不力不作为 | 不作为 | unit | a 挂牌督办 still unanswered ``days`` working days after it was raised |
| 整改不到位 | 不作为 | unit | a 属实 差评 unrectified ``days`` working days past its due time |
| 严重纪律问题乱作为 | 乱作为 | staff (else unit) | an adopted finding of ``category`` and ``severity`` |
| 排名连续落后 | 慢作为 | unit | last ``bottom`` of the monthly ranking ``interview_months`` months running (建议约谈), ``notice_months`` (建议通报) |
"""

from __future__ import annotations

import logging

import peewee as pw

from supervise import hookimpl
from supervise.extension import RuleSpec
from supervise.models import Complaint, Escalation, Finding, Rating, Review, Unit
from supervise.rules import (
    NULL_ID,
    CaseProposal,
    RuleContext,
    bottom_units,
    complaint_unanswered,
    day_text,
    evidence_json,
    rating_unrectified,
    text,
)

logger = logging.getLogger(__name__)

PARAMETERS: dict[str, dict[str, object]] = {
    "超期慢作为": {"days": 5},
    "督办不力不作为": {"days": 5},
    "整改不到位": {"days": 10},
    "严重纪律问题乱作为": {"category": "纪律", "severity": "严重"},
    "排名连续落后": {"bottom": 5, "interview_months": 2, "notice_months": 3},
}


def slow_handling(ctx: RuleContext, **context: object) -> pw.ModelSelect:
    """超期慢作为: a complaint still unanswered more than ``days`` working days past due."""
    days = ctx.int_param("days")
    c = Complaint
    return c.select(
        text("complaint:", c.id, ":", c.reopen_count),
        pw.Value("unit"),
        c.unit,
        NULL_ID,
        pw.Value("慢作为"),
        evidence_json(("complaint", c.id)),
        text(
            "工单 ",
            c.number,
            " 超过办理期限（",
            day_text(c.due_at),
            f"）{days} 个工作日以上仍未反馈",
        ),
    ).where(
        complaint_unanswered(ctx.as_of)
        & c.unit.is_null(False)
        & (c.due_at < ctx.past_due_cutoff(days + 1))
    )


def ineffective_supervision(ctx: RuleContext, **context: object) -> pw.ModelSelect:
    """督办不力不作为: a complaint under 挂牌督办 (an open escalation at that level)
    still unanswered ``days`` working days after the level was raised."""
    days = ctx.int_param("days", 1)
    c, e = Complaint, Escalation
    open_at = (e.state == "open") | (e.resolved_at > ctx.as_of)
    return (
        e.select(
            text("escalation:", e.id, ":", c.reopen_count),
            pw.Value("unit"),
            c.unit,
            NULL_ID,
            pw.Value("不作为"),
            evidence_json(("complaint", c.id), ("escalation", e.id)),
            text(
                "工单 ",
                c.number,
                " 于 ",
                day_text(e.updated_at),
                f" 挂牌督办后 {days} 个工作日仍未反馈",
            ),
        )
        .join(c, on=((e.target_kind == "complaint") & (e.target_id == c.id)))
        .where(
            (e.level == "挂牌督办")
            & open_at
            & (e.updated_at < ctx.past_due_cutoff(days))
            & complaint_unanswered(ctx.as_of)
            & c.unit.is_null(False)
        )
    )


def rectification_failed(ctx: RuleContext, **context: object) -> pw.ModelSelect:
    """整改不到位: a 属实 差评 still unrectified ``days`` working days past its due time."""
    days = ctx.int_param("days", 1)
    r = Rating
    return r.select(
        text("rating:", r.id),
        pw.Value("unit"),
        r.unit,
        NULL_ID,
        pw.Value("不作为"),
        evidence_json(("rating", r.id)),
        text(
            "差评 ",
            r.id,
            " 核实属实，整改期限（",
            day_text(r.rectify_due_at),
            f"）已过 {days} 个工作日仍未整改",
        ),
    ).where(rating_unrectified(ctx.as_of) & (r.rectify_due_at < ctx.past_due_cutoff(days)))


def serious_discipline(ctx: RuleContext, **context: object) -> pw.ModelSelect:
    """严重纪律问题乱作为: an adopted finding of the given category and severity;
    against the staff member reviewed, else the unit."""
    category, severity = str(ctx.param("category")), str(ctx.param("severity"))
    f, r = Finding, Review
    target = pw.Case(None, [(r.staff.is_null(False), "staff")], "unit")
    decided = r.decided_at.is_null() | (r.decided_at <= ctx.as_of)
    return (
        f.select(
            text("finding:", f.id),
            target,
            r.unit,
            r.staff,
            pw.Value("乱作为"),
            evidence_json(("finding", f.id), ("review", r.id)),
            text(
                "监督评议（",
                r.method,
                " ",
                day_text(r.review_date),
                f"）发现{severity}{category}问题：",
                pw.fn.SUBSTR(f.description, 1, 100),
            ),
        )
        .join(r)
        .where(
            (f.category == category)
            & (f.severity == severity)
            & (r.status == "已采纳")
            & decided
            & (r.review_date <= ctx.as_of.date())
        )
    )


def ranking_lag(ctx: RuleContext, **context: object) -> list[CaseProposal]:
    """排名连续落后: among the last ``bottom`` of the monthly ranking for the
    ``interview_months`` (约谈) or ``notice_months`` (通报) complete months
    before ``as_of``'s month."""
    bottom = ctx.int_param("bottom", 1)
    interview, notice = ctx.int_param("interview_months", 1), ctx.int_param("notice_months", 1)
    if notice <= interview:
        raise ValueError(f"notice_months ({notice}) must exceed interview_months ({interview})")
    months = [ctx.month(back) for back in range(1, notice + 1)]  # latest first
    lists: list[set[int]] = []
    running: set[int] | None = None  # the units last in every month ranked so far
    for month in months:  # an earlier month is ranked only while some unit's streak goes on
        if running is not None and not running:
            break
        lists.append(set(bottom_units(month, bottom, ctx.as_of)))
        running = lists[-1] if running is None else running & lists[-1]
    names = dict(Unit.select(Unit.id, Unit.name).where(Unit.id.in_(list(lists[0]) or [0])).tuples())
    proposals = []
    for unit in sorted(lists[0]):
        streak = next((i for i, units in enumerate(lists) if unit not in units), len(lists))
        if streak < interview:
            continue
        span = notice if streak >= notice else interview
        form = "通报" if streak >= notice else "约谈"
        used = list(reversed(months[:span]))
        proposals.append(
            CaseProposal(
                key=f"unit:{unit}:{used[0]}:{used[-1]}",
                target_kind="unit",
                unit_id=unit,
                staff_id=None,
                failure_kind="慢作为",
                evidence=[{"kind": "ranking", "id": month} for month in used],
                reason=f"{names.get(unit, unit)} 连续 {span} 个月（{'、'.join(used)}）月度排名后 {bottom} 位，建议{form}",
            )
        )
    return proposals


RULES = (
    (
        "超期慢作为",
        "超期慢作为",
        slow_handling,
        "工单超过办理期限 days 个工作日以上仍未反馈：对承办单位提出慢作为问责建议。",
    ),
    (
        "督办不力不作为",
        "督办不力不作为",
        ineffective_supervision,
        "挂牌督办后 days 个工作日仍未反馈：对承办单位提出不作为问责建议。",
    ),
    (
        "整改不到位",
        "整改不到位",
        rectification_failed,
        "属实差评超过整改期限 days 个工作日仍未整改：不作为问责建议。",
    ),
    (
        "严重纪律问题乱作为",
        "严重纪律问题乱作为",
        serious_discipline,
        "已采纳的监督评议问题，类别 category、严重程度 severity：对被评议人员（无则单位）提出乱作为问责建议。",
    ),
    (
        "排名连续落后",
        "排名连续落后约谈/通报",
        ranking_lag,
        "连续 interview_months 个月月度排名后 bottom 位：建议约谈；连续 notice_months 个月：建议通报。",
    ),
)


@hookimpl
def supervise_register_accountability_rules() -> list[RuleSpec]:
    return [
        RuleSpec(name, title, "accountability", run, dict(PARAMETERS[name]), description)
        for name, title, run, description in RULES
    ]


@hookimpl
def supervise_default_settings() -> dict[str, object]:
    return {
        f"rules.{rule}.{key}": value
        for rule, params in PARAMETERS.items()
        for key, value in params.items()
    }
