"""Consistent online backup and restore of the embedded SQLite database.

SQLite's online backup API copies a consistent snapshot while other
connections keep working: in one step, which in WAL mode holds one read
snapshot and does not stop the writers.  A restore checks that the file is a supervise
database that passes ``PRAGMA integrity_check``, copies it over the open
database in one step, and then upgrades it to this program's schema.
PostgreSQL installations back up with the server's own tools (``pg_dump`` /
``pg_restore``), which know the server's permissions and sizes far better.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from pathlib import Path
from typing import Any

from . import audit, migrations
from .auth import Actor
from .db import database, is_sqlite, write_transaction
from .errors import InvalidInput, UsageError
from .services.base import Service

logger = logging.getLogger(__name__)

PG_ADVICE = UsageError(
    "PostgreSQL 数据库请用服务器工具备份与恢复：pg_dump -Fc DB > FILE；pg_restore -d DB FILE",
    "back up a PostgreSQL database with the server's tools: pg_dump -Fc DB > FILE; pg_restore -d DB FILE",
)


def _live_connection() -> sqlite3.Connection:
    return database.obj.connection()


def backup(actor: Actor, target: str | os.PathLike[str]) -> dict[str, Any]:
    Service(actor).require("backup")
    if not is_sqlite():
        raise PG_ADVICE
    path = Path(target)
    if path.exists():
        raise InvalidInput(f"目标文件已存在：{path}", f"target exists: {path}")
    with write_transaction():
        audit.append(actor.name, "backup", "database", None, None, {"file": str(path)})
    tmp = path.with_name(path.name + ".part")
    dest = sqlite3.connect(tmp)
    try:
        # one step (pages=-1): a copy made in steps restarts whenever another process
        # writes between two steps, and under steady writing may never finish; in WAL
        # mode the one read snapshot does not hold up the writers
        _live_connection().backup(dest, pages=-1)
        dest.execute("PRAGMA journal_mode=delete")
    finally:
        dest.close()
    os.replace(tmp, path)
    return {"file": str(path), "bytes": path.stat().st_size}


def restore(actor: Actor, source: str | os.PathLike[str]) -> dict[str, Any]:
    Service(actor).require("restore")
    if not is_sqlite():
        raise PG_ADVICE
    path = Path(source)
    if not path.is_file():
        raise InvalidInput(f"备份文件不存在：{path}", f"backup file not found: {path}")
    try:
        src = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        ok = src.execute("PRAGMA integrity_check").fetchone()[0]
        has_schema = src.execute(
            "SELECT 1 FROM sqlite_master WHERE type='table' AND name='schema_migration'"
        ).fetchone()
    except sqlite3.DatabaseError as exc:
        raise InvalidInput(
            f"不是有效的备份文件：{exc}", f"not a valid backup file: {exc}"
        ) from None
    try:
        if ok != "ok" or not has_schema:
            raise InvalidInput(
                "备份文件损坏或不是本系统的数据库",
                "the file is damaged or not a supervise database",
            )
        # one step: the live file is locked for the whole copy, so no reader ever
        # sees a half-restored database
        src.backup(_live_connection(), pages=-1)
    finally:
        src.close()
    applied = migrations.upgrade()
    with write_transaction():
        audit.append(
            actor.name, "restore", "database", None, None, {"file": str(path), "upgraded": applied}
        )
    return {"file": str(path), "version": migrations.current_version(), "upgraded": applied}
