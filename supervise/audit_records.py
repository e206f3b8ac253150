"""Record coverage of the audit chain: audited records edited outside the app.

The hash chain in :mod:`supervise.audit` proves that the audit entries
themselves are intact.  This module extends the proof to the records they
describe.  Every create and update made through the service layer stores a
full snapshot of the record (every column, foreign keys as ids, blobs as
their sha256) in the ``after`` of its audit entry, and that entry is sealed by
the chain.  So the expected state of a record is the ``after`` of its latest
full-snapshot entry, with the columns named in later partial entries of the
same record laid over it (``review.to_complaint`` sets ``finding.complaint``).
A record whose stored row differs from that expected state, or that is gone
without an audited deletion, was changed outside the app (raw SQL, a database
editor), and the entry that no longer matches is named.

Covered: every table whose rows are written only through the service layer.
Not covered, because the app itself changes them in bulk without a snapshot
per row: ``user`` (log-in counters), ``escalation`` (the rules engine),
``setting`` rows that the chain head itself lives in; and rows that never had
a snapshot (bulk imports, rule proposals) until their first edit through the
app — those are covered by the batch's own audit entry only (its sha256 of
the file, rows read and imported).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Any, cast

import peewee as pw

from .models import ALL_MODELS, AuditEntry, BaseModel

logger = logging.getLogger(__name__)

UNCOVERED_TABLES = frozenset({"user", "escalation", "audit_entry"})
_CHUNK = 500


@dataclass
class Expected:
    """What one record should hold, and the entry that says so."""

    entry_id: int
    snapshot: str | None  # JSON of the full snapshot; None once deleted
    overlays: list[str] = field(default_factory=list)

    def state(self) -> dict[str, Any] | None:
        if self.snapshot is None:
            return None
        data = json.loads(self.snapshot)
        for text in self.overlays:
            data.update({k: v for k, v in json.loads(text).items() if k in data})
        return data


class RecordTracker:
    """Collects the expected state of every covered record while the chain is walked."""

    def __init__(self) -> None:
        self.models: dict[str, type[BaseModel]] = {
            m._meta.table_name: m for m in ALL_MODELS if m._meta.table_name not in UNCOVERED_TABLES
        }
        self.fields = {name: set(m._meta.fields) for name, m in self.models.items()}
        self.expected: dict[tuple[str, str], Expected] = {}

    def see(self, entry: AuditEntry) -> None:
        fields = self.fields.get(entry.table)
        if fields is None:
            return
        if (
            entry.action == "identity.purge" and entry.after
        ):  # one entry per batch of records (retention)
            purge = json.loads(entry.after)
            overlay = json.dumps(purge["set"])
            for rid in purge["ids"]:
                known = self.expected.get((entry.table, str(rid)))
                if known is not None:
                    known.overlays.append(overlay)
                    known.entry_id = entry.id
            return
        if entry.record_id is None:
            return
        key = (entry.table, entry.record_id)
        if entry.after is None:
            if entry.before is not None and key in self.expected:  # an audited deletion
                self.expected[key] = Expected(entry.id, None)
            return
        after = json.loads(entry.after)
        if not isinstance(after, dict):
            return
        if set(after) == fields:
            self.expected[key] = Expected(entry.id, entry.after)
        elif key in self.expected and set(after) & fields:
            known = self.expected[key]
            known.overlays.append(entry.after)
            known.entry_id = entry.id

    def first_mismatch(self) -> tuple[int, str] | None:
        """The (entry id, reason) of the lowest entry whose record no longer matches."""
        from .audit import to_json
        from .services.base import snapshot

        bad: list[tuple[int, str]] = []
        by_table: dict[str, list[tuple[str, Expected]]] = {}
        for (table, record_id), expected in self.expected.items():
            by_table.setdefault(table, []).append((record_id, expected))
        for table, items in by_table.items():
            model = self.models[table]
            pk = cast(pw.Field, model._meta.primary_key)  # every covered model has one
            for start in range(0, len(items), _CHUNK):
                chunk = items[start : start + _CHUNK]
                ids = [_pk_value(pk, rid) for rid, _ in chunk]
                rows = {str(r.get_id()): r for r in model.select().where(pk.in_(ids))}
                for rid, expected in chunk:
                    row = rows.get(rid)
                    state = expected.state()
                    if row is None and state is not None:
                        bad.append(
                            (
                                expected.entry_id,
                                f"记录 {table}#{rid} 被删除 record deleted outside the app",
                            )
                        )
                    elif row is not None and state is None:
                        bad.append(
                            (
                                expected.entry_id,
                                f"记录 {table}#{rid} 删除后又出现 deleted record reappeared",
                            )
                        )
                    elif row is not None and json.loads(to_json(snapshot(row)) or "{}") != state:
                        bad.append(
                            (
                                expected.entry_id,
                                f"记录 {table}#{rid} 与审计快照不符 record changed outside the app",
                            )
                        )
        return min(bad) if bad else None


def _pk_value(pk: pw.Field, record_id: str) -> Any:
    if isinstance(pk, pw.AutoField | pw.IntegerField | pw.BigAutoField):
        try:
            return int(record_id)
        except ValueError:
            return record_id
    return record_id


__all__ = ["RecordTracker", "UNCOVERED_TABLES"]
