"""The main flows driven through the widgets (supervise.gui.dialogs, .records, .dashboard):
register a complaint, assign it, see the dashboard change; a stale edit; a liaison's reply."""

from __future__ import annotations

import datetime as dt

from supervise import identity
from supervise.auth import actor_of
from supervise.gui import common
from supervise.gui.dialogs import AssignDialog, ConflictDialog, NewComplaintDialog, TextDialog
from supervise.gui.records import ComplaintWindow
from supervise.models import AuditEntry, Complaint, User
from supervise.services.complaints import ComplaintService

from .conftest import settle


def _count(dashboard, key: str) -> int:
    return int(dashboard.cards[key].text.replace(",", ""))


def test_register_assign_and_see_it_on_the_dashboard(login):
    app = login("jiwei01")
    main = app.main
    dashboard = main.views["dashboard"]
    before = _count(dashboard, "未办结")

    dialog = main.new_complaint()
    assert isinstance(dialog, NewComplaintDialog)
    dialog.ok_button.invoke()  # content left empty
    assert dialog.winfo_exists() and dialog.result is None
    assert dialog.form.errors["content"].cget("text") == "诉求内容不能为空"
    dialog.received.delete(0, "end")
    dialog.received.insert(0, "2026/13/45")
    dialog.content.insert("1.0", "窗口工作人员推诿扯皮，营业执照补领跑了三次")
    dialog.name.insert(0, "张三")
    dialog.phone.insert(0, "13812345678")
    dialog.ok_button.invoke()
    assert dialog.form.errors["content"].cget("text") == ""
    assert "时间格式" in dialog.form.errors["received"].cget("text")
    dialog.received.delete(0, "end")
    dialog.received.insert(
        0, (dt.datetime.now() - dt.timedelta(hours=1)).strftime("%Y-%m-%d %H:%M")
    )
    dialog.ok_button.invoke()
    assert not dialog.winfo_exists()
    number = dialog.result["number"]
    c = Complaint.get(Complaint.number == number)
    assert c.status == "登记" and c.masked_name == "张*" and "张三" not in (c.identity_sealed or "")
    assert number in main.status.cget("text")

    window = main.records[("complaint", number)]
    assert isinstance(window, ComplaintWindow)
    assert set(window.buttons) == {"交办", "不予受理", "并单"}
    assert window.identity.winfo_manager() and "张*" in window.identity_label.cget("text")
    settle(app)
    assert _count(dashboard, "未办结") == before + 1

    window.buttons["交办"].invoke()
    assign = window.dialog
    assert isinstance(assign, AssignDialog)
    assign.ok_button.invoke()
    assert assign.form.errors["unit"].cget("text") == "请选择承办单位"
    assign.unit.set(next(v for v in assign.unit.cget("values") if v.startswith("U01 ")))
    assign.card.set("红")
    assign.ok_button.invoke()
    c = Complaint.get(Complaint.number == number)
    assert c.status == "已交办" and c.unit.code == "U01" and c.card == "红"
    assert [e["action"] for e in window.data["timeline"]] == ["登记", "交办"]
    assert {"反馈", "退回", "申请延期", "并单"} <= set(window.buttons)
    settle(app)
    assert _count(dashboard, "未办结") == before + 1
    main.show_view("complaints", status="已交办", unit="U01")
    settle(app)
    assert number in [item["number"] for item in main.views["complaints"].items]


def test_unmasking_is_deliberate_and_audited(login):
    app = login("jiwei01")
    c = (
        Complaint.select()
        .where(Complaint.anonymous == False, Complaint.masked_phone.is_null(False))  # noqa: E712
        .first()
    )
    phone = identity.complaint_identity(app.main.actor, c)["phone"]  # the key the log-in unwrapped
    window = app.main.open_record("complaint", c.number)
    assert phone not in window.identity_label.cget("text")
    audits = AuditEntry.select().where(AuditEntry.action == "identity.view").count()
    window.unmask_button.invoke()
    assert phone in window.identity_label.cget("text") and window.unmasked
    assert AuditEntry.select().where(AuditEntry.action == "identity.view").count() == audits + 1


def test_stale_edit_shows_who_changed_the_record_and_reloads(login):
    app = login("jiwei01")
    c = Complaint.select().where(Complaint.status == "登记").order_by(Complaint.id).first()
    window = app.main.open_record("complaint", c.number)
    seen = window.version
    other = actor_of(User.get(User.name == "jiwei02"))
    ComplaintService(other).refuse(c.number, "重复来电，已在其他工单中处理")
    window.buttons["交办"].invoke()
    window.dialog.unit.set(window.dialog.unit.cget("values")[0])
    window.dialog.ok_button.invoke()
    conflict = window.dialog
    assert isinstance(conflict, ConflictDialog)
    assert (
        "记录已被 jiwei02 修改"
        in [w.cget("text") for w in conflict.winfo_children()[0].winfo_children()][0]
    )
    assert Complaint.get_by_id(c.id).status == "不予受理"  # nothing was overwritten
    conflict.ok_button.invoke()
    assert window.version > seen and window.data["status"] == "不予受理" and window.buttons == {}


def test_liaison_replies_from_the_record_window(login):
    app = login("lly_U01")
    view = app.main.views["complaints"]
    view.status_var.set("已交办")
    view.refresh()
    settle(app)
    assert view.items, "the demo office has open cases for U01"
    window = app.main.open_record("complaint", view.items[0]["number"])
    assert set(window.buttons) <= {"反馈", "退回", "申请延期"} and "反馈" in window.buttons
    assert window.data["complainant"] is None and not window.identity.winfo_manager()
    window.buttons["反馈"].invoke()
    reply = window.dialog
    assert isinstance(reply, TextDialog)
    reply.ok_button.invoke()
    assert reply.form.errors["text"].cget("text") == "反馈内容不能为空"
    reply.text.insert("1.0", "已联系群众，当场补办完毕")
    reply.ok_button.invoke()
    assert (
        window.data["status"] == "已反馈"
        and window.data["reply_text"] == "已联系群众，当场补办完毕"
    )
    assert window.buttons == {}
    assert not [m for m in common.MESSAGES if m[0] == "error"]
