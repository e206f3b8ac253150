"""The service layer: permissions, audit in the same transaction, versions."""

from __future__ import annotations

import pytest

from supervise.errors import Conflict, InvalidInput, NotPermitted
from supervise.models import AuditEntry, Unit
from supervise.services.reference import ReferenceService

from .conftest import make_user


def test_change_writes_audit_with_before_and_after(admin):
    service = ReferenceService(admin)
    unit = service.add_unit("U01", "市人社局")
    service.update(unit, "unit.rename", name="市人力资源和社会保障局")
    last = AuditEntry.select().order_by(AuditEntry.id.desc()).first()
    assert last.action == "unit.rename" and last.actor == "admin"
    assert "市人社局" in last.before and "市人力资源和社会保障局" in last.after


def test_stale_edit_conflicts_and_names_who(admin):
    service = ReferenceService(admin)
    service.add_unit("U01", "甲")
    mine = Unit.get(Unit.code == "U01")
    theirs = Unit.get(Unit.code == "U01")
    other = make_user("staff1", "staff")
    with ReferenceService(other).change("unit.add"):
        ReferenceService(other).update(theirs, "unit.rename", name="乙")
    with pytest.raises(Conflict) as info:
        with service.change("unit.add"):
            service.update(mine, "unit.rename", name="丙")
    assert info.value.changed_by == "staff1"
    assert info.value.exit_code == 5
    assert Unit.get(Unit.code == "U01").name == "乙"


def test_failed_change_leaves_no_audit_entry(admin):
    service = ReferenceService(admin)
    before = AuditEntry.select().count()
    with pytest.raises(InvalidInput):
        service.add_matter("M1", "事项", "NOPE", 0)
    assert AuditEntry.select().count() == before


def test_rolled_back_change_rolls_back_its_audit(admin):
    service = ReferenceService(admin)
    before = AuditEntry.select().count()
    with pytest.raises(RuntimeError), service.change("unit.add"):
        service.create(Unit, "unit.add", code="U9", name="临时")
        raise RuntimeError("boom")
    assert AuditEntry.select().count() == before
    assert not Unit.select().where(Unit.code == "U9").exists()


@pytest.mark.parametrize("role", ["liaison", "supervisor", "viewer"])
def test_roles_without_right_cannot_add_reference_data(admin, role):
    ReferenceService(admin).add_unit("U01", "甲")
    actor = make_user(f"u_{role}", role, "U01" if role == "liaison" else None)
    with pytest.raises(NotPermitted):
        ReferenceService(actor).add_unit("U02", "乙")


def test_settings_validate_and_audit(admin):
    service = ReferenceService(admin)
    service.set_setting("complaint.max_extensions", 2)
    from supervise import settings

    assert settings.get("complaint.max_extensions") == 2
    with pytest.raises(InvalidInput):
        service.set_setting("complaint.max_extensions", "two")
    staff = make_user("s1", "staff")
    with pytest.raises(NotPermitted):
        ReferenceService(staff).set_setting("complaint.max_extensions", 3)


def test_plugins_are_told_of_committed_changes_only(admin):
    from supervise import hookimpl
    from supervise.db import database
    from supervise.plugins import get_plugin_manager
    from supervise.registry import Registry, get_registry, set_registry

    told: list[tuple[str, str, str | None, str, bool]] = []

    class Listener:
        @hookimpl
        def supervise_record_changed(self, action, table, record_id, actor):
            told.append((action, table, record_id, actor, database.obj.in_transaction()))

    pm = get_plugin_manager(load_entry_points=False)
    pm.register(Listener(), name="listener")
    previous = get_registry()
    set_registry(Registry(pm))
    try:
        service = ReferenceService(admin)
        unit = service.add_unit("U01", "市人社局")
        assert told == [("unit.add", "unit", str(unit.id), "admin", False)]
        told.clear()
        with pytest.raises(Conflict):
            with service.change("unit.add"):
                service.update(unit, "unit.rename", name="乙")  # told only if it commits
                service.update(unit, "unit.rename", expected_version=0, name="丙")
        assert told == []
        with service.change("unit.add"):  # an outer change tells after its own commit
            service.update(unit, "unit.rename", expected_version=1, name="丁")
            assert told == []
        assert [t[:2] for t in told] == [("unit.rename", "unit")] and not told[0][4]
    finally:
        set_registry(previous)
