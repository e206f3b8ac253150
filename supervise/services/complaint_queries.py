"""Reading complaints: the record with its timeline, filtered lists, and the
public track view by receipt code (SPEC §2.1, §8, §11).

Identities are masked unless an ``admin``/``staff`` user asks to unmask, and
each unmasked view is audited.  A liaison sees only their unit's cases; a
supervisor sees none (they follow their own findings instead).  The track
view shows status, steps and dates, never names, phones, notes, replies or
content (and for a 举报 not even the unit).
"""

from __future__ import annotations

import builtins
import dataclasses
import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

import peewee as pw

from .. import identity, search
from ..db import is_sqlite, write_transaction
from ..errors import InvalidInput, NotFound
from ..models import Complaint, TimelineEvent, Unit, now
from ..permissions import LIAISON
from .base import Service
from .complaints import ComplaintService, format_receipt, normalise_receipt

logger = logging.getLogger(__name__)

MAX_PAGE = 500
NEWEST = (Complaint.received_at.desc(), Complaint.id.desc())
# What a list row shows (summary()); a page selects only these.
SUMMARY_FIELDS = (
    Complaint.id,
    Complaint.number,
    Complaint.status,
    Complaint.channel,
    Complaint.category,
    Complaint.title,
    Complaint.unit,
    Complaint.received_at,
    Complaint.due_at,
    Complaint.reopen_count,
)


@dataclass
class ComplaintFilter:
    status: str | None = None
    unit: str | None = None
    category: str | None = None
    channel: str | None = None
    search: str | None = None
    received_from: dt.date | None = None
    received_to: dt.date | None = None
    overdue: bool = False
    limit: int = 20
    offset: int = 0


def _iso(value: Any) -> Any:
    return value.isoformat(sep=" ") if isinstance(value, dt.datetime) else value


def summary(c: Complaint, unit_name: str | None, at: dt.datetime) -> dict[str, Any]:
    overdue = c.due_at is not None and c.status == "已交办" and c.due_at < at
    return {
        "number": c.number,
        "status": c.status,
        "channel": c.channel,
        "category": c.category,
        "title": c.title,
        "unit": unit_name,
        "received_at": _iso(c.received_at),
        "due_at": _iso(c.due_at),
        "overdue": overdue,
        "reopen_count": c.reopen_count,
    }


