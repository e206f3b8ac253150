"""Migration 8: seal the clear identities of an older database (issue #8 item 6).

1. the ``identity_key`` table and the new columns (sealed value, masked
   forms, purge mark) on ``complaint`` and ``rating``;
2. every stored identity sealed to the office public key (made here, with
   its recovery key, when the database has none) and its masked forms set;
3. audit entries of those tables that carried clear identities rewritten to
   the new columns, and the hash chain re-computed from the first entry
   changed (the migration is itself audited, naming that entry), so that
   ``audit verify`` still holds and the log no longer reveals anyone;
4. the clear columns dropped.  On SQLite :func:`supervise.migrations.upgrade`
   then rewrites the file (VACUUM) so freed pages keep nothing.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import peewee as pw
from playhouse.migrate import SchemaMigrator, migrate

from . import identity
from .db import database
from .masking import mask_id_no, mask_name, mask_phone
from .models import IdentityKey

logger = logging.getLogger(__name__)

_CHUNK = 2000
OLD = {
    "complaint": {
        "complainant_name": "name",
        "complainant_phone": "phone",
        "complainant_id_no": "id_no",
    },
    "rating": {"rater_name": "name", "rater_phone": "phone"},
}
NEW = {
    "complaint": (
        "identity_sealed",
        "masked_name",
        "masked_phone",
        "masked_id_no",
        "identity_purged_at",
    ),
    "rating": ("identity_sealed", "masked_name", "masked_phone", "identity_purged_at"),
}
_MASKS = {"name": mask_name, "phone": mask_phone, "id_no": mask_id_no}


def _columns(table: str) -> set[str]:
    return {c.name for c in database.get_columns(table)}


def apply(m: SchemaMigrator) -> None:
    database.create_tables([IdentityKey], safe=True)
    for table, new in NEW.items():
        have = _columns(table)
        adds = []
        for name in new:
            if name in have:
                continue
            field: pw.Field = (
                pw.DateTimeField(null=True)
                if name == "identity_purged_at"
                else (
                    pw.TextField(null=True)
                    if name == "identity_sealed"
                    else pw.CharField(null=True)
                )
            )
            adds.append(m.add_column(table, name, field))
        if adds:
            migrate(*adds)
    seal = identity.sealer()
    sealed = {"complaint": _seal_complaints(seal), "rating": _seal_ratings(seal)}
    _rewrite_audit(sealed)
    for table, old in OLD.items():
        drops = [m.drop_column(table, name) for name in old if name in _columns(table)]
        if drops:
            migrate(*drops)


def _rows(sql: str) -> list[tuple[Any, ...]]:
    return list(database.execute_sql(sql).fetchall())


def _update(table: str, updates: list[tuple[int, dict[str, Any]]]) -> None:
    p = database.param
    for rid, cols in updates:
        sets = ", ".join(f'"{k}" = {p}' for k in cols)
        database.execute_sql(f'UPDATE "{table}" SET {sets} WHERE id = {p}', (*cols.values(), rid))


def _seal_table(
    table: str, keys: str, columns: Callable[[tuple[Any, ...]], dict[str, Any]]
) -> dict[str, dict[str, Any]]:
    """Seal every clear identity of ``table`` in chunks; ``columns(row)`` gives the new columns
    of one row ``(id, *keys, *clear values)``.  Returns them by record id (for the audit rewrite)."""
    old = list(OLD[table])
    if old[0] not in _columns(table):
        return {}
    done: dict[str, dict[str, Any]] = {}
    present = " OR ".join(f"{c} IS NOT NULL" for c in old)
    last = 0
    while True:
        rows = _rows(
            f"SELECT id, {keys}, {', '.join(old)} FROM {table}"
            f" WHERE id > {last} AND ({present}) ORDER BY id LIMIT {_CHUNK}"
        )
        if not rows:
            return done
        updates = []
        for row in rows:
            cols = {**columns(row), **dict.fromkeys(old)}
            updates.append((row[0], cols))
            done[str(row[0])] = cols
        _update(table, updates)
        last = rows[-1][0]


def _seal_complaints(seal: identity.Sealer) -> dict[str, dict[str, Any]]:
    return _seal_table("complaint", "number", lambda r: identity.complaint_columns(seal, *r[1:]))


def _seal_ratings(seal: identity.Sealer) -> dict[str, dict[str, Any]]:
    def columns(row: tuple[Any, ...]) -> dict[str, Any]:
        _, unit_id, rated_at, source, external_id, name, phone = row
        rated = (
            rated_at
            if not isinstance(rated_at, str)
            else pw.format_date_time(rated_at, ["%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S"])
        )
        return identity.rating_columns(
            seal, identity.rating_aad(unit_id, rated, source, external_id), name, phone
        )

    return _seal_table("rating", "unit_id, rated_at, source, external_id", columns)


def _rewrite_payload(table: str, text: str | None, sealed: dict[str, Any] | None) -> str | None:
    """One audit ``before``/``after`` with the clear identity keys replaced by the new columns."""
    from .audit import to_json

    if text is None:
        return None
    data = json.loads(text)
    old = OLD[table]
    if not isinstance(data, dict) or not set(old) & set(data):
        return text
    clear = {old[k]: data.pop(k) for k in list(data) if k in old}
    full = set(old) <= set(clear)
    data["identity_sealed"] = (sealed or {}).get("identity_sealed") if any(clear.values()) else None
    for field, value in clear.items():
        data[f"masked_{field}"] = _MASKS[field](value) or None
    if full:
        data["identity_purged_at"] = None
    return to_json(data)


def _rewrite_audit(sealed: dict[str, dict[str, dict[str, Any]]]) -> None:
    """Replace clear identities in audit entries and re-hash the chain from the first changed."""
    from . import audit
    from .models import AuditEntry, Setting

    if not AuditEntry.table_exists():
        return
    prev = audit.GENESIS
    first_changed: int | None = None
    last_id = 0
    last: tuple[int, str] | None = None
    like = " OR ".join(f"{col} LIKE {database.param}" for col in ("before", "after"))
    keys = ['%"complainant_%', '%"rater_name"%', '%"rater_phone"%']
    where = " OR ".join(f"({like})" for _ in keys)
    params = [k for k in keys for _ in range(2)]
    hit = database.execute_sql(f"SELECT MIN(id) FROM audit_entry WHERE {where}", params).fetchone()[
        0
    ]
    if hit is None:
        return
    if hit > 1:
        row = (
            AuditEntry.select(AuditEntry.id, AuditEntry.hash)
            .where(AuditEntry.id < hit)
            .order_by(AuditEntry.id.desc())
            .first()
        )
        if row is not None:
            prev, last_id = row.hash, row.id
    while True:
        rows = list(
            AuditEntry.select().where(AuditEntry.id > last_id).order_by(AuditEntry.id).limit(_CHUNK)
        )
        if not rows:
            break
        for e in rows:
            before, after = e.before, e.after
            if e.table in OLD:
                rec = sealed[e.table].get(e.record_id or "")
                before = _rewrite_payload(e.table, before, rec)
                after = _rewrite_payload(e.table, after, rec)
            if (before, after) != (e.before, e.after) and first_changed is None:
                first_changed = e.id
            at = audit._as_datetime(e.at)
            digest = audit.entry_hash(
                at, e.actor, e.action, e.table, e.record_id, before, after, prev
            )
            if (before, after, prev, digest) != (e.before, e.after, e.prev_hash, e.hash):
                AuditEntry.update(before=before, after=after, prev_hash=prev, hash=digest).where(
                    AuditEntry.id == e.id
                ).execute()
            prev = digest
            last = (e.id, digest)
        last_id = rows[-1].id
    if last is not None:
        Setting.update(value=json.dumps({"id": last[0], "hash": last[1]})).where(
            Setting.key == audit.HEAD_KEY
        ).execute()
    if first_changed is not None:
        audit.append(
            "system",
            "identity.seal",
            "audit_entry",
            None,
            None,
            {"rehashed_from": first_changed, "reason": "migration 8: clear identities sealed"},
        )
        logger.warning(
            "migration 8 rewrote audit entries from #%s (clear identities sealed)", first_changed
        )
