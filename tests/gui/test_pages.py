"""The other pages: plugins (supervise.gui.plugins_page), settings (.settings_page),
the supervisor's home (.supervisor) and the documents page (.documents)."""

from __future__ import annotations

import datetime as dt

import pytest

from supervise import settings
from supervise.gui import state
from supervise.gui.plugins_page import PluginsView
from supervise.gui.settings_page import SettingsView
from supervise.gui.supervisor import SubmitFindingView
from supervise.models import Attachment, AuditEntry, CalendarOverride, Finding, Review

from .conftest import settle


def test_plugins_page_lists_loaded_failed_and_disabled(login, monkeypatch):
    pytest.importorskip("supervise_example")
    monkeypatch.setenv("SUPERVISE_DISABLED_PLUGINS", "nonexistent_plugin")
    app = login("admin")
    view = app.main.show_view("plugins")
    assert isinstance(view, PluginsView)
    rows = {
        view.loaded.item(i, "values")[0]: view.loaded.item(i, "values")
        for i in view.loaded.get_children()
    }
    assert {"reference", "example"} <= set(rows)
    name, source, families, hooks = rows["example"]
    assert source == "已安装" and "界面" in families and "gui_menu_actions" in hooks
    assert rows["reference"][1] == "内置"
    assert view.disabled.cget("text") == "nonexistent_plugin"
    failures = [view.failed.item(i, "values") for i in view.failed.get_children()]
    assert failures == [
        tuple(str(v) for v in (f["name"], {"load": "加载", "hook": "调用"}[f["stage"]], f["error"]))
        for f in view.data["failures"]
    ]


def test_settings_page_saves_limits_calendar_header_and_font(login):
    app = login("admin")
    view = app.main.show_view("settings")
    assert isinstance(view, SettingsView)
    view.vars["card.黄"].set("x")
    assert view.save_limits() is False
    assert view.forms["limits"].errors["card.黄"].cget("text") == "应为 0–60 的整数"
    view.vars["card.黄"].set("4")
    assert view.save_limits() is True
    assert settings.get("complaint.card_days") == {"蓝": 0, "黄": 4, "红": 10}
    assert AuditEntry.select().where(AuditEntry.action == "settings.change").exists()
    assert view.message.cget("text") == "已保存 1 项设置"

    view.vars["weight.满意率"].set("1.5")
    assert view.save_weights() is False
    view.vars["weight.满意率"].set("0.2")
    assert view.save_weights() is True and settings.get("report.weights")["满意率"] == 0.2

    view.day_var.set("2027-01-04")
    view.kind_var.set("holiday")
    view.note_var.set("本地补假")
    assert view.save_calendar() is True
    assert CalendarOverride.get(CalendarOverride.day == dt.date(2027, 1, 4)).kind == "holiday"
    assert view.overrides.item(view.overrides.get_children()[0], "values")[0] == "2027-01-04"

    view.vars["circular.organ"].set("")
    assert view.save_header() is False
    view.vars["circular.organ"].set("某市效能办")
    view.vars["circular.cc"].set("市纪委监委，市政府办公室")
    assert view.save_header() is True
    assert settings.get("circular.cc") == ["市纪委监委", "市政府办公室"]

    view.ui_family.set(view.ui_family.cget("values")[0] if view.ui_family.cget("values") else "")
    view.vars["ui_size"].set("11")
    assert view.save_fonts() is True
    assert state.load()["font_size"] == 11


def test_staff_have_no_settings_page(login):
    app = login("jiwei01")
    assert "settings" not in [p.name for p in app.main.all_pages]


def test_supervisor_submits_a_finding_with_an_attachment(login, tmp_path):
    app = login("jdy02")
    view = app.main.views["submit"]
    assert isinstance(view, SubmitFindingView)
    view.submit_button.invoke()
    assert view.form.errors["unit"].cget("text") == "请选择被评议单位"
    photo = tmp_path / "现场照片.jpg"
    photo.write_bytes(b"\xff\xd8\xff" + b"0" * 2000)
    view.unit.set(view.unit.cget("values")[0])
    view.method.set("暗访")
    view.description.insert("1.0", "窗口人员上班时间玩手机，群众排队无人理会")
    view.set_files([str(tmp_path / "missing.png")])
    view.submit_button.invoke()
    assert view.form.errors["files"].cget("text") == "附件不存在：missing.png"
    view.set_files([str(photo)])
    view.scores[0].set("60")
    view.submit_button.invoke()
    review = Review.get_by_id(view.last_review)
    assert review.reviewer_name == "jdy02" and review.status == "待审核" and review.method == "暗访"
    finding = Finding.get(Finding.review == review.id)
    attachment = Attachment.get(
        (Attachment.owner_kind == "finding") & (Attachment.owner_id == finding.id)
    )
    assert attachment.filename == "现场照片.jpg" and attachment.size == 2003
    assert "已提交监督评议" in view.message.cget("text")
    mine = app.main.show_view("mine")
    settle(app)
    assert view.last_review in [item["id"] for item in mine.items]
    assert all(item["reviewer"] == "jdy02" for item in mine.items)


