"""Built-in escalation rules (督办规则, SPEC §2.4, §4).

Each rule is one set-based SELECT of ``(target_kind, target_id, level,
reason)`` over the records as they stand at ``ctx.as_of``; working days
enter only as cut-off instants computed by the context.  Thresholds are
settings ``rules.<rule>.<parameter>`` (defaults below).  "N working days
past a deadline" means the N-th working day after the deadline's day has
begun (see ``docs/RULES.md``).

| rule | target | level | flags |
|---|---|---|---|
| 临期预警 | complaint | 预警 | unanswered, due within ``days`` working days, not yet past due |
| 超期催办 | complaint | 催办 | unanswered and past due |
| 超期督办 | complaint | 督办 → 挂牌督办 | unanswered ``days`` (``listed_days``) working days past due |
| 重办督办 | complaint | 督办 | reopened ``times`` times or more and not closed |
| 差评整改超期 | rating | 催办 → 督办 | a 属实 差评 not rectified by its due time (``days`` working days past it) |
| 热点预警 | matter | 预警 | ``count`` or more complaints on the matter within ``days`` days |
"""

from __future__ import annotations

import datetime as dt
import logging

import peewee as pw

from supervise import hookimpl
from supervise.extension import RuleSpec
from supervise.models import Complaint, Rating
from supervise.rules import RuleContext, complaint_unanswered, day_text, rating_unrectified, text

logger = logging.getLogger(__name__)

PARAMETERS: dict[str, dict[str, int]] = {
    "临期预警": {"days": 1},
    "超期催办": {},
    "超期督办": {"days": 3, "listed_days": 5},
    "重办督办": {"times": 2},
    "差评整改超期": {"days": 3},
    "热点预警": {"count": 5, "days": 30},
}


def due_soon(ctx: RuleContext, **context: object) -> pw.ModelSelect:
    """临期预警: unanswered complaints whose deadline is not past and falls within
    ``days`` working days of ``as_of``'s day."""
    days = ctx.int_param("days")
    c = Complaint
    return (c.select(pw.Value("complaint"), c.id, pw.Value("预警"),
                     text("办理期限 ", day_text(c.due_at), f" 将至（{days} 个工作日内），尚未反馈"))
            .where(complaint_unanswered(ctx.as_of) & (c.due_at >= ctx.as_of) & (c.due_at <= ctx.due_within(days))))


def overdue_reminder(ctx: RuleContext, **context: object) -> pw.ModelSelect:
    """超期催办: unanswered complaints past their deadline."""
    c = Complaint
    return (c.select(pw.Value("complaint"), c.id, pw.Value("催办"),
                     text("已超过办理期限 ", day_text(c.due_at), "，尚未反馈"))
            .where(complaint_unanswered(ctx.as_of) & (c.due_at < ctx.as_of)))


def overdue_supervision(ctx: RuleContext, **context: object) -> pw.ModelSelect:
    """超期督办: unanswered ``days`` working days past due → 督办; ``listed_days`` → 挂牌督办."""
    days, listed = ctx.int_param("days", 1), ctx.int_param("listed_days", 1)
    if listed < days:
        raise ValueError(f"listed_days ({listed}) must not be below days ({days})")
    c = Complaint
    listed_cut = ctx.past_due_cutoff(listed)
    level = pw.Case(None, [(c.due_at < listed_cut, "挂牌督办")], "督办")
    reason = pw.Case(None, [(c.due_at < listed_cut, f"超期 {listed} 个工作日以上仍未反馈，挂牌督办")],
                     f"超期 {days} 个工作日以上仍未反馈，督办")
    return (c.select(pw.Value("complaint"), c.id, level, text("办理期限 ", day_text(c.due_at), "，", reason))
            .where(complaint_unanswered(ctx.as_of) & (c.due_at < ctx.past_due_cutoff(days))))


def reopened(ctx: RuleContext, **context: object) -> pw.ModelSelect:
    """重办督办: complaints reopened ``times`` times or more, not closed at ``as_of``
    (assigned by then: a reopened complaint always was)."""
    times = ctx.int_param("times", 1)
    c = Complaint
    still_open = (c.closed_at.is_null() & c.status.not_in(("已办结", "不予受理", "已并单"))) | (c.closed_at > ctx.as_of)
    return (c.select(pw.Value("complaint"), c.id, pw.Value("督办"),
                     text("已重办 ", c.reopen_count, " 次仍未办结"))
            .where((c.reopen_count >= times) & (c.assigned_at <= ctx.as_of) & still_open))


def rectification_overdue(ctx: RuleContext, **context: object) -> pw.ModelSelect:
    """差评整改超期: 属实 差评 past their rectification deadline → 催办; ``days`` working days past → 督办."""
    days = ctx.int_param("days", 1)
    r = Rating
    late = r.rectify_due_at < ctx.past_due_cutoff(days)
    level = pw.Case(None, [(late, "督办")], "催办")
    note = pw.Case(None, [(late, f"，超期 {days} 个工作日以上")], "")
    return (r.select(pw.Value("rating"), r.id, level, text("差评属实，整改期限 ", day_text(r.rectify_due_at), " 已过仍未整改", note))
            .where(rating_unrectified(ctx.as_of) & (r.rectify_due_at < ctx.as_of)))


def hotspot(ctx: RuleContext, **context: object) -> pw.ModelSelect:
    """热点预警: ``count`` or more complaints on one matter (a matter belongs to one
    unit) received within the ``days`` calendar days up to ``as_of``."""
    count, days = ctx.int_param("count", 1), ctx.int_param("days", 1)
    c = Complaint
    since = ctx.as_of - dt.timedelta(days=days)
    return (c.select(pw.Value("matter"), c.matter, pw.Value("预警"),
                     text(f"近 {days} 日同一事项诉求 ", pw.fn.COUNT(c.id), " 件"))
            .where(c.matter.is_null(False) & (c.received_at > since) & (c.received_at <= ctx.as_of)
                   & c.status.not_in(("不予受理", "已并单")))
            .group_by(c.matter)
            .having(pw.fn.COUNT(c.id) >= count))


RULES = (
    ("临期预警", "临期预警", due_soon, "已交办未反馈、办理期限在 days 个工作日内到期的工单：预警。"),
    ("超期催办", "超期催办", overdue_reminder, "已交办未反馈、超过办理期限的工单：催办。"),
    ("超期督办", "超期督办/挂牌督办", overdue_supervision,
     "超过办理期限 days 个工作日仍未反馈：督办；listed_days 个工作日：升为挂牌督办。"),
    ("重办督办", "重办督办", reopened, "重办 times 次及以上仍未办结的工单：督办。"),
    ("差评整改超期", "差评整改超期", rectification_overdue,
     "核实属实的差评超过整改期限仍未整改：催办；超期 days 个工作日：督办。"),
    ("热点预警", "热点预警", hotspot, "days 日内同一事项（属一个单位）诉求达 count 件：预警。"),
)


@hookimpl
def supervise_register_escalation_rules() -> list[RuleSpec]:
    return [RuleSpec(name, title, "escalation", run, dict(PARAMETERS[name]), description)
            for name, title, run, description in RULES]


@hookimpl
def supervise_default_settings() -> dict[str, object]:
    return {f"rules.{rule}.{key}": value for rule, params in PARAMETERS.items() for key, value in params.items()}
