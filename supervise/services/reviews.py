"""监督评议 reviews and their findings (SPEC §2.2).

    submit (supervisor/staff/admin) → 待审核 → 采纳 → 已采纳
                                            → 不予采纳 (reason required) → 未采纳

Adopting with ``to_complaint`` turns each finding into one complaint in the
same transaction (交办 with one action): channel 社会监督员, category 投诉,
content = the finding, registered and assigned to the reviewed unit with a
黄 card.  The finding points at its complaint and the complaint's 登记 note
names the review and finding.  The nested ComplaintService transactions
become savepoints, so a failure anywhere undoes the whole adoption.

A ``supervisor`` sees and touches only their own submissions (others' are
"not found"); attachments may be added by the submitter while the review
waits for its decision, and by the office at any time.  Files are stored in
the database with their sha256 (SPEC §10), at most 20 MB each.  Every step is
a timeline event (``record_kind='review'``) and an audit entry.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import mimetypes
import os
from collections.abc import Iterable, Sequence
from typing import Any

from ..errors import InvalidInput, NotFound, NotPermitted
from ..models import (
    FINDING_CATEGORIES,
    REVIEW_CONCLUSIONS,
    REVIEW_METHODS,
    REVIEW_STATUSES,
    SEVERITIES,
    Attachment,
    Complaint,
    Finding,
    Review,
    TimelineEvent,
    Unit,
    now,
)
from ..permissions import SUPERVISOR
from .base import Service
from .complaints import ComplaintService
from .reference import get_staff, get_unit

logger = logging.getLogger(__name__)

MAX_ATTACHMENT = 20 * 1024 * 1024
MAX_PAGE = 500
SCORE_NAMES = ("工作态度", "服务品质", "管理水准")
FindingInput = str | Sequence[str]


def _iso(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    return value.isoformat() if isinstance(value, dt.date) else value


def _choice(value: str, allowed: tuple[str, ...], zh: str, en: str) -> str:
    if value not in allowed:
        raise InvalidInput(
            f"{zh}无效：{value}（可选：{'/'.join(allowed)}）", f"unknown {en}: {value}"
        )
    return value


def _findings(items: Iterable[FindingInput]) -> list[tuple[str, str, str]]:
    """(description, category, severity) with defaults 其他 / 一般, validated."""
    result = []
    for item in items:
        parts = (item,) if isinstance(item, str) else tuple(item)
        description = (parts[0] if parts else "").strip()
        category = parts[1] if len(parts) > 1 and parts[1] else "其他"
        severity = parts[2] if len(parts) > 2 and parts[2] else "一般"
        if not description:
            raise InvalidInput("问题描述不能为空", "a finding needs a description")
        result.append(
            (
                description,
                _choice(category, FINDING_CATEGORIES, "问题类别", "finding category"),
                _choice(severity, SEVERITIES, "严重程度", "severity"),
            )
        )
    return result


def _scores(scores: Sequence[int | None] | None) -> tuple[int | None, int | None, int | None]:
    if scores is None:
        return (None, None, None)
    if len(scores) != 3:
        raise InvalidInput(
            "评分应为三项：工作态度、服务品质、管理水准",
            "scores are three: attitude, quality, management",
        )
    for name, value in zip(SCORE_NAMES, scores, strict=True):
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 100
        ):
            raise InvalidInput(
                f"{name}评分应为 0–100 的整数：{value}", f"scores are whole numbers 0–100: {value}"
            )
    return (scores[0], scores[1], scores[2])


class ReviewService(Service):
    """Submitting, deciding and attaching, for the acting user."""

    # -- look-up and scope -------------------------------------------------------

    def get(self, review_id: int) -> Review:
        """The review if this user may see it, else :class:`NotFound`."""
        review = Review.get_or_none(Review.id == review_id)
        if review is None or not self._in_scope(review):
            raise NotFound(f"评议不存在：{review_id}", f"review not found: {review_id}")
        return review

    def _in_scope(self, review: Review) -> bool:
        if self.actor.role == SUPERVISOR:
            return self.actor.user_id is not None and review.reviewer_id == self.actor.user_id
        return self.allowed("review.read")

    def _event(self, r: Review, action: str, at: dt.datetime, note: str = "") -> None:
        TimelineEvent.create(
            record_kind="review",
            record_id=r.id,
            at=at,
            actor=self.actor.name,
            action=action,
            status=r.status,
            note=note,
        )

    def _expect(self, r: Review, *statuses: str) -> None:
        if r.status not in statuses:
            raise InvalidInput(
                f"评议 {r.id} 当前状态为“{r.status}”，不能执行此操作（应为 {'/'.join(statuses)}）",
                f"review {r.id} is {r.status}; this step needs {'/'.join(statuses)}",
            )

    # -- submitting -----------------------------------------------------------------

    def submit(
        self,
        unit: str,
        method: str,
        findings: Iterable[FindingInput],
        window: str = "",
        staff: str | None = None,
        review_date: dt.date | None = None,
        scores: Sequence[int | None] | None = None,
        conclusion: str | None = None,
        at: dt.datetime | None = None,
    ) -> Review:
        """A review by the acting user; waits for the office's decision (待审核).

        ``at`` is the submission time (default now)."""
        _choice(method, REVIEW_METHODS, "评议方式", "review method")
        items = _findings(findings)
        attitude, quality, management = _scores(scores)
        if conclusion is not None:
            _choice(conclusion, REVIEW_CONCLUSIONS, "评议结论", "conclusion")
        if not items and scores is None and conclusion is None:
            raise InvalidInput(
                "评议须至少包含一条问题，或评分、结论",
                "a review needs a finding, scores or a conclusion",
            )
        at = (at or now()).replace(microsecond=0)
        review_date = review_date or at.date()
        if at > now() + dt.timedelta(minutes=5) or review_date > at.date():
            raise InvalidInput(
                "评议日期不能晚于提交时间，提交时间不能晚于当前时间",
                "the review date lies after its submission, or in the future",
            )
        with self.change("review.submit"):
            target = get_unit(unit)
            review = self.create(
                Review,
                "review.submit",
                reviewer=self.actor.user_id,
                reviewer_name=self.actor.name,
                unit=target,
                window=(window or "").strip(),
                staff=get_staff(staff) if staff else None,
                review_date=review_date,
                method=method,
                score_attitude=attitude,
                score_quality=quality,
                score_management=management,
                conclusion=conclusion,
                status="待审核",
                created_at=at,
            )
            for description, category, severity in items:
                self.create(
                    Finding,
                    "review.submit",
                    review=review,
                    description=description,
                    category=category,
                    severity=severity,
                )
            self._event(review, "提交", at, f"{method}，{target.name}，问题 {len(items)} 条")
            return review

    # -- deciding -------------------------------------------------------------------

    def adopt(
        self,
        review_id: int,
        to_complaint: bool = False,
        note: str = "",
        at: dt.datetime | None = None,
    ) -> tuple[Review, list[Complaint]]:
        """采纳; with ``to_complaint`` every finding becomes one assigned complaint."""
        at = (at or now()).replace(microsecond=0)
        with self.change("review.decide"):
            review = self.get(review_id)
            self._expect(review, "待审核")
            complaints: list[Complaint] = []
            if to_complaint:
                complaints = self._to_complaints(review, at)
            self.update(
                review, "review.adopt", status="已采纳", decided_by=self.actor.name, decided_at=at
            )
            text = "采纳" + (
                f"，转为工单 {'、'.join(c.number for c in complaints)}" if complaints else ""
            )
            self._event(
                review, "采纳", at, text + (f"。{note.strip()}" if note and note.strip() else "")
            )
            return review, complaints

    def _to_complaints(self, review: Review, at: dt.datetime) -> list[Complaint]:
        findings = list(review.findings.where(Finding.complaint.is_null()).order_by(Finding.id))
        if not findings:
            raise InvalidInput(
                f"评议 {review.id} 没有可转办的问题",
                f"review {review.id} has no finding to forward",
            )
        unit = Unit.get_by_id(review.unit_id)
        staff = review.staff.number if review.staff_id else None
        complaints = ComplaintService(self.actor)
        created = []
        for finding in findings:
            c = complaints.register(
                channel="社会监督员",
                category="投诉",
                content=finding.description,
                unit=unit.code,
                staff=staff,
                received=at,
            )
            source = f"来源：监督评议 #{review.id} 问题 #{finding.id}（{review.reviewer_name}，{review.method}）"
            (
                TimelineEvent.update(note=TimelineEvent.note.concat("；" + source))
                .where(
                    (TimelineEvent.record_kind == "complaint")
                    & (TimelineEvent.record_id == c.id)
                    & (TimelineEvent.action == "登记")
                )
                .execute()
            )
            c = complaints.assign(c.number, unit.code, card="黄", at=at)
            Finding.update(complaint=c.id).where(Finding.id == finding.id).execute()
            self.audit(
                "review.to_complaint",
                "finding",
                finding.id,
                {"complaint": None},
                {"complaint": c.id, "number": c.number, "review": review.id},
            )
            created.append(c)
        return created

    def reject(self, review_id: int, reason: str, at: dt.datetime | None = None) -> Review:
        """不予采纳 with a reason the submitter can read."""
        reason = (reason or "").strip()
        if not reason:
            raise InvalidInput("不予采纳须说明理由", "a rejection needs a reason")
        at = (at or now()).replace(microsecond=0)
        with self.change("review.decide"):
            review = self.get(review_id)
            self._expect(review, "待审核")
            self.update(
                review,
                "review.reject",
                status="未采纳",
                reject_reason=reason,
                decided_by=self.actor.name,
                decided_at=at,
            )
            self._event(review, "不予采纳", at, reason)
            return review

    # -- attachments ------------------------------------------------------------------

    def attach(self, finding_id: int, path: str | os.PathLike[str]) -> Attachment:
        """Store a file (≤ 20 MB) on a finding, with its sha256."""
        self.require("review.submit")
        name = os.path.basename(os.fspath(path))
        try:
            size = os.path.getsize(path)
            if size > MAX_ATTACHMENT:
                raise InvalidInput(
                    f"附件超过 20 MB：{name}", f"attachments are at most 20 MB: {name}"
                )
            with open(path, "rb") as fh:
                content = fh.read(MAX_ATTACHMENT + 1)
        except OSError as exc:
            raise InvalidInput(
                f"无法读取附件：{name}", f"cannot read the attachment {name}: {exc.strerror}"
            ) from None
        if len(content) > MAX_ATTACHMENT:
            raise InvalidInput(f"附件超过 20 MB：{name}", f"attachments are at most 20 MB: {name}")
        if not content:
            raise InvalidInput(f"附件为空：{name}", f"the attachment is empty: {name}")
        mime = mimetypes.guess_type(name)[0] or "application/octet-stream"
        digest = hashlib.sha256(content).hexdigest()
        with self.change("review.submit"):
            finding = Finding.get_or_none(Finding.id == finding_id)
            review = Review.get_by_id(finding.review_id) if finding else None
            if review is None or not self._in_scope(review):
                raise NotFound(f"问题不存在：{finding_id}", f"finding not found: {finding_id}")
            office = self.allowed("review.decide")
            if not office and review.reviewer_id != self.actor.user_id:
                raise NotPermitted(
                    "只能为本人提交的评议上传附件",
                    "only the submitter or the office may attach files",
                )
            if not office:
                self._expect(review, "待审核")
            attachment = self.create(
                Attachment,
                "review.attach",
                owner_kind="finding",
                owner_id=finding.id,
                filename=name,
                mime=mime,
                size=len(content),
                sha256=digest,
                content=content,
            )
            self._event(
                review,
                "上传附件",
                now(),
                f"问题 #{finding.id}：{name}（{len(content)} 字节，sha256 {digest[:12]}…）",
            )
            return attachment


def _attachments(finding_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    rows = (
        (
            Attachment.select(
                Attachment.id,
                Attachment.owner_id,
                Attachment.filename,
                Attachment.mime,
                Attachment.size,
                Attachment.sha256,
            )
            .where((Attachment.owner_kind == "finding") & Attachment.owner_id.in_(finding_ids))
            .order_by(Attachment.id)
        )
        if finding_ids
        else []
    )
    result: dict[int, list[dict[str, Any]]] = {}
    for a in rows:
        result.setdefault(a.owner_id, []).append(
            {"id": a.id, "name": a.filename, "mime": a.mime, "size": a.size, "sha256": a.sha256}
        )
    return result


def summary(r: Review, unit_name: str | None, findings: int) -> dict[str, Any]:
    return {
        "id": r.id,
        "unit": unit_name,
        "window": r.window,
        "review_date": _iso(r.review_date),
        "method": r.method,
        "reviewer": r.reviewer_name,
        "conclusion": r.conclusion,
        "status": r.status,
        "reject_reason": r.reject_reason,
        "findings": findings,
    }


class ReviewQueries(Service):
    """Reading reviews; a supervisor sees only their own submissions."""

    def _query(self):
        self.require("review.read")
        q = Review.select()
        if self.actor.role == SUPERVISOR:
            q = q.where(Review.reviewer == self.actor.user_id)
        return q

    def list(
        self,
        unit: str | None = None,
        status: str | None = None,
        date_from: dt.date | None = None,
        date_to: dt.date | None = None,
        limit: int = 20,
        offset: int = 0,
    ) -> dict[str, Any]:
        if not 1 <= limit <= MAX_PAGE or offset < 0:
            raise InvalidInput(f"每页条数应在 1–{MAX_PAGE} 之间", f"--limit must be 1–{MAX_PAGE}")
        q = self._query()
        if unit:
            q = q.where(Review.unit == get_unit(unit).id)
        if status:
            q = q.where(
                Review.status == _choice(status, REVIEW_STATUSES, "评议状态", "review status")
            )
        if date_from:
            q = q.where(Review.review_date >= date_from)
        if date_to:
            q = q.where(Review.review_date <= date_to)
        total = q.count()
        page = list(
            q.order_by(Review.review_date.desc(), Review.id.desc()).limit(limit).offset(offset)
        )
        ids = [r.id for r in page]
        units = {r.unit_id for r in page}
        names = (
            dict(Unit.select(Unit.id, Unit.name).where(Unit.id.in_(units)).tuples())
            if units
            else {}
        )
        counts: dict[int, int] = {}
        for (review_id,) in (
            Finding.select(Finding.review).where(Finding.review.in_(ids)).tuples() if ids else []
        ):
            counts[review_id] = counts.get(review_id, 0) + 1
        return {
            "total": total,
            "items": [summary(r, names.get(r.unit_id), counts.get(r.id, 0)) for r in page],
        }

    def show(self, review_id: int) -> dict[str, Any]:
        self.require("review.read")
        review = ReviewService(self.actor).get(review_id)
        unit = Unit.get_by_id(review.unit_id)
        findings = list(review.findings.order_by(Finding.id))
        files = _attachments([f.id for f in findings])
        numbers = dict(
            Complaint.select(Complaint.id, Complaint.number)
            .where(Complaint.id.in_([f.complaint_id for f in findings if f.complaint_id]))
            .tuples()
        )
        data = summary(review, unit.name, len(findings))
        events = (
            TimelineEvent.select()
            .where((TimelineEvent.record_kind == "review") & (TimelineEvent.record_id == review.id))
            .order_by(TimelineEvent.at, TimelineEvent.id)
        )
        data.update(
            unit_code=unit.code,
            staff=review.staff.number if review.staff_id else None,
            scores={
                name: value
                for name, value in zip(
                    SCORE_NAMES,
                    (review.score_attitude, review.score_quality, review.score_management),
                    strict=True,
                )
            },
            decided_by=review.decided_by,
            decided_at=_iso(review.decided_at),
            version=review.version,
            findings=[
                {
                    "id": f.id,
                    "description": f.description,
                    "category": f.category,
                    "severity": f.severity,
                    "complaint": numbers.get(f.complaint_id),
                    "attachments": files.get(f.id, []),
                }
                for f in findings
            ],
            timeline=[
                {
                    "at": _iso(e.at),
                    "actor": e.actor,
                    "action": e.action,
                    "status": e.status,
                    "note": e.note,
                }
                for e in events
            ],
        )
        return data

    def attachment(self, attachment_id: int) -> tuple[str, str, bytes]:
        """(filename, mime, content) of a finding's attachment this user may see."""
        self.require("review.read")
        a = Attachment.get_or_none(
            (Attachment.id == attachment_id) & (Attachment.owner_kind == "finding")
        )
        finding = Finding.get_or_none(Finding.id == a.owner_id) if a else None
        review = Review.get_by_id(finding.review_id) if finding else None
        if review is None or not ReviewService(self.actor)._in_scope(review):
            raise NotFound(f"附件不存在：{attachment_id}", f"attachment not found: {attachment_id}")
        return a.filename, a.mime, bytes(a.content)


__all__ = ["ReviewService", "ReviewQueries", "MAX_ATTACHMENT", "SCORE_NAMES"]
