"""Tamper evidence (issue #8, item 5): editing, deleting or reordering any audit entry,
or changing any audited record outside the app, is found by ``audit verify``, which names
the first bad entry — on SQLite and PostgreSQL.

Each tampering is done in a transaction that is rolled back after the check, so one seeded
database serves every case.
"""

from __future__ import annotations

import collections
import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial

import peewee as pw
import pytest

from supervise import audit
from supervise.audit_records import UNCOVERED_TABLES
from supervise.auth import actor_of
from supervise.cli.main import main
from supervise.db import close_database, database, open_database
from supervise.models import ALL_MODELS, AuditEntry, User
from supervise.services.accountability import AccountabilityService
from supervise.services.complaints import ComplaintService
from supervise.services.ratings import RatingService
from supervise.services.reference import ReferenceService
from supervise.services.reviews import ReviewService

from .conftest import PASSWORD, make_user
from .test_accountability import pending_case
from .test_reliability_input import add_to_report

T = dt.datetime(2026, 3, 2, 9, 0)
DETECTED: collections.Counter[str] = collections.Counter()


@pytest.fixture(scope="module", autouse=True)
def _report_counts():
    yield
    add_to_report(DETECTED)


@pytest.fixture
def seeded(db, admin):
    """Every kind of audited record, created and changed through the services."""
    ref = ReferenceService(admin)
    ref.add_unit("U01", "市人社局")
    ref.add_staff("S001", "王敏", "U01")
    ref.add_matter("M001", "社保卡补办", "U01", 20, 5)
    ref.set_calendar(dt.date(2026, 3, 9), "holiday", "地方假日")
    ref.set_setting("complaint.max_extensions", 2)
    staff = make_user("jw", "staff")
    sup = make_user("jdy", "supervisor")
    complaints = ComplaintService(staff)
    c = complaints.register(
        channel="12345热线",
        category="投诉",
        content="窗口推诿",
        unit="U01",
        name="张三",
        phone="13800000000",
        received=T,
    )
    complaints.assign(c.number, "U01", card="黄", at=T)
    complaints.reply(c.number, "已处理", at=T + dt.timedelta(days=1))
    complaints.visit(c.number, "满意", True, at=T + dt.timedelta(days=2))
    complaints.close(c.number, at=T + dt.timedelta(days=2))
    ratings = RatingService(staff)
    r = ratings.add("U01", 1, rater="李四", phone="13900000000", rated=T)
    ratings.verify(r.id, "属实", at=T + dt.timedelta(hours=2))
    review = ReviewService(sup).submit("U01", "暗访", ["窗口人员离岗"], review_date=T.date(), at=T)
    ReviewService(staff).adopt(review.id, to_complaint=True, at=T + dt.timedelta(hours=1))
    AccountabilityService(staff).decide(
        pending_case(), "约谈", "依据问责条例", at=T + dt.timedelta(days=3)
    )
    return db


@contextmanager
def tampered() -> Iterator[None]:
    """Run the tampering, then undo it whatever happens."""
    with database.atomic() as txn:
        yield
        txn.rollback()


def entry_ids() -> list[int]:
    return [i for (i,) in AuditEntry.select(AuditEntry.id).order_by(AuditEntry.id).tuples()]


def first_bad(change: Callable[[], object]) -> audit.VerifyResult:
    with tampered():
        change()
        return audit.verify()


def test_seeded_workflow_verifies_through_the_cli(seeded, monkeypatch, capsys):
    result = audit.verify()
    assert result.ok, result.reason
    monkeypatch.setenv("SUPERVISE_PASSWORD", PASSWORD)
    close_database()
    assert main(["--db", seeded, "--user", "admin", "audit", "verify", "--json"]) == 0
    open_database(seeded)
    assert '"ok": true' in capsys.readouterr().out


def test_every_entry_edited_deleted_or_swapped_is_named(seeded):
    ids = entry_ids()
    assert len(ids) >= 20
    cases = 0
    for index, entry_id in enumerate(ids):
        e = AuditEntry.get_by_id(entry_id)
        for field, value in (
            ("actor", e.actor + "x"),
            ("after", '{"forged": 1}'),
            ("at", e.at + dt.timedelta(seconds=1)),
        ):
            result = first_bad(
                AuditEntry.update({field: value}).where(AuditEntry.id == entry_id).execute
            )
            assert (result.ok, result.bad_id) == (False, entry_id), (field, entry_id, result)
            cases += 1
        # deleting an entry breaks the link of the next one, or the head marker for the last
        result = first_bad(AuditEntry.delete().where(AuditEntry.id == entry_id).execute)
        assert (result.ok, result.bad_id) == (
            False,
            ids[index + 1] if index + 1 < len(ids) else entry_id,
        )
        cases += 1
        if index + 1 < len(ids):
            result = first_bad(partial(_swap, entry_id, ids[index + 1]))
            assert (result.ok, result.bad_id) == (False, entry_id), result
            cases += 1
    assert cases == 5 * len(ids) - 1
    DETECTED["tamper: audit entries edited, deleted or swapped"] += cases


