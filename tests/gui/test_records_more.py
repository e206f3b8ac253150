"""Rating, review, escalation and accountability windows (supervise.gui.records_more) and the rating form."""

from __future__ import annotations

import json

import peewee as pw
import pytest

from supervise.gui import common
from supervise.gui.dialogs import ChoiceDialog, NewRatingDialog, TextDialog
from supervise.gui.records_more import (
    AccountabilityWindow,
    AttachDialog,
    DecideDialog,
    EscalationWindow,
    RatingWindow,
    ReviewWindow,
)
from supervise.models import (
    AccountabilityCase,
    Attachment,
    Complaint,
    Escalation,
    Finding,
    Rating,
    Review,
    Unit,
    now,
)

from .conftest import settle


def test_bad_rating_loop_through_the_window(login):
    r = Rating.select().where((Rating.status == "待核实") & (Rating.real_name == True)).first()  # noqa: E712
    assert r is not None, "the demo office has real-name 差评 waiting for verification"
    liaison = Unit.get_by_id(r.unit_id).code
    app = login("jiwei01")
    window = app.main.open_record("rating", r.id)
    assert isinstance(window, RatingWindow) and list(window.buttons) == ["核实"]
    assert window.data["rater"] and "*" in window.identity_label.cget("text")
    window.buttons["核实"].invoke()
    dialog = window.dialog
    assert isinstance(dialog, ChoiceDialog)
    dialog.ok_button.invoke()
    assert dialog.form.errors["choice"].cget("text") == "请选择核实结论"
    dialog.choice.set("属实")
    dialog.option_vars["立行立改"].set(True)
    dialog.ok_button.invoke()
    assert Rating.get_by_id(r.id).status == "待整改" and window.data["rectify_kind"] == "立行立改"
    assert list(window.buttons) == ["整改"]

    if liaison in (
        "U01",
        "U02",
        "U09",
        "U0901",
    ):  # the demo's liaisons rectify their own unit's ratings
        other = login(f"lly_{liaison}").main.open_record("rating", r.id)
        assert other.data["rater"] is None and list(other.buttons) == ["整改"]
    window.reload()
    window.buttons["整改"].invoke()
    window.dialog.text.insert("1.0", "当面致歉，调整窗口排班")
    window.dialog.ok_button.invoke()
    assert Rating.get_by_id(r.id).status == "待回访" and list(window.buttons) == ["回访"]
    window.buttons["回访"].invoke()
    assert isinstance(window.dialog, TextDialog)
    window.dialog.text.insert("1.0", "评价人表示满意")
    window.dialog.ok_button.invoke()
    assert Rating.get_by_id(r.id).status == "已办结" and window.buttons == {}
    assert [e["action"] for e in window.data["timeline"]][-3:] == ["核实", "整改", "回访"]


def test_review_adopted_into_complaints(login):
    review = Review.select().where(Review.status == "待审核").join(Finding).distinct().first()
    assert review is not None
    app = login("jiwei01")
    window = app.main.open_record("review", review.id)
    assert isinstance(window, ReviewWindow)
    assert {"采纳", "不予采纳"} <= set(window.buttons)
    assert window.texts["findings"].get("1.0", "end").strip().startswith("1. [")
    before = Complaint.select().count()
    window.buttons["采纳"].invoke()
    window.dialog.choice.set("采纳")
    window.dialog.option_vars["问题转为工单交办"].set(True)
    window.dialog.ok_button.invoke()
    assert Review.get_by_id(review.id).status == "已采纳"
    assert Complaint.select().count() == before + review.findings.count()
    assert "已转工单 TS" in window.texts["findings"].get("1.0", "end")


def test_review_rejected_needs_a_reason(login):
    review = Review.select().where(Review.status == "待审核").order_by(Review.id.desc()).first()
    app = login("jiwei02")
    window = app.main.open_record("review", review.id)
    window.buttons["不予采纳"].invoke()
    window.dialog.ok_button.invoke()
    assert window.dialog.form.errors["text"].cget("text") == "理由不能为空"
    window.dialog.text.insert("1.0", "所述问题与事实不符")
    window.dialog.ok_button.invoke()
    assert Review.get_by_id(review.id).reject_reason == "所述问题与事实不符"
    assert list(window.buttons) == ["添加附件"]  # the office may still add files


def _case(key: str) -> AccountabilityCase:
    unit = Unit.get(Unit.code == "U01")
    complaint = Complaint.select().where(Complaint.unit == unit.id).first()
    return AccountabilityCase.create(
        rule="overdue_slow",
        target_kind="unit",
        unit=unit,
        failure_kind="慢作为",
        evidence=json.dumps([{"kind": "complaint", "id": complaint.id}]),
        evidence_key=key,
        reason="本月超期办结 5 件",
        proposed_at=now(),
    )


def test_accountability_window_reads_the_case(login):
    case = _case("gui-test-1")
    app = login("leader")
    window = app.main.open_record("accountability", case.id)
    assert isinstance(window, AccountabilityWindow)
    assert "慢作为" in window.heading.cget("text") and window.buttons == {}
    assert f"#{json.loads(case.evidence)[0]['id']}" in window.texts["reason"].get("1.0", "end")
    admin = login("admin").main.open_record("accountability", case.id)
    assert admin.buttons == {}  # decisions are reserved to staff (SPEC §2.4, DESIGN)


