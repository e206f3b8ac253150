"""Import batches: listing them and undoing one (``import list``, ``import undo BATCH``).

Every import is one :class:`ImportBatch`; the records it created carry the
batch id (complaints, ratings, reviews with their findings, survey results).
Undoing a batch deletes those records together with what hangs on them —
timeline events, keyword-index entries, attachments, escalations raised on
them — marks the batch 已撤销 and writes one audit entry, in one
transaction.  It is refused while any of the records has been worked on
since (a version above 1: verified, replied, adopted…), because undoing
would silently throw that work away, and for reference-data batches
(units, staff, matters), whose rows carry no batch mark.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import peewee as pw

from .errors import InvalidInput, NotFound
from .models import (
    Attachment,
    Complaint,
    Escalation,
    Finding,
    ImportBatch,
    Rating,
    Review,
    SurveyResult,
    TimelineEvent,
    User,
)
from .services.base import Service

logger = logging.getLogger(__name__)

MAX_PAGE = 500
UNDONE = "已撤销"
DONE = "完成"
# (model, record kind of its timeline events, attachments and escalations)
BATCHED: tuple[tuple[type[pw.Model], str | None], ...] = (
    (Complaint, "complaint"),
    (Rating, "rating"),
    (Review, "review"),
    (SurveyResult, None),
)


def _iso(value: Any) -> Any:
    return value.isoformat(sep=" ") if isinstance(value, dt.datetime) else value


def summary(batch: ImportBatch, user: str | None) -> dict[str, Any]:
    return {
        "batch": batch.id,
        "format": batch.format,
        "file": batch.filename,
        "sha256": batch.sha256,
        "user": user,
        "started_at": _iso(batch.started_at),
        "finished_at": _iso(batch.finished_at),
        "rows": batch.rows,
        "imported": batch.imported,
        "duplicates": batch.duplicates,
        "errors": batch.errors,
        "state": batch.state,
    }


class ImportBatches(Service):
    """Listing and undoing import batches, for the acting user (permission ``import``)."""

    def list(self, format: str | None = None, limit: int = 50, offset: int = 0) -> dict[str, Any]:
        self.require("import")
        if not 1 <= limit <= MAX_PAGE or offset < 0:
            raise InvalidInput(f"每页条数应在 1–{MAX_PAGE} 之间", f"--limit must be 1–{MAX_PAGE}")
        q = ImportBatch.select()
        if format:
            q = q.where(ImportBatch.format == format)
        total = q.count()
        page = list(q.order_by(ImportBatch.id.desc()).limit(limit).offset(offset))
        ids = {b.user_id for b in page if b.user_id}
        names = (
            dict(User.select(User.id, User.name).where(User.id.in_(ids)).tuples()) if ids else {}
        )
        return {"total": total, "items": [summary(b, names.get(b.user_id)) for b in page]}

    def undo(self, batch_id: int) -> dict[str, Any]:
        """Delete what the batch imported; refused when any of it has been worked on since."""
        with self.change("import"):
            batch = ImportBatch.get_or_none(ImportBatch.id == batch_id)
            if batch is None:
                raise NotFound(f"导入批次不存在：{batch_id}", f"import batch not found: {batch_id}")
            if batch.state != DONE:
                raise InvalidInput(
                    f"批次 {batch_id} 的状态为“{batch.state}”，不能撤销",
                    f"batch {batch_id} is {batch.state}; only a finished batch can be undone",
                )
            counts = {
                model._meta.table_name: model.select().where(model.batch == batch.id).count()
                for model, _ in BATCHED
            }
            if batch.imported and not any(counts.values()):
                raise InvalidInput(
                    f"批次 {batch_id}（{batch.format}）导入的是不带批次标记的基础数据，不能撤销",
                    f"batch {batch_id} ({batch.format}) imported reference data, which carries no batch mark "
                    "and cannot be undone",
                )
            self._refuse_if_worked_on(batch)
            removed = self._delete(batch)
            before = {"state": batch.state, "version": batch.version}
            updated = (
                ImportBatch.update(state=UNDONE, version=ImportBatch.version + 1)
                .where((ImportBatch.id == batch.id) & (ImportBatch.version == batch.version))
                .execute()
            )
            if updated != 1:
                self._raise_stale(ImportBatch, batch.id)
            after = {"state": UNDONE, "version": batch.version + 1, "removed": removed}
            self.audit("import.undo", "import_batch", batch.id, before, after)
        from .registry import get_registry

        get_registry().notify_changed("import.undo", "import_batch", str(batch.id), self.actor.name)
        return {"batch": batch.id, "format": batch.format, "state": UNDONE, "removed": removed}

    def _refuse_if_worked_on(self, batch: ImportBatch) -> None:
        worked = sum(
            model.select().where((model.batch == batch.id) & (model.version > 1)).count()
            for model, _ in BATCHED
            if hasattr(model, "version")
        )
        ids = Complaint.select(Complaint.id).where(Complaint.batch == batch.id)
        others = Complaint.batch.is_null() | (Complaint.batch != batch.id)
        worked += Complaint.select().where(Complaint.merged_into.in_(ids) & others).count()
        reviews = Review.select(Review.id).where(Review.batch == batch.id)
        worked += (
            Finding.select()
            .where(Finding.review.in_(reviews) & Finding.complaint.is_null(False))
            .count()
        )
        if worked:
            raise InvalidInput(
                f"批次 {batch.id} 中已有 {worked} 条记录在导入后被处理过，不能撤销",
                f"{worked} records of batch {batch.id} have been worked on since the import; it cannot be undone",
            )

    def _delete(self, batch: ImportBatch) -> dict[str, int]:
        from . import search

        removed: dict[str, int] = {}
        complaint_ids = [
            cid
            for (cid,) in Complaint.select(Complaint.id).where(Complaint.batch == batch.id).tuples()
        ]
        if complaint_ids:
            search.remove_complaints(complaint_ids)
        rating_ids = [
            rid for (rid,) in Rating.select(Rating.id).where(Rating.batch == batch.id).tuples()
        ]
        if rating_ids:
            search.remove_ratings(rating_ids)
        for model, kind in BATCHED:
            ids = model.select(model.id).where(model.batch == batch.id)
            if kind is not None:
                removed[f"{kind}_timeline"] = (
                    TimelineEvent.delete()
                    .where((TimelineEvent.record_kind == kind) & TimelineEvent.record_id.in_(ids))
                    .execute()
                )
                Escalation.delete().where(
                    (Escalation.target_kind == kind) & Escalation.target_id.in_(ids)
                ).execute()
                Attachment.delete().where(
                    (Attachment.owner_kind == kind) & Attachment.owner_id.in_(ids)
                ).execute()
            if model is Review:
                findings = Finding.select(Finding.id).where(Finding.review.in_(ids))
                Attachment.delete().where(
                    (Attachment.owner_kind == "finding") & Attachment.owner_id.in_(findings)
                ).execute()
                removed["finding"] = Finding.delete().where(Finding.review.in_(ids)).execute()
            removed[model._meta.table_name] = (
                model.delete().where(model.batch == batch.id).execute()
            )
        return {k: v for k, v in removed.items() if v}


__all__ = ["ImportBatches", "summary"]
