"""Rating, review and accountability windows (supervise.gui.records_more)."""

from __future__ import annotations

import json

import pytest

from supervise.gui.dialogs import ChoiceDialog, TextDialog
from supervise.gui.records_more import (
    AccountabilityWindow,
    DecideDialog,
    RatingWindow,
    ReviewWindow,
)
from supervise.models import AccountabilityCase, Complaint, Finding, Rating, Review, Unit, now


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

    if liaison in ("U01", "U02", "U09", "U0901"):  # the demo's liaisons rectify their own unit's ratings
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
    return AccountabilityCase.create(rule="overdue_slow", target_kind="unit", unit=unit, failure_kind="慢作为",
                                     evidence=json.dumps([{"kind": "complaint", "id": complaint.id}]),
                                     evidence_key=key, reason="本月超期办结 5 件", proposed_at=now())


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
    assert isinstance(dialog, DecideDialog) and "政务处分" not in dialog.forms  # a unit, not a person
    dialog.ok_button.invoke()
    assert dialog.form.errors["form"].cget("text") == "请选择问责方式"
    assert dialog.form.errors["text"].cget("text") == "决定依据不能为空"
    dialog.form_box.set("约谈")
    dialog.text.insert("1.0", "依据《效能问责办法》第十条")
    dialog.ok_button.invoke()
    decided = AccountabilityCase.get_by_id(case.id)
    assert (decided.status, decided.form, decided.decided_by) == ("已决定", "约谈", "jiwei01")
    assert window.buttons == {} and window.data["form"] == "约谈"