def test_staff_decide_an_accountability_case(login):
    pytest.importorskip("supervise.services.accountability")
    case = _case("gui-test-2")
    app = login("jiwei01")
    window = app.main.open_record("accountability", case.id)
    assert set(window.buttons) == {"作出决定", "不予问责"}
    window.buttons["作出决定"].invoke()
    dialog = window.dialog
    assert (
        isinstance(dialog, DecideDialog) and "政务处分" not in dialog.forms
    )  # a unit, not a person
    dialog.ok_button.invoke()
    assert dialog.form.errors["form"].cget("text") == "请选择问责方式"
    assert dialog.form.errors["text"].cget("text") == "决定依据不能为空"
    dialog.form_box.set("约谈")
    dialog.text.insert("1.0", "依据《效能问责办法》第十条")
    dialog.ok_button.invoke()
    decided = AccountabilityCase.get_by_id(case.id)
    assert (decided.status, decided.form, decided.decided_by) == ("已决定", "约谈", "jiwei01")
    assert window.buttons == {} and window.data["form"] == "约谈"
    steps = [window.timeline.set(iid, "action") for iid in window.timeline.get_children()]
    assert steps == ["提出", "决定"]


def _escalation(complaint: Complaint, level: str = "督办") -> Escalation:
    at = now().replace(microsecond=0)
    return Escalation.create(
        rule="overdue_escalation",
        target_kind="complaint",
        target_id=complaint.id,
        level=level,
        reason=f"工单 {complaint.number} 已超期",
        raised_at=at,
        updated_at=at,
    )


def test_escalation_window_shows_cause_and_citing_case(login):
    complaint = Complaint.select().where(Complaint.status == "已交办").first()
    e = _escalation(complaint)
    unit = Unit.get_by_id(complaint.unit_id)
    case = AccountabilityCase.create(
        rule="weak_escalation",
        target_kind="unit",
        unit=unit,
        failure_kind="不作为",
        evidence=json.dumps([{"kind": "escalation", "id": e.id}]),
        evidence_key="gui-esc",
        reason="督办不力",
        proposed_at=now(),
    )
    app = login("jiwei01")
    listing = app.main.show_view("escalations")
    settle(app)
    row = next(i for i in listing.items if i["id"] == e.id)
    listing.open_item(row)  # a double-click on the list opens the escalation itself
    window = app.main.records[("escalation", str(e.id))]
    assert isinstance(window, EscalationWindow)
    assert "督办" in window.heading.cget("text") and "未解除" in window.heading.cget("text")
    assert list(window.buttons) == ["打开督办对象", "运行督办规则"]
    kinds = [window.links.set(iid, "kind") for iid in window.links.get_children()]
    assert kinds == ["工单", "问责"]
    assert window.links.set("0", "text") == complaint.number
    opened = window.open_link(0)  # the cause record, clicked through
    assert opened.data["number"] == complaint.number
    assert window.open_link(1).data["id"] == case.id
    window.links.selection_set("0")
    window.links.event_generate("<Return>")
    assert app.main.records[("complaint", complaint.number)].winfo_exists()

    window.buttons["运行督办规则"].invoke()  # in a worker; the record reloads when it is done
    settle(app)
    assert window.badge.cget("text").startswith("督办规则已运行")

    viewer = login("leader").main.open_record("escalation", e.id)
    assert list(viewer.buttons) == ["打开督办对象"]  # reading only: no rule runs


def test_escalation_window_refuses_roles_without_the_right(login):
    e = _escalation(Complaint.select().first(), "预警")
    app = login("lly_U01")
    assert app.main.open_record("escalation", e.id) is None
    assert any(kind == "error" and "无权" in text for kind, text in common.MESSAGES)


def test_accountability_evidence_clicks_through(login):
    case = _case("gui-test-links")
    complaint = Complaint.get_by_id(json.loads(case.evidence)[0]["id"])
    window = login("jiwei01").main.open_record("accountability", case.id)
    assert (
        window.links.set("0", "kind") == "工单"
        and window.links.set("0", "text") == complaint.number
    )
    assert window.open_link(0).data["number"] == complaint.number


