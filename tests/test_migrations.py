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


def _make_version_6() -> None:
    """Turn a fresh database into the shape of schema version 6: the PostgreSQL keyword
    index in its joined table ``complaint_search``, no rating keyword index, no rating
    list indexes."""
    from supervise.db import database, is_sqlite

    for ix in database.get_indexes("rating"):
        if tuple(ix.columns) in migrations.RATING_INDEXES:
            database.execute_sql(f'DROP INDEX "{ix.name}"')
    if is_sqlite():
        database.execute_sql("DROP TABLE rating_fts")
    else:
        database.execute_sql(
            "CREATE TABLE complaint_search (complaint_id integer PRIMARY KEY REFERENCES complaint(id)"
            " ON DELETE CASCADE, tsv tsvector NOT NULL)"
        )
        database.execute_sql(
            "INSERT INTO complaint_search SELECT id, tsv FROM complaint WHERE tsv IS NOT NULL"
        )
        database.execute_sql(
            "CREATE INDEX complaint_search_tsv ON complaint_search USING gin (tsv)"
        )
        database.execute_sql("ALTER TABLE complaint DROP COLUMN tsv")
        database.execute_sql("ALTER TABLE rating DROP COLUMN tsv")
    SchemaMigration.delete().where(SchemaMigration.version > 6).execute()


SEARCHES = ("社保", "推诿", "窗口", "态度", "排队", "社保 收费", "推诿扯皮", "社", "12345")


def _search_results(staff) -> dict:
    from supervise.gui import queries
    from supervise.services.complaint_queries import ComplaintFilter, ComplaintQueries

    results = {}
    for term in SEARCHES:
        for unit in (None, "U01"):
            listed = ComplaintQueries(staff).list(ComplaintFilter(search=term, unit=unit, limit=50))
            results[("complaint", term, unit)] = (
                listed["total"],
                [c["number"] for c in listed["items"]],
            )
            page = queries.rating_page(staff, queries.ListFilter(search=term, unit=unit))
            results[("rating", term, unit)] = (page["total"], [r["id"] for r in page["items"]])
    return results


def test_upgrade_from_version_6_keeps_search_results(admin, db):
    from supervise.db import database, is_sqlite
    from supervise.services.complaints import ComplaintService
    from supervise.services.ratings import RatingService

    ref = ReferenceService(admin)
    ref.add_unit("U01", "市人社局")
    ref.add_unit("U02", "市医保局")
    complaints, ratings = ComplaintService(admin), RatingService(admin)
    texts = [
        "社保卡补办窗口推诿扯皮",
        "社保中心乱收费",
        "拨打12345热线无人接听",
        "窗口工作人员态度差",
        "公积金提取",
    ]
    for i in range(40):
        complaints.register(
            channel="网站",
            category="投诉",
            content=f"{texts[i % 5]}，第{i}件",
            unit=f"U0{i % 2 + 1}",
        )
        ratings.add(
            f"U0{i % 2 + 1}",
            1 + i % 5,
            comment=["排队太久，态度差", "窗口服务好", "", "社保一次办好"][i % 4],
            reasons="等候时间长" if i % 5 < 2 else "",
            window=f"{i % 3 + 1}号窗口",
        )
    before = _search_results(admin)
    assert (
        before[("complaint", "社保", None)][0] == 16 and before[("rating", "态度", "U01")][0] == 10
    )
    _make_version_6()
    assert migrations.current_version() == 6
    applied = migrations.upgrade()
    assert applied[0] == "v7 search and rating indexes"  # then v8 and later, none touching search
    assert migrations.current_version() == migrations.LATEST
    assert _search_results(admin) == before
    if is_sqlite():
        assert "rating_fts" in database.get_tables()
    else:
        assert "complaint_search" not in database.get_tables()
        columns = {c.name for c in database.get_columns("complaint")}
        assert "tsv" in columns
    assert set(migrations.RATING_INDEXES) <= {
        tuple(ix.columns) for ix in database.get_indexes("rating")
    }
