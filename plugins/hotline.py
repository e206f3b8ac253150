"""Built-in importer ``hotline``: 12345 hotline orders 12345工单 (SPEC §2.1, §5).

Each row carries the whole story of one order — received, assigned, time
limit, replied, visited (result, resolved), closed — and becomes one
complaint whose status, due time and timeline are what the complaint
workflow would have produced, so that the monthly report can be computed
from imported orders alone:

- the 12345 工单编号 is kept as the external id (source ``hotline``), and
  the complaint gets its own ``TS`` number (counter bumped once per month
  and chunk) and receipt code;
- 办理时限 is a number of working days counted from the day of receipt,
  or a deadline; when missing, the setting ``hotline.default_limit_days``;
- the last step present decides the status: 办结时间 → 已办结, 回访时间 →
  已回访 (不满意 or unresolved without a close → 重办: 已交办 again, with a
  new due time from the visit, as :meth:`ComplaintService.visit` does),
  反馈时间 → 已反馈, 交办时间 → 已交办, else 登记;
- each step present is a timeline event at its own time.

An anonymous order (是否匿名 = 是) keeps no name or phone.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from typing import Any

from supervise import hookimpl, identity, settings
from supervise.bulk import existing_keys, ids_by_key
from supervise.extension import Column, ImporterSpec
from supervise.import_values import as_int, parse_bool, parse_choice, parse_datetime, text
from supervise.importing import ImportContext
from supervise.models import (
    CATEGORIES,
    CHANNELS,
    VISIT_RESULTS,
    Complaint,
    TimelineEvent,
    Unit,
    now,
)
from supervise.tabular import Row
from supervise.workdays import END_OF_DAY

logger = logging.getLogger(__name__)

CHUNK = 1000
DEFAULT_LIMIT_DAYS = 5
CATEGORY_ALIASES = {
    "求决": "求助",
    "意见": "建议",
    "意见建议": "建议",
    "感谢": "表扬",
    "投诉举报": "投诉",
}
VISIT_ALIASES = {
    "非常满意": "满意",
    "比较满意": "基本满意",
    "一般": "基本满意",
    "非常不满意": "不满意",
}
STEPS = (
    ("交办时间", "受理时间"),
    ("反馈时间", "交办时间"),
    ("回访时间", "反馈时间"),
    ("办结时间", "回访时间"),
)
COLUMNS = (
    Column(
        "工单编号",
        True,
        ("工单号", "12345工单编号"),
        "12345 平台的工单编号，重复导入按它去重",
        example="GD202610050001",
    ),
    Column(
        "受理时间",
        True,
        ("来电时间", "登记时间"),
        "办理时限自受理之日起计算",
        example="2026-10-05 09:30",
    ),
    Column(
        "诉求类型",
        True,
        ("诉求类别", "工单类型"),
        "也接受 求决→求助、意见→建议、感谢→表扬",
        CATEGORIES,
        "投诉",
    ),
    Column("诉求内容", True, ("工单内容", "来电内容"), example="反映社保卡补办多次被要求补充材料"),
    Column("承办单位编码", True, ("承办单位代码",), "须为已有单位", example="U01"),
    Column("诉求渠道", False, ("来源渠道",), "默认 12345热线", CHANNELS),
    Column("诉求人", False, ("来电人",)),
    Column("联系电话", False, ("来电号码",)),
    Column("是否匿名", False, (), "是：不保存诉求人姓名和电话", ("是", "否")),
    Column("承办单位", False, (), "仅供核对，不导入"),
    Column("涉及事项编码", False, ("事项编码",), "须为已有事项"),
    Column("交办时间", False, ("派单时间",)),
    Column(
        "办理时限",
        False,
        ("承办时限",),
        "工作日数（自受理之日起），或截止时间；空则取设置 hotline.default_limit_days",
    ),
    Column("反馈时间", False, ("答复时间",)),
    Column("办理结果", False, ("答复内容", "办理情况")),
    Column("回访时间", False, ()),
    Column(
        "回访结果",
        False,
        ("满意度评价",),
        "满意/基本满意/不满意（不满意且未办结的重办）",
        VISIT_RESULTS,
    ),
    Column("是否解决", False, (), "是/否（未解决且未办结的重办）", ("是", "否")),
    Column("办结时间", False, ("结案时间",)),
)
COMPLAINT_FIELDS = (
    "number",
    "receipt_code",
    "channel",
    "category",
    "title",
    "content",
    "identity_sealed",
    "masked_name",
    "masked_phone",
    "anonymous",
    "unit",
    "matter",
    "received_at",
    "status",
    "limit_days",
    "assigned_at",
    "due_at",
    "replied_at",
    "reply_text",
    "visited_at",
    "visit_result",
    "resolved",
    "closed_at",
    "reopen_count",
    "source",
    "batch",
    "external_id",
)
EVENT_FIELDS = ("record_kind", "record_id", "at", "actor", "action", "status", "note")


def _time(
    ctx: ImportContext, row: Row, column: str, horizon: dt.datetime
) -> tuple[bool, dt.datetime | None]:
    value = row.cells.get(column)
    if value is None:
        return True, None
    try:
        at = parse_datetime(value)
    except ValueError as exc:
        ctx.error(row, column, str(exc))
        return False, None
    if at > horizon:
        ctx.error(row, column, "时间晚于当前时间 lies in the future")
        return False, None
    return True, at


def _limit(value: Any) -> int | dt.datetime:
    """Working days (0–365) or a deadline; ValueError otherwise."""
    try:
        days = as_int(value)
    except ValueError:
        days = None
    if days is not None and 0 <= days <= 365:
        return days
    try:
        deadline = parse_datetime(value)
    except ValueError:
        raise ValueError(
            "办理时限应为 0–365 个工作日或截止时间 must be 0–365 working days or a deadline"
        ) from None
    return (
        dt.datetime.combine(deadline.date(), END_OF_DAY)
        if deadline.time() == dt.time()
        else deadline
    )


def parse_order(
    ctx: ImportContext, row: Row, refs: dict[str, dict[str, int]], horizon: dt.datetime
) -> dict[str, Any] | None:
    """One order's values checked, every bad value reported; None when any is bad."""
    v, ok = row.cells, True
    order: dict[str, Any] = {"key": text(v["工单编号"]), "content": text(v["诉求内容"])}
    for column, name in (("受理时间", "received"), *((step, step) for step, _ in STEPS)):
        good, order[name] = _time(ctx, row, column, horizon)
        ok &= good
    for column, allowed, aliases, default, name in (
        ("诉求类型", CATEGORIES, CATEGORY_ALIASES, None, "category"),
        ("诉求渠道", CHANNELS, None, "12345热线", "channel"),
        ("回访结果", VISIT_RESULTS, VISIT_ALIASES, None, "result"),
    ):
        try:
            order[name] = (
                parse_choice(v[column], allowed, aliases) if v.get(column) is not None else default
            )
        except ValueError as exc:
            ctx.error(row, column, str(exc))
            ok = False
    order["unit"] = refs["units"].get(text(v["承办单位编码"]) or "")
    if order["unit"] is None:
        ctx.error(row, "承办单位编码", "单位编码不存在 unknown unit code")
        ok = False
    order["matter"] = None
    if v.get("涉及事项编码") is not None:
        order["matter"] = refs["matters"].get(text(v["涉及事项编码"]) or "")
        if order["matter"] is None:
            ctx.error(row, "涉及事项编码", "事项编码不存在 unknown matter code")
            ok = False
    for column, true, false, name in (
        ("是否匿名", ("匿名",), ("实名",), "anonymous"),
        ("是否解决", ("已解决", "解决"), ("未解决",), "resolved"),
    ):
        order[name] = None
        if v.get(column) is not None:
            try:
                order[name] = parse_bool(v[column], true, false)
            except ValueError as exc:
                ctx.error(row, column, str(exc))
                ok = False
    order["limit"] = None
    if v.get("办理时限") is not None:
        try:
            order["limit"] = _limit(v["办理时限"])
        except ValueError as exc:
            ctx.error(row, "办理时限", str(exc))
            ok = False
    if v.get("回访结果") is not None and v.get("回访时间") is None:
        ctx.error(row, "回访时间", "有回访结果时须填写回访时间 a visit result needs the visit time")
        ok = False
    if v.get("回访时间") is not None and v.get("回访结果") is None:
        ctx.error(row, "回访结果", "有回访时间时须填写回访结果 a visit needs its result")
        ok = False
    if ok:
        earliest, before = order["received"], "受理时间"
        for step, _ in STEPS:
            at = order[step]
            if at is None:
                continue
            if at < earliest:
                ctx.error(row, step, f"早于{before} earlier than {before}")
                ok = False
            earliest, before = at, step
    if not ok:
        return None
    anonymous = bool(order["anonymous"])
    order["name"] = None if anonymous else text(v.get("诉求人"))
    order["phone"] = None if anonymous else text(v.get("联系电话"))
    order["anonymous"] = anonymous
    order["reply"] = text(v.get("办理结果"))
    return order


