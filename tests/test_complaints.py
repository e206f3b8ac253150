"""The complaint lifecycle of SPEC §2.1 on the service layer."""

from __future__ import annotations

import datetime as dt

import pytest

from supervise.db import write_transaction
from supervise.errors import InvalidInput, NotFound, NotPermitted
from supervise.models import AuditEntry, Complaint, Counter, TimelineEvent
from supervise.search import search_condition
from supervise.services.complaint_queries import ComplaintFilter, ComplaintQueries, track
from supervise.services.complaints import (
    ComplaintService,
    format_receipt,
    number_key,
    number_order,
    reserve_numbers,
)
from supervise.services.reference import ReferenceService

from .conftest import count_updates, make_user

RECEIVED = dt.datetime(2025, 9, 30, 10, 0)


@pytest.fixture
def office(admin):
    ref = ReferenceService(admin)
    ref.add_unit("U01", "市人社局")
    ref.add_unit("U02", "市医保局")
    staff = make_user("jw", "staff")
    return ComplaintService(staff), staff


def _add(service: ComplaintService, **kw) -> Complaint:
    fields = {
        "channel": "12345热线",
        "category": "投诉",
        "content": "社保卡补办多次被要求补充材料，推诿扯皮",
        "name": "张三",
        "phone": "13812345678",
        "id_no": "110101199001011234",
        "received": RECEIVED,
    }
    fields.update(kw)
    return service.register(**fields)


def test_register_numbers_and_receipt(office):
    service, _ = office
    a, b = _add(service), _add(service)
    assert a.number == "TS20250900001" and b.number == "TS20250900002"
    assert len(a.receipt_code) == 12 and a.receipt_code != b.receipt_code
    c = _add(service, received=dt.datetime(2025, 10, 9, 9, 0))
    assert c.number == "TS20251000001"
    assert (
        TimelineEvent.select()
        .where(TimelineEvent.record_id == a.id, TimelineEvent.action == "登记")
        .exists()
    )


def test_full_lifecycle_due_from_receipt(office):
    service, _ = office
    c = _add(service)
    c = service.assign(c.number, "U01", card="黄", at=dt.datetime(2025, 10, 9, 9, 0))
    # 3 working days after 2025-09-30: Oct 9, Oct 10 and the 调休 Saturday Oct 11
    assert c.due_at == dt.datetime(2025, 10, 11, 23, 59, 59)
    c, on_time = service.reply(c.number, "已为其补办社保卡", at=dt.datetime(2025, 10, 10, 16, 0))
    assert on_time and c.status == "已反馈"
    c, reopened = service.visit(c.number, "满意", True, at=dt.datetime(2025, 10, 13, 9, 0))
    assert not reopened and c.status == "已回访"
    c = service.close(c.number)
    assert c.status == "已办结"
    actions = [e["action"] for e in service.timeline(c)]
    assert actions == ["登记", "交办", "反馈", "回访", "办结"]


def test_registration_writes_each_complaint_once(office):
    """The keyword index goes in with the row (PostgreSQL's ``tsv`` in the INSERT): no
    UPDATE of a complaint follows its registration."""
    service, _ = office
    updates = count_updates("complaint")
    first = _add(service, title="社保卡补办", content="窗口推诿扯皮")
    second = _add(service, content="医保异地备案材料反复退回")
    assert updates() == 0
    found = Complaint.select(Complaint.id).where(search_condition("推诿"))
    assert [c.id for c in found] == [first.id]
    found = Complaint.select(Complaint.id).where(search_condition("备案材料"))
    assert [c.id for c in found] == [second.id]
    # the counter sees the UPDATEs that do come: a step that changes the reply
    service.assign(first.number, "U01", card="黄", at=dt.datetime(2025, 10, 9, 9, 0))
    service.reply(first.number, "已为其补办社保卡", at=dt.datetime(2025, 10, 10, 16, 0))
    assert updates() > 0
    found = Complaint.select(Complaint.id).where(search_condition("补办社保"))
    assert [c.id for c in found] == [first.id]


