"""The report's kept counts (supervise/report/summary.py): a report read from
``report_count`` equals the report counted from the records, after registering,
visiting, re-assigning, closing, importing and undoing an import, and after
random writes straight to the tables — every change reaches the counts through
the database triggers, and :func:`summary.rebuild` counts the same."""

# The fixture `office` comes from tests/test_report.py and is requested by name,
# which ruff sees as a redefinition of the imported name.
# ruff: noqa: F811

from __future__ import annotations

import datetime as dt
import random

import peewee as pw
import pytest

from supervise.db import database, write_transaction
from supervise.import_batches import ImportBatches
from supervise.importing import run_import
from supervise.models import (
    COMPLAINT_STATUSES,
    AccountabilityCase,
    Complaint,
    Escalation,
    Matter,
    Rating,
    Review,
    Staff,
    TimelineEvent,
    Unit,
)
from supervise.registry import get_registry
from supervise.report import monthly_figures, summary
from supervise.report.counts import COUNTERS, INTS, matter_counts, month_counts
from supervise.report.figures import snapshot
from supervise.report.summary import MonthCounts
from supervise.services.complaints import ComplaintService

from .import_support import write_xlsx
from .test_report import office  # noqa: F401
from .threads import on_own_connections

AS_OF = dt.datetime(2026, 5, 10, 12, 0)  # March and April are over
MARCH = (dt.datetime(2026, 3, 1), dt.datetime(2026, 4, 1))


def direct(month: str = "2026-03", as_of: dt.datetime = AS_OF) -> dict:
    summary.enabled = False
    try:
        return monthly_figures(month, as_of)
    finally:
        summary.enabled = True


def source(as_of: dt.datetime = AS_OF, bounds: tuple[dt.datetime, dt.datetime] = MARCH) -> str:
    with snapshot():
        return MonthCounts(f"{bounds[0]:%Y-%m}", *bounds, as_of).source


def agree(month: str = "2026-03", as_of: dt.datetime = AS_OF) -> dict:
    """The report twice through the summaries (built, then read) and once from the records."""
    built = monthly_figures(month, as_of)
    assert source(as_of) == "summary"
    assert monthly_figures(month, as_of) == built == direct(month, as_of)
    return built


def test_summary_and_records_agree_after_service_changes(office, admin):
    before = agree()
    assert source() == "summary"
    complaints = ComplaintService(admin)
    february = (dt.datetime(2026, 2, 1), MARCH[0])
    assert source(bounds=february) == "summary"
    c = complaints.register(
        channel="12345热线",
        category="投诉",
        content="窗口推诿",
        unit="U02",
        received=dt.datetime(2026, 2, 27, 9, 0),
    )
    assert source(bounds=february) == "summary" and source() == "summary"  # kept, not rebuilt
    after = agree()
    assert after["total"]["上月受理量"] == before["total"]["上月受理量"] + 1
    # a visit written in April of a March complaint, then a re-assignment that moves its visits
    c3 = Complaint.get_by_id(office["c3"].id)
    complaints.reply(c3.number, "已办理完毕", at=dt.datetime(2026, 4, 1, 9, 0))
    agree()
    complaints.visit(c3.number, "满意", True, at=dt.datetime(2026, 4, 2, 10, 0))
    agree()
    Complaint.update(unit=office["U04"].id).where(Complaint.id == c3.id).execute()
    moved = agree()
    assert [r["回访量"] for r in moved["units"] if r["单位编码"] == "U04"] == [1]
    complaints.refuse(c.number, "重复诉求")
    agree()


def test_summary_and_records_agree_after_closing_a_bad_rating(office, admin):
    agree()
    bad = Rating.select().where((Rating.level <= 2) & (Rating.status == "待整改")).first()
    Rating.update(status="已办结", closed_at=dt.datetime(2026, 5, 1, 9, 0)).where(
        Rating.id == bad.id
    ).execute()
    closed = agree()
    assert closed["units"][0]["差评办结数"] == 3
    # an as-of time before that closure: the summary does not serve it, the records do
    earlier = dt.datetime(2026, 4, 20)
    with snapshot():
        assert MonthCounts("2026-03", *MARCH, earlier).source == "records"
    assert monthly_figures("2026-03", earlier) == direct("2026-03", earlier)
    assert monthly_figures("2026-03", earlier)["units"][0]["差评办结数"] == 2


