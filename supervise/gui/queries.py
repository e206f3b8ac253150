"""What the GUI lists and the dashboard read — plain Python, no tkinter.

Each ``*_page`` function returns ``{"total": int | None, "items": [dict]}``
for one page, sorted by a whitelisted column.  The scope rules are the
services' own: complaints come from :meth:`ComplaintQueries.query` (a liaison
sees their unit only); ratings and reviews repeat the two scope lines of
:mod:`supervise.services.ratings` / :mod:`supervise.services.reviews` (liaison →
own unit, supervisor → own submissions), checked by ``tests/gui/test_queries.py``.
``count=False`` skips the total (page turns reuse the total they already have:
a COUNT over a million rows is the slow part).

The functions run in worker threads (see :mod:`supervise.gui.worker`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
from dataclasses import dataclass, field
from typing import Any

import peewee as pw

from .. import search
from ..auth import Actor
from ..errors import InvalidInput, NotFound
from ..models import (
    CASE_STATUSES,
    AccountabilityCase,
    Complaint,
    Escalation,
    Finding,
    Rating,
    Review,
    Staff,
    Unit,
    now,
)
from ..permissions import LIAISON, SUPERVISOR, allowed, require
from ..rules import targets
from ..services import complaint_queries as cq
from ..services import ratings as ratings_mod
from ..services import reviews as reviews_mod
from ..services.complaints import OPEN_STATUSES, number_order
from ..services.reference import get_unit
from ..workdays import END_OF_DAY

logger = logging.getLogger(__name__)

MAX_PAGE = 500
#: a rating keyword search counts at most this many matches (+1): the pager then says "10,000+"
COUNT_CAP = 10_000
OPEN = "未办结"  # the pseudo-status of the complaint filter: every open status


@dataclass
class ListFilter:
    """What a list asks for: the common fields; ``extra`` for a list's own."""

    status: str | None = None
    unit: str | None = None
    search: str | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _page(
    q: pw.ModelSelect,
    order: list[Any],
    limit: int,
    offset: int,
    count: bool,
    cap: int | None = None,
) -> tuple[int | None, list[Any]]:
    """One page; the total when ``count`` (at most ``cap + 1`` when a cap is given)."""
    if not 1 <= limit <= MAX_PAGE or offset < 0:
        raise InvalidInput(f"每页条数应在 1–{MAX_PAGE} 之间", f"the page size must be 1–{MAX_PAGE}")
    if count and cap is not None:
        total: int | None = q.select(pw.SQL("1")).order_by().limit(cap + 1).count()
    else:
        total = q.count() if count else None
    return total, list(q.order_by(*order).limit(limit).offset(offset))


def _order(column: pw.Field, desc: bool, tie: pw.Field) -> list[Any]:
    return [column.desc(), tie.desc()] if desc else [column.asc(), tie.asc()]


def _unit_names(ids: set[int]) -> dict[int, str]:
    return dict(Unit.select(Unit.id, Unit.name).where(Unit.id.in_(ids)).tuples()) if ids else {}


# -- complaints ----------------------------------------------------------------------

COMPLAINT_SORT = {
    "number": number_order(),  # month, then sequence at any width (TS…99999 < TS…100000)
    "status": Complaint.status,
    "category": Complaint.category,
    "channel": Complaint.channel,
    "received_at": Complaint.received_at,
    "due_at": Complaint.due_at,
    "reopen_count": Complaint.reopen_count,
    "title": Complaint.title,
}


def complaint_query(actor: Actor, f: ListFilter, at: dt.datetime | None = None) -> pw.ModelSelect:
    """The scoped, filtered complaint query (``extra``: category, channel, overdue, due_today)."""
    at = at or now()
    status = None if f.status == OPEN else f.status
    base = cq.ComplaintFilter(
        status=status,
        unit=f.unit,
        category=f.extra.get("category"),
        channel=f.extra.get("channel"),
        search=f.search,
        received_from=f.date_from,
        received_to=f.date_to,
    )
    q = cq.ComplaintQueries(actor).query(base)
    if f.status == OPEN:
        q = q.where(Complaint.status.in_(OPEN_STATUSES))
    if f.extra.get("overdue"):
        q = q.where((Complaint.status == "已交办") & (Complaint.due_at < at))
    if f.extra.get("due_today"):
        day = at.date()
        q = q.where(
            (Complaint.status == "已交办")
            & (Complaint.due_at >= dt.datetime.combine(day, dt.time()))
            & (Complaint.due_at <= dt.datetime.combine(day, END_OF_DAY))
        )
    return q


