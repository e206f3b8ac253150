"""Versioned schema migrations.

A new database gets every table as :mod:`supervise.models` describes it and
is stamped with the latest version.  An older database gets the migrations
after its version, in order, each in its own transaction, and is stamped as
it goes; ``supervise init`` runs this.  To change the schema: edit the model,
then append a :class:`Migration` whose ``apply`` brings an existing database
to the same shape (``playhouse.migrate`` works on SQLite and PostgreSQL).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

import peewee as pw
from playhouse.migrate import PostgresqlMigrator, SchemaMigrator, SqliteMigrator, migrate

from .db import database, is_sqlite, write_transaction
from .errors import UserError
from .models import ALL_MODELS, SchemaMigration, User

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    apply: Callable[[SchemaMigrator], None]


def _baseline(_: SchemaMigrator) -> None:
    """Version 1 is the first released schema; nothing to do."""


def _account_lockout(m: SchemaMigrator) -> None:
    migrate(
        m.add_column("user", "failed_logins", pw.IntegerField(default=0)),
        m.add_column("user", "locked_until", pw.DateTimeField(null=True)),
    )


def _complaint_workflow(m: SchemaMigrator) -> None:
    from . import search
    from .models import Counter

    migrate(
        m.add_column("complaint", "extension_days", pw.IntegerField(null=True)),
        m.add_column("complaint", "extension_reason", pw.TextField(null=True)),
    )
    database.create_tables([Counter])
    search.create_schema()
    search.rebuild()


LIST_INDEXES = (
    ("unit_id", "received_at"),
    ("status", "received_at", "due_at"),
    ("category", "received_at"),
    ("channel", "received_at"),
)


def _list_indexes(m: SchemaMigrator) -> None:
    """Each list filter's newest complaints without sorting every match (issue #3 bench).

    Skips an index the database already has (same columns, any name).
    """
    present = {tuple(ix.columns) for ix in database.get_indexes("complaint")}
    missing = [cols for cols in LIST_INDEXES if cols not in present]
    if missing:
        migrate(*(m.add_index("complaint", cols, False) for cols in missing))


RULE_INDEXES = (
    ("escalation", ("rule", "target_kind", "target_id", "state", "level", "updated_at")),
    ("complaint", ("due_at", "status", "replied_at", "assigned_at")),
)


def _rule_indexes(m: SchemaMigrator) -> None:
    """Covering indexes for the escalation and accountability rules (issue #5).

    Skips an index the database already has (same columns, any name).
    """
    wanted = []
    for table, columns in RULE_INDEXES:
        if columns not in {tuple(ix.columns) for ix in database.get_indexes(table)}:
            wanted.append(m.add_index(table, columns, False))
    if wanted:
        migrate(*wanted)


def _report_summaries(_: SchemaMigrator) -> None:
    """The monthly report's counts and the triggers that keep them (issue #6); this version
    creates today's objects, which migration 9 fills."""
    from .report import summary

    summary.create_schema()


def _report_counts(_: SchemaMigrator) -> None:
    """The report's counts kept current by the triggers, in place of summaries rebuilt after
    each change (issue #6): every month counted once from the records, then kept row by row."""
    from .report import summary

    summary.rebuild()


RATING_INDEXES = (("status", "rated_at"), ("bad", "rated_at"))


def _search_and_rating_indexes(m: SchemaMigrator) -> None:
    """Keyword index on the record's own row (PostgreSQL), a keyword index for ratings,
    and the rating list indexes (issues #3 and #7).

    PostgreSQL: ``complaint_search`` (a table joined to complaint) becomes a
    ``complaint.tsv`` column, copied over in one statement before its GIN index
    is built, and the table is dropped.  Both engines: ratings get their index
    (``rating_fts`` / ``rating.tsv``) built from every rating, and indexes on
    ``rating (status, rated_at)`` and ``(bad, rated_at)`` (skipped where the
    database already has them, any name).  The report's change triggers are
    paused meanwhile on PostgreSQL: no column they watch changes.
    """
    from . import search

    if not is_sqlite():
        database.execute_sql("SET LOCAL maintenance_work_mem = '256MB'")
        for ix in search.INDEXES:
            database.execute_sql(f'ALTER TABLE "{ix.table}" ADD COLUMN IF NOT EXISTS tsv tsvector')
        if "complaint_search" in database.get_tables():
            database.execute_sql(f"DROP INDEX IF EXISTS {search.COMPLAINTS.gin}")
            database.execute_sql('ALTER TABLE "complaint" DISABLE TRIGGER USER')
            database.execute_sql(
                'UPDATE "complaint" AS c SET tsv = s.tsv FROM complaint_search AS s WHERE s.complaint_id = c.id'
            )
            database.execute_sql('ALTER TABLE "complaint" ENABLE TRIGGER USER')
            database.execute_sql("DROP TABLE complaint_search")
        database.execute_sql('ALTER TABLE "rating" DISABLE TRIGGER USER')
    search.create_schema()
    search.rebuild(ix=search.RATINGS)
    if not is_sqlite():
        database.execute_sql('ALTER TABLE "rating" ENABLE TRIGGER USER')
    present = {tuple(ix.columns) for ix in database.get_indexes("rating")}
    wanted = [m.add_index("rating", cols, False) for cols in RATING_INDEXES if cols not in present]
    if wanted:
        migrate(*wanted)


def _seal_identities(m: SchemaMigrator) -> None:
    """Identities sealed to the office key; the clear columns dropped (issue #8 item 6).

    Needs no logged-in user: only the public key, made here (with a recovery
    key that ``init`` prints once) when the database has none.  Audit entries
    that carried clear identities are rewritten the same way and the chain is
    re-hashed from the first one changed (see :mod:`supervise.identity_migration`).
    """
    from . import identity_migration

    identity_migration.apply(m)


MIGRATIONS: list[Migration] = [
    Migration(1, "baseline", _baseline),
    Migration(2, "account lockout (user.failed_logins, user.locked_until)", _account_lockout),
    Migration(3, "complaint workflow (extensions, counters, keyword index)", _complaint_workflow),
    Migration(
        4, "rule indexes (escalation by rule and target, complaint deadlines)", _rule_indexes
    ),
    Migration(
        5, "complaint list indexes (unit, status, category, channel by received_at)", _list_indexes
    ),
    Migration(6, "monthly report summaries and their change triggers", _report_summaries),
    Migration(7, "search and rating indexes", _search_and_rating_indexes),
    Migration(
        8, "identities sealed to the office key; retention marks (issue #8)", _seal_identities
    ),
    Migration(9, "report counts kept current by the triggers (issue #6)", _report_counts),
]
LATEST = MIGRATIONS[-1].version


def migrator() -> SchemaMigrator:
    db = database.obj
    return SqliteMigrator(db) if is_sqlite() else PostgresqlMigrator(db)


def current_version() -> int | None:
    """The schema version of the open database, or None when it is empty."""
    if not SchemaMigration.table_exists():
        return None
    row = SchemaMigration.select(pw.fn.MAX(SchemaMigration.version)).scalar()
    return int(row) if row is not None else None


def upgrade() -> list[str]:
    """Create or upgrade the schema; return the names of what was applied."""
    version = current_version()
    if version is None:
        if User.table_exists():
            raise UserError(
                "数据库中有未知版本的表，无法升级",
                "the database holds tables of an unknown version",
            )
        from . import identity, search
        from .report import summary

        with write_transaction():
            database.create_tables(ALL_MODELS)
            search.create_schema()
            summary.create_schema()
            identity.office_public_key()  # made with its recovery key, which init prints
            SchemaMigration.insert_many(
                [{"version": m.version, "name": m.name} for m in MIGRATIONS]
            ).execute()
        logger.info("created schema version %s", LATEST)
        return [f"created schema v{LATEST}"]
    if version > LATEST:
        raise UserError(
            f"数据库版本 {version} 高于本程序支持的 {LATEST}，请升级程序",
            f"the database is at version {version}, newer than this program's {LATEST}",
        )
    applied = []
    for m in MIGRATIONS:
        if m.version <= version:
            continue
        with write_transaction():
            m.apply(migrator())
            SchemaMigration.create(version=m.version, name=m.name)
        logger.info("applied migration %s %s", m.version, m.name)
        applied.append(f"v{m.version} {m.name}")
    if applied and is_sqlite():
        # freed pages may still hold what a migration removed (clear identities): rewrite the file
        database.execute_sql("VACUUM")
        database.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    return applied
