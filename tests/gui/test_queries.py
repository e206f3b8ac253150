"""What the GUI reads (supervise.gui.queries): scopes, filters, sorting, paging and the
dashboard figures, on SQLite and PostgreSQL (no display needed)."""

from __future__ import annotations

import datetime as dt

import pytest

from supervise.errors import InvalidInput, NotPermitted
from supervise.gui import queries
from supervise.gui.queries import ListFilter
from supervise.models import now
from supervise.services.complaints import ComplaintService
from supervise.services.ratings import RatingService
from supervise.services.reference import ReferenceService
from supervise.services.reviews import ReviewService

from ..conftest import make_user


@pytest.fixture
def office(admin):
    ref = ReferenceService(admin)
    ref.add_unit("U01", "市人社局")
    ref.add_unit("U02", "市医保局")
    staff = make_user("jw", "staff")
    liaison = make_user("lly", "liaison", "U01")
    service = ComplaintService(staff)
    earlier = now() - dt.timedelta(days=3)
    numbers = []
    for i, unit in enumerate(["U01", "U01", "U02", "U02", "U02"]):
        c = service.register(
            channel="12345热线",
            category="投诉",
            content=f"第{i}件：社保卡补办推诿",
            received=earlier,
        )
        numbers.append(c.number)
        if i < 4:
            service.assign(c.number, unit, card="蓝" if i % 2 else "红")
    ratings = RatingService(staff)
    ratings.add("U01", 1, rater="李四", phone="13900000000")
    ratings.add("U02", 2)
    ratings.add("U02", 5)
    return {"staff": staff, "liaison": liaison, "numbers": numbers}


def test_complaint_scope_filters_sort_and_paging(office):
    staff, liaison = office["staff"], office["liaison"]
    everything = queries.complaint_page(staff, ListFilter())
    assert everything["total"] == 5
    mine = queries.complaint_page(liaison, ListFilter())
    assert mine["total"] == 2 and {i["unit"] for i in mine["items"]} == {"市人社局"}
    assert (
        queries.complaint_page(liaison, ListFilter(unit="U02"))["total"] == 0
    )  # a liaison never sees U02
    assert queries.complaint_page(staff, ListFilter(status=queries.OPEN))["total"] == 5
    assert queries.complaint_page(staff, ListFilter(status="登记"))["total"] == 1
    overdue = queries.complaint_page(staff, ListFilter(extra={"overdue": True}))
    assert overdue["total"] == 2 and all(
        i["overdue"] for i in overdue["items"]
    )  # the blue cards, due on receipt
    page = queries.complaint_page(
        staff, ListFilter(), sort="number", desc=False, limit=2, offset=2, count=False
    )
    assert (
        page["total"] is None
        and [i["number"] for i in page["items"]] == sorted(office["numbers"])[2:4]
    )
    by_unit = queries.complaint_page(staff, ListFilter(), sort="unit", desc=False)
    units = [i["unit"] for i in by_unit["items"]]
    assert None in (units[0], units[-1])  # the unassigned case: NULLs sort first or last by engine
    named = [u for u in units if u]
    assert named in (["市人社局"] * 2 + ["市医保局"] * 2, ["市医保局"] * 2 + ["市人社局"] * 2)
    found = queries.complaint_page(staff, ListFilter(search="第3件"))
    assert [i["number"] for i in found["items"]] == [office["numbers"][3]]
    with pytest.raises(InvalidInput):
        queries.complaint_page(staff, ListFilter(), limit=0)


def test_newest_first_pages_agree_with_the_plain_query(office, monkeypatch):
    """未办结 is merged from one index read per open status; keyword and overdue pages come from
    ComplaintQueries: page by page they must list what the plain query lists, in its order."""
    staff = office["staff"]
    ComplaintService(staff).register(
        channel="网站", category="咨询", content="社保卡进度查询"
    )  # newest, 登记

    def pages(f: ListFilter) -> tuple[int, list[str]]:
        total = queries.complaint_page(staff, f)["total"]
        numbers = []
        for offset in range(0, 8, 2):
            numbers += [
                i["number"]
                for i in queries.complaint_page(staff, f, limit=2, offset=offset, count=False)[
                    "items"
                ]
            ]
        return total, numbers

    cases = [
        ListFilter(status=queries.OPEN),
        ListFilter(search="社保"),
        ListFilter(extra={"overdue": True}),
        ListFilter(status=queries.OPEN, unit="U02"),
        ListFilter(status="已交办"),
    ]
    merged = [pages(f) for f in cases]
    assert merged[0][0] == 6 and merged[0][1][0] == merged[1][1][0]  # the new 登记 case heads both
    monkeypatch.setattr(queries, "_newest_page", lambda *args: None)  # the plain query alone
    assert [pages(f) for f in cases] == merged