#: Deepest row a newest-first page over several statuses merges per status (further: the plain query).
MERGE_DEPTH = 5_000


def _service_filters(f: ListFilter, limit: int, offset: int) -> list[cq.ComplaintFilter] | None:
    """``f`` as the service's filters, one per status (未办结 is several), or None when the
    service cannot say it (今日到期 has no service filter)."""
    if f.extra.get("due_today"):
        return None
    statuses = OPEN_STATUSES if f.status == OPEN else (f.status,)
    return [
        cq.ComplaintFilter(
            status=status,
            unit=f.unit,
            category=f.extra.get("category"),
            channel=f.extra.get("channel"),
            search=f.search,
            received_from=f.date_from,
            received_to=f.date_to,
            overdue=bool(f.extra.get("overdue")),
            limit=limit,
            offset=offset,
        )
        for status in statuses
    ]


def _newest_page(
    actor: Actor, f: ListFilter, limit: int, offset: int, count: bool
) -> tuple[int | None, list[Complaint]] | None:
    """The newest-first page through :class:`ComplaintQueries` (what ``complaint list`` runs).

    Its page reads the ids from an index that both filters and orders, and a
    keyword page looks at the newest complaints first; its total counts a
    keyword in the text index alone.  未办结 is one such page per open status,
    merged: each status's newest rows come from its own index, where
    ``status IN (…)`` made the planner gather and sort every open case (2 s
    at a million).  None when the plain query must answer (今日到期, or a
    merge deeper than :data:`MERGE_DEPTH`)."""
    several = f.status == OPEN
    if several and offset + limit > MERGE_DEPTH:
        return None
    filters = _service_filters(f, offset + limit if several else limit, 0 if several else offset)
    if filters is None:
        return None
    service = cq.ComplaintQueries(actor)
    total = sum(service.total(g) for g in filters) if count else None
    if not several:
        return total, service.page(filters[0])
    rows = [c for g in filters for c in service.page(g)]
    rows.sort(key=lambda c: (c.received_at, c.id), reverse=True)
    return total, rows[offset : offset + limit]


def complaint_page(
    actor: Actor,
    f: ListFilter,
    sort: str = "received_at",
    desc: bool = True,
    limit: int = 50,
    offset: int = 0,
    count: bool = True,
) -> dict[str, Any]:
    if not 1 <= limit <= MAX_PAGE or offset < 0:
        raise InvalidInput(f"每页条数应在 1–{MAX_PAGE} 之间", f"the page size must be 1–{MAX_PAGE}")
    newest = (
        _newest_page(actor, f, limit, offset, count) if sort == "received_at" and desc else None
    )
    if newest is not None:
        return _complaint_items(*newest)
    q = complaint_query(actor, f)
    if sort == "unit":
        q = q.join(Unit, pw.JOIN.LEFT_OUTER, on=(Complaint.unit == Unit.id))
        order = _order(Unit.name, desc, Complaint.id)
    else:
        order = _order(COMPLAINT_SORT.get(sort, Complaint.received_at), desc, Complaint.id)
    return _complaint_items(*_page(q, order, limit, offset, count))


def _complaint_items(total: int | None, rows: list[Complaint]) -> dict[str, Any]:
    """A page's rows as the list shows them (unit names read once for the page)."""
    names = _unit_names({c.unit_id for c in rows if c.unit_id})
    at = now()
    return {"total": total, "items": [cq.summary(c, names.get(c.unit_id), at) for c in rows]}


# -- ratings -------------------------------------------------------------------------

RATING_SORT = {
    "id": Rating.id,
    "level": Rating.level,
    "status": Rating.status,
    "channel": Rating.channel,
    "rated_at": Rating.rated_at,
    "window": Rating.window,
}


#: what a rating row of the list shows (ratings_mod.summary): a page builds no other column
RATING_FIELDS = (
    Rating.id,
    Rating.unit,
    Rating.window,
    Rating.channel,
    Rating.level,
    Rating.bad,
    Rating.status,
    Rating.rated_at,
    Rating.contact_due_at,
    Rating.rectify_due_at,
)