def test_summary_and_records_agree_after_an_import_and_its_undo(office, admin, tmp_path):
    agree()
    header = ["评价编号", "评价时间", "单位编码", "评价渠道", "评价等级", "评价人", "联系电话"]
    rows = [
        [f"PJ{i}", dt.datetime(2026, 3, 10 + i, 9, 0), "U03", "窗口", level, "张三", "13800138000"]
        for i, level in enumerate((5, 1, 2, 4))
    ]
    path = write_xlsx(tmp_path / "ratings.xlsx", header, rows)
    result = run_import(admin, get_registry().importer("ratings"), path)
    imported = agree()
    assert [r["评价量"] for r in imported["units"] if r["单位编码"] == "U03"] == [8]
    ImportBatches(admin).undo(result.batch)
    undone = agree()
    assert [r["评价量"] for r in undone["units"] if r["单位编码"] == "U03"] == [4]


def test_the_open_month_is_counted_from_the_records(office):
    inside = dt.datetime(2026, 3, 20, 12, 0)
    with snapshot():
        assert MonthCounts("2026-03", *MARCH, inside).source == "records"
    assert monthly_figures("2026-03", inside) == direct("2026-03", inside)


def test_a_unit_change_of_an_escalated_record_reaches_the_summary(office):
    agree()
    rating = (
        Rating.select().where(Rating.level == 1).order_by(Rating.id).first()
    )  # escalated in March
    Rating.update(unit=Unit.get(Unit.code == "U03").id).where(Rating.id == rating.id).execute()
    moved = agree()
    assert [r["督办"]["督办"] for r in moved["units"] if r["单位编码"] == "U03"] == [1]


@pytest.mark.parametrize("table", sorted(summary.WATCHED))
def test_every_watched_table_has_its_triggers(db, table):
    if database.obj.__class__.__name__.startswith("Sqlite"):
        sql = "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?"
    else:
        sql = "SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal"
    names = {row[0] for row in database.obj.execute_sql(sql, (table,)).fetchall()}
    assert {f"report_{table}_update", f"report_{table}_delete"} <= names


def normal(counts: dict) -> dict:
    """Counts per unit as plain values, units with nothing left out."""
    out = {}
    for uid, c in counts.items():
        values = {k: getattr(c, k) for k in INTS if getattr(c, k)}
        values |= {k: {x: n for x, n in getattr(c, k).items() if n} for k in COUNTERS}
        values = {k: v for k, v in values.items() if v}
        if values:
            out[uid] = values
    return out


MONTHS = [
    (f"2026-{m:02d}", dt.datetime(2026, m, 1), dt.datetime(2026, m + 1, 1)) for m in (2, 3, 4)
]
LATER = dt.datetime(2027, 1, 1)


def kept_equals_counted() -> None:
    for month, start, end in MONTHS:
        with snapshot():
            kept = MonthCounts(month, start, end, LATER)
            assert kept.source == "summary"
            assert normal(kept.units) == normal(month_counts(start, end, LATER)), month
            assert kept.matters == matter_counts(start, end, LATER), month


def clone(model, row_id: int, **changes) -> None:
    """Insert a copy of one row of ``model`` with ``changes`` (a new id)."""
    data = dict(model.get_by_id(row_id).__data__)
    data.pop("id")
    data.update(changes, **({"external_id": None} if "external_id" in data else {}))
    model.insert(**data).execute()


