"""SIGKILL at random moments (issue #8 item 1, docs/RELIABILITY.md "Crash safety").

A large import, an escalation run and a monthly report run as the real CLI
in a child process that is killed with SIGKILL after a random (seeded) delay
within the time a whole run takes.  Each attempt starts from a fresh copy of
one demo database.  Afterwards ``PRAGMA integrity_check`` is ``ok``, the
audit chain verifies, and the batch left everything or nothing: the row
counts are the ones before the run or the ones a whole run leaves, and each
report file is absent or complete (xlsx readable, PDF read by pdftotext).

Kills per workload: 5 by default, ``SUPERVISE_LONG_TESTS=1`` gives 20;
``SUPERVISE_CRASH_SEED`` changes the delays (default 8).
"""

from __future__ import annotations

import csv
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from supervise import audit
from supervise.db import close_database, open_database

LONG = os.environ.get("SUPERVISE_LONG_TESTS") == "1"
KILLS = 20 if LONG else 5
SEED = int(os.environ.get("SUPERVISE_CRASH_SEED", "8"))
AS_OF = "2026-11-20T18:00"
MONTH = "2026-10"
IMPORT_ROWS = 20_000
ENV = {"SUPERVISE_USER": "admin", "SUPERVISE_PASSWORD": "demo-2026"}  # the demo's admin


def _cli(db: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "supervise", "--db", f"sqlite:///{db}", *args]


def _env(home: Path) -> dict[str, str]:
    return {**os.environ, **ENV, "SUPERVISE_HOME": str(home)}


@pytest.fixture(scope="module")
def office(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A demo database (12 months) and a ratings CSV of IMPORT_ROWS new rows."""
    folder = tmp_path_factory.mktemp("crash")
    base = folder / "base.db"
    run = subprocess.run(
        _cli(base, "demo", "--seed", "1", "--months", "12", "--json"),
        env=_env(folder),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stderr
    assert not Path(f"{base}-wal").exists()  # closed cleanly: one file to copy
    rows = folder / "ratings.csv"
    with rows.open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(["评价编号", "评价时间", "单位编码", "评价渠道", "评价等级", "评价内容"])
        for i in range(IMPORT_ROWS):
            out.writerow(
                [
                    f"KX{i:08d}",
                    f"2026-10-{1 + i % 28:02d} 09:{i % 60:02d}:00",
                    ("U01", "U02", "U03")[i % 3],
                    "窗口",
                    (5, 5, 4, 3, 1)[i % 5],
                    "服务热情",
                ]
            )
    return {"folder": folder, "base": base, "ratings": rows}


def _counts(db: Path, tables: tuple[str, ...]) -> tuple[int, ...]:
    """Integrity check, audit verification and the row counts, on a database a kill left behind."""
    with sqlite3.connect(db) as conn:  # opening it recovers the WAL, as the app would
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        counts = tuple(conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables)
    conn.close()
    open_database(f"sqlite:///{db}")
    try:
        result = audit.verify()
        assert result.ok, result.as_dict()
    finally:
        close_database()
    return counts


def _attempts(
    office: dict[str, Path],
    name: str,
    args: Callable[[Path, Path], list[str]],
    tables: tuple[str, ...],
    check_files: Callable[[Path], int] | None = None,
) -> dict[str, int]:
    """Run once whole (the 'after' counts and the duration), then kill KILLS runs; return the tally."""
    folder, base = office["folder"] / name, office["base"]
    folder.mkdir()
    before = _counts(base, tables)
    whole_db, whole_out = folder / "whole.db", folder / "whole-out"
    shutil.copy(base, whole_db)
    started = time.monotonic()
    run = subprocess.run(
        args(whole_db, whole_out), env=_env(folder), capture_output=True, text=True, timeout=600
    )
    duration = time.monotonic() - started
    assert run.returncode == 0, run.stderr
    after = _counts(whole_db, tables)
    assert after != before, "the workload changed nothing: the test proves nothing"
    if check_files is not None:
        assert check_files(whole_out) == 2
    rng = random.Random(f"{SEED}:{name}")
    tally = {"killed": 0, "nothing": 0, "everything": 0, "finished": 0, "files_left_whole": 0}
    attempt = 0
    while tally["killed"] < KILLS:
        attempt += 1
        assert attempt <= KILLS * 4, f"runs keep finishing before the kill: {tally}"
        db, out = folder / f"a{attempt}.db", folder / f"a{attempt}-out"
        shutil.copy(base, db)
        child = subprocess.Popen(
            args(db, out), env=_env(folder), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        time.sleep(rng.uniform(0.15, 0.95) * duration)
        if child.poll() is None:
            child.send_signal(signal.SIGKILL)
        code = child.wait(timeout=600)  # 0 when the run ended just before the signal
        if code == 0:
            tally["finished"] += 1
        else:
            assert code == -signal.SIGKILL, f"run {attempt} failed on its own (exit {code})"
            tally["killed"] += 1
        counts = _counts(db, tables)
        assert counts in (before, after), (
            f"kill {attempt} left a partial batch: {counts} not {before} or {after}"
        )
        if code != 0:
            tally["nothing" if counts == before else "everything"] += 1
        if check_files is not None:
            whole = check_files(out)
            if code != 0:
                tally["files_left_whole"] += whole
        db.unlink()
        for extra in (Path(f"{db}-wal"), Path(f"{db}-shm")):
            extra.unlink(missing_ok=True)
    print(f"\n{name}: {tally} (whole run {duration:.2f} s, seed {SEED})")
    return tally


def test_import_killed(office):
    tally = _attempts(
        office,
        "import",
        lambda db, out: _cli(db, "import", "ratings", str(office["ratings"]), "--json"),
        ("rating", "import_batch", "audit_entry"),
    )
    assert tally["killed"] >= KILLS


def test_escalation_killed(office):
    tally = _attempts(
        office,
        "escalate",
        lambda db, out: _cli(db, "escalate", "--as-of", AS_OF, "--json"),
        ("escalation", "audit_entry"),
    )
    assert tally["killed"] >= KILLS


def _report_files_whole(out: Path) -> int:
    """Each report file is absent or complete (no other names than the two files and temp
    parts); returns how many of the two are there."""
    from openpyxl import load_workbook

    if not out.exists():
        return 0
    present = 0
    for path in out.iterdir():
        if path.name.startswith("."):
            assert ".part" in path.name  # a temp file a killed run could not remove
            continue
        assert path.name in (f"月报-{MONTH}.xlsx", f"月报-{MONTH}.pdf"), path.name
        if path.suffix == ".xlsx":
            book = load_workbook(path, read_only=True)
            assert book.sheetnames
            book.close()
        else:
            text = subprocess.run(
                ["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, timeout=60
            )
            assert text.returncode == 0 and MONTH[:4] in text.stdout.decode("utf-8"), path
        present += 1
    return present


def test_report_killed(office):
    tally = _attempts(
        office,
        "report",
        lambda db, out: _cli(
            db, "report", "monthly", "--month", MONTH, "--as-of", AS_OF, "--out", str(out), "--json"
        ),
        ("audit_entry",),
        _report_files_whole,
    )
    assert tally["killed"] >= KILLS
