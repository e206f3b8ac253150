"""The application frame (supervise.gui.app, .login, .state): login, role homes,
menus from role and plugins, shortcuts, geometry remembered, error reporting."""

from __future__ import annotations

import tkinter as tk

import pytest

from supervise.errors import InvalidInput
from supervise.gui import common, state
from supervise.gui.app import SuperviseApp
from supervise.gui.dashboard import DashboardView
from supervise.gui.dialogs import NewComplaintDialog
from supervise.gui.lists import ComplaintList
from supervise.models import Complaint, Unit, User

from .conftest import clear, pump, settle


def _login_form(root: tk.Tk, url: str) -> SuperviseApp:
    app = SuperviseApp(root, url, testing=True)
    assert app.login_view is not None
    return app


def test_login_success_opens_the_dashboard(login):
    app = login("admin")
    main = app.main
    assert main.current == "dashboard" and isinstance(main.views["dashboard"], DashboardView)
    dashboard = main.views["dashboard"]
    assert dashboard.cards["未办结"].text.replace(",", "").isdigit()
    assert app.root.title().endswith("admin（系统管理员）")
    assert state.load()["user"] == "admin"


def test_login_failure_stays_on_the_form(root, demo_db):
    app = _login_form(root, demo_db)
    form = app.login_view
    form.login_button.invoke()
    assert form.errors["user"].cget("text") == "请输入用户名"
    assert form.errors["password"].cget("text") == "请输入密码"
    form.user_var.set("admin")
    form.password_var.set("wrong-password")
    form.login_button.invoke()
    assert app.main is None
    assert "用户名或密码错误" in form.message.cget("text")
    assert form.password_var.get() == ""
    assert User.get(User.name == "admin").failed_logins == 1
    app.worker.close()
    clear(root)


def test_login_to_an_uninitialised_database_says_what_to_do(root, tmp_path):
    app = _login_form(root, f"sqlite:///{tmp_path}/empty.db")
    form = app.login_view
    form.user_var.set("admin")
    form.password_var.set("whatever-123")
    form.attempt()
    assert "supervise init" in form.message.cget("text") and app.main is None
    app.worker.close()
    clear(root)


def test_geometry_is_remembered(root, login):
    root.deiconify()
    try:
        app = login("admin")
        root.geometry("1111x707+13+17")
        pump(root)
        app.logout()
        assert state.load()["geometry"].startswith("1111x707")
        assert app.login_view is not None and app.main is None
        again = SuperviseApp(root, app.db_url, testing=True)
        pump(root)
        assert root.geometry().startswith("1111x707")
        again.worker.close()
    finally:
        root.withdraw()


def test_supervisor_sees_only_submit_and_my_submissions(login):
    app = login("jdy01")
    main = app.main
    assert [p.name for p in main.all_pages] == ["submit", "mine"]
    assert main.menu_labels("文件") == ["修改密码…", "注销", "退出"]
    assert main.menu_labels("视图") == ["提交评议", "我的提交", "刷新"]
    assert set(main.menus) == {"文件", "视图", "帮助", "__bar__"}
    assert main.show_view("complaints") is None
    assert common.MESSAGES[-1] == ("error", "无权查看此页面")
    mine = main.show_view("mine")
    settle(app)
    assert mine.items == [] or all(item["reviewer"] == "jdy01" for item in mine.items)


def test_liaison_sees_only_their_units_cases(login):
    app = login("lly_U01")
    main = app.main
    assert [p.name for p in main.all_pages] == ["complaints", "ratings"]
    assert main.menu_labels("文件") == ["修改密码…", "注销", "退出"]
    view = main.views["complaints"]
    assert isinstance(view, ComplaintList) and view.title == "本单位工单"
    unit = Unit.get(Unit.code == "U01")
    assert view.total == Complaint.select().where(Complaint.unit == unit.id).count() > 0
    assert {item["unit"] for item in view.items} == {unit.name}
    assert view.unit_var is None  # no unit filter: there is only one unit to see
    assert "新建工单" not in [w.cget("text") for w in view.actions.winfo_children()]


def test_viewer_gets_dashboard_and_documents_without_actions(login):
    app = login("leader")
    main = app.main
    assert [p.name for p in main.all_pages] == ["dashboard", "documents"]
    assert "新建工单…" not in main.menu_labels("文件") and "导入数据…" not in main.menu_labels(
        "文件"
    )
    dashboard = main.views["dashboard"]
    dashboard.cards["未办结"].click()
    settle(app)
    view = main.views["complaints"]
    assert main.current == "complaints" and view.total == int(
        dashboard.cards["未办结"].text.replace(",", "")
    )
    assert "新建工单" not in [w.cget("text") for w in view.actions.winfo_children()]
    window = main.open_record("complaint", view.items[0]["number"])
    assert window.buttons == {}
    assert not window.identity.winfo_ismapped() and window.data["complainant"] is None


def test_shortcuts_open_the_form_and_switch_pages(login):
    app = login("jiwei01")
    root, main = app.root, app.main
    root.deiconify()  # key events go to the window that has the focus
    try:
        root.focus_force()
        pump(root)
        root.event_generate("<Control-n>")
        pump(root)
        assert isinstance(main.dialog, NewComplaintDialog)
        main.dialog.cancel()
        root.focus_force()
        root.event_generate("<Control-Key-2>")
        settle(app)
        assert main.current == "complaints"
        root.event_generate("<F5>")
        assert main.views["complaints"].loading
        settle(app)
        root.event_generate("<Control-f>")
        pump(root)
        assert root.focus_get() is main.views["complaints"].search_entry
    finally:
        root.withdraw()


def test_plugin_menu_actions_and_views_appear(login):
    example = pytest.importorskip("supervise_example")
    app = login("admin")
    main = app.main
    assert "示例问候" in main.menu_labels("工具")
    menu = main.menus["工具"]
    menu.invoke(main.menu_labels("工具").index("示例问候"))
    assert example.INVOKED[-1] == "示例问候" and main.last_plugin_answer == "你好"
    assert "示例问候：你好" in main.status.cget("text")
    assert "plugin:example_view" in [p.name for p in main.all_pages]
    view = main.show_view("plugin:example_view")  # the example's factory returns no widget
    texts = [w.cget("text") for w in view.winfo_children()]
    assert texts and "插件页面无效" in texts[0]
    staff = login("jiwei01")  # the action is for admins only
    assert "工具" not in staff.main.menus


def test_callback_errors_are_reported_without_traceback(login):
    app = login("admin")
    app.report_callback_exception(InvalidInput, InvalidInput("某值无效", "bad value"), None)
    assert common.MESSAGES[-1] == ("error", "某值无效 / bad value")
    err = RuntimeError("boom")
    app.report_callback_exception(RuntimeError, err, None)
    assert common.MESSAGES[-1][1].startswith("内部错误")


def test_a_closed_dialog_is_collected_when_it_closes(login):
    """main.dialog does not keep a closed dialog alive: its widget tree (Tk variables included)
    is collected by Dialog.destroy on the Tk thread, never later by a worker thread's collection."""
    import weakref

    app = login("jiwei01")
    main = app.main
    dialog = main.import_data()
    assert main.dialog is dialog
    ref = weakref.ref(dialog)
    del dialog
    main.dialog.cancel()
    app.root.update_idletasks()  # the collection runs once the closing callback has returned
    assert ref() is None and main.dialog is None