def test_ratings_reviews_and_office_lists_are_scoped(office):
    staff, liaison = office["staff"], office["liaison"]
    assert queries.rating_page(staff, ListFilter())["total"] == 3
    assert queries.rating_page(staff, ListFilter(status="待处理"))["total"] == 2
    assert queries.rating_page(liaison, ListFilter())["total"] == 1
    assert (
        queries.rating_page(staff, ListFilter(extra={"bad_only": True}), sort="level", desc=False)[
            "items"
        ][0]["level"]
        == 1
    )
    a, b = make_user("jdy_a", "supervisor"), make_user("jdy_b", "supervisor")
    ReviewService(a).submit("U01", "暗访", ["窗口无人"])
    ReviewService(b).submit("U02", "明察", ["态度生硬"])
    assert queries.review_page(staff, ListFilter())["total"] == 2
    own = queries.review_page(a, ListFilter())
    assert (
        own["total"] == 1
        and own["items"][0]["reviewer"] == "jdy_a"
        and own["items"][0]["findings"] == 1
    )
    for page in (queries.escalation_page, queries.accountability_page):
        assert page(staff, ListFilter())["total"] == 0
        with pytest.raises(NotPermitted):
            page(liaison, ListFilter())
    with pytest.raises(NotPermitted):
        queries.review_page(liaison, ListFilter())


def test_dashboard_figures(office):
    staff, liaison = office["staff"], office["liaison"]
    counts = queries.complaint_counts(staff)
    assert counts == {"未办结": 5, "今日到期": 0, "已超期": 2}
    assert queries.complaint_counts(liaison)["未办结"] == 2
    assert queries.bad_ratings_to_handle(staff) == 2 and queries.bad_ratings_to_handle(liaison) == 1
    days = queries.received_per_day(staff, 7)
    assert len(days) == 7 and days[-1][0] == now().date()
    assert dict(days)[(now() - dt.timedelta(days=3)).date()] == 5
    assert queries.open_by_unit(staff) == [
        ("U01", "市人社局", 2),
        ("U02", "市医保局", 2),
    ]  # ties by code
    assert queries.unit_choices() == [("U01", "市人社局"), ("U02", "市医保局")]


def test_rating_search_counts_only_up_to_the_cap(office, monkeypatch):
    staff = office["staff"]
    ratings = RatingService(staff)
    for i in range(4):
        ratings.add("U01", 2, comment=f"窗口排队太久 {i}")
    found = queries.rating_page(staff, ListFilter(search="排队"), limit=2)
    assert found["total"] == 4 and len(found["items"]) == 2
    monkeypatch.setattr(queries, "COUNT_CAP", 2)
    capped = queries.rating_page(staff, ListFilter(search="排队"), limit=2)
    assert capped["total"] == 3  # cap + 1: "2+" in the pager, never a count of every match
    assert (
        queries.rating_page(staff, ListFilter(), limit=2)["total"] == 7
    )  # no search: the exact total


def test_escalation_record_and_links(office):
    from supervise.models import AccountabilityCase, Complaint, Escalation, Unit

    staff = office["staff"]
    complaint = Complaint.get(Complaint.number == office["numbers"][0])
    at = now().replace(microsecond=0)
    e = Escalation.create(
        rule="r",
        target_kind="complaint",
        target_id=complaint.id,
        level="催办",
        reason="超期",
        raised_at=at,
        updated_at=at,
    )
    other = Escalation.create(
        rule="r2",
        target_kind="complaint",
        target_id=complaint.id,
        level="预警",
        reason="临期",
        raised_at=at,
        updated_at=at,
    )
    case = AccountabilityCase.create(
        rule="r",
        target_kind="unit",
        unit=Unit.get(Unit.code == "U01"),
        failure_kind="不作为",
        evidence=f'[{{"kind": "escalation", "id": {e.id}}}]',
        evidence_key="q-1",
        reason="督办不力",
        proposed_at=at,
    )
    record = queries.escalation_record(staff, e.id)
    assert (
        record["target"] == complaint.number
        and record["unit"] == "市人社局"
        and record["state"] == "未解除"
    )
    assert [link["open"] for link in record["links"]] == [
        ("complaint", complaint.number),
        ("escalation", other.id),
        ("accountability", case.id),
    ]
    with pytest.raises(NotPermitted):
        queries.escalation_record(office["liaison"], e.id)
    links = queries.record_links(
        [("unit", Unit.get(Unit.code == "U02").id), ("ranking", "2026-09")]
    )
    assert [(link["kind"], link["open"]) for link in links] == [("单位", None), ("月度排名", None)]


def test_rating_keyword_search_with_filters(office):
    """Two-character words of comment, reasons and window (the bigram index), with filters."""
    staff, liaison = office["staff"], office["liaison"]
    ratings = RatingService(staff)
    a = ratings.add("U01", 1, comment="排队两个小时，态度差", reasons="等候时间长")
    b = ratings.add("U02", 5, comment="服务态度好", window="3号窗口")
    c = ratings.add("U01", 4, reasons="一次办好", window="12号窗口")

    def ids(**kw):
        return [r["id"] for r in queries.rating_page(staff, ListFilter(**kw))["items"]]

    assert ids(search="态度") == [b.id, a.id]  # newest first
    assert ids(search="等候") == [a.id] and ids(search="窗口") == [c.id, b.id]
    assert ids(search="态度", unit="U01") == [a.id]
    assert ids(search="态度", status="待处理") == [a.id]
    assert ids(search="窗口", extra={"bad_only": True}) == []
    assert ids(search="态度 排队") == [a.id]
    assert ids(search="号窗") == [c.id, b.id]
    page = queries.rating_page(liaison, ListFilter(search="态度"))
    assert [r["id"] for r in page["items"]] == [a.id] and page[
        "total"
    ] == 1  # a liaison: their unit only
    assert queries.rating_page(staff, ListFilter(search="态度", unit="U02"))["total"] == 1