def test_attachment_goes_to_the_chosen_finding(login, tmp_path):
    review = (
        Review.select()
        .join(Finding)
        .group_by(Review.id)
        .having(pw.fn.COUNT(Finding.id) > 1)
        .first()
    )
    if review is None:  # the demo office may give each review one finding: add a second
        review = Review.select().join(Finding).first()
        Finding.create(review=review, description="窗口无人值守", category="纪律", severity="一般")
    second = review.findings.order_by(Finding.id)[1]
    window = login("jiwei01").main.open_record("review", review.id)
    window.buttons["添加附件"].invoke()
    dialog = window.dialog
    assert isinstance(dialog, AttachDialog)
    dialog.ok_button.invoke()
    assert dialog.form.errors["finding"].cget("text") == "请选择附件所属的问题"
    assert dialog.form.errors["path"].cget("text") == "请选择文件"
    dialog.finding.set(dialog.labels[1])
    dialog.path.insert(0, str(tmp_path / "missing.jpg"))
    dialog.ok_button.invoke()
    assert dialog.form.errors["path"].cget("text") == "文件不存在"
    photo = tmp_path / "现场照片.jpg"
    photo.write_bytes(b"\xff\xd8\xff photo")
    dialog.path.delete(0, "end")
    dialog.path.insert(0, str(photo))
    dialog.ok_button.invoke()
    stored = Attachment.select().where(
        (Attachment.owner_kind == "finding") & (Attachment.owner_id == second.id)
    )
    assert [a.filename for a in stored] == ["现场照片.jpg"]
    assert "附件：现场照片.jpg" in window.texts["findings"].get("1.0", "end")


def test_staff_enter_a_rating_with_validation_beside_the_fields(login):
    app = login("jiwei01")
    ratings = app.main.show_view("ratings")
    settle(app)
    assert "录入评价" in [w.cget("text") for w in ratings.actions.winfo_children()]
    assert "录入好差评…" in app.main.menu_labels("文件")
    dialog = app.main.open_record("new_rating", None)
    assert isinstance(dialog, NewRatingDialog)
    dialog.rated.delete(0, "end")
    dialog.rated.insert(0, "明天上午")
    dialog.real_name.set(True)
    dialog.phone.insert(0, "12ab")
    dialog.ok_button.invoke()
    errors = {k: w.cget("text") for k, w in dialog.form.errors.items() if w.cget("text")}
    assert errors == {
        "unit": "请选择单位",
        "level": "请选择评价等级",
        "phone": "联系电话应为 7 位以上数字",
        "rater": "实名评价须填写评价人姓名",
        "rated": "时间格式应为 2026-10-05 14:03",
    }
    dialog.unit.set(dialog.unit.cget("values")[0])
    dialog.level.set("2 不满意")
    dialog.staff.insert(0, "NO-SUCH")
    dialog.rater.insert(0, "王女士")
    dialog.phone.delete(0, "end")
    dialog.phone.insert(0, "13800001234")
    dialog.rated.delete(0, "end")
    dialog.rated.insert(0, now().strftime("%Y-%m-%d %H:%M"))
    dialog.ok_button.invoke()
    assert dialog.form.errors["reasons"].cget("text") == "差评请填写差评原因"
    dialog.reasons.insert(0, "办事要跑多次")
    before = Rating.select().count()
    dialog.ok_button.invoke()
    assert dialog.form.errors["staff"].cget("text") == "工号不存在：NO-SUCH"
    assert Rating.select().count() == before  # nothing written while a field is wrong
    dialog.staff.delete(0, "end")
    dialog.ok_button.invoke()
    r = Rating.select().order_by(Rating.id.desc()).first()
    assert (r.level, r.bad, r.status, r.masked_name, r.real_name) == (
        2,
        True,
        "待核实",
        "王**",
        True,
    )
    window = app.main.records[("rating", str(r.id))]
    assert list(window.buttons) == ["核实"]
    assert app.main.status.cget("text").startswith(f"已录入评价 #{r.id}")


def test_liaison_cannot_enter_ratings(login):
    app = login("lly_U01")
    ratings = app.main.show_view("ratings")
    assert "录入评价" not in [w.cget("text") for w in ratings.actions.winfo_children()]
    assert app.main.open_record("new_rating", None) is None


def test_rules_run_from_the_lists(login):
    app = login("jiwei01")
    cases = app.main.show_view("accountability")
    settle(app)
    assert cases.rule_button is not None and cases.rule_button.cget("text") == "生成问责建议"
    cases.rule_button.invoke()
    assert cases.rule_button.instate(["disabled"])  # running in a worker
    settle(app)
    assert cases.filter_message.cget("text").startswith("问责规则已运行：新提出")
    assert cases.rule_button.instate(["!disabled"])
    escalations = app.main.show_view("escalations")
    settle(app)
    escalations.rule_button.invoke()
    settle(app)
    assert escalations.filter_message.cget("text").startswith("督办规则已运行：新增")
    settle(app)
    assert escalations.total == Escalation.select().count() > 0


def test_staff_submit_their_own_review_from_the_review_list(login):
    app = login("jiwei02")
    reviews = app.main.show_view("reviews")
    settle(app)
    button = next(w for w in reviews.actions.winfo_children() if w.cget("text") == "提交评议")
    button.invoke()
    assert app.main.current == "submit"
    view = app.main.views["submit"]
    view.unit.set(view.unit.cget("values")[0])
    view.method.set("明察")
    view.description.insert("1.0", "窗口未公示办事指南")
    view.submit_button.invoke()
    review = Review.get_by_id(view.last_review)
    assert (review.reviewer_name, review.status) == ("jiwei02", "待审核")
    window = app.main.open_record("review", review.id)
    assert {"采纳", "不予采纳"} <= set(window.buttons)
    mine = login("jdy01").main.show_view("mine")
    assert "提交评议" not in [w.cget("text") for w in mine.actions.winfo_children()]
