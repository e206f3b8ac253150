"""Two writers on the same records (issue #8 item 2, docs/RELIABILITY.md "Concurrency").

SQLite: two processes; PostgreSQL: two threads, each with its own
connection.  Each writer reads a complaint, waits a random moment (the user
looking at the form), then writes ``reopen_count + 1`` with the version it
read.  No lost update means: the final count equals the number of writes
that succeeded, every other write failed with :class:`Conflict` (exit 5),
and the audit trail shows each successful write starting from the state the
previous one left.  Both writers also draw circular document numbers
(发文字号) through :func:`supervise.circulars.next_seq`; none may repeat and
none may be skipped.  Finally a CLI write facing a writer that holds SQLite's
lock past the busy timeout gets one bilingual line and exit 5, no traceback.

``SUPERVISE_LONG_TESTS=1`` runs 1,000 edits per test (500 per writer); the
default is 200.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import random
import sqlite3
import subprocess
import sys
import time
from typing import Any

from supervise import audit
from supervise.auth import Actor, actor_of
from supervise.circulars import format_number, next_seq
from supervise.db import close_database, open_database
from supervise.errors import EXIT_CONFLICT, Conflict
from supervise.models import CATEGORIES, CHANNELS, AuditEntry, Complaint, DocumentNumber, User
from supervise.services.base import Service
from supervise.services.complaints import ComplaintService
from supervise.services.reference import ReferenceService

from .conftest import PASSWORD, make_user
from .threads import on_own_connections

LONG = os.environ.get("SUPERVISE_LONG_TESTS") == "1"
EDITS = 1000 if LONG else 200  # in all, shared by the two writers
NUMBERS = 200 if LONG else 40  # document numbers per writer
PREFIX = "督通"
YEAR = 2026


def edit_loop(
    actor: Actor, complaint_id: int, edits: int, numbers: int, seed: int
) -> dict[str, Any]:
    """One writer's work on the open database of this thread or process."""
    rng = random.Random(seed)
    service = Service(actor)
    done: dict[str, Any] = {"ok": 0, "stale": 0, "messages": set(), "numbers": []}
    number_every = max(1, edits // max(1, numbers))
    for i in range(edits):
        record = Complaint.get_by_id(complaint_id)
        seen_version, seen_count = record.version, record.reopen_count
        # the user reads the form; the other writer may save meanwhile
        time.sleep(rng.random() * 0.003)
        try:
            with service.change("complaint.handle"):
                service.update(
                    record,
                    "complaint.edit",
                    expected_version=seen_version,
                    reopen_count=seen_count + 1,
                )
            done["ok"] += 1
        except Conflict as exc:
            done["stale"] += 1
            done["messages"].add(exc.en.split(" at ")[0])
        if i % number_every == 0 and len(done["numbers"]) < numbers:
            with service.change("circular"):
                seq = next_seq(PREFIX, YEAR)
                service.create(
                    DocumentNumber,
                    "circular",
                    prefix=PREFIX,
                    year=YEAR,
                    seq=seq,
                    kind="test",
                    title=format_number(PREFIX, YEAR, seq),
                    issued_by=actor.name,
                )
            done["numbers"].append(seq)
    done["messages"] = sorted(done["messages"])
    return done


def _process_writer(
    url: str,
    user: str,
    complaint_id: int,
    edits: int,
    numbers: int,
    seed: int,
    out: str,
    ready: Any = None,
) -> None:
    """Entry of a writer process (spawned): open the database, wait for the other writer
    (``ready``, a barrier: a process that starts late must not find the work done), work,
    write the tally as JSON."""
    open_database(url)
    try:
        actor = actor_of(User.get(User.name == user))
        if ready is not None:
            ready.wait(timeout=300)
        result = edit_loop(actor, complaint_id, edits, numbers, seed)
    finally:
        close_database()
    with open(out, "w", encoding="utf-8") as fh:
        json.dump(result, fh)


def _setup() -> tuple[int, list[Actor]]:
    admin = make_user("admin", "admin")
    ReferenceService(admin).add_unit("U01", "市医保局")
    writers = [make_user("jiwei01", "staff"), make_user("jiwei02", "staff")]
    c = ComplaintService(admin).register(
        channel=CHANNELS[0], category=CATEGORIES[0], content="窗口排队时间过长", unit="U01"
    )
    return c.id, writers


def _check(complaint_id: int, results: list[dict[str, Any]], start_count: int) -> None:
    ok = sum(r["ok"] for r in results)
    stale = sum(r["stale"] for r in results)
    assert ok + stale == EDITS
    assert ok > 0 and stale > 0, "the writers never overlapped: the test proves nothing"
    final = Complaint.get_by_id(complaint_id)
    assert final.reopen_count == start_count + ok, "an update was lost"
    assert final.version == 1 + ok
    assert all(
        m == "the record was changed by jiwei01" or m == "the record was changed by jiwei02"
        for r in results
        for m in r["messages"]
    )
    # each successful write started from the state the previous one left
    entries = (
        AuditEntry.select()
        .where(
            (AuditEntry.action == "complaint.edit") & (AuditEntry.record_id == str(complaint_id))
        )
        .order_by(AuditEntry.id)
    )
    previous = start_count
    for e in entries:
        before, after = json.loads(e.before), json.loads(e.after)
        assert before["reopen_count"] == previous and after["reopen_count"] == previous + 1
        previous = after["reopen_count"]
    assert previous == final.reopen_count
    numbers = sorted(n for r in results for n in r["numbers"])
    assert numbers == list(range(1, len(numbers) + 1)), "a document number repeated or was skipped"
    stored = [
        d.seq
        for d in DocumentNumber.select()
        .where(DocumentNumber.prefix == PREFIX)
        .order_by(DocumentNumber.seq)
    ]
    assert stored == numbers
    assert audit.verify().ok
    print(
        f"\n{EDITS} edits: {ok} saved, {stale} refused as stale (Conflict), 0 lost; "
        f"{len(numbers)} document numbers, none repeated"
    )


def test_two_processes_on_sqlite(tmp_path):
    url = f"sqlite:///{tmp_path}/c.db"
    from supervise import migrations

    open_database(url)
    migrations.upgrade()
    complaint_id, writers = _setup()
    close_database()
    ctx = multiprocessing.get_context("spawn")
    outs = [tmp_path / f"w{i}.json" for i in range(2)]
    procs = [
        ctx.Process(
            target=_process_writer,
            args=(url, w.name, complaint_id, EDITS // 2, NUMBERS, 100 + i, str(outs[i])),
        )
        for i, w in enumerate(writers)
    ]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=600)
        assert p.exitcode == 0, "a writer process failed (see its stderr)"
    results = [json.loads(o.read_text(encoding="utf-8")) for o in outs]
    open_database(url)
    try:
        _check(complaint_id, results, 0)
    finally:
        close_database()


def test_two_connections(db):
    """Threads with their own connections (on SQLite too, which then shares one file)."""
    complaint_id, writers = _setup()
    results: list[dict[str, Any]] = [{}, {}]

    def run(i: int) -> None:
        results[i] = edit_loop(writers[i], complaint_id, EDITS // 2, NUMBERS, 200 + i)

    on_own_connections(run)
    _check(complaint_id, results, 0)


def test_locked_database_is_one_line_and_exit_5(tmp_path):
    """A writer held past the busy timeout: one bilingual line, exit 5, nothing written."""
    url = f"sqlite:///{tmp_path}/l.db"
    env = {
        **os.environ,
        "SUPERVISE_USER": "admin",
        "SUPERVISE_PASSWORD": PASSWORD,
        "SUPERVISE_BUSY_TIMEOUT": "0.5",
    }
    cli = [sys.executable, "-m", "supervise", "--db", url]
    run = subprocess.run(
        [*cli, "init", "--admin", "admin"], env=env, capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stderr
    holder = sqlite3.connect(tmp_path / "l.db", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another program holds the write lock
    try:
        for args in (
            ["unit", "add", "U01", "市医保局"],
            [
                "complaint",
                "add",
                "--channel",
                CHANNELS[0],
                "--category",
                CATEGORIES[0],
                "--content",
                "排队",
            ],
        ):
            run = subprocess.run(
                [*cli, *args], env=env, capture_output=True, text=True, timeout=120
            )
            assert run.returncode == EXIT_CONFLICT, (run.returncode, run.stderr)
            assert "Traceback" not in run.stderr and run.stdout == ""
            lines = run.stderr.strip().splitlines()
            assert (
                len(lines) == 1
                and "数据库正被其他用户写入" in lines[0]
                and "database is busy" in lines[0]
            ), lines
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    with sqlite3.connect(tmp_path / "l.db") as conn:
        assert conn.execute("SELECT count(*) FROM unit").fetchone()[0] == 0
        assert conn.execute("SELECT count(*) FROM complaint").fetchone()[0] == 0
    run = subprocess.run(
        [*cli, "unit", "add", "U01", "市医保局"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr


def test_bad_busy_timeout_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("SUPERVISE_BUSY_TIMEOUT", "soon")
    run = subprocess.run(
        [sys.executable, "-m", "supervise", "--db", f"sqlite:///{tmp_path}/b.db", "init"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ},
    )
    assert (
        run.returncode == 3
        and "SUPERVISE_BUSY_TIMEOUT" in run.stderr
        and "Traceback" not in run.stderr
    )


def test_gui_shows_a_locked_database_as_one_line():
    """The desktop app's error text for the same case (no Tk window needed)."""
    import peewee

    from supervise.gui.common import error_text

    line = error_text(peewee.OperationalError("database is locked"))
    assert "数据库正被其他用户写入" in line and "database is busy" in line and "\n" not in line
    assert "内部错误" in error_text(sqlite3.OperationalError("no such table: x"))
