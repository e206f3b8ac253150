"""诉求工单 complaints: registration and the whole lifecycle (SPEC §2.1).

    登记 → 已交办 (unit, card, due) → 已反馈 (the unit's reply)
         → 已回访 (满意/基本满意/不满意, resolved) → 已办结
    不满意 or unresolved → 重办: back to 已交办 with a new due time (counted)
    退回: the unit disputes the assignment → 登记, staff 改派 to another unit
    延期: the unit asks for N more working days, staff approve (once by default)
    不予受理 / 并单: end the case with a reason

Every step is a timeline event and an audit entry in one transaction.  Time
limits count from the day of receipt; a reopened case gets its limit again
from the day it is reopened.  A liaison acts only on their own unit's cases.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from typing import Any

import peewee as pw

from .. import identity, prepared, settings
from ..errors import InvalidInput, NotFound, NotPermitted
from ..models import (
    CARDS,
    CATEGORIES,
    CHANNELS,
    VISIT_RESULTS,
    Complaint,
    TimelineEvent,
    now,
)
from ..permissions import LIAISON
from ..workdays import WorkCalendar
from .base import Service, snapshot
from .reference import get_matter, get_staff, get_unit

logger = logging.getLogger(__name__)

RECEIPT_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U
RECEIPT_LENGTH = 12  # 60 bits of randomness
OPEN_STATUSES = ("登记", "已交办", "已反馈", "已回访")
ENDED_STATUSES = ("已办结", "不予受理", "已并单")


def new_receipt_code() -> str:
    return "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(RECEIPT_LENGTH))


def format_receipt(code: str) -> str:
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def normalise_receipt(text: str) -> str:
    cleaned = text.strip().upper().replace("-", "").replace(" ", "")
    return cleaned.translate(str.maketrans("OIL", "011"))


def format_number(month: dt.date, sequence: int) -> str:
    """TS + yyyymm + the month's sequence: 5 digits, widening to 6 or more past 99,999.

    Text order then breaks at the widening (TS202610100000 < TS20261099999);
    :func:`number_order` sorts numbers correctly (docs/DESIGN.md).
    """
    return f"TS{month:%Y%m}{sequence:05d}"


def number_order() -> pw.Node:
    """An ORDER BY key that sorts complaint numbers by month, then sequence, at any width.

    Month prefix, then the number's length (two digits), then the number:
    the same SQL on SQLite and PostgreSQL.
    """
    width = pw.Cast(pw.fn.LENGTH(Complaint.number), "TEXT")
    return pw.fn.SUBSTR(Complaint.number, 1, 8).concat(width).concat(Complaint.number)


def number_key(number: str) -> tuple[str, int, str]:
    """The same order as :func:`number_order`, for sorting in Python."""
    return number[:8], len(number), number


def _bump(month: dt.date, n: int) -> int:
    """Add ``n`` to the month's counter in one statement; return its new value."""
    cursor = prepared.execute(
        "INSERT INTO counter (name, value) VALUES (?, ?)"
        " ON CONFLICT (name) DO UPDATE SET value = counter.value + excluded.value RETURNING value",
        (f"complaint:{month:%Y%m}", n),
    )
    return int(cursor.fetchone()[0])


def next_number(received: dt.datetime) -> str:
    """The next complaint number of the month of ``received``; call inside the write transaction."""
    return format_number(received, _bump(received, 1))


def reserve_numbers(month: dt.date, n: int) -> list[str]:
    """``n`` consecutive complaint numbers of ``month``, bumping its counter once (bulk imports).

    Call inside the write transaction, like :func:`next_number`.
    """
    if n <= 0:
        return []
    last = _bump(month, n)
    return [format_number(month, value) for value in range(last - n + 1, last + 1)]


def _reference_ids(
    unit: str | None, staff: str | None, matter: str | None
) -> tuple[int | None, ...]:
    """The ids of a unit, staff and matter code in one prepared query (None where not given).

    Asked of the database every time, not cached: another desktop may rename
    or remove a unit on a shared PostgreSQL, and one indexed look-up costs
    about 50 µs.  An unknown code raises what get_unit/get_staff/get_matter raise.
    """
    row = prepared.execute(
        "SELECT (SELECT id FROM unit WHERE code = ?), (SELECT id FROM staff WHERE number = ?),"
        " (SELECT id FROM matter WHERE code = ?)",
        (unit, staff, matter),
    ).fetchone()
    for code, found, lookup in (
        (unit, row[0], get_unit),
        (staff, row[1], get_staff),
        (matter, row[2], get_matter),
    ):
        if code and found is None:
            lookup(code)  # raises NotFound with its message
    return tuple(
        found if code else None for code, found in zip((unit, staff, matter), row, strict=True)
    )