def rating_query(
    actor: Actor, f: ListFilter, keyword: bool = True, sparse: bool = False
) -> pw.ModelSelect:
    """The scoped, filtered rating query; ``keyword=False`` leaves the search text out
    (``sparse``: see :func:`search.search_condition`)."""
    require(actor.role, "rating.read", actor.name)
    q = Rating.select(*RATING_FIELDS)
    if actor.role == LIAISON:  # the scope rule of RatingQueries.list
        q = q.where(Rating.unit == actor.unit_id)
    if f.unit:
        q = q.where(Rating.unit == get_unit(f.unit).id)
    if f.status == "待处理":
        q = q.where(Rating.status.in_(ratings_mod.OPEN_STATUSES))
    elif f.status:
        q = q.where(Rating.status == f.status)
    if f.extra.get("bad_only"):
        q = q.where(Rating.bad == True)  # noqa: E712 (peewee expression)
    if f.date_from:
        q = q.where(Rating.rated_at >= dt.datetime.combine(f.date_from, dt.time()))
    if f.date_to:
        q = q.where(
            Rating.rated_at < dt.datetime.combine(f.date_to + dt.timedelta(days=1), dt.time())
        )
    if keyword and f.search and f.search.strip():  # comment, reasons, window: the bigram index
        q = q.where(search.search_condition(f.search, search.RATINGS, sparse))
    return q


def rating_page(
    actor: Actor,
    f: ListFilter,
    sort: str = "rated_at",
    desc: bool = True,
    limit: int = 50,
    offset: int = 0,
    count: bool = True,
) -> dict[str, Any]:
    """One page of ratings.  A keyword's total is counted up to ``COUNT_CAP`` (+1), in the
    index alone when no other filter applies; its newest-first page tests the newest
    ratings of the other filters against the index (:func:`search.first_matches`)."""
    text = (f.search or "").strip()
    order = _order(RATING_SORT.get(sort, Rating.rated_at), desc, Rating.id)
    if not text:
        total, rows = _page(rating_query(actor, f), order, limit, offset, count)
    else:
        ids, newest = None, sort == "rated_at" and desc and 1 <= limit <= MAX_PAGE and offset >= 0
        if newest:
            rest = rating_query(actor, f, keyword=False).select(Rating.id).order_by(*order)
            ids = search.first_matches(rest, text, offset, limit, search.RATINGS)
        if (
            ids is None
        ):  # another order, a lone character, or matches sparse among the newest ratings
            _, rows = _page(rating_query(actor, f, sparse=newest), order, limit, offset, False)
        else:
            found = (
                {r.id: r for r in Rating.select(*RATING_FIELDS).where(Rating.id.in_(ids))}
                if ids
                else {}
            )
            rows = [found[i] for i in ids if i in found]
        total = None
        if count:
            plain = ListFilter(search=text) == dataclasses.replace(f, search=text, extra={})
            if plain and not f.extra.get("bad_only") and actor.role != LIAISON:
                total = search.count_matching(text, search.RATINGS, COUNT_CAP)
            if total is None:
                total = (
                    rating_query(actor, f)
                    .select(pw.SQL("1"))
                    .order_by()
                    .limit(COUNT_CAP + 1)
                    .count()
                )
    names = _unit_names({r.unit_id for r in rows})
    at = now()
    return {
        "total": total,
        "items": [ratings_mod.summary(r, names.get(r.unit_id), at) for r in rows],
    }


# -- reviews -------------------------------------------------------------------------

REVIEW_SORT = {
    "id": Review.id,
    "review_date": Review.review_date,
    "method": Review.method,
    "status": Review.status,
    "reviewer": Review.reviewer_name,
    "conclusion": Review.conclusion,
}


def review_query(actor: Actor, f: ListFilter) -> pw.ModelSelect:
    require(actor.role, "review.read", actor.name)
    q = Review.select()
    if actor.role == SUPERVISOR:  # the scope rule of ReviewQueries._query
        q = q.where(Review.reviewer == actor.user_id)
    if f.unit:
        q = q.where(Review.unit == get_unit(f.unit).id)
    if f.status:
        q = q.where(Review.status == f.status)
    if f.date_from:
        q = q.where(Review.review_date >= f.date_from)
    if f.date_to:
        q = q.where(Review.review_date <= f.date_to)
    return q