def test_cards_and_explicit_limit(office):
    service, _ = office
    blue = service.assign(_add(service).number, "U01", card="蓝")
    assert blue.due_at.date() == dt.date(2025, 9, 30)
    red = service.assign(_add(service).number, "U01", card="红")
    assert red.due_at.date() == service.calendar.add(dt.date(2025, 9, 30), 10)
    own = service.assign(_add(service).number, "U01", limit=5)
    assert own.due_at.date() == dt.date(2025, 10, 14)
    with pytest.raises(InvalidInput):
        service.assign(_add(service).number, "U01", card="绿")
    with pytest.raises(InvalidInput):
        service.assign(_add(service).number, "U01", card="蓝", limit=3)


def test_late_reply_and_unsatisfied_reopens(office):
    service, _ = office
    c = service.assign(_add(service).number, "U01", card="蓝")
    c, on_time = service.reply(c.number, "已处理", at=dt.datetime(2025, 10, 9, 10, 0))
    assert not on_time
    c, reopened = service.visit(c.number, "不满意", True, at=dt.datetime(2025, 10, 10, 10, 0))
    assert reopened and c.status == "已交办" and c.reopen_count == 1
    assert c.due_at == dt.datetime(2025, 10, 10, 23, 59, 59)
    c, _ = service.reply(c.number, "再次处理", at=dt.datetime(2025, 10, 10, 15, 0))
    c, reopened = service.visit(c.number, "基本满意", False, at=dt.datetime(2025, 10, 11, 10, 0))
    assert reopened and c.reopen_count == 2
    assert [e["action"] for e in service.timeline(c)].count("重办") == 2


def test_illegal_transitions_refused(office):
    service, _ = office
    c = _add(service)
    for step in (
        lambda: service.reply(c.number, "x"),
        lambda: service.visit(c.number, "满意", True),
        lambda: service.close(c.number),
    ):
        with pytest.raises(InvalidInput, match="登记"):
            step()
    service.assign(c.number, "U01", card="黄")
    with pytest.raises(InvalidInput):
        service.assign(c.number, "U02", card="黄")
    with pytest.raises(InvalidInput):
        service.refuse(c.number, "不属于受理范围")


def test_dispute_and_reassign(office, admin):
    service, _ = office
    c = service.assign(_add(service).number, "U01", card="黄")
    liaison = make_user("lly1", "liaison", "U01")
    ComplaintService(liaison).dispute(c.number, "该事项属医保局职责")
    c = service.assign(c.number, "U02", card="黄")
    assert c.unit.code == "U02"
    assert [e["action"] for e in service.timeline(c)][-2:] == ["退回", "改派"]
    with pytest.raises(NotFound):
        ComplaintService(liaison).reply(c.number, "x")


def test_extension_once(office):
    service, _ = office
    c = service.assign(_add(service).number, "U01", card="黄")
    liaison = make_user("lly1", "liaison", "U01")
    ComplaintService(liaison).request_extension(c.number, 5, "需现场核查")
    c = service.decide_extension(c.number, True)
    assert c.extension_count == 1 and c.due_at.date() == service.calendar.add(
        dt.date(2025, 10, 11), 5
    )
    with pytest.raises(InvalidInput, match="no further extension"):
        ComplaintService(liaison).request_extension(c.number, 3, "再延")


def test_refuse_and_merge(office):
    service, _ = office
    a, b, c = _add(service), _add(service), _add(service)
    assert service.refuse(a.number, "不属于受理范围").status == "不予受理"
    merged = service.merge(c.number, b.number, "同一诉求")
    assert merged.status == "已并单" and merged.merged_into_id == b.id
    with pytest.raises(InvalidInput):
        service.merge(b.number, c.number)


def test_validation(office):
    service, _ = office
    with pytest.raises(InvalidInput):
        _add(service, channel="微信")
    with pytest.raises(InvalidInput):
        _add(service, content="  ")
    with pytest.raises(InvalidInput):
        _add(service, anonymous=True)
    with pytest.raises(NotFound):
        _add(service, unit="U99")
    with pytest.raises(InvalidInput):
        _add(service, received=dt.datetime.now() + dt.timedelta(days=2))


