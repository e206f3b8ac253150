"""Built-in escalation rules (督办规则, SPEC §2.4, §4).

Each rule is one set-based SELECT of ``(target_kind, target_id, level,
reason)`` over the records as they stand at ``ctx.as_of``; working days
enter only as cut-off instants computed by the context.  Thresholds are
settings ``rules.<rule>.<parameter>`` (defaults below).  "N working days
past a deadline" means the N-th working day after the deadline's day has
begun (see ``docs/RULES.md``).  The deadline of an unanswered complaint is
one escalation whose level rises (期限督办); its thresholds keep the names
of the rules they were — 临期预警, 超期催办, 超期督办, 挂牌督办 — in the
settings and in the reason.

| rule | target | level | flags |
|---|---|---|---|
| 期限督办 | complaint | 预警 → 催办 → 督办 → 挂牌督办 | unanswered and due within ``临期预警.days`` working days (预警), past due (催办), ``超期督办.days`` working days past due (督办), ``超期督办.listed_days`` (挂牌督办): one record whose level rises |
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

#: Settings ``rules.<name>.<parameter>``; the deadline ladder's thresholds keep the
#: names of the rules they were (``rules.临期预警.days`` …).
PARAMETERS: dict[str, dict[str, int]] = {
    "临期预警": {"days": 1},
    "超期督办": {"days": 3, "listed_days": 5},
    "重办督办": {"times": 2},
    "差评整改超期": {"days": 3},
    "热点预警": {"count": 5, "days": 30},
}


#: The deadline ladder's thresholds, each named by the rule it was before the ladder
#: (issue #5): the level of a deadline escalation says which one raised it.
THRESHOLDS = {"预警": "临期预警", "催办": "超期催办", "督办": "超期督办", "挂牌督办": "挂牌督办"}


def deadline(ctx: RuleContext, **context: object) -> pw.ModelSelect:
    """期限督办: one escalation per unanswered complaint whose deadline is near or past,
    its level rising with the lateness — 预警 (临期预警: due within ``临期预警.days``
    working days), 催办 (超期催办: past due), 督办 (超期督办: ``超期督办.days``
    working days past due), 挂牌督办 (``超期督办.listed_days``)."""
    warn = ctx.int_param("临期预警.days")
    days, listed = ctx.int_param("超期督办.days", 1), ctx.int_param("超期督办.listed_days", 1)
    if listed < days:
        raise ValueError(
            f"超期督办.listed_days ({listed}) must not be below 超期督办.days ({days})"
        )
    c = Complaint
    steps = (
        (c.due_at < ctx.past_due_cutoff(listed), "挂牌督办", f"超期 {listed} 个工作日以上仍未反馈"),
        (c.due_at < ctx.past_due_cutoff(days), "督办", f"超期 {days} 个工作日以上仍未反馈"),
        (c.due_at < ctx.as_of, "催办", "已超过办理期限，尚未反馈"),
    )
    level = pw.Case(None, [(when, level) for when, level, _ in steps], "预警")
    note = pw.Case(
        None,
        [(when, f"{THRESHOLDS[level]}：{why}") for when, level, why in steps],
        f"临期预警：{warn} 个工作日内到期，尚未反馈",
    )
    return c.select(
        pw.Value("complaint"), c.id, level, text(note, "（办理期限 ", day_text(c.due_at), "）")
    ).where(complaint_unanswered(ctx.as_of) & (c.due_at <= ctx.due_within(warn)))


def reopened(ctx: RuleContext, **context: object) -> pw.ModelSelect:
    """重办督办: complaints reopened ``times`` times or more, not closed at ``as_of``
    (assigned by then: a reopened complaint always was)."""
    times = ctx.int_param("times", 1)
    c = Complaint
    still_open = (c.closed_at.is_null() & c.status.not_in(("已办结", "不予受理", "已并单"))) | (
        c.closed_at > ctx.as_of
    )
    return c.select(
        pw.Value("complaint"),
        c.id,
        pw.Value("督办"),
        text("已重办 ", c.reopen_count, " 次仍未办结"),
    ).where((c.reopen_count >= times) & (c.assigned_at <= ctx.as_of) & still_open)


def rectification_overdue(ctx: RuleContext, **context: object) -> pw.ModelSelect:
    """差评整改超期: 属实 差评 past their rectification deadline → 催办; ``days`` working days past → 督办."""
    days = ctx.int_param("days", 1)
    r = Rating
    late = r.rectify_due_at < ctx.past_due_cutoff(days)
    level = pw.Case(None, [(late, "督办")], "催办")
    note = pw.Case(None, [(late, f"，超期 {days} 个工作日以上")], "")
    return r.select(
        pw.Value("rating"),
        r.id,
        level,
        text("差评属实，整改期限 ", day_text(r.rectify_due_at), " 已过仍未整改", note),
    ).where(rating_unrectified(ctx.as_of) & (r.rectify_due_at < ctx.as_of))


def hotspot(ctx: RuleContext, **context: object) -> pw.ModelSelect:
    """热点预警: ``count`` or more complaints on one matter (a matter belongs to one
    unit) received within the ``days`` calendar days up to ``as_of``."""
    count, days = ctx.int_param("count", 1), ctx.int_param("days", 1)
    c = Complaint
    since = ctx.as_of - dt.timedelta(days=days)
    return (
        c.select(
            pw.Value("matter"),
            c.matter,
            pw.Value("预警"),
            text(f"近 {days} 日同一事项诉求 ", pw.fn.COUNT(c.id), " 件"),
        )
        .where(
            c.matter.is_null(False)
            & (c.received_at > since)
            & (c.received_at <= ctx.as_of)
            & c.status.not_in(("不予受理", "已并单"))
        )
        .group_by(c.matter)
        .having(pw.fn.COUNT(c.id) >= count)
    )


RULES = (
    (
        "期限督办",
        "临期预警/超期催办/超期督办/挂牌督办",
        deadline,
        "已交办未反馈的工单，同一督办随超期程度升级：办理期限在 临期预警.days 个工作日内到期：预警；"
        "超过期限：催办；超过 超期督办.days 个工作日：督办；超过 超期督办.listed_days 个工作日：挂牌督办。",
    ),
    ("重办督办", "重办督办", reopened, "重办 times 次及以上仍未办结的工单：督办。"),
    (
        "差评整改超期",
        "差评整改超期",
        rectification_overdue,
        "核实属实的差评超过整改期限仍未整改：催办；超期 days 个工作日：督办。",
    ),
    ("热点预警", "热点预警", hotspot, "days 日内同一事项（属一个单位）诉求达 count 件：预警。"),
)


#: Each rule's parameters; a name with a dot is the setting ``rules.<name>``.
RULE_PARAMETERS: dict[str, dict[str, int]] = {
    "期限督办": {"临期预警.days": 1, "超期督办.days": 3, "超期督办.listed_days": 5},
    **{name: PARAMETERS[name] for name in ("重办督办", "差评整改超期", "热点预警")},
}


@hookimpl
def supervise_register_escalation_rules() -> list[RuleSpec]:
    return [
        RuleSpec(name, title, "escalation", run, dict(RULE_PARAMETERS[name]), description)
        for name, title, run, description in RULES
    ]


@hookimpl
def supervise_default_settings() -> dict[str, object]:
    return {
        f"rules.{rule}.{key}": value
        for rule, params in PARAMETERS.items()
        for key, value in params.items()
    }