def review_page(
    actor: Actor,
    f: ListFilter,
    sort: str = "review_date",
    desc: bool = True,
    limit: int = 50,
    offset: int = 0,
    count: bool = True,
) -> dict[str, Any]:
    q = review_query(actor, f)
    total, rows = _page(
        q, _order(REVIEW_SORT.get(sort, Review.review_date), desc, Review.id), limit, offset, count
    )
    ids = [r.id for r in rows]
    counts: dict[int, int] = {}
    if ids:
        for review_id, n in (
            Finding.select(Finding.review, pw.fn.COUNT(Finding.id))
            .where(Finding.review.in_(ids))
            .group_by(Finding.review)
            .tuples()
        ):
            counts[review_id] = n
    names = _unit_names({r.unit_id for r in rows})
    return {
        "total": total,
        "items": [reviews_mod.summary(r, names.get(r.unit_id), counts.get(r.id, 0)) for r in rows],
    }


# -- escalations and accountability ----------------------------------------------------

ESCALATION_SORT = {
    "id": Escalation.id,
    "rule": Escalation.rule,
    "level": Escalation.level,
    "raised_at": Escalation.raised_at,
    "state": Escalation.state,
}


def _iso(value: Any) -> Any:
    return value.isoformat(sep=" ") if isinstance(value, dt.datetime) else value


def escalation_page(
    actor: Actor,
    f: ListFilter,
    sort: str = "raised_at",
    desc: bool = True,
    limit: int = 50,
    offset: int = 0,
    count: bool = True,
) -> dict[str, Any]:
    """督办 records; office and viewers (the permission that reads accountability)."""
    require(actor.role, "accountability.read", actor.name)
    q = Escalation.select()
    if f.status:
        q = q.where(Escalation.state == f.status)
    level = f.extra.get("level")
    if level:
        q = q.where(Escalation.level == level)
    total, rows = _page(
        q,
        _order(ESCALATION_SORT.get(sort, Escalation.raised_at), desc, Escalation.id),
        limit,
        offset,
        count,
    )
    numbers = dict(
        Complaint.select(Complaint.id, Complaint.number)
        .where(Complaint.id.in_([e.target_id for e in rows if e.target_kind == "complaint"]))
        .tuples()
    )
    items = [
        {
            "id": e.id,
            "rule": e.rule,
            "level": e.level,
            "target_kind": e.target_kind,
            "target_id": e.target_id,
            "target": numbers.get(e.target_id, f"#{e.target_id}")
            if e.target_kind == "complaint"
            else f"{e.target_kind} #{e.target_id}",
            "reason": e.reason,
            "raised_at": _iso(e.raised_at),
            "state": "未解除" if e.state == "open" else "已解除",
        }
        for e in rows
    ]
    return {"total": total, "items": items}


ACCOUNTABILITY_SORT = {
    "id": AccountabilityCase.id,
    "rule": AccountabilityCase.rule,
    "failure_kind": AccountabilityCase.failure_kind,
    "proposed_at": AccountabilityCase.proposed_at,
    "status": AccountabilityCase.status,
}


def accountability_page(
    actor: Actor,
    f: ListFilter,
    sort: str = "proposed_at",
    desc: bool = True,
    limit: int = 50,
    offset: int = 0,
    count: bool = True,
) -> dict[str, Any]:
    require(actor.role, "accountability.read", actor.name)
    q = AccountabilityCase.select()
    if f.status:
        q = q.where(AccountabilityCase.status == f.status)
    if f.unit:
        q = q.where(AccountabilityCase.unit == get_unit(f.unit).id)
    kind = f.extra.get("failure_kind")
    if kind:
        q = q.where(AccountabilityCase.failure_kind == kind)
    order = _order(
        ACCOUNTABILITY_SORT.get(sort, AccountabilityCase.proposed_at), desc, AccountabilityCase.id
    )
    total, rows = _page(q, order, limit, offset, count)
    names = _unit_names({c.unit_id for c in rows})
    staff = dict(
        Staff.select(Staff.id, Staff.name)
        .where(Staff.id.in_([c.staff_id for c in rows if c.staff_id]))
        .tuples()
    )
    items = [
        {
            "id": c.id,
            "rule": c.rule,
            "unit": names.get(c.unit_id),
            "staff": staff.get(c.staff_id),
            "failure_kind": c.failure_kind,
            "reason": c.reason,
            "proposed_at": _iso(c.proposed_at),
            "status": c.status,
            "form": c.form or "",
            "decided_by": c.decided_by or "",
        }
        for c in rows
    ]
    return {"total": total, "items": items}