def _swap(a_id: int, b_id: int) -> None:
    fields = ["at", "actor", "action", "table", "record_id", "before", "after", "prev_hash", "hash"]
    a, b = AuditEntry.get_by_id(a_id), AuditEntry.get_by_id(b_id)
    AuditEntry.update({f: getattr(b, f) for f in fields}).where(AuditEntry.id == a_id).execute()
    AuditEntry.update({f: getattr(a, f) for f in fields}).where(AuditEntry.id == b_id).execute()


def _other(field: pw.Field, value: object) -> object:
    """A different value of the same type, as a database editor would type it."""
    if isinstance(field, pw.BooleanField):
        return not value
    if isinstance(field, pw.DateTimeField):
        return (value or T) + dt.timedelta(days=1)
    if isinstance(field, pw.DateField):
        return (value or T.date()) + dt.timedelta(days=1)
    if isinstance(field, pw.IntegerField | pw.FloatField | pw.DecimalField):
        return (value or 0) + 1
    return f"{value or ''}改"


def _covered_records() -> Iterator[tuple[type, object, int]]:
    """(model, primary key, latest entry id) of every record with a snapshot in the chain."""
    models = {m._meta.table_name: m for m in ALL_MODELS}
    latest: dict[tuple[str, str], int] = {}
    for e in AuditEntry.select().order_by(AuditEntry.id):
        model = models.get(e.table)
        if model is None or e.table in UNCOVERED_TABLES or e.record_id is None or e.after is None:
            continue
        if (e.table, e.record_id) in latest or set(audit.json.loads(e.after)) == set(
            model._meta.fields
        ):
            if set(audit.json.loads(e.after)) & set(model._meta.fields):
                latest[(e.table, e.record_id)] = e.id
    for (table, rid), entry_id in latest.items():
        model = models[table]
        pk = model._meta.primary_key
        yield model, int(rid) if isinstance(pk, pw.AutoField) else rid, entry_id


def test_every_column_of_every_audited_record_changed_by_sql_is_named(seeded):
    tables = set()
    cases = 0
    for model, pk, entry_id in _covered_records():
        tables.add(model._meta.table_name)
        row = model.get_by_id(pk)
        for name, field in model._meta.fields.items():
            if field.primary_key or isinstance(field, pw.ForeignKeyField | pw.BlobField):
                continue
            value = _other(field, getattr(row, name))
            result = first_bad(
                model.update({field: value}).where(model._meta.primary_key == pk).execute
            )
            assert (result.ok, result.bad_id) == (False, entry_id), (model.__name__, name, result)
            assert "record changed outside the app" in result.reason
            cases += 1
    assert {
        "complaint",
        "rating",
        "review",
        "finding",
        "unit",
        "staff",
        "matter",
        "calendar_override",
        "setting",
        "accountability_case",
    } <= tables
    assert cases > 100
    DETECTED["tamper: record columns changed by SQL"] += cases


def test_raw_sql_edit_and_delete_of_a_record(seeded):
    p = database.obj.param
    _, pk, entry_id = next(e for e in _covered_records() if e[0]._meta.table_name == "complaint")
    sql = f"UPDATE complaint SET content = {p} WHERE id = {p}"
    result = first_bad(partial(database.execute_sql, sql, ("已删改", pk)))
    assert (result.ok, result.bad_id) == (False, entry_id)
    override = next(e for e in _covered_records() if e[0]._meta.table_name == "calendar_override")
    result = first_bad(
        partial(
            database.execute_sql, f"DELETE FROM calendar_override WHERE id = {p}", (override[1],)
        )
    )
    assert (result.ok, result.bad_id, "record deleted" in result.reason) == (
        False,
        override[2],
        True,
    )


def test_cli_names_the_first_bad_entry(seeded, monkeypatch, capsys):
    ids = entry_ids()
    AuditEntry.update(actor="intruder").where(AuditEntry.id == ids[3]).execute()
    monkeypatch.setenv("SUPERVISE_PASSWORD", PASSWORD)
    close_database()
    code = main(["--db", seeded, "--user", "admin", "audit", "verify"])
    open_database(seeded)
    err = capsys.readouterr().err
    assert (
        code == 1
        and f"entry {ids[3]}" in err
        and "Traceback" not in err
        and len(err.splitlines()) == 1
    )


def test_user_rows_are_outside_record_coverage(seeded):
    """Log-in counters change without a snapshot; the user table is left to the chain alone."""
    assert "user" in UNCOVERED_TABLES
    User.update(failed_logins=3).where(User.name == "jw").execute()
    assert audit.verify().ok
    assert actor_of(User.get(User.name == "jw")).role == "staff"
