"""Shared pieces of the import tests: a CLI runner on a prepared office, file writers, readers.

Import the fixtures into a test module (``from .import_support import office  # noqa: F401``);
pytest finds them there.  Every test that uses them runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import openpyxl
import peewee
import pytest
from playhouse.db_url import connect as url_connect

from supervise.cli.main import main
from supervise.db import close_database, open_database
from supervise.models import ALL_MODELS

PASSWORD = "secret-123"
UNITS = "单位编码,单位名称,上级单位编码,类型\nU01,市人社局,,部门\nU02,市医保局,,部门\nU0101,社保综合窗口,U01,窗口\n"
STAFF = "工号,姓名,单位编码,岗位\nS001,王敏,U01,窗口受理\nS002,赵强,U02,审核\n"
MATTERS = "事项编码,事项名称,单位编码,法定时限,承诺时限\nM001,社保卡补办,U01,20,5\nM002,医保异地备案,U02,10,2\n"

Runner = Callable[..., tuple[int, Any, str]]


@pytest.fixture
def cli(db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Runner:
    """``cli(*argv)`` → (exit code, JSON answer or text, stderr), logged in as admin."""
    monkeypatch.setenv("SUPERVISE_PASSWORD", PASSWORD)
    assert main(["--db", db_url, "init", "--admin", "admin"]) == 0
    monkeypatch.setenv("SUPERVISE_USER", "admin")
    capsys.readouterr()

    def run(*argv: str) -> tuple[int, Any, str]:
        code = main(["--db", db_url, *argv])
        out, err = capsys.readouterr()
        try:
            return code, json.loads(out), err
        except json.JSONDecodeError:
            return code, out, err

    run.url = db_url  # type: ignore[attr-defined]
    return run


@pytest.fixture
def office(cli: Runner, tmp_path: Path) -> Runner:
    """``cli`` on a database with units U01, U02, U0101, staff S001, S002 and matters M001, M002."""
    for name, text in (("units", UNITS), ("staff", STAFF), ("matters", MATTERS)):
        path = tmp_path / f"{name}.csv"
        path.write_text(text, encoding="utf-8")
        code, out, err = cli("import", name, str(path), "--json")
        assert code == 0, err
    return cli


def write_xlsx(
    path: Path,
    header: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    title: str | None = None,
    sheet: str = "数据",
) -> Path:
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = sheet
    if title:
        ws.append([title])
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
    ws.append(list(header))
    for row in rows:
        ws.append(list(row))
    book.save(path)
    return path


def write_csv(
    path: Path, header: Sequence[str], rows: Iterable[Sequence[Any]], encoding: str = "utf-8"
) -> Path:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def error_rows(path: Path) -> list[tuple[Any, ...]]:
    """The data lines of an errors workbook: (sheet, row, column, value, reason)."""
    rows = list(openpyxl.load_workbook(path).active.iter_rows(values_only=True))
    assert rows[0] == ("工作表", "行号", "列", "值", "原因")
    return rows[1:]


def table_rows(db: peewee.Database) -> dict[str, int]:
    """Rows per table of the whole database, counted in one statement on ``db``."""
    tables = [m._meta.table_name for m in ALL_MODELS]
    sql = "SELECT " + ", ".join(f'(SELECT count(*) FROM "{t}")' for t in tables)
    return dict(zip(tables, db.execute_sql(sql).fetchone(), strict=True))


def counts(url: str) -> dict[str, int]:
    """Rows per table (the whole database), to show that nothing changed."""
    db = open_database(url)
    try:
        return table_rows(db)
    finally:
        close_database()


@pytest.fixture
def rows(cli: Runner) -> Iterator[Callable[[], dict[str, int]]]:
    """``rows()`` → :func:`counts` of the ``cli`` database over one connection kept open.

    For tests that count after every one of hundreds of commands: each command opens and
    closes the app's database; this connection (autocommit, as peewee keeps it) sees what
    they committed without a connect per count."""
    db = url_connect(cli.url)  # type: ignore[attr-defined]
    db.connect()
    yield lambda: table_rows(db)
    db.close()


class Opened:
    """``with Opened(url):`` — the database open for direct model queries."""

    def __init__(self, url: str) -> None:
        self.url = url

    def __enter__(self) -> None:
        open_database(self.url)

    def __exit__(self, *exc: object) -> None:
        close_database()


def clear_identity(record: Any) -> dict[str, str | None]:
    """The clear identity of an imported complaint or rating, opened as the admin of ``cli``."""
    from supervise import identity
    from supervise.auth import login
    from supervise.models import Complaint

    actor = login("admin", PASSWORD)
    if isinstance(record, Complaint):
        return identity.complaint_identity(actor, record)
    return identity.rating_identity(actor, record)
