"""Retention of identities (issue #8 item 8; docs/SECURITY.md "Retention").

After ``identity.retention_days`` (default 365) a closed case keeps no
identity: its sealed identity and masked forms are cleared and
``identity_purged_at`` is set, so the case reads as anonymous from then on.

What counts as closed: a complaint 已办结, 不予受理 or 已并单 whose
``closed_at`` lies at least N days before the as-of instant; a rating 已办结
(its ``closed_at``) or 无需处理 (no handling loop: its ``rated_at``).  Every
closed case is purged, not only those filed anonymously: an anonymous case
holds no identity from the start, so the retention is what makes the others
anonymous once the office no longer needs to call anyone back.

Each batch of records is one audit entry naming the ids and the cleared
columns (``identity.purge``), which :mod:`supervise.audit_records` lays over
the records' snapshots.  Running it again purges nothing more (idempotent).
On SQLite the purge runs with ``secure_delete`` and truncates the WAL, so the
cleared values do not linger in free pages.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

import peewee as pw

from . import audit, permissions, settings
from .db import database, is_sqlite, write_transaction
from .errors import InvalidInput
from .models import Complaint, Rating, now

logger = logging.getLogger(__name__)

CLOSED_COMPLAINT = ("已办结", "不予受理", "已并单")
BATCH = 500
Progress = Callable[[int, "int | None"], None]


def retention_days() -> int:
    value = settings.get("identity.retention_days")
    try:
        days = int(value)
    except (TypeError, ValueError):
        days = -1
    if days < 0:
        raise InvalidInput(
            f"身份信息保存期限设置无效：{value}", f"identity.retention_days is invalid: {value}"
        )
    return days


def _has_identity(model: type[Complaint] | type[Rating]) -> pw.Expression:
    cond = (
        model.identity_sealed.is_null(False)
        | model.masked_name.is_null(False)
        | model.masked_phone.is_null(False)
    )
    if model is Complaint:
        cond = cond | Complaint.masked_id_no.is_null(False)
    return model.identity_purged_at.is_null() & cond


def due(cutoff: dt.datetime) -> dict[str, pw.ModelSelect]:
    """The records whose identities are due for purging at ``cutoff``."""
    complaints = Complaint.select(Complaint.id).where(
        Complaint.status.in_(CLOSED_COMPLAINT)
        & (Complaint.closed_at <= cutoff)
        & _has_identity(Complaint)
    )
    ratings = Rating.select(Rating.id).where(
        (
            ((Rating.status == "已办结") & (Rating.closed_at <= cutoff))
            | ((Rating.status == "无需处理") & (Rating.rated_at <= cutoff))
        )
        & _has_identity(Rating)
    )
    return {"complaint": complaints, "rating": ratings}


def purge(
    actor: Any,
    as_of: dt.datetime | None = None,
    *,
    progress: Progress | None = None,
    cancel: Callable[[], bool] | None = None,
) -> dict[str, Any]:
    """Purge the identities of cases closed more than the retention period before ``as_of``."""
    permissions.require(actor.role, "retention.purge", actor.name)
    as_of = (as_of or now()).replace(microsecond=0)
    days = retention_days()
    cutoff = as_of - dt.timedelta(days=days)
    if is_sqlite():
        database.execute_sql("PRAGMA secure_delete = ON")
    queries = due(cutoff)
    total = sum(q.count() for q in queries.values())
    done = {"complaint": 0, "rating": 0}
    batches = 0
    stopped = False
    for table, query in queries.items():
        model = Complaint if table == "complaint" else Rating
        cleared: dict[str, Any] = {
            "identity_sealed": None,
            "masked_name": None,
            "masked_phone": None,
            "identity_purged_at": as_of,
        }
        if model is Complaint:
            cleared["masked_id_no"] = None
        while not stopped:
            if cancel is not None and cancel():
                stopped = True
                break
            with write_transaction():
                ids = [row[0] for row in query.order_by(model.id).limit(BATCH).tuples()]
                if not ids:
                    break
                model.update(**cleared).where(model.id.in_(ids)).execute()
                audit.append(
                    actor.name,
                    "identity.purge",
                    table,
                    None,
                    None,
                    {
                        "ids": ids,
                        "set": cleared,
                        "as_of": as_of,
                        "cutoff": cutoff,
                        "retention_days": days,
                    },
                )
            done[table] += len(ids)
            batches += 1
            if progress is not None:
                progress(sum(done.values()), total)
    if is_sqlite():
        database.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    logger.info(
        "%s purged identities of %s complaints and %s ratings closed before %s",
        actor.name,
        done["complaint"],
        done["rating"],
        cutoff,
    )
    return {
        "as_of": as_of.isoformat(timespec="seconds"),
        "cutoff": cutoff.isoformat(timespec="seconds"),
        "retention_days": days,
        "complaints": done["complaint"],
        "ratings": done["rating"],
        "batches": batches,
        "cancelled": stopped,
    }
