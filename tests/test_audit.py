"""The audit hash chain finds edited, deleted and reordered entries."""

from __future__ import annotations

from supervise import audit
from supervise.db import database
from supervise.models import AuditEntry
from supervise.services.reference import ReferenceService


def _fill(admin, n: int = 5) -> list[int]:
    service = ReferenceService(admin)
    for i in range(n):
        service.add_unit(f"U{i:02d}", f"单位{i}")
    return [e.id for e in AuditEntry.select(AuditEntry.id).order_by(AuditEntry.id)]


def test_intact_chain_verifies(admin):
    ids = _fill(admin)
    result = audit.verify()
    assert result.ok and result.checked == len(ids)


def test_edited_entry_is_named(admin):
    ids = _fill(admin)
    AuditEntry.update(after='{"code": "FORGED"}').where(AuditEntry.id == ids[2]).execute()
    result = audit.verify()
    assert not result.ok and result.bad_id == ids[2]


def test_edited_hash_breaks_next_link(admin):
    ids = _fill(admin)
    AuditEntry.update(actor="someone-else").where(AuditEntry.id == ids[1]).execute()
    AuditEntry.update(hash="f" * 64).where(AuditEntry.id == ids[1]).execute()
    result = audit.verify()
    assert not result.ok and result.bad_id == ids[1]


def test_deleted_entry_in_the_middle(admin):
    ids = _fill(admin)
    AuditEntry.delete().where(AuditEntry.id == ids[3]).execute()
    result = audit.verify()
    assert not result.ok and result.bad_id == ids[4]


def test_deleted_tail_is_noticed(admin):
    ids = _fill(admin)
    AuditEntry.delete().where(AuditEntry.id == ids[-1]).execute()
    result = audit.verify()
    assert not result.ok and result.bad_id == ids[-1]


def test_reordered_entries(admin):
    ids = _fill(admin)
    a = AuditEntry.get_by_id(ids[1])
    b = AuditEntry.get_by_id(ids[2])
    fields = ["at", "actor", "action", "table", "record_id", "before", "after", "prev_hash", "hash"]
    with database.atomic():
        AuditEntry.update({f: getattr(b, f) for f in fields}).where(AuditEntry.id == a.id).execute()
        AuditEntry.update({f: getattr(a, f) for f in fields}).where(AuditEntry.id == b.id).execute()
    result = audit.verify()
    assert not result.ok and result.bad_id == ids[1]
