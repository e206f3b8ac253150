"""Backup under write load and restore across schema versions (issue #8 item 7,
docs/RELIABILITY.md "Backup and restore").

1. While another process keeps adding records, ``backup`` copies the SQLite
   database with the online backup API; each copy passes
   ``PRAGMA integrity_check`` and ``audit verify``, is a consistent snapshot
   (every unit has its audit entry), and the writer never fails.  Restoring
   a copy gives back exactly that snapshot.
2. A backup made at each older schema version (built by shaping a database
   as version 1 and running only the first migrations) is upgraded to the
   latest version when restored, its data and audit chain intact.
"""

from __future__ import annotations

import multiprocessing
import os
import sqlite3
import time
from pathlib import Path

import pytest

from supervise import audit, backup, migrations
from supervise.auth import actor_of
from supervise.db import close_database, open_database
from supervise.models import AuditEntry, SchemaMigration, Unit, User
from supervise.services.reference import ReferenceService

from .conftest import make_user

LONG = os.environ.get("SUPERVISE_LONG_TESTS") == "1"
BACKUPS = 10 if LONG else 3
FILLER_UNITS = 40_000  # about 30 MB: a copy made 1,024 pages a step would take several steps
WRITER_LIMIT = 90.0  # seconds; a writer still running then means a backup never finished


def _writer(url: str, stop: str, out: str) -> None:
    """Add units until the ``stop`` file appears (or WRITER_LIMIT passes); write how many
    were added, and whether it was stopped, to ``out``."""
    open_database(url)
    added = 0
    ends = time.monotonic() + WRITER_LIMIT
    try:
        actor = actor_of(User.get(User.name == "admin"))
        service = ReferenceService(actor)
        while not os.path.exists(stop) and time.monotonic() < ends:
            service.add_unit(f"W{added:06d}", f"写入单位{added}")
            added += 1
    finally:
        close_database()
        Path(out).write_text(f"{added} {os.path.exists(stop)}", encoding="utf-8")


def _check_copy(path: Path) -> tuple[int, int]:
    """Integrity and audit of a backup file; its units and the units its audit log created."""
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()
    open_database(f"sqlite:///{path}")
    try:
        assert audit.verify().ok
        units = Unit.select().count()
        audited = (
            AuditEntry.select()
            .where((AuditEntry.table == "unit") & (AuditEntry.action == "unit.add"))
            .count()
        )
    finally:
        close_database()
    return units, audited


def test_backup_while_another_process_writes(tmp_path):
    url = f"sqlite:///{tmp_path}/live.db"
    open_database(url)
    migrations.upgrade()
    admin = make_user("admin", "admin")
    from supervise.db import write_transaction

    with write_transaction():  # bulk filler, so that a backup takes several steps
        rows = [
            {"code": f"F{i:05d}", "name": f"填充单位{i} " + "某" * 200} for i in range(FILLER_UNITS)
        ]
        for start in range(0, FILLER_UNITS, 5000):
            Unit.insert_many(rows[start : start + 5000]).execute()
    close_database()
    assert (tmp_path / "live.db").stat().st_size > 5 * 1024 * 4096

    ctx = multiprocessing.get_context("spawn")
    stop, out = tmp_path / "stop", tmp_path / "added.txt"
    writer = ctx.Process(target=_writer, args=(url, str(stop), str(out)))
    writer.start()
    copies: list[Path] = []
    timings: list[float] = []
    try:
        open_database(url)
        deadline = time.monotonic() + 60
        # until the writer is at full speed (its first write also loads the plugins)
        while Unit.select().count() < FILLER_UNITS + 5:
            assert time.monotonic() < deadline, "the writer process did not start writing"
            time.sleep(0.05)
        for i in range(BACKUPS):
            started = time.monotonic()
            info = backup.backup(admin, tmp_path / f"copy{i}.db")
            timings.append(time.monotonic() - started)
            copies.append(Path(info["file"]))
            time.sleep(0.2)
        close_database()
    finally:
        stop.write_text("stop")
        writer.join(timeout=120)
    assert writer.exitcode == 0, "the writer failed while backups ran"
    text, stopped = out.read_text().split()
    added = int(text)
    # the backups finished while the writer kept writing (a copy made in steps restarts
    # at every write of another process, and under steady writing never ends)
    assert stopped == "True", f"the backups outlasted {WRITER_LIMIT} s of writing"
    assert added > 0
    sizes = []
    for path in copies:
        units, audited = _check_copy(path)
        # a consistent snapshot: every added unit has its audit entry
        assert units == FILLER_UNITS + audited
        sizes.append(units)
    assert sizes == sorted(sizes) and sizes[-1] > sizes[0], (
        "the copies did not see the writer's progress"
    )
    print(f"\nbackups under load: {BACKUPS} in {sum(timings):.2f} s, writer added {added} units")

    open_database(url)
    try:
        live_units = Unit.select().count()
        assert live_units == FILLER_UNITS + added
        info = backup.restore(admin, copies[0])
        assert info["upgraded"] == []
        assert Unit.select().count() == sizes[0] and audit.verify().ok
    finally:
        close_database()
    with sqlite3.connect(tmp_path / "live.db") as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()


def _shape_as_version(version: int) -> None:
    """Bring the open, latest-schema database down to ``version``: the shape of
    version 1, then only the migrations up to ``version``."""
    from .test_migrations import _make_version_1

    _make_version_1("", None)
    for m in migrations.MIGRATIONS:
        if 1 < m.version <= version:
            m.apply(migrations.migrator())
            SchemaMigration.create(version=m.version, name=m.name)
    assert migrations.current_version() == version


@pytest.mark.parametrize("version", [m.version for m in migrations.MIGRATIONS[:-1]])
def test_restore_older_backup_upgrades(tmp_path, version):
    old = tmp_path / "old.db"
    open_database(f"sqlite:///{old}")
    migrations.upgrade()
    admin = make_user("admin", "admin")
    ReferenceService(admin).add_unit("U01", "市医保局")
    _shape_as_version(version)
    if version >= 2:
        assert "failed_logins" in {c.name for c in User._meta.database.get_columns("user")}
    info = backup.backup(admin, tmp_path / f"v{version}.db")
    close_database()

    live = tmp_path / "live.db"
    open_database(f"sqlite:///{live}")
    try:
        migrations.upgrade()
        fresh_admin = make_user("admin", "admin")
        ReferenceService(fresh_admin).add_unit("U99", "不应保留")
        restored = backup.restore(fresh_admin, info["file"])
        assert restored["version"] == migrations.LATEST
        assert len(restored["upgraded"]) == sum(m.version > version for m in migrations.MIGRATIONS)
        assert migrations.current_version() == migrations.LATEST
        assert [u.code for u in Unit.select()] == ["U01"]
        columns = {c.name for c in User._meta.database.get_columns("user")}
        assert {"failed_logins", "locked_until"} <= columns
        assert audit.verify().ok
        restore_entry = AuditEntry.select().order_by(AuditEntry.id.desc()).first()
        assert restore_entry.action == "restore"
    finally:
        close_database()
    with sqlite3.connect(live) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()
