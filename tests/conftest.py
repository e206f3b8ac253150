"""Shared fixtures: every storage test runs on SQLite and on PostgreSQL.

PostgreSQL is reached through ``SUPERVISE_TEST_PG_URL`` (default
``postgresql://postgres@127.0.0.1:5432/supervise_test``; the database is
created when missing).  When no server answers, the PostgreSQL variants skip
with the reason.  Each test gets an empty ``public`` schema.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import replace
from urllib.parse import urlparse

import pytest

from supervise import auth, identity, migrations
from supervise.auth import SYSTEM, Actor, actor_of, login
from supervise.db import close_database, open_database
from supervise.errors import NotPermitted
from supervise.models import User
from supervise.permissions import allowed
from supervise.services.reference import ReferenceService

# Passwords hashed and identity keys wrapped in this process cost scrypt n=2**10 instead of
# 2**14 (a log-in would otherwise cost two 50-160 ms hashes in every fixture).  Each hash and
# wrapping records its own cost, so a CLI child process verifies them as written.
auth.SCRYPT_N = 2**10

PG_URL = os.environ.get(
    "SUPERVISE_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/supervise_test"
)
PASSWORD = "test-pass-123"
_pg_state: dict[str, str | None] = {}


def pg_unavailable() -> str | None:
    """None when the test PostgreSQL database is usable, else the reason."""
    if "reason" in _pg_state:
        return _pg_state["reason"]
    reason = None
    try:
        import psycopg2

        parts = urlparse(PG_URL)
        name = parts.path.lstrip("/")
        admin_dsn = PG_URL[: -len(parts.path)] + "/postgres" if parts.path else PG_URL
        conn = psycopg2.connect(admin_dsn, connect_timeout=3)
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
            if cur.fetchone() is None:
                cur.execute(f'CREATE DATABASE "{name}"')
        conn.close()
    except Exception as exc:  # no driver, no server, no rights
        reason = f"PostgreSQL not reachable at {PG_URL}: {str(exc).strip().splitlines()[0] if str(exc).strip() else exc!r}"
    _pg_state["reason"] = reason
    return reason


def reset_pg_schema() -> None:
    import psycopg2

    conn = psycopg2.connect(PG_URL)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public;")
    conn.close()


@pytest.fixture(autouse=True)
def _isolated_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("SUPERVISE_HOME", str(home))
    for var in (
        "SUPERVISE_DB",
        "SUPERVISE_USER",
        "SUPERVISE_PASSWORD",
        "SUPERVISE_PLUGINS_DIR",
        "SUPERVISE_DISABLED_PLUGINS",
    ):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:
    """An empty database URL, once per engine."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/test.db"
        return
    reason = pg_unavailable()
    if reason:
        pytest.skip(reason)
    reset_pg_schema()
    yield PG_URL


RECOVERY: dict[str, str | None] = {}


@pytest.fixture
def db(db_url: str) -> Iterator[str]:
    """An open database at the latest schema; yields its URL.  The recovery key
    of its new office identity key is kept in ``RECOVERY["key"]``."""
    open_database(db_url)
    migrations.upgrade()
    RECOVERY["key"] = identity.take_new_recovery_key()
    yield db_url
    close_database()


def keyed_system() -> Actor:
    """The system actor holding the office identity key (users it adds are granted it).

    The key is the one made for the open database: by the ``db`` fixture, or since then by a
    test's own ``migrations.upgrade()``; without one the plain system actor.
    """
    fresh = identity.take_new_recovery_key()
    if fresh:
        RECOVERY["key"] = fresh
    text = RECOVERY.get("key")
    if text:
        try:
            return replace(SYSTEM, identity_key=identity.open_with_recovery(text))
        except NotPermitted:  # a key of another test's database
            pass
    return SYSTEM


def with_key(actor: Actor) -> Actor:
    """``actor`` as after log-in: holding the office key when granted (see supervise.auth.login)."""
    return login(actor.name, PASSWORD) if allowed(actor.role, "identity.view") else actor


@pytest.fixture
def admin(db: str) -> Actor:
    ReferenceService(keyed_system()).add_user("admin", "admin", PASSWORD)
    return login("admin", PASSWORD)


def make_user(name: str, role: str, unit: str | None = None) -> Actor:
    ReferenceService(keyed_system()).add_user(name, role, PASSWORD, unit)
    return with_key(actor_of(User.get(User.name == name)))


def count_updates(table: str) -> Callable[[], int]:
    """From now on, count the rows of ``table`` that UPDATE statements touch (a trigger logs
    each one, on either engine); returns the counter, to call while the database is open."""
    from supervise.db import database, is_sqlite

    log = f"test_{table}_updates"
    database.execute_sql(f"CREATE TABLE {log} (id integer)")
    if is_sqlite():
        database.execute_sql(
            f'CREATE TRIGGER {log} AFTER UPDATE ON "{table}" '
            f"BEGIN INSERT INTO {log} VALUES (new.id); END"
        )
    else:
        database.execute_sql(
            f"CREATE FUNCTION {log}() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN INSERT INTO {log} VALUES (NEW.id); RETURN NULL; END $$"
        )
        database.execute_sql(
            f'CREATE TRIGGER {log} AFTER UPDATE ON "{table}" FOR EACH ROW EXECUTE FUNCTION {log}()'
        )

    def updates() -> int:
        return int(database.execute_sql(f"SELECT count(*) FROM {log}").fetchone()[0])

    return updates


def dead_pid() -> int:
    """The id of a process that has ended (and been reaped): what a killed run leaves in a name."""
    import subprocess
    import sys

    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def leave_parts(target, dead: int) -> dict[str, object]:
    """Temporary files beside ``target`` as runs would leave them: a killed run's, a running
    writer's (pid 1), a day-old one of a running pid, and another target's."""
    import time

    made = {
        "killed": target.with_name(f".{target.stem}.{dead}.part{target.suffix}"),
        "running": target.with_name(f".{target.stem}.1.part{target.suffix}"),
        "day_old": target.with_name(f".{target.stem}.{os.getppid()}.part{target.suffix}"),
        "other": target.with_name(f".其他.{dead}.part{target.suffix}"),
    }
    for path in made.values():
        path.write_bytes(b"PK\x03\x04 half written")
    old = time.time() - 2 * 86400
    os.utime(made["day_old"], (old, old))
    return made


def sealed_complaint(
    number: str, name: str | None = None, phone: str | None = None, id_no: str | None = None
) -> dict[str, str | None]:
    """The stored identity columns of a complaint made directly in a test (sealed as the services seal)."""
    return identity.complaint_columns(identity.sealer(), number, name, phone, id_no)


def sealed_rating(
    unit_id: int,
    rated,
    name: str | None = None,
    phone: str | None = None,
    source: str = "entered",
    external_id: str | None = None,
) -> dict[str, str | None]:
    aad = identity.rating_aad(unit_id, rated, source, external_id)
    return identity.rating_columns(identity.sealer(), aad, name, phone)
