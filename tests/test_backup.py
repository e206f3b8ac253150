"""Online backup and restore (SQLite); PostgreSQL is pointed to pg_dump."""

from __future__ import annotations

import sqlite3

import pytest

from supervise import audit, backup, migrations
from supervise.db import close_database, open_database
from supervise.errors import InvalidInput, UsageError
from supervise.models import Unit
from supervise.services.reference import ReferenceService

from .conftest import make_user
from .test_migrations import _make_version_1


def test_round_trip(admin, db, tmp_path):
    if not db.startswith("sqlite"):
        with pytest.raises(UsageError, match="pg_dump"):
            backup.backup(admin, tmp_path / "b.db")
        return
    ReferenceService(admin).add_unit("U01", "甲")
    info = backup.backup(admin, tmp_path / "b.db")
    assert info["bytes"] > 0
    ReferenceService(admin).add_unit("U02", "乙")
    backup.restore(admin, tmp_path / "b.db")
    assert [u.code for u in Unit.select()] == ["U01"]
    assert audit.verify().ok
    with sqlite3.connect(tmp_path / "b.db") as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_restore_upgrades_older_backup(admin, db, tmp_path):
    if not db.startswith("sqlite"):
        pytest.skip("SQLite backup only")
    ReferenceService(admin).add_unit("U01", "甲")
    _make_version_1(db, admin)
    backup.backup(admin, tmp_path / "old.db")
    close_database()
    open_database(f"sqlite:///{tmp_path}/fresh.db")
    migrations.upgrade()
    fresh_admin = make_user("admin", "admin")
    info = backup.restore(fresh_admin, tmp_path / "old.db")
    assert info["version"] == migrations.LATEST and info["upgraded"]
    assert Unit.get(Unit.code == "U01").name == "甲"


def test_refuses_junk_and_existing_target(admin, db, tmp_path):
    if not db.startswith("sqlite"):
        pytest.skip("SQLite backup only")
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all" * 100)
    with pytest.raises(InvalidInput):
        backup.restore(admin, junk)
    (tmp_path / "exists.db").write_text("x")
    with pytest.raises(InvalidInput):
        backup.backup(admin, tmp_path / "exists.db")
    assert Unit.select().count() == 0


def test_only_admin_backs_up(admin, db, tmp_path):
    staff = make_user("s1", "staff")
    from supervise.errors import NotPermitted

    with pytest.raises(NotPermitted):
        backup.backup(staff, tmp_path / "b.db")
