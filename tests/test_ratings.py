"""好差评 ratings and the 差评 loop of SPEC §2.3 on the service layer."""

from __future__ import annotations

import datetime as dt

import pytest

from supervise.errors import InvalidInput, NotFound, NotPermitted
from supervise.models import AuditEntry, Rating, TimelineEvent
from supervise.services.ratings import RatingQueries, RatingService, parse_finding, parse_level
from supervise.services.reference import ReferenceService

from .conftest import make_user

RATED = dt.datetime(2025, 9, 30, 10, 0)  # the day before the 2025 National Day holiday
VERIFIED = dt.datetime(2025, 9, 30, 15, 0)


@pytest.fixture
def office(admin):
    ref = ReferenceService(admin)
    ref.add_unit("U01", "市人社局")
    ref.add_unit("U02", "市医保局")
    ref.add_staff("S001", "李四", "U01")
    ref.add_matter("M001", "社保卡补办", "U01", 20, 5)
    staff = make_user("jw", "staff")
    return RatingService(staff), staff


def _bad(service: RatingService, **kw) -> Rating:
    fields = {
        "unit": "U01",
        "level": 1,
        "reasons": "办事效率低",
        "comment": "排队两小时",
        "rater": "王五",
        "phone": "13912345678",
        "rated": RATED,
    }
    fields.update(kw)
    return service.add(**fields)


def test_parse_level_and_finding():
    assert [parse_level(v) for v in (5, "4", "基本满意", "不满意", " 非常不满意 ")] == [
        5,
        4,
        3,
        2,
        1,
    ]
    for bad in (0, 6, "七", "", True, 2.0):
        with pytest.raises(InvalidInput):
            parse_level(bad)
    assert parse_finding("误评") == "误评申诉" and parse_finding("属实") == "属实"
    with pytest.raises(InvalidInput):
        parse_finding("存疑")


def test_good_rating_needs_no_handling(office):
    service, _ = office
    r = service.add("U01", "满意", channel="网上", matter="M001", staff="S001", rated=RATED)
    assert (r.level, r.bad, r.status, r.contact_due_at, r.real_name) == (
        4,
        False,
        "无需处理",
        None,
        False,
    )
    assert r.matter.code == "M001" and r.staff.number == "S001"
    with pytest.raises(InvalidInput, match="无需处理"):
        service.verify(r.id, "属实")
    assert (
        TimelineEvent.get(
            TimelineEvent.record_kind == "rating", TimelineEvent.record_id == r.id
        ).action
        == "评价"
    )


def test_bad_rating_contact_due_across_national_day(office):
    service, _ = office
    r = _bad(service, level="不满意")
    assert r.bad and r.status == "待核实" and r.real_name
    # 1 working day after 2025-09-30: the holiday runs 10-01..10-08
    assert r.contact_due_at == dt.datetime(2025, 10, 9, 23, 59, 59)
    # 2025-09-28 is a Sunday make-up working day: the next working day is Monday 09-29
    early = _bad(service, rated=dt.datetime(2025, 9, 28, 9, 0))
    assert early.contact_due_at == dt.datetime(2025, 9, 29, 23, 59, 59)


def test_validation(office):
    service, _ = office
    with pytest.raises(InvalidInput):
        service.add("U01", 3, channel="微信")
    with pytest.raises(InvalidInput):
        service.add("U01", 9)
    with pytest.raises(InvalidInput):
        service.add("U01", 1, real_name=True)
    with pytest.raises(InvalidInput):
        service.add("U01", 1, rated=dt.datetime.now() + dt.timedelta(days=1))
    with pytest.raises(NotFound):
        service.add("U99", 1)
    with pytest.raises(NotFound):
        service.add("U01", 1, staff="S999")
    assert Rating.select().count() == 0


def test_true_finding_simple_rectify_then_visit(office):
    service, _ = office
    r = service.verify(_bad(service).id, "属实", "核实确有拖延", at=VERIFIED)
    assert (r.status, r.finding, r.rectify_kind) == ("待整改", "属实", "限期整改")
    # SPEC §3 example: 5 working days after 2025-09-30 is 2025-10-14
    assert r.rectify_due_at == dt.datetime(2025, 10, 14, 23, 59, 59)
    r = service.rectify(r.id, "增设窗口，实行弹性排班", at=dt.datetime(2025, 10, 13, 10, 0))
    assert r.status == "待回访" and r.measures.startswith("增设窗口")
    r = service.visit(r.id, "满意", "电话回访", at=dt.datetime(2025, 10, 14, 9, 0))
    assert r.status == "已办结" and r.visited_at == r.closed_at == dt.datetime(2025, 10, 14, 9, 0)
    timeline = service.timeline(r)
    assert [e["action"] for e in timeline] == ["评价", "核实", "整改", "回访"]
    assert "按期整改" in timeline[2]["note"] and "满意" in timeline[3]["note"]
    assert all(e["at"] for e in timeline)