# -- records that point at others (the escalation window, a case's evidence) ----------------

LINK_KINDS = {
    "complaint": "工单",
    "rating": "好差评",
    "review": "监督评议",
    "finding": "评议问题",
    "escalation": "督办",
    "accountability": "问责",
    "unit": "单位",
    "staff": "工作人员",
    "matter": "事项",
    "ranking": "月度排名",
}


def record_links(pairs: list[tuple[Any, Any]]) -> list[dict[str, Any]]:
    """Name ``(kind, id)`` references and say how to open each.

    Every item has ``kind`` (Chinese word), ``text`` and ``open``: the
    ``(record kind, key)`` a record window takes — a complaint by its number,
    a finding through its review — or None for what has no window (a unit, a
    matter, a ranking month)."""
    numeric = [
        (kind, int(rid)) for kind, rid in pairs if isinstance(rid, int) or str(rid).isdigit()
    ]
    names = targets.describe(numeric)
    finding_ids = [rid for kind, rid in numeric if kind == "finding"]
    reviews = (
        dict(Finding.select(Finding.id, Finding.review).where(Finding.id.in_(finding_ids)).tuples())
        if finding_ids
        else {}
    )
    links = []
    for kind, rid in pairs:
        key = int(rid) if isinstance(rid, int) or str(rid).isdigit() else None
        info = names.get((kind, key)) if key is not None else None
        text = info["target"] if info else f"{rid}"
        opener: tuple[str, Any] | None = None
        if key is not None and info and kind == "complaint" and not text.startswith("complaint "):
            opener = ("complaint", text)
        elif key is not None and kind in ("rating", "review", "escalation", "accountability"):
            opener = (kind, key)
        elif key is not None and kind == "finding" and key in reviews:
            opener = ("review", reviews[key])
        if kind == "accountability":
            text = f"问责 #{rid}"
        links.append({"kind": LINK_KINDS.get(kind, kind), "text": text, "open": opener})
    return links


def escalation_record(actor: Actor, escalation_id: int) -> dict[str, Any]:
    """One 督办 record for its window: the record, its cause (the target) and what cites it.

    ``links`` lists the target first, then the other escalations of the same
    target (other rules), then the accountability cases whose evidence cites
    this escalation (the case table is small: its evidence is read whole)."""
    require(actor.role, "accountability.read", actor.name)
    e = Escalation.get_or_none(Escalation.id == escalation_id)
    if e is None:
        raise NotFound(f"督办记录不存在：{escalation_id}", f"escalation not found: {escalation_id}")
    pairs: list[tuple[str, Any]] = [(e.target_kind, e.target_id)]
    siblings = (
        Escalation.select(Escalation.id)
        .where(
            (Escalation.target_kind == e.target_kind)
            & (Escalation.target_id == e.target_id)
            & (Escalation.id != e.id)
        )
        .order_by(Escalation.id)
        .tuples()
    )
    pairs += [("escalation", sid) for (sid,) in siblings]
    cited = (
        AccountabilityCase.select(AccountabilityCase.id, AccountabilityCase.evidence)
        .where(AccountabilityCase.evidence.contains('"escalation"'))
        .order_by(AccountabilityCase.id)
    )
    for case_id, evidence in cited.tuples():
        refs = json.loads(evidence or "[]")
        if any(
            isinstance(r, dict) and r.get("kind") == "escalation" and r.get("id") == e.id
            for r in refs
        ):
            pairs.append(("accountability", case_id))
    links = record_links(pairs)
    unit_id = targets.describe([(e.target_kind, e.target_id)])[(e.target_kind, e.target_id)][
        "unit_id"
    ]
    return {
        "id": e.id,
        "rule": e.rule,
        "level": e.level,
        "reason": e.reason,
        "target_kind": e.target_kind,
        "target_id": e.target_id,
        "target": links[0]["text"],
        "target_link": links[0]["open"],
        "unit": _unit_names({unit_id}).get(unit_id) if unit_id else None,
        "raised_at": _iso(e.raised_at),
        "updated_at": _iso(e.updated_at),
        "state": "未解除" if e.state == "open" else "已解除",
        "resolved_at": _iso(e.resolved_at),
        "version": e.version,
        "links": links,
    }