def test_random_writes_reach_the_kept_counts(office):
    """Some 200 seeded random writes straight to the tables — single and multi-row inserts,
    updates of every watched column, deletions, rows pointing at rows that are gone — and
    after each batch the kept counts equal a fresh count of the records, on both engines;
    counting everything again (:func:`summary.rebuild`) gives the same counts."""
    rng = random.Random(6)
    units = [u.id for u in Unit.select()] + [None]
    matters = [m.id for m in Matter.select()] + [None]
    instants = [dt.datetime(2026, m, d, h) for m in (2, 3, 4) for d in (1, 15, 28) for h in (0, 9)]
    notes = [
        "满意，已解决",
        "基本满意",
        "不满意，未解决",
        "满意。谢谢",
        "满意度一般",
        "基本满意，已解决",
    ]
    kinds = ["complaint", "rating", "review", "matter", "staff", "unit", "other"]
    serial = 0

    def ids(model, k: int = 1) -> list[int]:
        every = [i for (i,) in model.select(model.id).tuples()]
        return rng.sample(every, min(k, len(every)))

    def some(model) -> pw.Expression:
        return model.id.in_(ids(model, rng.randint(1, 4)))

    def write() -> None:
        nonlocal serial
        serial += 1
        op = rng.randrange(16)
        C, R, E, T, A = Complaint, Rating, Escalation, TimelineEvent, AccountabilityCase
        if op == 0:
            clone(
                C,
                ids(C)[0],
                number=f"R{serial}",
                receipt_code=f"RC{serial}",
                unit=rng.choice(units),
                matter=rng.choice(matters),
                category=rng.choice(["投诉", "咨询", "求助"]),
                received_at=rng.choice(instants),
                due_at=rng.choice(instants + [None]),
                replied_at=rng.choice(instants + [None]),
                status=rng.choice(COMPLAINT_STATUSES),
            )
        elif op == 1:
            C.update(unit=rng.choice(units)).where(some(C)).execute()
        elif op == 2:
            C.update(
                status=rng.choice(COMPLAINT_STATUSES),
                replied_at=rng.choice(instants + [None]),
                due_at=rng.choice(instants),
            ).where(some(C)).execute()
        elif op == 3:
            C.update(matter=rng.choice(matters), category="建议").where(some(C)).execute()
        elif op == 4 and rng.random() < 0.5:
            C.delete().where(C.id.in_(ids(C))).execute()
        elif op == 5:
            T.insert(
                record_kind="complaint",
                record_id=rng.choice(ids(C, 3) + [10_000]),
                at=rng.choice(instants),
                actor="t",
                action=rng.choice(["回访", "回访", "反馈"]),
                note=rng.choice(notes),
            ).execute()
        elif op == 6:
            T.update(note=rng.choice(notes), at=rng.choice(instants)).where(some(T)).execute()
        elif op == 7:
            T.update(record_id=rng.choice(ids(C))).where(some(T)).execute()
            T.delete().where(T.id.in_(ids(T))).execute()
        elif op == 8:
            clone(
                R,
                ids(R)[0],
                unit=rng.choice(units[:-1]),
                level=rng.randint(1, 5),
                rated_at=rng.choice(instants),
                status=rng.choice(["已办结", "待整改", "无需处理"]),
                closed_at=rng.choice(instants + [None]),
            )
        elif op == 9:
            R.update(unit=rng.choice(units[:-1]), level=rng.randint(1, 5)).where(some(R)).execute()
        elif op == 10:
            R.update(status="已办结", closed_at=rng.choice(instants)).where(some(R)).execute()
            if rng.random() < 0.3:
                R.delete().where(R.id.in_(ids(R))).execute()
        elif op == 11:
            kind = rng.choice(kinds)
            model = {
                "complaint": C,
                "rating": R,
                "review": Review,
                "matter": Matter,
                "staff": Staff,
            }
            target = (
                ids(model[kind])[0]
                if kind in model and ids(model[kind])
                else rng.choice([1, 2, 99])
            )
            E.insert(
                rule=f"随机{serial}",
                target_kind=kind,
                target_id=target,
                level=rng.choice(["预警", "督办", "挂牌督办"]),
                reason="随机",
                raised_at=rng.choice(instants),
                updated_at=rng.choice(instants),
            ).execute()
        elif op == 12 and E.select().exists():
            E.update(level=rng.choice(["催办", "督办"]), raised_at=rng.choice(instants)).where(
                some(E)
            ).execute()
            if rng.random() < 0.3:
                E.delete().where(E.id.in_(ids(E))).execute()
        elif op == 13:
            Matter.update(unit=rng.choice(units[:-1])).where(some(Matter)).execute()
            Staff.update(unit=rng.choice(units[:-1])).where(some(Staff)).execute()
            Review.update(unit=rng.choice(units[:-1])).where(some(Review)).execute()
        elif op == 14 and A.select().exists():
            A.update(
                status=rng.choice(["已决定", "不予问责", "待决定"]),
                form=rng.choice(["诫勉谈话", "", None]),
                decided_at=rng.choice(instants + [None]),
                unit=rng.choice(units[:-1]),
            ).where(some(A)).execute()
        elif op == 15:
            with database.atomic():  # several statements in one transaction
                C.update(unit=rng.choice(units)).where(some(C)).execute()
                T.update(at=rng.choice(instants)).where(some(T)).execute()

    kept_equals_counted()
    for _ in range(20):
        for _ in range(10):
            write()
        kept_equals_counted()
    before = {m: normal(MonthCounts(m, s, e, LATER).units) for m, s, e in MONTHS}
    with write_transaction():
        summary.rebuild()
    assert {m: normal(MonthCounts(m, s, e, LATER).units) for m, s, e in MONTHS} == before
    kept_equals_counted()


def test_re_assigning_and_visiting_at_once_neither_deadlock_nor_drift(office):
    """Two connections at once, 60 times each: one re-assigns a visited complaint (a unit that
    its 回访 steps follow: the row, then the audit entry), the other writes 回访 steps of the
    same complaint the way the services do (the audit entry, then the step).  No writer fails
    (a lock of the counts' own, taken in the other order, deadlocked here), and the kept
    counts still equal the records."""
    from supervise import audit

    c3 = Complaint.get_by_id(office["c3"].id)
    units = [office["U01"].id, office["U04"].id]

    def run(i: int) -> None:
        for k in range(60):
            with write_transaction():
                if i == 0:
                    Complaint.update(unit=units[k % 2]).where(Complaint.id == c3.id).execute()
                    audit.append("t0", "complaint.assign", "complaint", c3.id)
                else:
                    audit.append("t1", "complaint.handle", "complaint", c3.id)
                    TimelineEvent.create(
                        record_kind="complaint",
                        record_id=c3.id,
                        at=dt.datetime(2026, 3, 20, 9, k % 60),
                        actor="t1",
                        action="回访",
                        note="满意，已解决",
                    )

    on_own_connections(run, timeout=300)
    kept_equals_counted()