def test_complex_and_immediate_rectification(office):
    service, _ = office
    complex_ = service.verify(_bad(service).id, "属实", complex=True, at=VERIFIED)
    # 15 working days after 2025-09-30, the Saturday 10-11 make-up day counted
    assert complex_.rectify_due_at == dt.datetime(2025, 10, 28, 23, 59, 59)
    assert complex_.rectify_due_at.date() == service.calendar.add(dt.date(2025, 9, 30), 15)
    now_ = service.verify(_bad(service).id, "属实", immediate=True, at=VERIFIED)
    assert now_.rectify_kind == "立行立改" and now_.rectify_due_at == dt.datetime(
        2025, 9, 30, 23, 59, 59
    )
    with pytest.raises(InvalidInput):
        service.verify(_bad(service).id, "属实", immediate=True, complex=True)
    with pytest.raises(InvalidInput):
        service.verify(_bad(service).id, "不属实", complex=True)
    late = service.rectify(complex_.id, "整改", at=dt.datetime(2025, 10, 29, 9, 0))
    assert "超期整改" in service.timeline(late)[-1]["note"]


def test_rectify_days_follow_settings(office, admin):
    service, _ = office
    ReferenceService(admin).set_setting("rating.rectify_simple_days", 3)
    r = service.verify(_bad(service).id, "属实", at=VERIFIED)
    assert r.rectify_due_at.date() == dt.date(2025, 10, 11)


@pytest.mark.parametrize("finding", ["不属实", "误评申诉", "误评"])
def test_untrue_real_name_is_visited_anonymous_closes(office, finding):
    service, _ = office
    r = service.verify(_bad(service).id, finding, at=VERIFIED)
    assert r.status == "待回访" and r.finding in ("不属实", "误评申诉") and r.rectify_kind is None
    anonymous = service.add("U01", 2, comment="态度差", rated=RATED)
    assert not anonymous.real_name and anonymous.status == "待核实"
    closed = service.verify(anonymous.id, finding, at=VERIFIED)
    assert closed.status == "已办结" and closed.closed_at == VERIFIED


def test_anonymous_rectified_closes_without_visit(office):
    service, _ = office
    r = service.add("U01", 1, phone="13900001111", rated=RATED)
    assert not r.real_name
    r = service.verify(r.id, "属实", at=VERIFIED)
    r = service.rectify(r.id, "已批评教育当事人", at=VERIFIED)
    assert r.status == "已办结" and r.closed_at == VERIFIED
    with pytest.raises(InvalidInput, match="已办结"):
        service.visit(r.id, "满意")


def test_illegal_steps_name_the_status(office):
    service, _ = office
    r = _bad(service)
    with pytest.raises(InvalidInput, match="待核实"):
        service.rectify(r.id, "措施")
    with pytest.raises(InvalidInput, match="待核实"):
        service.visit(r.id, "满意")
    service.verify(r.id, "属实", at=VERIFIED)
    with pytest.raises(InvalidInput, match="待整改"):
        service.verify(r.id, "属实")
    with pytest.raises(InvalidInput, match="待整改"):
        service.visit(r.id, "满意")
    with pytest.raises(InvalidInput):
        service.rectify(r.id, "  ")
    service.rectify(r.id, "措施", at=VERIFIED)
    with pytest.raises(InvalidInput, match="待回访"):
        service.rectify(r.id, "再整改")
    with pytest.raises(InvalidInput):
        service.visit(r.id, " ")
    with pytest.raises(NotFound):
        service.verify(9999, "属实")


