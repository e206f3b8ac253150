"""Versioned migrations: a database at version 1 upgrades and keeps its data."""

from __future__ import annotations

from playhouse.migrate import migrate

from supervise import migrations
from supervise.cli.main import main
from supervise.db import close_database, open_database
from supervise.models import SchemaMigration, Unit, User
from supervise.services.reference import ReferenceService


def _make_version_1(url: str, admin) -> None:
    """Turn a fresh database into the shape of schema version 1."""
    from supervise.db import database

    m = migrations.migrator()
    migrate(
        m.drop_column("user", "failed_logins"),
        m.drop_column("user", "locked_until"),
        m.drop_column("complaint", "extension_days"),
        m.drop_column("complaint", "extension_reason"),
    )
    for table in ("counter", "complaint_fts", "complaint_search"):
        database.execute_sql(f"DROP TABLE IF EXISTS {table}")
    SchemaMigration.delete().where(SchemaMigration.version > 1).execute()


def test_upgrade_from_version_1_keeps_data(admin, db, capsys, monkeypatch):
    ReferenceService(admin).add_unit("U01", "市医保局")
    _make_version_1(db, admin)
    assert migrations.current_version() == 1
    columns = {c.name for c in User._meta.database.get_columns("user")}
    assert "failed_logins" not in columns
    close_database()

    monkeypatch.setenv("SUPERVISE_PASSWORD", "irrelevant")
    assert main(["--db", db, "init"]) == 0
    out = capsys.readouterr().out
    assert "v2" in out and "v3" in out

    open_database(db)
    assert migrations.current_version() == migrations.LATEST
    assert Unit.get(Unit.code == "U01").name == "市医保局"
    user = User.get(User.name == "admin")
    assert user.failed_logins == 0 and user.locked_until is None


def test_init_twice_is_a_no_op(db):
    assert migrations.upgrade() == []
    assert migrations.current_version() == migrations.LATEST


def test_newer_database_is_refused(db):
    SchemaMigration.create(version=migrations.LATEST + 1, name="future")
    import pytest

    from supervise.errors import UserError

    with pytest.raises(UserError, match="newer"):
        migrations.upgrade()