def _choice(value: str, allowed: tuple[str, ...], zh: str, en: str) -> str:
    if value not in allowed:
        raise InvalidInput(
            f"{zh}无效：{value}（可选：{'/'.join(allowed)}）", f"unknown {en}: {value}"
        )
    return value


class ComplaintService(Service):
    """Every step of a complaint, for the acting user."""

    def __init__(self, actor, calendar: WorkCalendar | None = None) -> None:
        super().__init__(actor)
        self._calendar = calendar

    @property
    def calendar(self) -> WorkCalendar:
        if self._calendar is None:
            self._calendar = WorkCalendar.from_database()
        return self._calendar

    # -- look-up and scope -------------------------------------------------------

    def get(self, number: str) -> Complaint:
        complaint = Complaint.get_or_none(Complaint.number == number.strip().upper())
        if complaint is None or not self._in_scope(complaint):
            raise NotFound(f"工单不存在：{number}", f"complaint not found: {number}")
        return complaint

    def _in_scope(self, complaint: Complaint) -> bool:
        if self.actor.role == LIAISON:
            return complaint.unit_id is not None and complaint.unit_id == self.actor.unit_id
        return self.allowed("complaint.read")

    def _event(self, c: Complaint, action: str, at: dt.datetime, note: str = "") -> None:
        prepared.create(
            TimelineEvent,
            record_kind="complaint",
            record_id=c.id,
            at=at,
            actor=self.actor.name,
            action=action,
            status=c.status,
            note=note,
        )

    def _step(
        self, c: Complaint, permission: str, action: str, at: dt.datetime, note: str, **fields: Any
    ) -> Complaint:
        """One versioned change plus its timeline event; call inside change()."""
        self.update(c, f"complaint.{action}", **fields)
        self._event(c, action, at, note)
        from .. import search

        if {"title", "content", "reply_text"} & fields.keys():
            search.index_complaints([(c.id, c.title, c.content, c.reply_text)])
        return c

    def _expect(self, c: Complaint, *statuses: str) -> None:
        if c.status not in statuses:
            raise InvalidInput(
                f"工单 {c.number} 当前状态为“{c.status}”，不能执行此操作（应为 {'/'.join(statuses)}）",
                f"complaint {c.number} is {c.status}; this step needs {'/'.join(statuses)}",
            )

    def _own_unit(self, c: Complaint) -> None:
        if self.actor.role == LIAISON and c.unit_id != self.actor.unit_id:
            raise NotPermitted(
                "只能处理本单位的工单", "a liaison acts only on their own unit's cases"
            )

    # -- registration ---------------------------------------------------------------

    def register(
        self,
        *,
        channel: str,
        category: str,
        content: str,
        title: str = "",
        unit: str | None = None,
        staff: str | None = None,
        matter: str | None = None,
        name: str | None = None,
        phone: str | None = None,
        id_no: str | None = None,
        anonymous: bool = False,
        received: dt.datetime | None = None,
    ) -> Complaint:
        _choice(channel, CHANNELS, "渠道", "channel")
        _choice(category, CATEGORIES, "类别", "category")
        content = (content or "").strip()
        if not content:
            raise InvalidInput("诉求内容不能为空", "the complaint content is required")
        if anonymous and (name or phone or id_no):
            raise InvalidInput(
                "匿名诉求不应填写姓名、电话或证件号",
                "an anonymous complaint carries no name, phone or ID number",
            )
        received = (received or now()).replace(microsecond=0)
        if received > now() + dt.timedelta(minutes=5):
            raise InvalidInput("受理时间不能晚于当前时间", "the receipt time lies in the future")
        with self.change("complaint.add"):
            unit_id, staff_id, matter_id = _reference_ids(unit, staff, matter)
            number = next_number(received)
            sealed = identity.complaint_columns(
                identity.sealer(),
                number,
                *(
                    (None, None, None)
                    if anonymous
                    else (name or None, phone or None, id_no or None)
                ),
            )
            from .. import search

            title = (title or content[:30]).strip()
            c = prepared.create(
                Complaint,
                raw=search.row_index(title, content),
                number=number,
                receipt_code=new_receipt_code(),
                channel=channel,
                category=category,
                title=title,
                content=content,
                **sealed,
                anonymous=anonymous,
                received_at=received,
                unit=unit_id,
                staff=staff_id,
                matter=matter_id,
            )
            self.audit("complaint.add", "complaint", c.id, None, snapshot(c))
            self._event(c, "登记", received, f"渠道 {channel}，类别 {category}")
            search.index_new(search.COMPLAINTS, [(c.id, c.title, c.content, None)])
            return c

    # -- assignment -------------------------------------------------------------------

    def assign(
        self,
        number: str,
        unit: str,
        *,
        card: str | None = None,
        limit: int | None = None,
        at: dt.datetime | None = None,
    ) -> Complaint:
        """交办 (or 改派 after a 退回): due time counts from the day of receipt."""
        if (card is None) == (limit is None):
            raise InvalidInput(
                "请指定交办单颜色（--card）或办理时限（--limit）之一",
                "give either --card or --limit",
            )
        if card is not None:
            _choice(card, CARDS, "交办单颜色", "card colour")
            days = int(settings.get("complaint.card_days")[card])
        else:
            days = int(limit)  # type: ignore[arg-type]
            if days < 0 or days > 365:
                raise InvalidInput(
                    "办理时限应在 0–365 个工作日之间", "the limit must be 0–365 working days"
                )
        at = at or now()
        with self.change("complaint.handle"):
            c = self.get(number)
            self._expect(c, "登记")
            target = get_unit(unit)
            due = self.calendar.due_at(c.received_at, days)
            action = "改派" if c.assigned_at else "交办"
            return self._step(
                c,
                "complaint.handle",
                action,
                at,
                f"承办单位 {target.name}，{card + '色交办单' if card else ''}时限 {days} 个工作日，{due:%Y-%m-%d} 前办结",
                status="已交办",
                unit=target.id,
                card=card,
                limit_days=days,
                assigned_at=at,
                due_at=due,
            )

    def dispute(self, number: str, reason: str, at: dt.datetime | None = None) -> Complaint:
        """退回: the assigned unit says the case is not theirs."""
        reason = (reason or "").strip()
        if not reason:
            raise InvalidInput("退回须说明理由", "a dispute needs a reason")
        with self.change("complaint.answer"):
            c = self.get(number)
            self._own_unit(c)
            self._expect(c, "已交办")
            return self._step(c, "complaint.answer", "退回", at or now(), reason, status="登记")

    def request_extension(
        self, number: str, days: int, reason: str, at: dt.datetime | None = None
    ) -> Complaint:
        if days < 1 or days > 60:
            raise InvalidInput(
                "延期天数应在 1–60 个工作日之间", "an extension is 1–60 working days"
            )
        if not (reason or "").strip():
            raise InvalidInput("延期须说明理由", "an extension request needs a reason")
        with self.change("complaint.answer"):
            c = self.get(number)
            self._own_unit(c)
            self._expect(c, "已交办")
            if c.extension_days:
                raise InvalidInput(
                    "已有待审批的延期申请", "an extension request is already pending"
                )
            if c.extension_count >= int(settings.get("complaint.max_extensions")):
                raise InvalidInput(
                    "延期次数已达上限", "no further extension is allowed for this case"
                )
            return self._step(
                c,
                "complaint.answer",
                "申请延期",
                at or now(),
                f"申请延期 {days} 个工作日：{reason}",
                extension_days=days,
                extension_reason=reason.strip(),
            )

    def decide_extension(
        self, number: str, approve: bool, note: str = "", at: dt.datetime | None = None
    ) -> Complaint:
        with self.change("complaint.handle"):
            c = self.get(number)
            if not c.extension_days:
                raise InvalidInput("没有待审批的延期申请", "no extension request is pending")
            if not approve:
                return self._step(
                    c,
                    "complaint.handle",
                    "延期不予批准",
                    at or now(),
                    note,
                    extension_days=None,
                    extension_reason=None,
                )
            due = self.calendar.due_at(c.due_at.date(), c.extension_days)
            return self._step(
                c,
                "complaint.handle",
                "批准延期",
                at or now(),
                f"延期 {c.extension_days} 个工作日，{due:%Y-%m-%d} 前办结。{note}".strip(),
                due_at=due,
                extension_count=c.extension_count + 1,
                extension_days=None,
                extension_reason=None,
            )

    # -- answer, return visit, close ------------------------------------------------------

    def reply(
        self, number: str, text: str, at: dt.datetime | None = None
    ) -> tuple[Complaint, bool]:
        text = (text or "").strip()
        if not text:
            raise InvalidInput("反馈内容不能为空", "the reply text is required")
        at = at or now()
        with self.change("complaint.answer"):
            c = self.get(number)
            self._own_unit(c)
            self._expect(c, "已交办")
            on_time = c.due_at is None or at <= c.due_at
            note = "按期反馈" if on_time else "超期反馈"
            self._step(
                c,
                "complaint.answer",
                "反馈",
                at,
                f"{note}：{text}",
                status="已反馈",
                replied_at=at,
                reply_text=text,
            )
            return c, on_time

    def visit(
        self,
        number: str,
        result: str,
        resolved: bool,
        note: str = "",
        at: dt.datetime | None = None,
    ) -> tuple[Complaint, bool]:
        """回访; 不满意 or unresolved reopens the case (重办)."""
        _choice(result, VISIT_RESULTS, "回访结果", "visit result")
        at = at or now()
        with self.change("complaint.handle"):
            c = self.get(number)
            self._expect(c, "已反馈")
            text = f"{result}，{'已解决' if resolved else '未解决'}" + (f"。{note}" if note else "")
            self._step(
                c,
                "complaint.handle",
                "回访",
                at,
                text,
                status="已回访",
                visited_at=at,
                visit_result=result,
                resolved=resolved,
            )
            if result != "不满意" and resolved:
                return c, False
            days = c.limit_days if c.limit_days is not None else 0
            due = self.calendar.due_at(at, days)
            self._step(
                c,
                "complaint.handle",
                "重办",
                at,
                f"第 {c.reopen_count + 1} 次重办，{due:%Y-%m-%d} 前办结",
                status="已交办",
                reopen_count=c.reopen_count + 1,
                due_at=due,
                replied_at=None,
            )
            return c, True

    def close(self, number: str, note: str = "", at: dt.datetime | None = None) -> Complaint:
        """办结: after the return visit, or after the reply when no one can be visited."""
        with self.change("complaint.handle"):
            c = self.get(number)
            if c.anonymous or c.category in ("咨询", "表扬", "建议"):
                self._expect(c, "已反馈", "已回访")
            else:
                self._expect(c, "已回访")
            return self._step(
                c,
                "complaint.handle",
                "办结",
                at or now(),
                note,
                status="已办结",
                closed_at=at or now(),
            )

    def refuse(self, number: str, reason: str, at: dt.datetime | None = None) -> Complaint:
        """不予受理 with a reason."""
        if not (reason or "").strip():
            raise InvalidInput("不予受理须说明理由", "a refusal needs a reason")
        with self.change("complaint.handle"):
            c = self.get(number)
            self._expect(c, "登记")
            return self._step(
                c,
                "complaint.handle",
                "不予受理",
                at or now(),
                reason.strip(),
                status="不予受理",
                end_reason=reason.strip(),
                closed_at=at or now(),
            )

    def merge(
        self, number: str, into: str, reason: str = "", at: dt.datetime | None = None
    ) -> Complaint:
        """并单: merged into an earlier complaint on the same matter."""
        with self.change("complaint.handle"):
            c = self.get(number)
            target = self.get(into)
            if target.id == c.id or target.received_at > c.received_at:
                raise InvalidInput(
                    "只能并入更早受理的另一工单", "a complaint merges only into an earlier one"
                )
            if target.status in ("不予受理", "已并单"):
                raise InvalidInput("不能并入已终止的工单", "cannot merge into an ended complaint")
            self._expect(c, "登记", "已交办")
            text = f"并入 {target.number}" + (f"：{reason}" if reason else "")
            return self._step(
                c,
                "complaint.handle",
                "并单",
                at or now(),
                text,
                status="已并单",
                merged_into=target.id,
                end_reason=text,
                closed_at=at or now(),
            )

    # -- reading --------------------------------------------------------------------------

    def timeline(self, c: Complaint) -> list[dict[str, Any]]:
        events = (
            TimelineEvent.select()
            .where((TimelineEvent.record_kind == "complaint") & (TimelineEvent.record_id == c.id))
            .order_by(TimelineEvent.at, TimelineEvent.id)
        )
        return [
            {"at": e.at, "actor": e.actor, "action": e.action, "status": e.status, "note": e.note}
            for e in events
        ]


__all__ = [
    "ComplaintService",
    "OPEN_STATUSES",
    "ENDED_STATUSES",
    "format_receipt",
    "normalise_receipt",
    "next_number",
    "reserve_numbers",
    "format_number",
    "number_order",
    "number_key",
    "new_receipt_code",
    "snapshot",
    "pw",
]