def test_liaison_scope_and_office_only_steps(office):
    service, _ = office
    own, other = _bad(service), _bad(service, unit="U02")
    liaison = RatingService(make_user("lly1", "liaison", "U01"))
    with pytest.raises(NotPermitted):
        liaison.add("U01", 5)
    with pytest.raises(NotFound):
        liaison.verify(other.id, "属实")
    r = liaison.verify(own.id, "属实", at=VERIFIED)
    r = liaison.rectify(r.id, "已整改", at=VERIFIED)
    assert r.status == "待回访"
    with pytest.raises(NotPermitted, match="office"):
        liaison.visit(r.id, "满意")
    viewer = RatingService(make_user("leader", "viewer"))
    with pytest.raises(NotPermitted):
        viewer.verify(other.id, "属实")
    supervisor = RatingService(make_user("jdy", "supervisor"))
    with pytest.raises(NotPermitted):
        supervisor.verify(other.id, "属实")
    assert RatingService(make_user("jw2", "staff")).visit(r.id, "基本满意").status == "已办结"
    # every step was audited under the acting user
    assert (
        AuditEntry.select().where(AuditEntry.actor == "lly1", AuditEntry.table == "rating").count()
        == 2
    )


def test_rater_masked_unmask_audited(office):
    service, staff = office
    r = _bad(service)
    queries = RatingQueries(staff)
    assert queries.show(r.id)["rater"] == {"name": "王*", "phone": "139****5678"}
    before = AuditEntry.select().where(AuditEntry.action == "identity.view").count()
    full = queries.show(r.id, unmask=True)
    assert full["rater"] == {"name": "王五", "phone": "13912345678"}
    entry = (
        AuditEntry.select()
        .where(AuditEntry.action == "identity.view")
        .order_by(AuditEntry.id.desc())
        .first()
    )
    assert AuditEntry.select().where(AuditEntry.action == "identity.view").count() == before + 1
    assert entry.table == "rating" and entry.record_id == str(r.id) and entry.actor == "jw"
    liaison = RatingQueries(make_user("lly1", "liaison", "U01"))
    seen = liaison.show(r.id, unmask=True)
    assert seen["rater"] is None and "王五" not in repr(seen) and "13912345678" not in repr(seen)
    assert RatingQueries(make_user("leader", "viewer")).show(r.id, unmask=True)["rater"] is None
    assert AuditEntry.select().where(AuditEntry.action == "identity.view").count() == before + 1
    assert queries.show(service.add("U01", 5, rated=RATED).id)["rater"] == {"anonymous": True}
    with pytest.raises(NotPermitted):
        RatingQueries(make_user("jdy", "supervisor")).show(r.id)


def test_list_filters_paging_and_scope(office):
    service, staff = office
    a = _bad(service)
    service.add("U01", 5, rated=dt.datetime(2025, 10, 9, 9, 0))
    b = _bad(service, unit="U02", rated=dt.datetime(2025, 10, 10, 9, 0))
    service.verify(b.id, "不属实", at=VERIFIED)
    q = RatingQueries(staff)
    assert q.list()["total"] == 3
    assert q.list(bad_only=True)["total"] == 2
    assert q.list(unit="U02")["items"][0]["id"] == b.id
    assert q.list(status="待核实")["items"][0]["id"] == a.id
    assert q.list(date_from=dt.date(2025, 10, 9))["total"] == 2
    assert q.list(date_to=dt.date(2025, 9, 30))["total"] == 1
    page = q.list(limit=2, offset=2)
    assert page["total"] == 3 and len(page["items"]) == 1 and page["items"][0]["id"] == a.id
    item = q.list(status="待核实")["items"][0]
    assert item["overdue"] and item["level_name"] == "非常不满意" and item["unit"] == "市人社局"
    with pytest.raises(InvalidInput):
        q.list(limit=0)
    with pytest.raises(InvalidInput):
        q.list(status="处理中")
    with pytest.raises(NotFound):
        q.list(unit="U99")
    liaison = RatingQueries(make_user("lly2", "liaison", "U02"))
    assert [i["id"] for i in liaison.list()["items"]] == [b.id]
    with pytest.raises(NotFound):
        liaison.show(a.id)
    with pytest.raises(NotPermitted):
        RatingQueries(make_user("jdy", "supervisor")).list()


def test_show_has_timeline_and_details(office):
    service, staff = office
    r = service.verify(_bad(service, matter="M001", staff="S001").id, "属实", at=VERIFIED)
    data = RatingQueries(staff).show(r.id)
    assert data["status"] == "待整改" and data["rectify_kind"] == "限期整改"
    assert data["matter"] == "M001" and data["staff"] == "S001" and data["unit_code"] == "U01"
    assert [e["action"] for e in data["timeline"]] == ["评价", "核实"]
    assert data["rectify_due_at"] == "2025-10-14 23:59:59"
