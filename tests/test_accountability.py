"""Accountability (问责): the built-in proposal rules at known instants, the
proposal engine's never-twice rule, and staff decisions — on SQLite and
PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from supervise_plugins import accountability_rules

from supervise.errors import Conflict, InvalidInput, NotFound, NotPermitted
from supervise.models import AccountabilityCase, AuditEntry, Complaint, Escalation, Rating, Unit
from supervise.rules import CaseProposal, ProposalEngine, bottom_units
from supervise.services.accountability import AccountabilityService, add_months, sanction_end
from supervise.services.reference import ReferenceService
from supervise.services.reviews import ReviewService

from .conftest import make_user
from .test_rules import T, bad_rating, complaint, end_of, escalate, make_office, unit_id

ACCOUNTABILITY = accountability_rules.supervise_register_accountability_rules()


@pytest.fixture
def office(admin, monkeypatch):
    return make_office(admin, monkeypatch)


def rules(*names: str):
    return [r for r in ACCOUNTABILITY if r.name in names]


def propose(actor, at: dt.datetime, chosen=None):
    return ProposalEngine(actor, rules=ACCOUNTABILITY if chosen is None else chosen).run(
        at, limit=None
    )


def proposed(run) -> set[tuple[str, str, str]]:
    return {(i["rule"], i["kind"], i["target"]) for i in run.proposed}


def pending_case(unit: str = "U01", staff: int | None = None) -> int:
    """A proposal waiting for a decision (for the decision tests and the role matrix)."""
    n = AccountabilityCase.select().count() + 1
    case = AccountabilityCase.create(
        rule="超期慢作为",
        target_kind="staff" if staff else "unit",
        unit=Unit.get(Unit.code == unit).id,
        staff=staff,
        failure_kind="慢作为",
        evidence=json.dumps([{"kind": "complaint", "id": n}]),
        evidence_key=f"test:{n}",
        reason="测试建议",
        proposed_at=dt.datetime(2026, 10, 14, 9, 0),
    )
    return case.id


# -- the proposal rules at known instants ------------------------------------------------------


def test_slow_handling_after_more_than_five_working_days(office):
    a = complaint(end_of("2026-09-30")).id
    complaint(end_of("2026-10-09"), replied=T("2026-10-09T09:00"))  # answered: never
    chosen = rules("超期慢作为")
    assert (
        propose(office, T("2026-10-13T23:59:59"), chosen).proposed == []
    )  # 5 working days: not more
    run = propose(office, T("2026-10-14T00:00"), chosen)
    assert proposed(run) == {("超期慢作为", "慢作为", "U01 市人社局")}
    (item,) = run.proposed
    assert item["evidence"] == [{"kind": "complaint", "id": a}] and item["status"] == "待决定"
    case = AccountabilityCase.get_by_id(item["id"])
    assert case.evidence_key == f"超期慢作为:complaint:{a}:0" and case.proposed_at == T(
        "2026-10-14T00:00"
    )
    assert "（2026-09-30）5 个工作日以上仍未反馈" in case.reason
    # never again for the same evidence, at the same or any later instant, decided or not
    assert propose(office, T("2026-10-14T00:00"), chosen).proposed == []
    AccountabilityService(office).dismiss(item["id"], "情况特殊")
    assert propose(office, T("2026-10-20T09:00"), chosen).proposed == []
    # reopened (重办) and late again: new evidence, a new proposal
    Complaint.update(reopen_count=1, due_at=end_of("2026-10-21")).where(Complaint.id == a).execute()
    assert proposed(propose(office, T("2026-10-29T00:00"), chosen)) == {
        ("超期慢作为", "慢作为", "U01 市人社局")
    }
    assert AccountabilityCase.select().count() == 2


def test_listed_supervision_ignored_for_five_more_working_days(office):
    a = complaint(end_of("2026-09-30")).id
    chosen = rules("督办不力不作为")
    escalate(
        office, T("2026-09-29T10:00")
    )  # 预警: the record is raised here, its level rises below
    escalate(office, T("2026-10-12T09:00"))  # 督办 only
    assert (
        propose(office, T("2026-10-20T09:00"), chosen).proposed == []
    )  # no 挂牌督办 was ever raised
    escalate(office, T("2026-10-13T00:00"))  # 挂牌督办 from 13 October
    ladder = Escalation.get(Escalation.target_id == a)
    # counted from when 挂牌督办 was reached (updated_at), not from when the record was raised
    assert (ladder.raised_at, ladder.updated_at) == (T("2026-09-29T10:00"), T("2026-10-13T00:00"))
    assert (
        propose(office, T("2026-10-19T23:59:59"), chosen).proposed == []
    )  # 14, 15, 16, 19: 4 working days
    run = propose(office, T("2026-10-20T00:00"), chosen)
    assert proposed(run) == {("督办不力不作为", "不作为", "U01 市人社局")}
    kinds = [ref["kind"] for ref in run.proposed[0]["evidence"]]
    assert kinds == ["complaint", "escalation"] and run.proposed[0]["evidence"][0]["id"] == a
    assert propose(office, T("2026-10-21T00:00"), chosen).proposed == []


def test_rectification_unfinished_ten_working_days_past_due(office):
    r = bad_rating(end_of("2026-09-30")).id
    bad_rating(
        end_of("2026-09-30"), rectified=T("2026-10-09T10:00")
    )  # rectified in time for this rule
    chosen = rules("整改不到位")
    assert propose(office, T("2026-10-19T23:59:59"), chosen).proposed == []  # 9 working days
    run = propose(office, T("2026-10-20T00:00"), chosen)  # 8, 9, 10, 12–16, 19, 20
    assert [(i["rule"], i["kind"], i["evidence"]) for i in run.proposed] == [
        ("整改不到位", "不作为", [{"kind": "rating", "id": r}])
    ]
    # rectified after that instant: a re-run of the same instant proposes nothing new, but still sees it
    Rating.update(status="已办结", rectified_at=T("2026-10-22T10:00")).where(
        Rating.id == r
    ).execute()
    assert propose(office, T("2026-10-20T00:00"), chosen).proposed == []


def test_serious_discipline_against_the_person_or_the_unit(office, admin):
    reviews = ReviewService(admin)
    at = T("2026-10-09T10:00")
    person, _ = reviews.adopt(
        reviews.submit(
            "U01", "暗访", [("窗口人员索要好处费", "纪律", "严重")], staff="S01", at=at
        ).id,
        at=at,
    )
    unit_only, _ = reviews.adopt(
        reviews.submit("U02", "明察", [("违规收费", "纪律", "严重")], at=at).id, at=at
    )
    reviews.adopt(reviews.submit("U01", "明察", [("上班玩手机", "纪律", "较重")], at=at).id, at=at)
    reviews.adopt(reviews.submit("U01", "明察", [("态度生硬", "态度", "严重")], at=at).id, at=at)
    reviews.submit("U01", "暗访", [("违规收费", "纪律", "严重")], at=at)  # not yet adopted
    rejected = reviews.submit("U01", "暗访", [("违规收费", "纪律", "严重")], at=at)
    reviews.reject(rejected.id, "查无实据", at=at)
    chosen = rules("严重纪律问题乱作为")
    assert propose(office, T("2026-10-09T09:00"), chosen).proposed == []  # adopted only at 10:00
    run = propose(office, T("2026-10-09T12:00"), chosen)
    assert proposed(run) == {
        ("严重纪律问题乱作为", "乱作为", "S01 王五（市人社局）"),
        ("严重纪律问题乱作为", "乱作为", "U02 市医保局"),
    }
    by_kind = {i["target_kind"]: i for i in run.proposed}
    assert by_kind["staff"]["staff"] == "王五" and by_kind["staff"]["evidence"][1] == {
        "kind": "review",
        "id": person.id,
    }
    assert by_kind["unit"]["evidence"][1]["id"] == unit_only.id
    assert "发现严重纪律问题：窗口人员索要好处费" in by_kind["staff"]["reason"]
    assert propose(office, T("2026-10-10T12:00"), chosen).proposed == []


def _month_of_complaints(month: str, late_units: set[str]) -> None:
    """Ten units, two complaints each due on the 15th: the late units answer after their due time."""
    due = end_of(f"{month}-15")
    for i in range(1, 11):
        code = f"R{i:02d}"
        late = code in late_units
        for _ in range(2):
            complaint(
                due,
                unit=code,
                replied=due + dt.timedelta(days=2) if late else due - dt.timedelta(days=2),
            )


def test_ranking_lag_two_months_interview_three_months_notice(office, admin):
    ref = ReferenceService(admin)
    for i in range(1, 11):
        ref.add_unit(f"R{i:02d}", f"单位{i:02d}")
    _month_of_complaints("2026-08", {"R10", "R07", "R01", "R02", "R03"})
    _month_of_complaints("2026-09", {"R10", "R09", "R07", "R01", "R02"})
    _month_of_complaints("2026-10", {"R10", "R09", "R08", "R04", "R05"})
    rid = {f"R{i:02d}": unit_id(f"R{i:02d}") for i in range(1, 11)}
    assert set(bottom_units("2026-10", 5, T("2026-11-05T09:00"))) == {
        rid[c] for c in ("R10", "R09", "R08", "R04", "R05")
    }
    assert bottom_units("2026-07", 5, T("2026-11-05T09:00")) == []  # no data: no ranking
    chosen = rules("排名连续落后")
    run = propose(
        office, T("2026-10-05T09:00"), chosen
    )  # September and August; July has no ranking
    assert {(i["target"], i["reason"][-4:]) for i in run.proposed} == {
        (f"{c} 单位{c[1:]}", "建议约谈") for c in ("R10", "R07", "R01", "R02")
    }
    assert run.proposed[0]["evidence"] == [
        {"kind": "ranking", "id": "2026-08"},
        {"kind": "ranking", "id": "2026-09"},
    ]
    run = propose(office, T("2026-11-05T09:00"), chosen)
    assert {(i["target"], i["reason"][-4:]) for i in run.proposed} == {
        ("R10 单位10", "建议通报"),
        ("R09 单位09", "建议约谈"),
    }
    notice = next(i for i in run.proposed if i["target"].startswith("R10"))
    assert [ref["id"] for ref in notice["evidence"]] == ["2026-08", "2026-09", "2026-10"]
    assert "连续 3 个月（2026-08、2026-09、2026-10）月度排名后 5 位" in notice["reason"]
    assert propose(office, T("2026-11-20T09:00"), chosen).proposed == []


def test_python_and_failing_accountability_rules(office):
    from supervise.extension import RuleSpec

    def good(ctx, **_):
        return [
            CaseProposal(
                "k1",
                "unit",
                unit_id("U02"),
                None,
                "不作为",
                [{"kind": "unit", "id": unit_id("U02")}],
                "r",
            )
        ]

    def bad_kind(ctx, **_):
        return [CaseProposal("k1", "unit", unit_id("U02"), None, "懒作为", [], "r")]

    def staff_without_staff(ctx, **_):
        return [CaseProposal("k1", "staff", unit_id("U02"), None, "乱作为", [], "r")]

    specs = [
        RuleSpec(n, n, "accountability", f, {})
        for n, f in (
            ("good", good),
            ("bad_kind", bad_kind),
            ("staff_without_staff", staff_without_staff),
        )
    ]
    run = propose(office, T("2026-10-05T09:00"), specs)
    assert [f.rule for f in run.failures] == ["bad_kind", "staff_without_staff"]
    assert [(i["rule"], i["kind"], i["target"]) for i in run.proposed] == [
        ("good", "不作为", "U02 市医保局")
    ]
    assert AccountabilityCase.get().evidence_key == "good:k1"
    assert propose(office, T("2026-10-06T09:00"), specs).proposed == []
    entry = (
        AuditEntry.select()
        .where(AuditEntry.action == "accountability.propose")
        .order_by(AuditEntry.id)
        .first()
    )
    assert json.loads(entry.after)["proposed"] == {"good": 1}


def test_example_plugin_accountability_rule(office):
    import supervise_example

    from supervise.plugins import get_plugin_manager
    from supervise.registry import Registry

    pm = get_plugin_manager(load_entry_points=False)
    pm.register(supervise_example, name="example")
    (rule,) = Registry(pm).accountability_rules()
    for _ in range(3):
        complaint(end_of("2026-09-30"))
    escalate(office, T("2026-10-10T09:00"))  # three 督办 on U01's complaints
    run = propose(office, T("2026-10-10T10:00"), [rule])
    assert [(i["rule"], i["kind"], i["target"], len(i["evidence"])) for i in run.proposed] == [
        ("example_accountability", "慢作为", "U01 市人社局", 3)
    ]
    assert propose(office, T("2026-10-12T10:00"), [rule]).proposed == []  # same unit, same month


# -- decisions ------------------------------------------------------------------------------------


def test_decide_unit_form_once_with_basis_and_audit(office):
    case_id = pending_case()
    service = AccountabilityService(office)
    with pytest.raises(InvalidInput):
        service.decide(case_id, "诫勉", "依据")  # a person's form for a unit
    with pytest.raises(InvalidInput):
        service.decide(case_id, "约谈", "  ")
    case = service.decide(case_id, "约谈", "《问责办法》第七条", at=T("2026-10-15T10:00"))
    assert (case.status, case.form, case.decided_by, case.decided_at) == (
        "已决定",
        "约谈",
        "jw",
        T("2026-10-15T10:00"),
    )
    with pytest.raises(InvalidInput):
        service.decide(case_id, "通报", "再次")
    with pytest.raises(InvalidInput):
        service.dismiss(case_id, "撤回")
    entry = AuditEntry.select().where(AuditEntry.action == "accountability.decide").get()
    assert (
        json.loads(entry.before)["status"] == "待决定" and json.loads(entry.after)["form"] == "约谈"
    )
    assert entry.actor == "jw" and entry.record_id == str(case_id)


def test_sanctions_for_a_person(office):
    service = AccountabilityService(office)
    staff = ReferenceService(office).add_staff("S02", "赵六", "U01").id
    warned = service.decide(
        pending_case(staff=staff), "政务处分", "依据", "警告", at=T("2026-03-15T10:00")
    )
    assert (warned.sanction, warned.sanction_ends) == ("警告", dt.date(2026, 9, 14))
    demoted = service.decide(
        pending_case(staff=staff), "政务处分", "依据", "记大过", at=T("2026-08-31T10:00")
    )
    assert demoted.sanction_ends == dt.date(
        2028, 2, 29
    )  # 18 months: February 2028 has 29 days, no 31st
    fired = service.decide(
        pending_case(staff=staff), "政务处分", "依据", "开除", at=T("2026-08-31T10:00")
    )
    assert fired.sanction == "开除" and fired.sanction_ends is None
    for form, sanction in (
        ("政务处分", None),
        ("政务处分", "罚款"),
        ("诫勉", "警告"),
        ("约谈", None),
    ):
        with pytest.raises(InvalidInput):
            service.decide(pending_case(staff=staff), form, "依据", sanction)
    talk = service.decide(pending_case(staff=staff), "谈话提醒", "依据")
    assert talk.sanction is None and talk.form == "谈话提醒"


def test_sanction_periods():
    assert add_months(dt.date(2026, 8, 31), 6) == dt.date(2027, 2, 28)
    assert sanction_end(dt.date(2026, 8, 31), "警告") == dt.date(2027, 2, 28)
    assert sanction_end(dt.date(2026, 8, 28), "警告") == dt.date(2027, 2, 27)
    assert sanction_end(dt.date(2026, 1, 1), "记过") == dt.date(2026, 12, 31)
    assert (
        sanction_end(dt.date(2026, 5, 20), "降级")
        == sanction_end(dt.date(2026, 5, 20), "撤职")
        == dt.date(2028, 5, 19)
    )


def test_only_staff_decide_and_stale_edits_conflict(office, admin):
    case_id = pending_case()
    with pytest.raises(NotPermitted):
        AccountabilityService(admin).decide(case_id, "约谈", "依据")
    with pytest.raises(NotPermitted):
        AccountabilityService(admin).dismiss(case_id, "理由")
    viewer = make_user("ld", "viewer")
    assert AccountabilityService(viewer).show(case_id)["status"] == "待决定"
    liaison = make_user("ll", "liaison", "U01")
    with pytest.raises(NotPermitted):
        AccountabilityService(liaison).list()
    with pytest.raises(NotFound):
        AccountabilityService(office).decide(99999, "约谈", "依据")
    with pytest.raises(Conflict):
        AccountabilityService(office).decide(case_id, "约谈", "依据", expected_version=7)
    with pytest.raises(InvalidInput):
        AccountabilityService(office).dismiss(case_id, "")
    case = AccountabilityService(office).dismiss(case_id, "已整改到位，情节轻微")
    assert (case.status, case.basis, case.form) == ("不予问责", "已整改到位，情节轻微", None)


def test_list_show_and_circular_feed(office):
    decided, dismissed, waiting = pending_case(), pending_case(), pending_case("U02")
    service = AccountabilityService(office)
    service.decide(decided, "通报", "依据")
    service.dismiss(dismissed, "理由")
    listing = service.list(status="待决定")
    assert listing["total"] == 1 and listing["items"][0]["id"] == waiting
    assert service.list(unit="U02")["total"] == 1 and service.list()["total"] == 3
    with pytest.raises(InvalidInput):
        service.list(status="已办结")
    shown = service.show(decided)
    assert shown["evidence"][0]["kind"] == "complaint" and "target" in shown["evidence"][0]
    (item,) = service.for_circular([decided])
    assert (item["form"], item["unit"], item["kind"]) == ("通报", "市人社局", "慢作为")
    # the evidence as record ids only: what a circular needs to count and to scrub, no identity
    assert (
        set(item["evidence"]) == {"complaint", "rating"} and len(item["evidence"]["complaint"]) == 1
    )
    assert not {"complainant_name", "complainant_phone", "rater_name"} & set(item)
    decided_at = AccountabilityCase.get_by_id(decided).decided_at
    window = (decided_at - dt.timedelta(days=1), decided_at + dt.timedelta(days=1))
    assert service.circulated_between(*window, ("通报", "通报批评")) == [decided]
    assert service.circulated_between(*window, ("约谈",)) == []
    for not_decided in (dismissed, waiting):
        with pytest.raises(InvalidInput):
            service.for_circular([not_decided])
