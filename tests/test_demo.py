"""Demo data (supervise.demo): plausible, reproducible, complete and audited."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re

import peewee as pw
import pytest

from supervise import audit, demo, migrations, search
from supervise.auth import SYSTEM, Actor, login
from supervise.cli.main import main
from supervise.db import close_database, open_database
from supervise.errors import InvalidInput, NotPermitted
from supervise.models import (
    COMPLAINT_STATUSES,
    ROLES,
    AuditEntry,
    Complaint,
    Counter,
    Finding,
    Matter,
    Rating,
    Review,
    Staff,
    SurveyResult,
    TimelineEvent,
    Unit,
    User,
)
from supervise.workdays import WorkCalendar

MONTHS = 2
AS_OF = dt.datetime(2026, 11, 20, 18, 0)


@pytest.fixture
def office(db: str) -> dict:
    return demo.generate(SYSTEM, months=MONTHS)


def test_counts_users_audit_and_second_run(office):
    counts = office["counts"]
    assert 28 <= counts["units"] <= 40
    assert 250 <= counts["staff"] <= 350
    assert 180 <= counts["matters"] <= 220
    # October in full, November up to the 20th
    assert 250 <= counts["complaints"] <= 500
    assert 2000 <= counts["ratings"] <= 5500
    assert 10 <= counts["reviews"] <= 40
    assert counts["reviews"] <= counts["findings"] <= 3 * counts["reviews"]
    assert counts["surveys"] == 14  # the last finished quarter, every top-level unit
    assert counts["events"] > 4 * counts["complaints"]
    for key, model in [
        ("units", Unit),
        ("staff", Staff),
        ("matters", Matter),
        ("complaints", Complaint),
        ("ratings", Rating),
        ("reviews", Review),
        ("findings", Finding),
        ("surveys", SurveyResult),
        ("events", TimelineEvent),
        ("users", User),
    ]:
        assert model.select().count() == counts[key], key
    assert Unit.select().where(Unit.parent.is_null()).count() == 14
    assert Unit.get(Unit.code == "U0101").parent.code == "U01"
    flagged = Matter.select().where(Matter.promised_days * 4 > Matter.legal_days).count()
    assert 0 < flagged < counts["matters"] * 0.2

    users = office["users"]
    assert {u["role"] for u in users} == set(ROLES)
    assert all(len(u["password"]) >= 8 for u in users)
    liaison = next(u for u in users if u["role"] == "liaison")
    assert liaison["unit"] and liaison["name"] == f"lly_{liaison['unit']}"
    supervisor = next(u for u in users if u["role"] == "supervisor")
    assert login(supervisor["name"], supervisor["password"]).role == "supervisor"
    # one audit entry for the run, the chain intact; a second run is refused
    assert audit.verify().ok
    last = AuditEntry.select().order_by(AuditEntry.id.desc()).first()
    assert last.action == "demo.generate" and json.loads(last.after) == office["counts"]
    with pytest.raises(InvalidInput):
        demo.generate(SYSTEM, months=1)
    assert Complaint.select().count() == office["counts"]["complaints"]
    assert audit.verify().ok


def test_complaints_have_believable_lifecycles_and_timelines(office):
    complaints = list(Complaint.select().order_by(Complaint.number))
    calendar = WorkCalendar.from_database()
    per_month: dict[str, list[int]] = {}
    for c in complaints:
        assert re.fullmatch(r"TS2026(10|11)\d{5}", c.number)
        per_month.setdefault(c.number[2:8], []).append(int(c.number[8:]))
        assert c.number[2:8] == f"{c.received_at:%Y%m}"
        assert calendar.is_workday(c.received_at.date()) and c.received_at <= AS_OF
        assert len(c.receipt_code) >= 10
        if c.limit_days is not None and not c.reopen_count and not c.extension_count:
            assert c.due_at == calendar.due_at(c.received_at, c.limit_days)
    for month, seq in per_month.items():
        assert seq == list(range(1, len(seq) + 1))
        assert Counter.get(Counter.name == f"complaint:{month}").value == len(seq)
    assert len({c.receipt_code for c in complaints}) == len(complaints)
    statuses = {c.status for c in complaints}
    assert statuses >= {"已交办", "已办结", "不予受理", "已并单"}
    late = [c for c in complaints if c.replied_at and c.due_at and c.replied_at > c.due_at]
    overdue = [c for c in complaints if c.status == "已交办" and c.due_at < AS_OF]
    assert late and overdue
    assert 0.05 < len(late) / len(complaints) < 0.25
    assert any(c.reopen_count for c in complaints)
    for c in complaints:
        if c.status == "已并单":
            target = Complaint.get_by_id(c.merged_into_id)
            assert target.received_at <= c.received_at and c.end_reason
        if c.status == "不予受理":
            assert c.end_reason and c.closed_at
    channels = [c.channel for c in complaints]
    assert max(set(channels), key=channels.count) == "12345热线"
    anonymous = sum(c.anonymous for c in complaints) / len(complaints)
    assert 0.05 < anonymous < 0.3
    assert all(
        c.identity_sealed is None and c.masked_name is None for c in complaints if c.anonymous
    )
    assert any(c.identity_sealed for c in complaints if not c.anonymous)

    # every step is a timeline event
    registered = TimelineEvent.select(TimelineEvent.record_id).where(
        (TimelineEvent.record_kind == "complaint") & (TimelineEvent.action == "登记")
    )
    assert Complaint.select().where(Complaint.id.not_in(registered)).count() == 0
    events = (
        TimelineEvent.select()
        .where(TimelineEvent.record_kind == "complaint")
        .order_by(TimelineEvent.record_id, TimelineEvent.at, TimelineEvent.id)
    )
    last_status, reopens = {}, dict.fromkeys((c.id for c in complaints), 0)
    for e in events:
        last_status[e.record_id] = e.status
        reopens[e.record_id] += e.action == "重办"
    for c in complaints:
        assert last_status[c.id] == c.status, c.number
        assert reopens[c.id] == c.reopen_count, c.number
    statuses = {
        s
        for (s,) in TimelineEvent.select(TimelineEvent.status)
        .where(TimelineEvent.record_kind == "complaint")
        .tuples()
    }
    assert statuses <= set(COMPLAINT_STATUSES)
    assert TimelineEvent.select(pw.fn.MAX(TimelineEvent.at)).scalar() <= AS_OF
    # and the keyword index knows them
    assert Complaint.select().where(search.search_condition("推诿扯皮")).exists()


def test_ratings_reviews_and_surveys(office):
    total = Rating.select().count()
    bad = Rating.select().where(Rating.bad)
    assert 0.02 < bad.count() / total < 0.07
    assert all(r.level <= 2 for r in bad)
    assert {r.status for r in bad} >= {"待核实", "待整改", "待回访", "已办结"}
    assert bad.where((Rating.finding == "不属实") & (Rating.status == "已办结")).exists()
    assert bad.where(Rating.status == "待整改", Rating.rectify_due_at.is_null(False)).exists()
    assert Rating.select().where(~Rating.bad, Rating.status != "无需处理").count() == 0
    real = Rating.select().where(Rating.real_name).count() / total
    assert 0.3 < real < 0.5
    imported = Rating.select().where(Rating.batch.is_null(False))
    assert imported.exists() and all(r.external_id for r in imported.limit(50))

    reviews = {r.status for r in Review.select()}
    assert reviews >= {"已采纳", "未采纳"}
    assert all(r.reject_reason for r in Review.select().where(Review.status == "未采纳"))
    reviewers = {r.reviewer.role for r in Review.select()}
    assert "supervisor" in reviewers
    linked = Finding.select().where(Finding.complaint.is_null(False))
    assert linked.exists()
    assert all(f.complaint.channel == "社会监督员" and f.review.status == "已采纳" for f in linked)
    scores = [
        s for r in Review.select() for s in (r.score_attitude, r.score_quality) if s is not None
    ]
    assert min(scores) >= 60 and max(scores) <= 100
    assert all(0 < s.satisfaction < 1 for s in SurveyResult.select())


def test_only_an_admin_generates(db):
    with pytest.raises(NotPermitted):
        demo.generate(Actor(name="someone", role="staff"), months=1)
    assert not Unit.select().exists()


def _digest() -> str:
    rows = (
        Complaint.select(
            Complaint.number, Complaint.status, Unit.code, Complaint.due_at, Complaint.content
        )
        .join(Unit, pw.JOIN.LEFT_OUTER)
        .order_by(Complaint.number)
        .tuples()
    )
    ratings = (
        Rating.select(Rating.level, Rating.rated_at, Rating.status).order_by(Rating.id).tuples()
    )
    text = json.dumps([list(rows), list(ratings)], default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def test_same_seed_same_office(tmp_path):
    digests, codes = [], []
    for name, seed in [("a", 7), ("b", 7), ("c", 8)]:
        open_database(f"sqlite:///{tmp_path}/{name}.db")
        try:
            migrations.upgrade()
            demo.generate(SYSTEM, seed=seed, months=MONTHS)
            digests.append(_digest())
            codes.append(
                Complaint.select(Complaint.receipt_code)
                .order_by(Complaint.number)
                .first()
                .receipt_code
            )
        finally:
            close_database()
    assert digests[0] == digests[1]
    assert digests[2] != digests[0]
    assert codes[0] != codes[1]  # receipt codes stay unguessable


def test_cli_demo_prints_json(db_url, capsys):
    code = main(["--db", db_url, "demo", "--months", "1", "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    summary = json.loads(out)
    assert {"admin", "jiwei01", "leader"} <= {u["name"] for u in summary["users"]}
    assert summary["counts"]["complaints"] > 0 and summary["seed"] == 2026