def test_track_shows_no_identity(office):
    service, _ = office
    c = _add(service, category="举报", content="举报某窗口人员收受好处费")
    service.assign(c.number, "U01", card="红")
    data = track(format_receipt(c.receipt_code).lower())
    text = repr(data)
    for secret in ("张三", "13812345678", "110101199001011234", "好处费", "市人社局"):
        assert secret not in text
    assert data["status"] == "已交办" and [s["action"] for s in data["steps"]] == ["登记", "交办"]
    with pytest.raises(NotFound):
        track("AAAA-BBBB-CCCC")


def test_identity_masked_unmask_audited(office):
    service, staff = office
    c = _add(service)
    queries = ComplaintQueries(staff)
    masked = queries.show(c.number)
    assert masked["complainant"] == {
        "name": "张*",
        "phone": "138****5678",
        "id_no": "110101********1234",
    }
    before = AuditEntry.select().where(AuditEntry.action == "identity.view").count()
    full = queries.show(c.number, unmask=True)
    assert full["complainant"]["phone"] == "13812345678"
    assert AuditEntry.select().where(AuditEntry.action == "identity.view").count() == before + 1
    service.assign(c.number, "U01", card="黄")
    liaison = make_user("lly1", "liaison", "U01")
    seen = ComplaintQueries(liaison).show(c.number, unmask=True)
    assert seen["complainant"] is None and seen["receipt_code"] is None
    viewer = make_user("leader", "viewer")
    assert ComplaintQueries(viewer).show(c.number)["complainant"] is None
    with pytest.raises(NotPermitted):
        ComplaintQueries(make_user("jdy", "supervisor")).show(c.number)


def test_list_filters_and_liaison_scope(office):
    service, staff = office
    a = service.assign(_add(service).number, "U01", card="蓝")
    service.assign(
        _add(service, category="咨询", content="咨询医保异地备案").number, "U02", card="黄"
    )
    _add(service, content="建议延长窗口服务时间", category="建议")
    q = ComplaintQueries(staff)
    assert q.list(ComplaintFilter())["total"] == 3
    assert q.list(ComplaintFilter(unit="U01"))["total"] == 1
    assert q.list(ComplaintFilter(status="登记"))["total"] == 1
    assert q.list(ComplaintFilter(category="咨询"))["items"][0]["unit"] == "市医保局"
    overdue = q.list(ComplaintFilter(overdue=True))
    assert overdue["total"] == 2 and a.number in {i["number"] for i in overdue["items"]}
    assert q.list(ComplaintFilter(search="推诿"))["total"] == 1
    assert q.list(ComplaintFilter(search="医保", unit="U02"))["total"] == 1
    assert q.list(ComplaintFilter(received_from=dt.date(2025, 10, 1)))["total"] == 0
    liaison = make_user("lly2", "liaison", "U02")
    assert ComplaintQueries(liaison).list(ComplaintFilter())["total"] == 1


def test_numbers_widen_past_99999_and_still_sort(office):
    """docs/DESIGN.md: 5 digits, then 6 from the 100,000th complaint of a month."""
    service, _ = office
    Counter.create(name="complaint:202509", value=99_998)
    last5, first6 = _add(service), _add(service)
    assert (last5.number, first6.number) == ("TS20250999999", "TS202509100000")
    with write_transaction():
        assert reserve_numbers(dt.date(2025, 9, 1), 2) == ["TS202509100001", "TS202509100002"]
    later = _add(service, received=dt.datetime(2025, 10, 9, 9, 0))
    assert later.number == "TS20251000001"
    early = _add(service, received=dt.datetime(2025, 8, 1, 9, 0))
    expected = [early.number, last5.number, first6.number, later.number]
    in_sql = [n for (n,) in Complaint.select(Complaint.number).order_by(number_order()).tuples()]
    assert in_sql == expected
    assert sorted(reversed(expected), key=number_key) == expected
    assert sorted(expected) != expected  # plain text order is what number_order corrects
    assert service.get(first6.number.lower()).id == first6.id