def _story(
    ctx: ImportContext, order: dict[str, Any], default_days: int, unit_names: dict[int, str]
) -> tuple[dict[str, Any], list[tuple[dt.datetime, str, str, str]]]:
    """The complaint's stored values and its timeline (at, action, status, note)."""
    received, batch = order["received"], ctx.batch.id
    assigned, replied, visited, closed = (order[s] for s, _ in STEPS)
    calendar = ctx.calendar
    values = {
        "status": "登记",
        "limit_days": None,
        "assigned_at": None,
        "due_at": None,
        "reopen_count": 0,
        "replied_at": replied,
        "visited_at": visited,
        "closed_at": closed,
    }
    events = [
        (
            received,
            "登记",
            "登记",
            f"渠道 {order['channel']}，类别 {order['category']}；12345工单 {order['key']}（导入批次 {batch}）",
        )
    ]
    if assigned or replied or visited or closed:
        limit = order["limit"] if order["limit"] is not None else default_days
        if isinstance(limit, dt.datetime):
            due, days = limit, calendar.workdays_between(received.date(), limit.date())
            text_limit = f"{due:%Y-%m-%d %H:%M} 前办结"
        else:
            due, days = calendar.due_at(received, limit), limit
            text_limit = f"时限 {days} 个工作日{'（默认）' if order['limit'] is None else ''}，{due:%Y-%m-%d} 前办结"
        values.update(
            status="已交办", limit_days=days, assigned_at=assigned or received, due_at=due
        )
        events.append(
            (
                assigned or received,
                "交办",
                "已交办",
                f"承办单位 {unit_names.get(order['unit'], '')}，{text_limit}",
            )
        )
    if replied:
        on_time = replied <= values["due_at"]
        values["status"] = "已反馈"
        events.append(
            (
                replied,
                "反馈",
                "已反馈",
                f"{'按期' if on_time else '超期'}反馈：{order['reply'] or '（无办理结果）'}",
            )
        )
    if visited:
        values["status"] = "已回访"
        resolved = order["resolved"]
        note = order["result"] + (
            "" if resolved is None else "，已解决" if resolved else "，未解决"
        )
        events.append((visited, "回访", "已回访", note))
        if not closed and (order["result"] == "不满意" or resolved is False):
            due = calendar.due_at(visited, values["limit_days"] or 0)
            values.update(status="已交办", reopen_count=1, due_at=due, replied_at=None)
            events.append((visited, "重办", "已交办", f"第 1 次重办，{due:%Y-%m-%d} 前办结"))
    if closed:
        values["status"] = "已办结"
        events.append((closed, "办结", "已办结", "12345 平台办结"))
    return values, events