def test_migration_9_counts_an_older_database(office, admin):
    """A database of version 8 (rows written with no counting trigger, the earlier summary
    tables in place): migration 9 drops those tables, creates the triggers and counts every
    month from the records; later writes are counted by the triggers."""
    from supervise import migrations
    from supervise.db import is_sqlite
    from supervise.models import SchemaMigration

    for table in summary.WATCHED:
        for event in ("insert", "update", "delete"):
            if is_sqlite():
                database.execute_sql(f'DROP TRIGGER IF EXISTS "report_{table}_{event}"')
            else:
                database.execute_sql(f'DROP TRIGGER IF EXISTS report_{table}_{event} ON "{table}"')
    database.execute_sql("DROP TABLE report_count")
    database.execute_sql("CREATE TABLE report_change (month VARCHAR(7) PRIMARY KEY, stamp INTEGER)")
    database.execute_sql("CREATE TABLE report_summary (month VARCHAR(7) PRIMARY KEY, data TEXT)")
    SchemaMigration.delete().where(SchemaMigration.version >= 9).execute()
    ComplaintService(admin).register(
        channel="12345热线",
        category="投诉",
        content="窗口推诿",
        unit="U02",
        received=dt.datetime(2026, 2, 27, 9, 0),
    )
    assert [name[:3] for name in migrations.upgrade()] == ["v9 "]
    tables = set(database.get_tables())
    assert "report_count" in tables and not {"report_change", "report_summary"} & tables
    kept_equals_counted()
    ComplaintService(admin).register(
        channel="12345热线",
        category="咨询",
        content="社保卡",
        unit="U01",
        received=dt.datetime(2026, 2, 2, 9, 0),
    )
    kept_equals_counted()


def test_the_ranking_rule_reads_the_kept_counts(office):
    """排名连续落后 asks for the scores of months that are over: they come from the kept counts,
    and equal the scores counted from the records (scores only)."""
    from supervise.report.figures import weights
    from supervise.rules.ranking import ScoresMonth, bottom_units

    kept = ScoresMonth("2026-03", AS_OF)
    assert kept.source.source == "summary" and kept.scores(weights())
    summary.enabled = False
    try:
        counted = ScoresMonth("2026-03", AS_OF)
        assert counted.source.source == "records"
        assert counted.scores(weights()) == kept.scores(weights())
        from_records = bottom_units("2026-03", 5, AS_OF)
    finally:
        summary.enabled = True
    assert bottom_units("2026-03", 5, AS_OF) == from_records


def test_a_report_folds_the_deltas_it_read(office, monkeypatch):
    """PostgreSQL: writers append deltas; a report folds the deltas of the months it read into
    ``report_count`` (here from the first delta on) and the figures do not move."""
    from supervise.db import is_sqlite

    if is_sqlite():
        assert summary.fold(["2026-03"]) == 0  # SQLite adds to report_count directly
        return
    monkeypatch.setattr(summary, "FOLD_AT", 1)

    def deltas(month: str) -> int:
        sql = "SELECT COUNT(*) FROM report_delta WHERE month = %s"
        return database.execute_sql(sql, (month,)).fetchone()[0]

    assert deltas("2026-03") > 0
    before = direct()
    assert monthly_figures("2026-03", AS_OF) == before
    assert deltas("2026-03") == 0 and deltas("2026-02") == 0
    assert monthly_figures("2026-03", AS_OF) == before == direct()
    kept_equals_counted()


def test_an_escalate_run_folds_every_piled_up_month(office, admin, monkeypatch):
    """PostgreSQL: after an ``escalate`` run no month keeps FOLD_AT deltas or more (the month
    still running included), and the figures do not move."""
    from supervise.db import is_sqlite
    from supervise.rules import EscalationEngine

    if is_sqlite():
        return
    monkeypatch.setattr(summary, "FOLD_AT", 1)
    before = direct()
    assert database.execute_sql("SELECT COUNT(*) FROM report_delta").fetchone()[0] > 0
    EscalationEngine(admin).run(AS_OF)
    assert database.execute_sql("SELECT COUNT(*) FROM report_delta").fetchone()[0] == 0
    assert monthly_figures("2026-03", AS_OF) == direct() == before
    kept_equals_counted()
