"""The escalation engine and the built-in escalation rules (issue #5), on
SQLite and PostgreSQL.

The fixtures' due times are known, and the runs step through instants
around the 2026 National Day holiday (1–7 October off, Saturday 10 October
a 调休 working day) and across 2026→2027 (2027 is beyond the official
calendar: Monday–Friday unless an office adds the New Year holiday).  At
each instant the set of open escalations must be exactly the expected one.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json

import peewee as pw
import pytest
from supervise_plugins import escalation_rules

from supervise.errors import InvalidInput
from supervise.extension import RuleSpec
from supervise.models import AuditEntry, Complaint, Escalation, Rating, Setting
from supervise.rules import EscalationEngine, EscalationHit, RuleContext, dashboard_counts, engine
from supervise.services.reference import ReferenceService
from supervise.workdays import WorkCalendar

from .conftest import make_user

CLOCK = dt.datetime(2027, 12, 31, 12, 0)
ESCALATION = escalation_rules.supervise_register_escalation_rules()
_numbers = itertools.count(1)


def T(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def end_of(day: str) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(23, 59, 59))


def make_office(admin, monkeypatch):
    """Two units, two matters, a staff member and the staff user ``jw`` (returned).

    The fixtures' instants lie up to the end of 2027: the engine's clock moves there."""
    monkeypatch.setattr(engine, "now", lambda: CLOCK)
    ref = ReferenceService(admin)
    ref.add_unit("U01", "市人社局")
    ref.add_unit("U02", "市医保局")
    ref.add_matter("M01", "社保卡补办", "U01", 10, 2)
    ref.add_matter("M02", "医保报销", "U02", 10, 2)
    ref.add_staff("S01", "王五", "U01")
    return make_user("jw", "staff")


@pytest.fixture
def office(admin, monkeypatch):
    return make_office(admin, monkeypatch)


def unit_id(code: str) -> int:
    from supervise.models import Unit

    return Unit.get(Unit.code == code).id


def complaint(
    due: dt.datetime | None,
    *,
    unit: str = "U01",
    status: str = "已交办",
    received: dt.datetime | None = None,
    replied: dt.datetime | None = None,
    reopen: int = 0,
    matter: int | None = None,
    closed: dt.datetime | None = None,
) -> Complaint:
    """A complaint row with a known due time (written directly: the fixture's dates lie in the future)."""
    n = next(_numbers)
    status = "已反馈" if replied and status == "已交办" else status
    received = received or (due - dt.timedelta(days=7) if due else CLOCK)
    return Complaint.create(
        number=f"TS{n:011d}",
        receipt_code=f"RC{n:010d}",
        channel="12345热线",
        category="投诉",
        content="测试诉求",
        unit=unit_id(unit) if unit else None,
        matter=matter,
        received_at=received,
        status=status,
        assigned_at=received if due else None,
        due_at=due,
        replied_at=replied,
        reopen_count=reopen,
        closed_at=closed,
    )


def bad_rating(
    rectify_due: dt.datetime, *, unit: str = "U01", rectified: dt.datetime | None = None
) -> Rating:
    verified = rectify_due - dt.timedelta(days=7)
    return Rating.create(
        unit=unit_id(unit),
        level=1,
        bad=True,
        rated_at=verified - dt.timedelta(days=1),
        status="待整改" if rectified is None else "已办结",
        finding="属实",
        verified_at=verified,
        rectify_kind="限期整改",
        rectify_due_at=rectify_due,
        rectified_at=rectified,
        closed_at=rectified,
    )


def escalate(actor, at: dt.datetime, rules=None, calendar=None):
    return EscalationEngine(
        actor, rules=ESCALATION if rules is None else rules, calendar=calendar
    ).run(at, limit=None)


def open_set() -> set[tuple[str, str, int, str]]:
    rows = Escalation.select().where(Escalation.state == "open")
    return {(e.rule, e.target_kind, e.target_id, e.level) for e in rows}


def raised_set(run) -> set[tuple[str, str, int, str]]:
    return {(i["rule"], i["target_kind"], i["target_id"], i["level"]) for i in run.raised}


# -- the National Day walk ---------------------------------------------------------------------


def test_national_day_walk_each_instant_exact(office):
    a = complaint(end_of("2026-09-30")).id  # due the Wednesday before the holiday
    a2 = complaint(
        end_of("2026-10-09"), replied=T("2026-10-09T10:00")
    ).id  # answered on its due day
    r = bad_rating(end_of("2026-09-30")).id
    c, rt, d = "complaint", "rating", "期限督办"
    steps = [  # a's deadline is one record whose level rises: 预警 → 催办 → 督办 → 挂牌督办
        ("2026-09-28T10:00", set()),  # Wednesday is 2 working days away
        ("2026-09-29T10:00", {(d, c, a, "预警")}),
        ("2026-09-30T23:59:59", {(d, c, a, "预警")}),  # due, not yet past
        ("2026-10-01T00:00", {(d, c, a, "催办"), ("差评整改超期", rt, r, "催办")}),
        (
            "2026-10-07T10:00",
            {(d, c, a, "催办"), ("差评整改超期", rt, r, "催办")},
        ),  # holiday: 0 working days
        # Thursday 8 October: the reply of a2 (10:00 on the 9th) lies after this instant, so it is still unanswered
        (
            "2026-10-08T09:00",
            {(d, c, a, "催办"), ("差评整改超期", rt, r, "催办"), (d, c, a2, "预警")},
        ),
        (
            "2026-10-09T23:59:59",
            {(d, c, a, "催办"), ("差评整改超期", rt, r, "催办")},
        ),  # 2 working days; a2 answered
        # the 调休 Saturday is the 3rd working day after 30 September
        ("2026-10-10T00:00", {(d, c, a, "督办"), ("差评整改超期", rt, r, "督办")}),
        ("2026-10-12T23:59:59", {(d, c, a, "督办"), ("差评整改超期", rt, r, "督办")}),
        ("2026-10-13T00:00", {(d, c, a, "挂牌督办"), ("差评整改超期", rt, r, "督办")}),
    ]
    ids: dict[tuple[str, str, int], int] = {}
    for instant, expected in steps:
        run = escalate(office, T(instant))
        assert open_set() == expected, instant
        for name, info in run.by_rule.items():  # whichever path the engine took, the counts hold
            open_now = (
                Escalation.select()
                .where((Escalation.rule == name) & (Escalation.state == "open"))
                .count()
            )
            assert info["open"] == open_now, (instant, name)
        assert run.open == len(expected)
        for e in (
            Escalation.select()
        ):  # a record is never duplicated: one id per rule and target for good
            assert ids.setdefault((e.rule, e.target_kind, e.target_id), e.id) == e.id
    assert Escalation.select().count() == 3
    # raised as 预警 on the 29th, 挂牌督办 since the 13th; the reason names the threshold that raised it
    listed = Escalation.get((Escalation.rule == d) & (Escalation.target_id == a))
    assert (listed.raised_at, listed.updated_at) == (T("2026-09-29T10:00"), T("2026-10-13T00:00"))
    assert listed.reason == "挂牌督办：超期 5 个工作日以上仍未反馈（办理期限 2026-09-30）"
    assert listed.version == 4  # raised at 预警, then three times: 催办, 督办, 挂牌督办
    warned = Escalation.get((Escalation.rule == d) & (Escalation.target_id == a2))
    assert (warned.state, warned.level, warned.resolved_at) == (
        "resolved",
        "预警",
        T("2026-10-09T23:59:59"),
    )
    # the run audits say which thresholds raised how many, run by run
    audits = [
        json.loads(x.after)["rules"][d]
        for x in AuditEntry.select().where(AuditEntry.action == "escalate").order_by(AuditEntry.id)
    ]
    assert [x["levels"] for x in audits if x["raised"]] == [
        {"预警": 1},
        {"催办": 1},
        {"预警": 1},
        {"督办": 1},
        {"挂牌督办": 1},
    ]

    # the reply and the rectification arrive: every cause is gone
    Complaint.update(status="已反馈", replied_at=T("2026-10-21T10:00")).where(
        Complaint.id == a
    ).execute()
    Rating.update(status="已办结", rectified_at=T("2026-10-21T10:00")).where(
        Rating.id == r
    ).execute()
    run = escalate(office, T("2026-10-21T12:00"))
    assert open_set() == set() and run.resolved == 2 and run.raised == []
    # ... but an earlier instant, re-run now, still sees them unanswered and rewrites nothing newer
    before = {e.id: (e.version, e.state) for e in Escalation.select()}
    run = escalate(office, T("2026-10-13T00:00"))
    assert run.raised == [] and run.resolved == 0
    assert {e.id: (e.version, e.state) for e in Escalation.select()} == before


def test_rerun_same_instant_changes_nothing_and_later_raises_level(office):
    a = complaint(end_of("2026-09-30")).id
    first = escalate(office, T("2026-10-10T09:00"))
    assert raised_set(first) == {("期限督办", "complaint", a, "督办")}
    assert first.raised_total == 1 and first.open == 1
    versions = {e.id: e.version for e in Escalation.select()}
    again = escalate(office, T("2026-10-10T09:00"))
    assert (
        again.raised == [] and again.raised_total == 0 and again.resolved == 0 and again.open == 1
    )
    assert {e.id: e.version for e in Escalation.select()} == versions
    later = escalate(office, T("2026-10-13T09:00"))
    assert raised_set(later) == {("期限督办", "complaint", a, "挂牌督办")}
    assert later.by_rule["期限督办"]["raised"] == {"挂牌督办": 1}
    assert Escalation.select().count() == 1
    # one audit entry per run, with its counts
    runs = list(AuditEntry.select().where(AuditEntry.action == "escalate").order_by(AuditEntry.id))
    assert len(runs) == 3
    assert json.loads(runs[-1].after)["rules"]["期限督办"] == {
        "raised": 1,
        "levels": {"挂牌督办": 1},
        "resolved": 0,
    }


def test_level_never_drops_while_open_and_a_returning_cause_reopens(office):
    a = complaint(end_of("2026-09-30"))
    escalate(office, T("2026-10-13T09:00"))
    assert ("期限督办", "complaint", a.id, "挂牌督办") in open_set()
    # a 延期 moves the deadline: now only 3 working days late, but the open record keeps its level
    Complaint.update(due_at=end_of("2026-10-08")).where(Complaint.id == a.id).execute()
    assert escalate(office, T("2026-10-14T09:00")).raised == []
    assert ("期限督办", "complaint", a.id, "挂牌督办") in open_set()
    # answered → resolved; reopened (重办) and late again → the same record opens again, from its new level
    Complaint.update(status="已反馈", replied_at=T("2026-10-14T10:00")).where(
        Complaint.id == a.id
    ).execute()
    escalate(office, T("2026-10-14T12:00"))
    assert open_set() == set()
    Complaint.update(
        status="已交办", replied_at=None, reopen_count=1, due_at=end_of("2026-10-16")
    ).where(Complaint.id == a.id).execute()
    run = escalate(office, T("2026-10-21T09:00"))  # 19, 20, 21: 3 working days late
    assert raised_set(run) == {("期限督办", "complaint", a.id, "督办")}
    again = Escalation.get((Escalation.rule == "期限督办") & (Escalation.target_id == a.id))
    assert (again.state, again.level, again.raised_at, again.resolved_at) == (
        "open",
        "督办",
        T("2026-10-21T09:00"),
        None,
    )
    assert Escalation.select().count() == 1  # the same record, reused


# -- 2026 → 2027 -------------------------------------------------------------------------------


def test_new_year_fallback_and_office_override(office, admin):
    late = complaint(end_of("2026-12-31")).id  # Thursday
    soon = complaint(end_of("2027-01-04")).id  # Monday
    rules, d = [r for r in ESCALATION if r.name == "期限督办"], "期限督办"
    # 2027 is beyond the official data: Friday 1 January counts as a working day
    escalate(office, T("2026-12-31T10:00"), rules)
    # the next working day is 1 January: 4 January is not within 1 working day
    assert open_set() == {(d, "complaint", late, "预警")}
    escalate(office, T("2027-01-04T23:59:59"), rules)
    assert open_set() == {
        (d, "complaint", late, "催办"),
        (d, "complaint", soon, "预警"),
    }  # late: 1 and 4 January
    escalate(office, T("2027-01-05T00:00"), rules)
    assert open_set() == {(d, "complaint", late, "督办"), (d, "complaint", soon, "催办")}
    escalate(office, T("2027-01-07T00:00"), rules)  # 1, 4, 5, 6, 7 January
    assert open_set() == {(d, "complaint", late, "挂牌督办"), (d, "complaint", soon, "督办")}


def test_new_year_with_the_holiday_entered(office, admin):
    ReferenceService(admin).set_calendar(dt.date(2027, 1, 1), "holiday", "元旦")
    late = complaint(end_of("2026-12-31")).id
    soon = complaint(end_of("2027-01-04")).id
    rules, d = [r for r in ESCALATION if r.name == "期限督办"], "期限督办"
    escalate(office, T("2026-12-31T10:00"), rules)
    assert open_set() == {(d, "complaint", late, "预警"), (d, "complaint", soon, "预警")}
    escalate(office, T("2027-01-05T00:00"), rules)  # 4 and 5 January: 2 working days
    assert open_set() == {(d, "complaint", late, "催办"), (d, "complaint", soon, "催办")}
    escalate(office, T("2027-01-06T00:00"), rules)
    assert open_set() == {(d, "complaint", late, "督办"), (d, "complaint", soon, "催办")}
    assert Escalation.select().count() == 2


def test_cutoff_boundaries():
    cal = WorkCalendar()
    ctx = RuleContext("x", T("2026-10-10T09:00"), cal, {})  # the 调休 Saturday
    assert ctx.past_due_cutoff(0) == T("2026-10-10T09:00")
    assert ctx.past_due_cutoff(1) == T("2026-10-10T00:00")
    assert ctx.past_due_cutoff(3) == T(
        "2026-10-08T00:00"
    )  # due before 8 October: 8, 9, 10 have begun
    assert ctx.past_due_cutoff(4) == T("2026-09-30T00:00")  # the holiday is skipped
    holiday = RuleContext("x", T("2026-10-05T12:00"), cal, {})
    assert holiday.past_due_cutoff(1) == T(
        "2026-09-30T00:00"
    )  # last working day before the holiday
    assert holiday.due_within(1) == end_of("2026-10-08")
    assert RuleContext(
        "x", T("2026-12-31T10:00"), WorkCalendar({dt.date(2027, 1, 1): "holiday"}), {}
    ).due_within(1) == end_of("2027-01-04")
    with pytest.raises(InvalidInput):
        ctx.past_due_cutoff(-1)


# -- the other built-in rules ---------------------------------------------------------------------


def test_reopened_twice_is_supervised_until_closed(office):
    twice = complaint(end_of("2026-12-31"), reopen=2, received=T("2026-10-01T09:00")).id
    once = complaint(end_of("2026-12-31"), reopen=1, received=T("2026-10-01T09:00")).id
    rules = [r for r in ESCALATION if r.name == "重办督办"]
    run = escalate(office, T("2026-10-20T09:00"), rules)
    assert raised_set(run) == {("重办督办", "complaint", twice, "督办")}
    assert once not in {i["target_id"] for i in run.raised}
    assert run.raised[0]["reason"] == "已重办 2 次仍未办结"
    Complaint.update(status="已办结", closed_at=T("2026-10-22T10:00")).where(
        Complaint.id == twice
    ).execute()
    assert open_set() == {("重办督办", "complaint", twice, "督办")}
    escalate(
        office, T("2026-10-21T09:00"), rules
    )  # closed only after this instant: still open then
    assert open_set() == {("重办督办", "complaint", twice, "督办")}
    run = escalate(office, T("2026-10-22T12:00"), rules)
    assert open_set() == set() and run.resolved == 1


def test_hotspot_needs_five_within_thirty_days(office):
    from supervise.models import Matter

    m1, m2 = Matter.get(Matter.code == "M01").id, Matter.get(Matter.code == "M02").id
    for day in ("2026-09-01", "2026-09-05", "2026-09-10", "2026-09-16", "2026-09-20"):
        complaint(None, status="登记", received=T(f"{day}T09:00"), matter=m1)
    complaint(None, status="不予受理", received=T("2026-09-19T09:00"), matter=m2)
    for day in ("2026-09-11", "2026-09-12", "2026-09-13", "2026-09-14"):
        complaint(
            None, status="登记", received=T(f"{day}T09:00"), matter=m2
        )  # 4 counted: not enough
    rules = [r for r in ESCALATION if r.name == "热点预警"]
    assert (
        escalate(office, T("2026-09-20T08:00"), rules).raised == []
    )  # the 5th is not yet received
    run = escalate(office, T("2026-09-20T12:00"), rules)
    assert raised_set(run) == {("热点预警", "matter", m1, "预警")}
    assert run.raised[0]["target"] == "M01 社保卡补办" and run.raised[0]["unit"] == "市人社局"
    assert Escalation.get().reason == "近 30 日同一事项诉求 5 件"
    escalate(office, T("2026-09-30T12:00"), rules)  # window 31 Aug – 30 Sep: still 5
    assert open_set() == {("热点预警", "matter", m1, "预警")}
    run = escalate(office, T("2026-10-02T12:00"), rules)  # 1 September left the window
    assert open_set() == set() and run.resolved == 1


def test_settings_change_thresholds_and_bad_settings_fail_alone(office, admin):
    a = complaint(end_of("2026-09-30")).id
    soon = complaint(end_of("2026-09-30")).id
    ReferenceService(admin).set_setting(
        "rules.临期预警.days", 2
    )  # the ladder's thresholds keep their rule names
    assert raised_set(escalate(office, T("2026-09-28T10:00"))) == {
        ("期限督办", "complaint", a, "预警"),
        ("期限督办", "complaint", soon, "预警"),
    }
    Complaint.update(status="已反馈", replied_at=T("2026-09-30T10:00")).where(
        Complaint.id == soon
    ).execute()
    ReferenceService(admin).set_setting("rules.超期督办.days", 2)
    run = escalate(office, T("2026-10-09T09:00"))  # 8 and 9 October
    assert raised_set(run) == {("期限督办", "complaint", a, "督办")} and run.resolved == 1
    Setting.update(value=json.dumps("三")).where(Setting.key == "rules.超期督办.days").execute()
    run = escalate(office, T("2026-10-09T10:00"))
    assert [f.rule for f in run.failures] == ["期限督办"]
    assert "rules.超期督办.days" in run.failures[0].error
    assert run.by_rule.keys() == {r.name for r in ESCALATION} - {"期限督办"}
    assert ("期限督办", "complaint", a, "督办") in open_set()  # left as it was


# -- engine contract ---------------------------------------------------------------------------------


def _spec(name: str, run) -> RuleSpec:
    return RuleSpec(name, name, "escalation", run, {})


def test_failing_rules_are_isolated_and_python_answers_accepted(office):
    a = complaint(end_of("2026-09-30")).id

    def boom(ctx, **_):
        raise RuntimeError("rule bug")

    def bad_level(ctx, **_):
        return [EscalationHit("complaint", a, "严重警告", "x")]

    def twice(ctx, **_):
        return [
            EscalationHit("complaint", a, "预警", "x"),
            EscalationHit("complaint", a, "预警", "y"),
        ]

    def wrong_type(ctx, **_):
        return "everything"

    def python(ctx, **_):
        return [EscalationHit("unit", unit_id("U02"), "约谈提醒", f"as of {ctx.as_of:%Y-%m-%d}")]

    rules = [
        _spec("boom", boom),
        _spec("bad_level", bad_level),
        _spec("twice", twice),
        _spec("wrong_type", wrong_type),
        _spec("python", python),
        *ESCALATION[:1],
    ]
    run = escalate(office, T("2026-10-05T09:00"), rules)
    assert [f.rule for f in run.failures] == ["boom", "bad_level", "twice", "wrong_type"]
    assert "rule bug" in run.failures[0].error and "严重警告" in run.failures[1].error
    assert open_set() == {
        ("python", "unit", unit_id("U02"), "约谈提醒"),
        ("期限督办", "complaint", a, "催办"),
    }
    assert raised_set(run) == open_set()
    item = next(i for i in run.raised if i["rule"] == "python")
    assert item["target"] == "U02 市医保局" and item["unit"] == "市医保局"


def test_as_of_in_the_future_is_refused(office, monkeypatch):
    monkeypatch.setattr(engine, "now", lambda: T("2026-10-05T09:00"))
    with pytest.raises(InvalidInput):
        escalate(office, T("2026-10-05T09:10"))
    escalate(office, T("2026-10-05T09:04"))  # within the clock-skew tolerance


def test_only_the_office_escalates(office):
    from supervise.errors import NotPermitted

    viewer = make_user("ld", "viewer")
    with pytest.raises(NotPermitted):
        escalate(viewer, T("2026-10-05T09:00"))


def test_raised_list_is_capped_but_counted(office):
    for _ in range(5):
        complaint(end_of("2026-09-30"))
    run = EscalationEngine(office, rules=ESCALATION).run(T("2026-10-05T09:00"), limit=2)
    assert run.raised_total == 5 and len(run.raised) == 2 and run.open == 5


def test_example_plugin_rule_runs_through_the_engine(office):
    """A third-party rule, registered like any plugin, escalates through the engine."""
    import supervise_example

    from supervise.plugins import get_plugin_manager
    from supervise.registry import Registry

    pm = get_plugin_manager(load_entry_points=False)
    pm.register(escalation_rules, name="escalation_rules")
    pm.register(supervise_example, name="example")
    rules = Registry(pm).escalation_rules()
    assert [r.name for r in rules][-1] == "example_rule"
    for _ in range(3):
        complaint(end_of("2026-09-30"))
    complaint(end_of("2026-09-30"), unit="U02")
    run = EscalationEngine(office, rules=rules).run(T("2026-10-05T09:00"))
    assert raised_set(run) >= {("example_rule", "unit", unit_id("U01"), "约谈提醒")}
    assert not any(
        i["rule"] == "example_rule" and i["target_id"] == unit_id("U02") for i in run.raised
    )
    assert Escalation.get(Escalation.rule == "example_rule").reason == "本单位超期未反馈工单 3 件"


def test_dashboard_counts_from_the_same_rules(office):
    a = complaint(end_of("2026-09-30")).id
    complaint(end_of("2026-10-09"))
    escalate(office, T("2026-10-10T09:00"))
    counts = dashboard_counts(T("2026-10-13T09:00"), rules=ESCALATION)
    # one record per late complaint, counted at its level: a 3 working days late, the second one past due
    assert counts["escalations"] == {"预警": 0, "催办": 1, "督办": 1, "挂牌督办": 0, "约谈提醒": 0}
    assert counts["escalations_open"] == 2
    # live: what a run now would flag — a is 挂牌督办 by now, the second complaint 3 working days late
    assert counts["live"]["期限督办"] == {"挂牌督办": 1, "督办": 1}
    assert counts["awaiting_decision"] == 0 and counts["failures"] == []
    assert Escalation.select().count() == 2  # nothing written
    assert ("期限督办", "complaint", a, "督办") in open_set()
    earlier = dashboard_counts(T("2026-10-09T09:00"), rules=ESCALATION)
    assert earlier["escalations_open"] == 0  # raised only on the 10th


def test_migration_4_adds_the_rule_indexes(db):
    from supervise import migrations
    from supervise.db import database
    from supervise.models import SchemaMigration

    def present() -> set[tuple[str, ...]]:
        return {
            tuple(ix.columns)
            for table, _ in migrations.RULE_INDEXES
            for ix in database.get_indexes(table)
        }

    assert {
        columns for _, columns in migrations.RULE_INDEXES
    } <= present()  # a new database has them
    for table, columns in migrations.RULE_INDEXES:
        (index,) = [ix for ix in database.get_indexes(table) if tuple(ix.columns) == columns]
        database.execute_sql(f'DROP INDEX "{index.name}"')
    SchemaMigration.delete().where(SchemaMigration.version >= 4).execute()
    assert not {columns for _, columns in migrations.RULE_INDEXES} & present()
    applied = migrations.upgrade()
    assert any(name.startswith("v4 ") for name in applied)
    assert {columns for _, columns in migrations.RULE_INDEXES} <= present()


def test_bulk_inserts_add_their_report_counts_and_keep_the_trigger(office, monkeypatch):
    """Past its first batch, the engine's INSERT … SELECT adds the report's counts of its rows
    once for the statement (SQLite: the row trigger is dropped for the statement, then
    restored); other writers still add through the trigger; a failed insert leaves the
    counts and the trigger as they were."""
    from supervise.db import database, is_sqlite
    from supervise.rules import escalation

    monkeypatch.setattr(escalation, "FIRST_BATCH", 1)

    def marks() -> int:
        """The escalations of 2026-10 in the report's kept counts."""
        tables = ["report_count"] + ([] if is_sqlite() else ["report_delta"])
        union = " UNION ALL ".join(
            f"SELECT n FROM {t} WHERE month = '2026-10' AND substr(key, 1, 12) = 'escalations:'"
            for t in tables
        )
        return int(
            database.execute_sql(f"SELECT COALESCE(SUM(n), 0) FROM ({union}) s").fetchone()[0]
        )

    def trigger_present() -> bool:
        if is_sqlite():
            sql = "SELECT COUNT(*) FROM sqlite_master WHERE type = 'trigger' AND name = 'report_escalation_insert'"
        else:
            sql = "SELECT COUNT(*) FROM pg_trigger WHERE tgname = 'report_escalation_insert'"
        return database.execute_sql(sql).fetchone()[0] == 1

    late = [complaint(end_of("2026-09-30")).id for _ in range(5)]
    before = marks()
    run = escalate(office, T("2026-10-05T09:00"), ESCALATION[:1])
    assert run.raised_total == 5 and trigger_present()
    assert Escalation.select().where(Escalation.state == "open").count() == 5
    # SQLite: the first row as any writer, the other four in one pass; PostgreSQL: one statement
    assert marks() == before + 5
    after_run = marks()
    escalate(office, T("2026-10-05T09:00"), ESCALATION[:1])  # nothing inserted: nothing added
    assert marks() == after_run
    Escalation.create(
        rule="手工",
        target_kind="complaint",
        target_id=late[0],
        level="催办",
        reason="x",
        raised_at=T("2026-10-06T09:00"),
        updated_at=T("2026-10-06T09:00"),
    )
    assert marks() == after_run + 1  # another writer: the trigger adds it

    def twice(ctx, **_):
        return [
            EscalationHit("complaint", late[1], "预警", "x"),
            EscalationHit("complaint", late[1], "预警", "y"),
        ]

    def dup_query(
        ctx, **_
    ):  # a SELECT naming a target twice, across the first batch: fails in the insert
        c = Complaint
        return c.select(
            pw.Value("complaint"), pw.Value(late[1]), pw.Value("预警"), pw.Value("x")
        ).where(c.id.in_(late[:2]))

    run = escalate(
        office, T("2026-10-06T10:00"), [_spec("twice", twice), _spec("dup_query", dup_query)]
    )
    assert [f.rule for f in run.failures] == ["twice", "dup_query"]
    assert trigger_present() and marks() == after_run + 1
    assert not Escalation.select().where(Escalation.rule.in_(("twice", "dup_query"))).exists()