class ComplaintQueries(Service):
    def show(self, number: str, *, unmask: bool = False) -> dict[str, Any]:
        self.require("complaint.read")
        service = ComplaintService(self.actor)
        c = service.get(number)
        unit = Unit.get_by_id(c.unit_id) if c.unit_id else None
        data = summary(c, unit.name if unit else None, now())
        data.update(
            receipt_code=format_receipt(c.receipt_code) if self.allowed("identity.view") else None,
            content=c.content,
            unit_code=unit.code if unit else None,
            card=c.card,
            limit_days=c.limit_days,
            assigned_at=_iso(c.assigned_at),
            replied_at=_iso(c.replied_at),
            reply_text=c.reply_text,
            visited_at=_iso(c.visited_at),
            visit_result=c.visit_result,
            resolved=c.resolved,
            closed_at=_iso(c.closed_at),
            extension_count=c.extension_count,
            extension_pending=c.extension_days,
            end_reason=c.end_reason,
            anonymous=c.anonymous,
            version=c.version,
            timeline=[{**e, "at": _iso(e["at"])} for e in service.timeline(c)],
        )
        data["complainant"] = self._identity(c, unmask)
        return data

    def _identity(self, c: Complaint, unmask: bool) -> dict[str, Any] | None:
        if c.anonymous:
            return {"anonymous": True}
        if not self.allowed("identity.view"):
            return None  # liaisons and viewers never see any part of it
        if c.identity_purged_at is not None:
            return {"purged": _iso(c.identity_purged_at)}
        if unmask:
            clear = identity.complaint_identity(self.actor, c)  # refused without the office key
            with write_transaction():
                self.audit("identity.view", "complaint", c.id, None, {"number": c.number})
            return clear
        return identity.masked_complaint(c)

    def query(self, f: ComplaintFilter) -> pw.ModelSelect:
        """The filtered query, scoped to what this user may see."""
        self.require("complaint.read")
        q = Complaint.select()
        if self.actor.role == LIAISON:
            q = q.where(Complaint.unit == self.actor.unit_id)
        if f.status:
            q = q.where(Complaint.status == f.status)
        if f.unit:
            unit = Unit.get_or_none(Unit.code == f.unit)
            if unit is None:
                raise NotFound(f"单位编码不存在：{f.unit}", f"unknown unit code: {f.unit}")
            q = q.where(Complaint.unit == unit.id)
        if f.category:
            q = q.where(Complaint.category == f.category)
        if f.channel:
            q = q.where(Complaint.channel == f.channel)
        if f.received_from:
            q = q.where(Complaint.received_at >= dt.datetime.combine(f.received_from, dt.time()))
        if f.received_to:
            q = q.where(
                Complaint.received_at
                < dt.datetime.combine(f.received_to + dt.timedelta(days=1), dt.time())
            )
        if f.overdue:
            # On SQLite '+due_at' keeps the planner on (status, received_at, due_at): the newest
            # overdue cases come first from the index, instead of every overdue case sorted.
            due = (
                pw.NodeList((pw.SQL("+"), Complaint.due_at), glue="")
                if is_sqlite()
                else Complaint.due_at
            )
            q = q.where((Complaint.status == "已交办") & (due < now()))
        if f.search and f.search.strip():
            q = q.where(search.search_condition(f.search))
        return q

    def list(self, f: ComplaintFilter) -> dict[str, Any]:
        if not 1 <= f.limit <= MAX_PAGE or f.offset < 0:
            raise InvalidInput(f"每页条数应在 1–{MAX_PAGE} 之间", f"--limit must be 1–{MAX_PAGE}")
        total = self.total(f)
        page = self.page(f)
        unit_ids = {c.unit_id for c in page if c.unit_id}
        names = (
            dict(Unit.select(Unit.id, Unit.name).where(Unit.id.in_(unit_ids)).tuples())
            if unit_ids
            else {}
        )
        at = now()
        return {"total": total, "items": [summary(c, names.get(c.unit_id), at) for c in page]}

    def total(self, f: ComplaintFilter) -> int:
        """How many complaints ``f`` selects (what ``complaint list`` shows as 共 N 件)."""
        only_search = dataclasses.replace(f, search=None, limit=0, offset=0) == ComplaintFilter(
            limit=0
        )
        if f.search and f.search.strip() and only_search and self.actor.role != LIAISON:
            self.require("complaint.read")
            counted = search.count_matching(f.search)  # the index alone, no row look-ups
            if counted is not None:
                return counted
        return self.query(f).count()

    def page(self, f: ComplaintFilter) -> builtins.list[Complaint]:
        """One page of ``f``, newest first, holding only the fields :func:`summary` shows.

        The page's ids come first, from the indexes alone where they cover the
        filter, then those rows (every column of thousands of rows sorted or
        turned into models cost more than the query itself).  A keyword page
        looks at the newest complaints first (:meth:`_newest_matching`).
        """
        ids = self._newest_matching(f) if f.search and f.search.strip() else None
        if ids is None:
            query = (
                self.query(f).select(Complaint.id).order_by(*NEWEST).limit(f.limit).offset(f.offset)
            )
            ids = [i for (i,) in query.tuples()]
        if not ids:
            return []
        rows = {c.id: c for c in Complaint.select(*SUMMARY_FIELDS).where(Complaint.id.in_(ids))}
        return [rows[i] for i in ids if i in rows]

    def _newest_matching(self, f: ComplaintFilter) -> builtins.list[int] | None:
        """The page's ids for a keyword, looking at the newest complaints first
        (:func:`search.first_matches`); None when the plain query must answer."""
        rest = (
            self.query(dataclasses.replace(f, search=None)).select(Complaint.id).order_by(*NEWEST)
        )
        return search.first_matches(rest, f.search or "", f.offset, f.limit)


def track(code: str) -> dict[str, Any]:
    """The public view by receipt code: no identities, notes or 举报 content."""
    cleaned = normalise_receipt(code)
    c = Complaint.get_or_none(Complaint.receipt_code == cleaned) if len(cleaned) >= 8 else None
    if c is None:
        raise NotFound("查询码无效", "no case has this receipt code")
    events = (
        TimelineEvent.select(TimelineEvent.at, TimelineEvent.action, TimelineEvent.status)
        .where((TimelineEvent.record_kind == "complaint") & (TimelineEvent.record_id == c.id))
        .order_by(TimelineEvent.at, TimelineEvent.id)
    )
    report = c.category == "举报"
    unit = Unit.get_by_id(c.unit_id).name if c.unit_id and not report else None
    return {
        "receipt_code": format_receipt(c.receipt_code),
        "category": c.category,
        "status": c.status,
        "received_at": _iso(c.received_at),
        "due_at": _iso(c.due_at),
        "unit": unit,
        "steps": [{"at": _iso(e.at), "action": e.action, "status": e.status} for e in events],
    }
