"""Prepared INSERTs write exactly what Model.create writes, on both engines."""

from __future__ import annotations

import datetime as dt

from supervise import prepared
from supervise.db import database
from supervise.models import Complaint, Counter, TimelineEvent
from supervise.services.base import snapshot
from supervise.services.reference import ReferenceService

AT = dt.datetime(2026, 10, 9, 9, 30, 5)


def _values(number: str, unit_id: int | None) -> dict[str, object]:
    return {
        "number": number,
        "receipt_code": number + "R",
        "channel": "12345热线",
        "category": "投诉",
        "title": "窗口推诿",
        "content": "窗口工作人员推诿扯皮",
        "masked_name": "张*",
        "anonymous": False,
        "received_at": AT,
        "unit": unit_id,
    }


def _stored(model, pk) -> dict[str, object]:
    data = snapshot(model.get_by_id(pk))
    data.pop("id")
    return data


def test_create_writes_what_model_create_writes(admin):
    unit = ReferenceService(admin).add_unit("U01", "市人社局")
    by_orm = Complaint.create(**_values("TS20261000001", unit.id))
    by_prepared = prepared.create(Complaint, **_values("TS20261000002", unit.id))
    assert by_prepared.id == by_orm.id + 1 and not by_prepared.is_dirty()
    assert Complaint.get_by_id(by_prepared.id).unit.code == "U01"
    orm, ours = _stored(Complaint, by_orm.id), _stored(Complaint, by_prepared.id)
    assert {k: v for k, v in ours.items() if k not in ("number", "receipt_code", "created_at")} == {
        k: v for k, v in orm.items() if k not in ("number", "receipt_code", "created_at")
    }
    assert ours["status"] == "登记" and ours["version"] == 1 and ours["received_at"] == AT
    # the snapshot audited at creation equals the stored row (what audit verify checks)
    assert {k: v for k, v in snapshot(by_prepared).items() if k != "id"} == ours


def test_create_twice_reuses_the_statement_and_keeps_nulls(db):
    first = prepared.create(
        TimelineEvent, record_kind="complaint", record_id=1, at=AT, actor="a", action="登记"
    )
    second = prepared.create(
        TimelineEvent,
        record_kind="complaint",
        record_id=1,
        at=AT,
        actor="a",
        action="交办",
        status=None,
    )
    assert second.id == first.id + 1
    rows = list(TimelineEvent.select().order_by(TimelineEvent.id).tuples())
    assert [r[5] for r in rows] == ["登记", "交办"] and rows[0][6] is None and rows[0][7] == ""


def test_execute_takes_question_marks_on_both_engines(db):
    prepared.execute("INSERT INTO counter (name, value) VALUES (?, ?)", ("x", 41))
    row = prepared.execute(
        "UPDATE counter SET value = value + ? WHERE name = ? RETURNING value", (1, "x")
    ).fetchone()
    assert row[0] == 42 and Counter.get_by_id("x").value == 42


def test_create_writes_raw_columns_with_the_row(db):
    """``raw`` columns (no model field) go into the same INSERT; the statement is kept per
    column set, so a create without them afterwards writes the plain row."""
    database.execute_sql("ALTER TABLE counter ADD COLUMN memo text")
    prepared.create(Counter, raw={"memo": "一次写入"}, name="a", value=1)
    prepared.create(Counter, name="b", value=2)
    rows = prepared.execute("SELECT name, value, memo FROM counter ORDER BY name").fetchall()
    assert [tuple(r) for r in rows] == [("a", 1, "一次写入"), ("b", 2, None)]
