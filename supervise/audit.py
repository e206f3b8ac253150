"""The audit log: every change, chained by hashes (SPEC §10).

Each entry stores the hash of the entry before it and its own hash over its
content and that previous hash, so editing, deleting or reordering an entry
breaks the chain at that point.  The head of the chain (id and hash of the
last entry) is kept in the settings table as well, so that cutting entries
off the end is noticed too.  Entries are appended inside the transaction of
the change they describe; on PostgreSQL an advisory lock serialises appends
(SQLite's write lock already does).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from dataclasses import dataclass

import peewee as pw

from . import prepared
from .db import database, is_sqlite
from .models import AuditEntry, Setting, now

logger = logging.getLogger(__name__)

GENESIS = "0" * 64
HEAD_KEY = "audit.head"
_PG_LOCK_KEY = 0x5355_5056  # "SUPV"


def to_json(value: object) -> str | None:
    if value is None:
        return None
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=_default)


def _default(value: object) -> object:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, bytes):
        return hashlib.sha256(value).hexdigest()
    raise TypeError(f"not JSON-serialisable: {type(value).__name__}")


def entry_hash(
    at: dt.datetime,
    actor: str,
    action: str,
    table: str,
    record_id: str | None,
    before: str | None,
    after: str | None,
    prev_hash: str,
) -> str:
    payload = json.dumps(
        [at.isoformat(sep=" "), actor, action, table, record_id, before, after, prev_hash],
        ensure_ascii=False,
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def append(
    actor: str,
    action: str,
    table: str,
    record_id: object = None,
    before: object = None,
    after: object = None,
) -> AuditEntry:
    """Append one entry; call inside the change's own transaction."""
    if not is_sqlite():
        database.execute_sql("SELECT pg_advisory_xact_lock(%s)", (_PG_LOCK_KEY,))
    last = prepared.execute("SELECT hash FROM audit_entry ORDER BY id DESC LIMIT 1").fetchone()
    prev = last[0] if last else GENESIS
    at = now()
    rid = None if record_id is None else str(record_id)
    before_s, after_s = to_json(before), to_json(after)
    digest = entry_hash(at, actor, action, table, rid, before_s, after_s, prev)
    entry = prepared.create(
        AuditEntry,
        at=at,
        actor=actor,
        action=action,
        table=table,
        record_id=rid,
        before=before_s,
        after=after_s,
        prev_hash=prev,
        hash=digest,
    )
    head = json.dumps({"id": entry.id, "hash": digest})
    prepared.execute(  # Setting.version starts at 1, like Setting.insert's default
        'INSERT INTO setting ("key", "value", version) VALUES (?, ?, 1)'
        ' ON CONFLICT ("key") DO UPDATE SET "value" = excluded."value"',
        (HEAD_KEY, head),
    )
    return entry


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    bad_id: int | None = None
    reason: str = ""

    def as_dict(self) -> dict[str, object]:
        return {
            "ok": self.ok,
            "checked": self.checked,
            "bad_id": self.bad_id,
            "reason": self.reason,
        }


def verify(batch: int = 5000, records: bool = True) -> VerifyResult:
    """Walk the chain in id order; name the first entry that does not fit.

    With ``records`` (the default) the audited records are checked against
    the snapshots in their entries as well (:mod:`supervise.audit_records`).
    """
    from .audit_records import RecordTracker

    tracker = RecordTracker() if records else None
    prev = GENESIS
    checked = 0
    last_id = 0
    last_seen: AuditEntry | None = None
    while True:
        rows = list(
            AuditEntry.select().where(AuditEntry.id > last_id).order_by(AuditEntry.id).limit(batch)
        )
        if not rows:
            break
        for e in rows:
            if e.prev_hash != prev:
                return VerifyResult(
                    False, checked, e.id, "前一条记录缺失或被改动 previous entry missing or changed"
                )
            expect = entry_hash(
                _as_datetime(e.at),
                e.actor,
                e.action,
                e.table,
                e.record_id,
                e.before,
                e.after,
                e.prev_hash,
            )
            if expect != e.hash:
                return VerifyResult(False, checked, e.id, "内容被改动 content changed")
            prev = e.hash
            checked += 1
            if tracker is not None:
                tracker.see(e)
            last_seen = e
        last_id = rows[-1].id
    head_row = Setting.get_or_none(Setting.key == HEAD_KEY)
    if head_row is not None:
        head = json.loads(head_row.value)
        if last_seen is None or head["id"] != last_seen.id or head["hash"] != last_seen.hash:
            return VerifyResult(
                False, checked, head["id"], "链尾记录被删除 entries removed from the end"
            )
    elif last_seen is not None:
        return VerifyResult(False, checked, last_seen.id, "链头标记缺失 chain head marker missing")
    mismatch = tracker.first_mismatch() if tracker is not None else None
    if mismatch is not None:
        return VerifyResult(False, checked, mismatch[0], mismatch[1])
    return VerifyResult(True, checked)


def _as_datetime(value: object) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value
    return pw.format_date_time(str(value), ["%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S"])
