"""监督评议 reviews and findings of SPEC §2.2 on the service layer."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest

from supervise.errors import InvalidInput, NotFound, NotPermitted
from supervise.models import Attachment, AuditEntry, Complaint, Finding, Review, TimelineEvent
from supervise.services.complaints import ComplaintService
from supervise.services.reference import ReferenceService
from supervise.services.reviews import MAX_ATTACHMENT, ReviewQueries, ReviewService

from .conftest import make_user

DECIDED = dt.datetime(2025, 9, 30, 10, 0)  # the day before the 2025 National Day holiday


@pytest.fixture
def office(admin):
    ref = ReferenceService(admin)
    ref.add_unit("U01", "市人社局")
    ref.add_unit("U02", "市医保局")
    ref.add_staff("S001", "李四", "U01")
    return (
        make_user("jw", "staff"),
        make_user("jdy1", "supervisor"),
        make_user("jdy2", "supervisor"),
    )


def _submit(actor, **kw) -> Review:
    fields = {
        "unit": "U01",
        "method": "暗访",
        "findings": [
            ("窗口人员玩手机，群众等候", "作风", "较重"),
            ("叫号机故障无人处理", "效率", "一般"),
        ],
        "review_date": dt.date(2025, 9, 29),
        "at": dt.datetime(2025, 9, 29, 17, 0),
    }
    fields.update(kw)
    return ReviewService(actor).submit(**fields)


def test_submit_records_reviewer_and_findings(office):
    _, sup, _ = office
    r = _submit(sup, scores=(80, 75, None), conclusion="一般", window="3号窗口", staff="S001")
    assert (r.status, r.reviewer_name, r.reviewer_id) == ("待审核", "jdy1", sup.user_id)
    assert (r.score_attitude, r.score_quality, r.score_management) == (80, 75, None)
    findings = list(r.findings.order_by(Finding.id))
    assert [(f.category, f.severity) for f in findings] == [("作风", "较重"), ("效率", "一般")]
    event = TimelineEvent.get(
        TimelineEvent.record_kind == "review", TimelineEvent.record_id == r.id
    )
    assert event.action == "提交" and event.status == "待审核" and event.actor == "jdy1"
    plain = _submit(sup, findings=["厅内无障碍通道被占用"])
    assert [(f.category, f.severity) for f in plain.findings] == [("其他", "一般")]


@pytest.mark.parametrize(
    "bad",
    [
        {"method": "抽查"},
        {"findings": [("描述", "服务", "一般")]},
        {"findings": [("描述", "作风", "特别严重")]},
        {"findings": [("  ", "作风", "一般")]},
        {"findings": []},
        {"scores": (101, 80, 80)},
        {"scores": (80, 80)},
        {"scores": (-1, None, None)},
        {"conclusion": "优秀"},
        {"review_date": dt.date.today() + dt.timedelta(days=3), "at": None},
        {"review_date": dt.date(2025, 9, 30)},
        {"at": dt.datetime.now() + dt.timedelta(days=1)},
    ],
)
def test_submit_validation(office, bad):
    _, sup, _ = office
    with pytest.raises(InvalidInput):
        _submit(sup, **bad)
    assert Review.select().count() == 0


def test_who_may_submit_and_decide(office):
    staff, sup, _ = office
    assert _submit(staff).reviewer_name == "jw"
    with pytest.raises(NotPermitted):
        _submit(make_user("lly1", "liaison", "U01"))
    with pytest.raises(NotPermitted):
        _submit(make_user("leader", "viewer"))
    with pytest.raises(NotFound):
        _submit(sup, unit="U99")
    r = _submit(sup)
    with pytest.raises(NotPermitted):
        ReviewService(sup).adopt(r.id)
    with pytest.raises(NotPermitted):
        ReviewService(sup).reject(r.id, "不成立")


def test_adopt_and_reject_transitions(office):
    staff, sup, _ = office
    service = ReviewService(staff)
    a, b = _submit(sup), _submit(sup)
    adopted, complaints = service.adopt(a.id, at=DECIDED)
    assert adopted.status == "已采纳" and complaints == [] and adopted.decided_by == "jw"
    with pytest.raises(InvalidInput):
        service.reject(b.id, "   ")
    rejected = service.reject(b.id, "所反映问题已于当日整改", at=DECIDED)
    assert (rejected.status, rejected.reject_reason, rejected.decided_at) == (
        "未采纳",
        "所反映问题已于当日整改",
        DECIDED,
    )
    for step in (lambda: service.adopt(a.id), lambda: service.reject(a.id, "x")):
        with pytest.raises(InvalidInput, match="已采纳"):
            step()
    with pytest.raises(InvalidInput, match="未采纳"):
        service.adopt(b.id, to_complaint=True)
    with pytest.raises(NotFound):
        service.adopt(9999)
    assert [e["action"] for e in ReviewQueries(sup).show(b.id)["timeline"]] == ["提交", "不予采纳"]


def test_adopt_to_complaint_linked_both_ways_and_assigned(office):
    staff, sup, _ = office
    r = _submit(sup, staff="S001")
    review, complaints = ReviewService(staff).adopt(r.id, to_complaint=True, at=DECIDED)
    assert review.status == "已采纳" and len(complaints) == 2
    findings = list(Finding.select().where(Finding.review == r.id).order_by(Finding.id))
    for finding, c in zip(findings, complaints, strict=True):
        c = Complaint.get_by_id(c.id)
        assert finding.complaint_id == c.id and c.from_findings.get().id == finding.id
        assert (c.channel, c.category, c.content, c.status, c.card) == (
            "社会监督员",
            "投诉",
            finding.description,
            "已交办",
            "黄",
        )
        assert c.unit.code == "U01" and c.staff.number == "S001"
        # 黄 card: 3 working days from receipt across the National Day holiday
        assert c.due_at == dt.datetime(2025, 10, 11, 23, 59, 59)
        timeline = ComplaintService(staff).timeline(c)
        assert [e["action"] for e in timeline] == ["登记", "交办"]
        assert (
            f"监督评议 #{r.id}" in timeline[0]["note"]
            and f"问题 #{finding.id}" in timeline[0]["note"]
        )
    note = ReviewQueries(sup).show(r.id)["timeline"][-1]["note"]
    assert all(c.number in note for c in complaints)
    shown = ReviewQueries(sup).show(r.id)
    assert [f["complaint"] for f in shown["findings"]] == [c.number for c in complaints]
    assert AuditEntry.select().where(AuditEntry.action == "review.to_complaint").count() == 2


def test_adopt_to_complaint_rolls_back_as_a_whole(office, monkeypatch):
    staff, sup, _ = office
    r = _submit(sup)
    calls = {"n": 0}
    original = ComplaintService.assign

    def failing_assign(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise InvalidInput("模拟失败", "simulated failure")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(ComplaintService, "assign", failing_assign)
    with pytest.raises(InvalidInput, match="simulated"):
        ReviewService(staff).adopt(r.id, to_complaint=True, at=DECIDED)
    assert Complaint.select().count() == 0
    assert Review.get_by_id(r.id).status == "待审核"
    assert Finding.select().where(Finding.complaint.is_null(False)).count() == 0
    assert TimelineEvent.select().where(TimelineEvent.record_kind == "complaint").count() == 0
    monkeypatch.setattr(ComplaintService, "assign", original)
    _, complaints = ReviewService(staff).adopt(r.id, to_complaint=True, at=DECIDED)
    assert [c.number for c in complaints] == ["TS20250900001", "TS20250900002"]


def test_supervisor_sees_only_own(office):
    staff, sup, other = office
    mine, theirs = _submit(sup), _submit(other, unit="U02")
    ReviewService(staff).reject(theirs.id, "证据不足", at=DECIDED)
    assert [i["id"] for i in ReviewQueries(sup).list()["items"]] == [mine.id]
    assert ReviewQueries(other).list()["items"][0]["reject_reason"] == "证据不足"
    with pytest.raises(NotFound):
        ReviewQueries(sup).show(theirs.id)
    data = ReviewQueries(other).show(theirs.id)
    assert (
        data["status"] == "未采纳"
        and data["reject_reason"] == "证据不足"
        and len(data["findings"]) == 2
    )
    assert ReviewQueries(staff).list()["total"] == 2
    assert ReviewQueries(make_user("leader", "viewer")).list()["total"] == 2
    with pytest.raises(NotPermitted):
        ReviewQueries(make_user("lly1", "liaison", "U01")).list()


def test_list_filters(office):
    staff, sup, _ = office
    a = _submit(sup)
    b = _submit(
        sup, unit="U02", review_date=dt.date(2025, 10, 9), at=dt.datetime(2025, 10, 9, 17, 0)
    )
    ReviewService(staff).adopt(b.id, at=dt.datetime(2025, 10, 10, 9, 0))
    q = ReviewQueries(staff)
    assert q.list(unit="U02")["items"][0]["id"] == b.id
    assert q.list(status="待审核")["items"][0]["id"] == a.id
    assert q.list(date_from=dt.date(2025, 10, 1))["total"] == 1
    assert q.list(date_to=dt.date(2025, 9, 30))["items"][0]["findings"] == 2
    assert q.list(limit=1, offset=1)["items"][0]["id"] == a.id
    with pytest.raises(InvalidInput):
        q.list(status="已删除")
    with pytest.raises(InvalidInput):
        q.list(limit=1000)


def test_attachment_sha256_round_trip(office, tmp_path):
    staff, sup, other = office
    r = _submit(sup)
    finding = r.findings.order_by(Finding.id).first()
    photo = tmp_path / "现场照片.jpg"
    payload = bytes(range(256)) * 1000 + b"\x00\xff"
    photo.write_bytes(payload)
    a = ReviewService(sup).attach(finding.id, photo)
    assert (a.filename, a.mime, a.size) == ("现场照片.jpg", "image/jpeg", len(payload))
    assert a.sha256 == hashlib.sha256(payload).hexdigest()
    stored = Attachment.get_by_id(a.id)
    assert (
        stored.owner_kind == "finding"
        and hashlib.sha256(bytes(stored.content)).hexdigest() == a.sha256
    )
    name, mime, content = ReviewQueries(sup).attachment(a.id)
    assert (name, mime, content) == ("现场照片.jpg", "image/jpeg", payload)
    listed = ReviewQueries(sup).show(r.id)["findings"][0]["attachments"]
    assert listed == [
        {
            "id": a.id,
            "name": "现场照片.jpg",
            "mime": "image/jpeg",
            "size": len(payload),
            "sha256": a.sha256,
        }
    ]
    entry = AuditEntry.select().where(AuditEntry.action == "review.attach").get()
    assert (
        a.sha256 in entry.after and "\\u0000" not in entry.after
    )  # the audit keeps the hash, not the bytes
    with pytest.raises(NotFound):
        ReviewQueries(other).attachment(a.id)
    with pytest.raises(NotFound):
        ReviewService(other).attach(finding.id, photo)
    with pytest.raises(NotPermitted):
        ReviewService(make_user("leader", "viewer")).attach(finding.id, photo)


def test_attachment_limits_and_status(office, tmp_path):
    staff, sup, _ = office
    r = _submit(sup)
    finding = r.findings.order_by(Finding.id).first()
    big = tmp_path / "录像.mp4"
    with open(big, "wb") as fh:
        fh.truncate(MAX_ATTACHMENT + 1)
    with pytest.raises(InvalidInput, match="20 MB"):
        ReviewService(sup).attach(finding.id, big)
    exact = tmp_path / "exact.bin"
    with open(exact, "wb") as fh:
        fh.truncate(MAX_ATTACHMENT)
    assert ReviewService(sup).attach(finding.id, exact).mime == "application/octet-stream"
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    with pytest.raises(InvalidInput):
        ReviewService(sup).attach(finding.id, empty)
    with pytest.raises(InvalidInput):
        ReviewService(sup).attach(finding.id, tmp_path / "missing.pdf")
    with pytest.raises(NotFound):
        ReviewService(sup).attach(9999, exact)
    note = tmp_path / "说明.txt"
    note.write_text("补充说明", encoding="utf-8")
    ReviewService(staff).adopt(r.id, at=DECIDED)
    with pytest.raises(InvalidInput, match="已采纳"):
        ReviewService(sup).attach(finding.id, note)
    assert ReviewService(staff).attach(finding.id, note).mime == "text/plain"