def run_rules(actor: Actor, which: str) -> str:
    """Run the escalation rules (``escalate``) or the accountability rules (``propose``) as now.

    The same engines as ``supervise escalate`` / ``accountability propose``;
    returns the one-line summary the window shows."""
    from ..rules import EscalationEngine, ProposalEngine  # the rules milestone: imported when used

    run: Any
    if which == "escalate":
        run = EscalationEngine(actor).run()
        text = f"督办规则已运行：新增 {run.raised_total}，解除 {run.resolved}，未解除 {run.open}"
    elif which == "propose":
        run = ProposalEngine(actor).run()
        text = f"问责规则已运行：新提出 {run.proposed_total} 件"
    else:
        raise ValueError(f"unknown rule family {which!r}")
    if run.failures:
        text += f"；{len(run.failures)} 条规则出错：" + "，".join(f.rule for f in run.failures[:3])
    return text


# -- the dashboard -------------------------------------------------------------------


def complaint_counts(actor: Actor, at: dt.datetime | None = None) -> dict[str, int]:
    """未办结, 今日到期, 已超期 over the complaints this user may see."""
    at = at or now()
    counts = {}
    for key, extra, status in (
        ("未办结", {}, OPEN),
        ("今日到期", {"due_today": True}, None),
        ("已超期", {"overdue": True}, None),
    ):
        counts[key] = complaint_query(actor, ListFilter(status=status, extra=extra), at).count()
    return counts


def bad_ratings_to_handle(actor: Actor) -> int | None:
    """差评 still in their handling loop (待核实/待整改/待回访); None when not allowed."""
    if not allowed(actor.role, "rating.read"):
        return None
    return rating_query(actor, ListFilter(status="待处理")).count()


def received_per_day(
    actor: Actor, days: int = 30, at: dt.datetime | None = None
) -> list[tuple[dt.date, int]]:
    """Complaints received on each of the last ``days`` days (oldest first).

    One range count per day: each is answered from the ``received_at`` index
    alone, where grouping by ``date(received_at)`` would compute a date for
    every row of the month (0.8 s at a million rows against 0.1 s)."""
    at = at or now()
    first = at.date() - dt.timedelta(days=days - 1)
    base = complaint_query(actor, ListFilter(), at)
    result = []
    for i in range(days):
        day = first + dt.timedelta(days=i)
        start = dt.datetime.combine(day, dt.time())
        q = base.where(
            (Complaint.received_at >= start)
            & (Complaint.received_at < start + dt.timedelta(days=1))
        )
        result.append((day, q.count()))
    return result


def open_by_unit(actor: Actor, top: int = 8) -> list[tuple[str, str, int]]:
    """(code, name, count) of the units with the most open complaints.

    Counted per ``unit_id`` (the (unit, status) index covers it) and named
    afterwards, rather than grouped over a join with the unit table."""
    n = pw.fn.COUNT(pw.SQL("*"))
    q = (
        complaint_query(actor, ListFilter(status=OPEN))
        .select(Complaint.unit, n.alias("n"))
        .where(Complaint.unit.is_null(False))
        .group_by(Complaint.unit)
        .order_by(n.desc())
    )
    counts = list(q.tuples())
    if not counts:
        return []
    units = {
        uid: (code, name) for uid, code, name in Unit.select(Unit.id, Unit.code, Unit.name).tuples()
    }
    ranked = sorted(
        ((units[uid][0], units[uid][1], count) for uid, count in counts if uid in units),
        key=lambda row: (-row[2], row[0]),
    )
    return ranked[:top]


def unit_choices() -> list[tuple[str, str]]:
    """(code, name) of the active units, by code."""
    return list(
        Unit.select(Unit.code, Unit.name).where(Unit.active == True).order_by(Unit.code).tuples()  # noqa: E712
    )


__all__ = [
    "ACCOUNTABILITY_SORT",
    "CASE_STATUSES",
    "COMPLAINT_SORT",
    "COUNT_CAP",
    "ListFilter",
    "OPEN",
    "accountability_page",
    "bad_ratings_to_handle",
    "complaint_counts",
    "complaint_page",
    "complaint_query",
    "escalation_page",
    "escalation_record",
    "record_links",
    "run_rules",
    "open_by_unit",
    "rating_page",
    "received_per_day",
    "review_page",
    "unit_choices",
]