def test_documents_page_lists_issued_circulars(login):
    app = login("leader")
    view = app.main.show_view("documents")
    assert view.tree.get_children() == () or view.tree.item(view.tree.get_children()[0], "values")
    labels = app.main.menu_labels("文件")
    assert "印发通报…" not in labels  # viewers read circulars; they do not issue them


def test_identity_tab_purges_in_a_worker_and_manages_keys(login):
    """设置 › 身份信息: retention saved and run with progress, a key granted, the password changed."""
    from supervise import audit, identity
    from supervise.auth import SYSTEM
    from supervise.auth import login as log_in
    from supervise.models import Complaint
    from supervise.services.reference import ReferenceService

    app = login("admin")
    view = app.main.show_view("settings")
    tab = view.identity
    assert "本人已持有" in tab.status.cget("text")
    closed = (
        Complaint.select()
        .where(Complaint.status == "已办结", Complaint.identity_sealed.is_null(False))
        .count()
    )
    assert closed > 0
    tab.days.set("-1")
    assert tab.save_days() is False
    tab.days.set("0")
    assert tab.save_days() is True and settings.get("identity.retention_days") == 0
    tab.purge_button.invoke()
    settle(app)
    assert "已清除工单" in tab.message.cget("text"), tab.message.cget("text")
    assert tab.result["complaints"] >= closed
    assert (
        not Complaint.select()
        .where(Complaint.status == "已办结", Complaint.identity_sealed.is_null(False))
        .exists()
    )
    assert AuditEntry.select().where(AuditEntry.action == "identity.purge").exists()
    assert audit.verify().ok
    purged = Complaint.select().where(Complaint.identity_purged_at.is_null(False)).first()
    window = app.main.open_record("complaint", purged.number)
    assert "已按保存期限清除" in window.identity_label.cget("text")
    assert not window.unmask_button.winfo_ismapped()

    ReferenceService(SYSTEM).add_user(
        "newstaff", "staff", "demo-pass-1"
    )  # no key holder: not granted
    assert log_in("newstaff", "demo-pass-1").identity_key is None
    tab.grantee.set("newstaff")
    tab.grant()
    assert (
        "已授权" in tab.key_message.cget("text")
        and log_in("newstaff", "demo-pass-1").identity_key is not None
    )
    tab.grantee.set("leader")  # a viewer may not hold it
    tab.grant()
    assert "不得查看" in tab.key_message.cget("text")
    tab.recovery.set("AAAA-BBBB")
    tab.recover()
    assert "恢复密钥" in tab.key_message.cget("text")

    tab.old_pw.set("wrong-password")
    tab.new_pw.set("another-pass-2")
    tab.change_password()
    assert "原密码错误" in tab.key_message.cget("text")
    from .conftest import PASSWORD

    tab.old_pw.set(PASSWORD)
    tab.new_pw.set("another-pass-2")
    tab.change_password()
    assert "密码已修改" in tab.key_message.cget("text")
    assert identity.require_key(log_in("admin", "another-pass-2"))


def test_password_dialog_from_the_file_menu_keeps_the_key(login):
    from supervise import identity
    from supervise.auth import login as log_in

    from .conftest import PASSWORD

    app = login("jiwei01")
    main = app.main
    menu = main.menus["文件"]
    entries = [
        menu.entrycget(i, "label") if menu.type(i) == "command" else None
        for i in range(menu.index("end") + 1)
    ]
    menu.invoke(entries.index("修改密码…"))
    dialog = main.dialog
    dialog.old.insert(0, PASSWORD)
    dialog.new.insert(0, "fresh-pass-9")
    dialog.again.insert(0, "fresh-pass-8")
    dialog.ok_button.invoke()
    assert "不一致" in dialog.form.errors["again"].cget("text")
    dialog.again.delete(0, "end")
    dialog.again.insert(0, "fresh-pass-9")
    dialog.ok_button.invoke()
    assert not dialog.winfo_exists() and main.status.cget("text") == "密码已修改"
    assert identity.require_key(log_in("jiwei01", "fresh-pass-9"))
