"""One database handle (STYLE 12).

Models bind to :data:`database`, a :class:`peewee.DatabaseProxy`.  The URL
picks the engine through ``playhouse.db_url``: ``sqlite:///path`` (the
embedded default, WAL, foreign keys on, a busy timeout) or
``postgresql://user@host/db`` for offices that share one server.  peewee keeps
one connection per thread, so a worker thread gets its own.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

import peewee
from playhouse.db_url import connect as url_connect

from .errors import Conflict, InvalidInput, UserError
from .paths import default_db_url

logger = logging.getLogger(__name__)

database = peewee.DatabaseProxy()

SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "busy_timeout": 15000,
    "synchronous": "normal",
    "cache_size": -64000,
}
BUSY_TIMEOUT_ENV = (
    "SUPERVISE_BUSY_TIMEOUT"  # seconds a SQLite writer waits for another (default 15)
)


def busy_timeout() -> float:
    """Seconds a SQLite writer waits for the write lock: ``SUPERVISE_BUSY_TIMEOUT`` or 15."""
    text = os.environ.get(BUSY_TIMEOUT_ENV, "").strip()
    if not text:
        return 15.0
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 3600:
        raise InvalidInput(
            f"{BUSY_TIMEOUT_ENV} 应为 0 到 3600 之间的秒数：{text}",
            f"{BUSY_TIMEOUT_ENV} is a number of seconds from 0 to 3600: {text}",
        )
    return value


def is_busy(exc: BaseException) -> bool:
    """True for SQLite's "database is locked" / "database is busy" (peewee's or sqlite3's error)."""
    if not isinstance(exc, peewee.OperationalError | sqlite3.OperationalError):
        return False
    text = str(exc).lower()
    return (
        "database is locked" in text
        or "database is busy" in text
        or "database table is locked" in text
    )


def busy_error() -> Conflict:
    """What a writer that waited the whole busy timeout is told (exit 5: someone else holds the data)."""
    seconds = f"{busy_timeout():g}"
    return Conflict(
        f"数据库正被其他用户写入，已等待 {seconds} 秒，请稍后重试",
        f"the database is busy with another writer (waited {seconds} s); try again",
    )


def resolve_url(url: str | None) -> str:
    """``--db`` first, then ``SUPERVISE_DB``, then the platform default."""
    return url or os.environ.get("SUPERVISE_DB") or default_db_url()


def is_sqlite(db: peewee.Database | None = None) -> bool:
    target = db or database.obj
    return isinstance(target, peewee.SqliteDatabase)


def open_database(url: str | None = None) -> peewee.Database:
    """Open the database named by ``url`` and bind the models to it."""
    url = resolve_url(url)
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    scheme = url.split(":", 1)[0]
    if scheme == "sqlite":
        timeout = busy_timeout()
        pragmas = {**SQLITE_PRAGMAS, "busy_timeout": int(timeout * 1000)}
        db = url_connect(url, pragmas=pragmas, timeout=timeout)
    elif scheme in ("postgresql", "postgresqlext"):
        try:
            import psycopg2  # noqa: F401
        except ImportError as exc:
            raise UserError(
                "未安装 PostgreSQL 驱动，请安装 supervise[postgres]",
                "the PostgreSQL driver is missing: install supervise[postgres]",
            ) from exc
        db = url_connect(url)
        # JIT compiling costs ~170 ms per keyword count and never pays back on
        # these short queries (docs/SEARCH.md); the URL's own options are kept.
        options = db.connect_params.get("options", "")
        db.connect_params["options"] = f"{options} -c jit=off".strip()
    else:
        raise InvalidInput(f"不支持的数据库地址：{url}", f"unsupported database URL: {url}")
    database.initialize(db)
    try:
        db.connect(reuse_if_open=True)
    except peewee.OperationalError as exc:
        raise UserError(
            f"无法连接数据库：{_first_line(exc)}", f"cannot open the database: {_first_line(exc)}"
        ) from exc
    logger.info("opened %s database", scheme)
    return db


def close_database() -> None:
    if database.obj is not None and not database.obj.is_closed():
        database.obj.close()


@contextmanager
def write_transaction() -> Iterator[None]:
    """A write transaction that takes the write lock up front on SQLite.

    ``BEGIN IMMEDIATE`` makes a second writer wait for the busy timeout
    instead of failing when it upgrades a read lock.
    """
    db = database.obj
    if isinstance(db, peewee.SqliteDatabase):
        with db.atomic("IMMEDIATE"):
            yield
    else:
        with db.atomic():
            yield


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
