"""好差评 ratings and the 差评 handling loop (SPEC §2.3).

    level 5..3 → 无需处理
    level 2..1 (差评) → 待核实 (contact within ``rating.contact_days``)
        核实 属实          → 待整改 (立行立改: end of the verification day;
                                     限期整改: ``rating.rectify_simple_days`` or
                                     ``rating.rectify_complex_days`` working days)
             → 整改        → 待回访 (real-name) / 已办结 (anonymous)
        核实 不属实/误评申诉 → 待回访 (real-name) / 已办结 (anonymous)
        回访               → 已办结

Every real-name 差评 is visited back; an anonymous one cannot be, so it closes
as soon as its handling is done (办结 is implicit, there is no close step).

Who does what (decided here, SPEC §1): entering a rating (``rating.add``) and
the return visit are office work (``admin``/``staff``) — the visit reaches
the rater, whose identity only the office may see.  Verification and
rectification (``rating.handle``) are also done by the liaison of the rated
unit, for their own unit's ratings only; a rating of another unit is "not
found" for them, as with complaints.  Every step is a timeline event
(``record_kind='rating'``) and an audit entry in one transaction.

The rater's name and phone are hidden from liaisons and viewers, masked for
``admin``/``staff``, and shown in full only on purpose (``unmask``), which is
audited — exactly as complainant identities are.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from .. import identity, settings
from ..db import write_transaction
from ..errors import InvalidInput, NotFound, NotPermitted
from ..models import (
    RATING_CHANNELS,
    RATING_FINDINGS,
    RATING_LEVELS,
    RATING_STATUSES,
    Rating,
    TimelineEvent,
    Unit,
    now,
)
from ..permissions import ADMIN, LIAISON, STAFF
from ..workdays import END_OF_DAY, WorkCalendar
from .base import Service
from .reference import get_matter, get_staff, get_unit

logger = logging.getLogger(__name__)

BAD_LEVELS = (1, 2)
LEVEL_WORDS = {word: level for level, word in RATING_LEVELS.items()}
RECTIFY_KINDS = ("立行立改", "限期整改")
FINDING_ALIASES = {"误评": "误评申诉"}
OPEN_STATUSES = ("待核实", "待整改", "待回访")
MAX_PAGE = 500
_OFFICE = (ADMIN, STAFF)


def parse_level(value: int | str) -> int:
    """A level 1..5 from an int, a digit or the Chinese word (非常满意 … 非常不满意)."""
    if isinstance(value, str):
        text = value.strip()
        if text in LEVEL_WORDS:
            return LEVEL_WORDS[text]
        if text.isdigit():
            value = int(text)
    if isinstance(value, int) and not isinstance(value, bool) and value in RATING_LEVELS:
        return value
    raise InvalidInput(
        f"评价等级无效：{value}（应为 1–5 或 {'/'.join(RATING_LEVELS.values())}）",
        f"bad rating level: {value} (1–5 or the Chinese words)",
    )


def parse_finding(text: str) -> str:
    """核实结论: 属实 / 不属实 / 误评申诉 (误评 accepted as short form)."""
    value = FINDING_ALIASES.get((text or "").strip(), (text or "").strip())
    if value not in RATING_FINDINGS:
        raise InvalidInput(
            f"核实结论无效：{text}（可选：属实/不属实/误评申诉）",
            f"bad verification finding: {text} (属实/不属实/误评申诉)",
        )
    return value


def _iso(value: Any) -> Any:
    return value.isoformat(sep=" ") if isinstance(value, dt.datetime) else value


class RatingService(Service):
    """Entering ratings and handling 差评, for the acting user."""

    def __init__(self, actor, calendar: WorkCalendar | None = None) -> None:
        super().__init__(actor)
        self._calendar = calendar

    @property
    def calendar(self) -> WorkCalendar:
        if self._calendar is None:
            self._calendar = WorkCalendar.from_database()
        return self._calendar

    # -- look-up and scope -------------------------------------------------------

    def get(self, rating_id: int) -> Rating:
        """The rating if this user may see it, else :class:`NotFound`."""
        rating = Rating.get_or_none(Rating.id == rating_id)
        if rating is None or not self._in_scope(rating):
            raise NotFound(f"评价不存在：{rating_id}", f"rating not found: {rating_id}")
        return rating

    def _in_scope(self, rating: Rating) -> bool:
        if self.actor.role == LIAISON:
            return rating.unit_id == self.actor.unit_id
        return self.allowed("rating.read")

    def _event(self, r: Rating, action: str, at: dt.datetime, note: str = "") -> None:
        TimelineEvent.create(
            record_kind="rating",
            record_id=r.id,
            at=at,
            actor=self.actor.name,
            action=action,
            status=r.status,
            note=note,
        )

    def _step(self, r: Rating, action: str, at: dt.datetime, note: str, **fields: Any) -> Rating:
        """One versioned change plus its timeline event; call inside change()."""
        self.update(r, f"rating.{action}", **fields)
        self._event(r, action, at, note)
        return r

    def _expect(self, r: Rating, *statuses: str) -> None:
        if r.status not in statuses:
            raise InvalidInput(
                f"评价 {r.id} 当前状态为“{r.status}”，不能执行此操作（应为 {'/'.join(statuses)}）",
                f"rating {r.id} is {r.status}; this step needs {'/'.join(statuses)}",
            )

    def _after_handling(self, r: Rating) -> str:
        """待回访 for a real-name rater (always visited back), else 已办结."""
        return "待回访" if r.real_name else "已办结"

    # -- entering -----------------------------------------------------------------

    def add(
        self,
        unit: str,
        level: int | str,
        channel: str = "窗口",
        window: str = "",
        matter: str | None = None,
        staff: str | None = None,
        reasons: str = "",
        comment: str = "",
        rater: str | None = None,
        phone: str | None = None,
        real_name: bool | None = None,
        rated: dt.datetime | None = None,
    ) -> Rating:
        """Record one rating; a 差评 opens the handling loop at 待核实."""
        value = parse_level(level)
        if channel not in RATING_CHANNELS:
            raise InvalidInput(
                f"评价渠道无效：{channel}（可选：{'/'.join(RATING_CHANNELS)}）",
                f"unknown rating channel: {channel}",
            )
        rater = (rater or "").strip() or None
        phone = (phone or "").strip() or None
        if real_name is None:
            real_name = rater is not None
        if real_name and rater is None:
            raise InvalidInput(
                "实名评价须填写评价人姓名", "a real-name rating needs the rater's name"
            )
        rated = (rated or now()).replace(microsecond=0)
        if rated > now() + dt.timedelta(minutes=5):
            raise InvalidInput("评价时间不能晚于当前时间", "the rating time lies in the future")
        bad = value in BAD_LEVELS
        with self.change("rating.add"):
            rated_unit = get_unit(unit)
            fields = {
                "unit": rated_unit,
                "staff": get_staff(staff) if staff else None,
                "matter": get_matter(matter) if matter else None,
            }
            contact_due = (
                self.calendar.due_at(rated, int(settings.get("rating.contact_days")))
                if bad
                else None
            )
            aad = identity.rating_aad(rated_unit.id, rated, "entered", None)
            r = self.create(
                Rating,
                "rating.add",
                window=(window or "").strip(),
                channel=channel,
                level=value,
                bad=bad,
                reasons=(reasons or "").strip(),
                comment=(comment or "").strip(),
                **identity.rating_columns(identity.sealer(), aad, rater, phone),
                real_name=bool(real_name),
                rated_at=rated,
                status="待核实" if bad else "无需处理",
                contact_due_at=contact_due,
                **fields,
            )
            note = f"{RATING_LEVELS[value]}（{channel}）"
            if bad:
                note += f"，差评，{contact_due:%Y-%m-%d} 前核实联系"
            self._event(r, "评价", rated, note)
            from .. import search

            search.index_ratings([(r.id, r.comment, r.reasons, r.window)], fresh=True)
            return r

    # -- the 差评 loop ----------------------------------------------------------------

    def verify(
        self,
        rating_id: int,
        finding: str,
        note: str = "",
        *,
        complex: bool = False,
        immediate: bool = False,
        at: dt.datetime | None = None,
    ) -> Rating:
        """核实: 属实 opens rectification (立行立改 if ``immediate``, else 限期整改,
        simple or ``complex``); 不属实/误评申诉 go to the return visit or close."""
        value = parse_finding(finding)
        if immediate and complex:
            raise InvalidInput(
                "立行立改与复杂整改不能同时指定",
                "immediate and complex rectification exclude each other",
            )
        if value != "属实" and (immediate or complex):
            raise InvalidInput("仅“属实”的差评需要整改", "only a 属实 finding is rectified")
        at = (at or now()).replace(microsecond=0)
        with self.change("rating.handle"):
            r = self.get(rating_id)
            self._expect(r, "待核实")
            note = (note or "").strip()
            contacted = (
                "按期核实" if r.contact_due_at is None or at <= r.contact_due_at else "超期核实"
            )
            if value == "属实":
                if immediate:
                    kind, due = "立行立改", dt.datetime.combine(at.date(), END_OF_DAY)
                else:
                    key = "rating.rectify_complex_days" if complex else "rating.rectify_simple_days"
                    kind, due = "限期整改", self.calendar.due_at(at, int(settings.get(key)))
                text = f"{contacted}：属实，{kind}，{due:%Y-%m-%d} 前整改" + (
                    f"。{note}" if note else ""
                )
                return self._step(
                    r,
                    "核实",
                    at,
                    text,
                    status="待整改",
                    finding=value,
                    verified_at=at,
                    rectify_kind=kind,
                    rectify_due_at=due,
                )
            status = self._after_handling(r)
            text = f"{contacted}：{value}" + (f"。{note}" if note else "")
            extra = {"closed_at": at} if status == "已办结" else {}
            return self._step(
                r, "核实", at, text, status=status, finding=value, verified_at=at, **extra
            )

    def rectify(self, rating_id: int, measures: str, at: dt.datetime | None = None) -> Rating:
        """整改 done: the measures taken; then the return visit, or closed if anonymous."""
        measures = (measures or "").strip()
        if not measures:
            raise InvalidInput("整改措施不能为空", "the rectification measures are required")
        at = (at or now()).replace(microsecond=0)
        with self.change("rating.handle"):
            r = self.get(rating_id)
            self._expect(r, "待整改")
            on_time = r.rectify_due_at is None or at <= r.rectify_due_at
            status = self._after_handling(r)
            extra = {"closed_at": at} if status == "已办结" else {}
            return self._step(
                r,
                "整改",
                at,
                f"{'按期' if on_time else '超期'}整改：{measures}",
                status=status,
                measures=measures,
                rectified_at=at,
                **extra,
            )

    def visit(
        self, rating_id: int, result: str, note: str = "", at: dt.datetime | None = None
    ) -> Rating:
        """回访 the real-name rater (office only), which closes the rating."""
        result = (result or "").strip()
        if not result:
            raise InvalidInput("回访结果不能为空", "the return-visit result is required")
        at = (at or now()).replace(microsecond=0)
        with self.change("rating.handle"):
            if self.actor.role not in _OFFICE:
                raise NotPermitted(
                    "差评回访由效能监督干部办理", "the return visit is office work (admin/staff)"
                )
            r = self.get(rating_id)
            self._expect(r, "待回访")
            text = f"回访结果：{result}" + (f"。{note.strip()}" if note and note.strip() else "")
            return self._step(r, "回访", at, text, status="已办结", visited_at=at, closed_at=at)

    # -- reading --------------------------------------------------------------------

    def timeline(self, r: Rating) -> list[dict[str, Any]]:
        events = (
            TimelineEvent.select()
            .where((TimelineEvent.record_kind == "rating") & (TimelineEvent.record_id == r.id))
            .order_by(TimelineEvent.at, TimelineEvent.id)
        )
        return [
            {
                "at": _iso(e.at),
                "actor": e.actor,
                "action": e.action,
                "status": e.status,
                "note": e.note,
            }
            for e in events
        ]


def _overdue(r: Rating, at: dt.datetime) -> bool:
    if r.status == "待核实":
        return r.contact_due_at is not None and r.contact_due_at < at
    if r.status == "待整改":
        return r.rectify_due_at is not None and r.rectify_due_at < at
    return False


def summary(r: Rating, unit_name: str | None, at: dt.datetime) -> dict[str, Any]:
    return {
        "id": r.id,
        "unit": unit_name,
        "window": r.window,
        "channel": r.channel,
        "level": r.level,
        "level_name": RATING_LEVELS[r.level],
        "bad": r.bad,
        "status": r.status,
        "rated_at": _iso(r.rated_at),
        "contact_due_at": _iso(r.contact_due_at),
        "rectify_due_at": _iso(r.rectify_due_at),
        "overdue": _overdue(r, at),
    }


class RatingQueries(Service):
    """Reading ratings: filtered lists and one rating with its timeline."""

    def list(
        self,
        unit: str | None = None,
        status: str | None = None,
        bad_only: bool = False,
        date_from: dt.date | None = None,
        date_to: dt.date | None = None,
        limit: int = 20,
        offset: int = 0,
        search: str | None = None,
    ) -> dict[str, Any]:
        """Ratings newest first; ``search`` finds words of the comment, reasons and window
        (the bigram index of :mod:`supervise.search`, as for complaints)."""
        self.require("rating.read")
        if not 1 <= limit <= MAX_PAGE or offset < 0:
            raise InvalidInput(f"每页条数应在 1–{MAX_PAGE} 之间", f"--limit must be 1–{MAX_PAGE}")
        q = Rating.select()
        if self.actor.role == LIAISON:
            q = q.where(Rating.unit == self.actor.unit_id)
        if unit:
            q = q.where(Rating.unit == get_unit(unit).id)
        if status:
            if status not in RATING_STATUSES:
                raise InvalidInput(
                    f"评价状态无效：{status}（可选：{'/'.join(RATING_STATUSES)}）",
                    f"unknown rating status: {status}",
                )
            q = q.where(Rating.status == status)
        if bad_only:
            q = q.where(Rating.bad == True)  # noqa: E712 (peewee expression)
        if date_from:
            q = q.where(Rating.rated_at >= dt.datetime.combine(date_from, dt.time()))
        if date_to:
            q = q.where(
                Rating.rated_at < dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time())
            )
        if search and search.strip():
            from .. import search as keyword

            q = q.where(keyword.search_condition(search, keyword.RATINGS))
        total = q.count()
        page = list(
            q.order_by(Rating.rated_at.desc(), Rating.id.desc()).limit(limit).offset(offset)
        )
        ids = {r.unit_id for r in page}
        names = (
            dict(Unit.select(Unit.id, Unit.name).where(Unit.id.in_(ids)).tuples()) if ids else {}
        )
        at = now()
        return {"total": total, "items": [summary(r, names.get(r.unit_id), at) for r in page]}

    def show(self, rating_id: int, *, unmask: bool = False) -> dict[str, Any]:
        self.require("rating.read")
        service = RatingService(self.actor)
        r = service.get(rating_id)
        unit = Unit.get_by_id(r.unit_id)
        data = summary(r, unit.name, now())
        data.update(
            unit_code=unit.code,
            staff=r.staff.number if r.staff_id else None,
            staff_name=r.staff.name if r.staff_id else None,
            matter=r.matter.code if r.matter_id else None,
            matter_name=r.matter.name if r.matter_id else None,
            reasons=r.reasons,
            comment=r.comment,
            real_name=r.real_name,
            finding=r.finding,
            verified_at=_iso(r.verified_at),
            rectify_kind=r.rectify_kind,
            measures=r.measures,
            rectified_at=_iso(r.rectified_at),
            visited_at=_iso(r.visited_at),
            closed_at=_iso(r.closed_at),
            source=r.source,
            external_id=r.external_id,
            version=r.version,
            timeline=service.timeline(r),
        )
        data["rater"] = self._identity(r, unmask)
        return data

    def _identity(self, r: Rating, unmask: bool) -> dict[str, Any] | None:
        if r.identity_purged_at is not None:
            return {"purged": _iso(r.identity_purged_at)} if self.allowed("identity.view") else None
        if not (r.identity_sealed or r.masked_name or r.masked_phone):
            return {"anonymous": True}
        if not self.allowed("identity.view"):
            return None  # liaisons and viewers never see any part of it
        if unmask:
            clear = identity.rating_identity(self.actor, r)  # refused without the office key
            with write_transaction():
                self.audit("identity.view", "rating", r.id, None, {"rating": r.id})
            return clear
        return identity.masked_rating(r)


__all__ = [
    "RatingService",
    "RatingQueries",
    "parse_level",
    "parse_finding",
    "BAD_LEVELS",
    "OPEN_STATUSES",
    "RECTIFY_KINDS",
]