def import_hotline(ctx: ImportContext, rows: Iterable[Row], **_: object) -> None:
    """12345 orders → complaints with their whole timeline, in chunks."""
    refs = {"units": ctx.codes("units"), "matters": ctx.codes("matters")}
    default_days = as_int(settings.get("hotline.default_limit_days", DEFAULT_LIMIT_DAYS))
    unit_names = dict(Unit.select(Unit.id, Unit.name).tuples())
    horizon = now() + dt.timedelta(minutes=5)
    seen: set[str | None] = set()
    pending: list[dict[str, Any]] = []
    for row in rows:
        key = text(row.cells["工单编号"])
        duplicate = key in seen
        seen.add(key)
        order = parse_order(ctx, row, refs, horizon)
        if duplicate:
            ctx.error(row, "工单编号", "文件内工单编号重复 duplicate order number in the file")
            continue
        if order is None:
            continue
        pending.append(order)
        if len(pending) >= CHUNK:
            _write(ctx, pending, default_days, unit_names)
            pending = []
    _write(ctx, pending, default_days, unit_names)


def _write(
    ctx: ImportContext, orders: list[dict[str, Any]], default_days: int, unit_names: dict[int, str]
) -> None:
    if ctx.stopped or not orders:
        return
    from supervise import search
    from supervise.services.complaints import new_receipt_code, reserve_numbers

    stored = existing_keys(Complaint, "hotline", [o["key"] for o in orders])
    ctx.duplicates += len(stored)
    orders = [o for o in orders if o["key"] not in stored]
    by_month: dict[dt.date, list[dict[str, Any]]] = {}
    for order in orders:
        by_month.setdefault(order["received"].date().replace(day=1), []).append(order)
    for month, group in by_month.items():
        for order, number in zip(group, reserve_numbers(month, len(group)), strict=True):
            order["number"] = number
    complaints = ctx.writer(
        Complaint, COMPLAINT_FIELDS, conflict=("source", "external_id"), raw=search.row_columns()
    )
    seal = identity.sealer()  # one ephemeral key for the batch; the public key only
    stories = {}
    for order in orders:
        values, events = _story(ctx, order, default_days, unit_names)
        stories[order["key"]] = (order, values, events)
        complaints.add(
            (
                order["number"],
                new_receipt_code(),
                order["channel"],
                order["category"],
                order["content"][:30],
                order["content"],
                *_identity(seal, order),
                order["anonymous"],
                order["unit"],
                order["matter"],
                order["received"],
                values["status"],
                values["limit_days"],
                values["assigned_at"],
                values["due_at"],
                values["replied_at"],
                order["reply"],
                values["visited_at"],
                order["result"],
                order["resolved"],
                values["closed_at"],
                values["reopen_count"],
                "hotline",
                ctx.batch.id,
                order["key"],
                *search.row_values(*_texts(order)),
            )
        )
    complaints.flush()
    ids = ids_by_key(Complaint, ctx.batch.id, list(stories))
    ctx.duplicates += len(stories) - len(ids)  # stored meanwhile by a concurrent import
    timeline = ctx.writer(TimelineEvent, EVENT_FIELDS)
    actor = ctx.actor.name
    for key, complaint_id in ids.items():
        for at, action, status, note in stories[key][2]:
            timeline.add(("complaint", complaint_id, at, actor, action, status, note))
    timeline.flush()
    search.index_new(
        search.COMPLAINTS, ((cid, *_texts(stories[key][0])) for key, cid in ids.items())
    )
    ctx.imported += len(ids)


def _texts(order: dict[str, Any]) -> tuple[str, str, str | None]:
    """The indexed texts of an order's complaint: title, content, reply."""
    return order["content"][:30], order["content"], order["reply"]


def _identity(
    seal: identity.Sealer, order: dict[str, Any]
) -> tuple[str | None, str | None, str | None]:
    cols = identity.complaint_columns(seal, order["number"], order["name"], order["phone"], None)
    return cols["identity_sealed"], cols["masked_name"], cols["masked_phone"]


@hookimpl
def supervise_default_settings() -> dict[str, object]:
    return {"hotline.default_limit_days": DEFAULT_LIMIT_DAYS}


@hookimpl
def supervise_register_importers() -> list[ImporterSpec]:
    return [
        ImporterSpec(
            "hotline",
            "12345工单",
            COLUMNS,
            import_hotline,
            "12345 热线工单及其交办、反馈、回访、办结全过程，导入为诉求工单",
        )
    ]
