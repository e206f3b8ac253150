"""The desktop application: root window, login, main window, menus and shortcuts.

:class:`SuperviseApp` owns the Tk root: it chooses the CJK font and the ttk
theme, restores the window geometry of the last session (a small JSON file in
the user data folder), shows the login form and then the main window of the
logged-in role.  :class:`MainWindow` is a navigation list and a content area:
which pages appear depends on the role (a ``supervisor`` gets exactly "提交评议"
and "我的提交", a ``liaison`` their unit's cases, a ``viewer`` the dashboard
and the documents); plugin views (``registry.views()``) and menu actions
(``registry.menu_actions()``) are added for the roles they name.

Errors in callbacks reach :meth:`SuperviseApp.report_callback_exception`: a
:class:`~supervise.errors.UserError` shows as its one line, anything else is
logged with its traceback and shown as a short notice.
"""

from __future__ import annotations

import gc
import logging
import os
import threading
import tkinter as tk
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from tkinter import ttk
from types import TracebackType
from typing import Any

from .. import __version__
from ..auth import Actor
from ..db import close_database
from ..errors import UserError
from ..permissions import ADMIN, LIAISON, ROLE_NAMES, STAFF, SUPERVISOR, VIEWER, allowed
from ..registry import get_registry, use_plugins_dir_setting
from . import common, state
from .context import ViewContext
from .dashboard import DashboardView
from .documents import DocumentsView, document_actions
from .fonts import apply_fonts
from .lists import ComplaintList
from .lists_more import AccountabilityList, EscalationList, MySubmissions, RatingList, ReviewList
from .login import LoginView
from .plugins_page import PluginsView
from .records import ComplaintWindow, RecordWindow
from .records_more import AccountabilityWindow, EscalationWindow, RatingWindow, ReviewWindow
from .settings_page import SettingsView
from .supervisor import SubmitFindingView
from .worker import Worker

logger = logging.getLogger(__name__)

APP_TITLE = "政务服务效能监督"
DEFAULT_GEOMETRY = "1360x860"
OFFICE = (ADMIN, STAFF)


@dataclass(frozen=True)
class Page:
    """A page of the navigation: who sees it there, and who may open it from a link."""

    name: str
    title: str
    factory: Callable[..., tk.Widget]
    roles: tuple[str, ...]
    reader: str | None = None  # the permission that lets other roles open it (dashboard links)


PAGES: tuple[Page, ...] = (
    Page("dashboard", "工作台", DashboardView, (ADMIN, STAFF, VIEWER)),
    Page("complaints", "诉求工单", ComplaintList, (ADMIN, STAFF, LIAISON), "complaint.read"),
    Page("ratings", "好差评", RatingList, (ADMIN, STAFF, LIAISON), "rating.read"),
    Page("reviews", "监督评议", ReviewList, OFFICE, "review.read"),
    Page("escalations", "督办", EscalationList, OFFICE, "accountability.read"),
    Page("accountability", "问责", AccountabilityList, OFFICE, "accountability.read"),
    Page("documents", "文档", DocumentsView, (ADMIN, STAFF, VIEWER)),
    Page(
        "submit", "提交评议", SubmitFindingView, (SUPERVISOR,), "review.submit"
    ),  # staff: from 监督评议
    Page("mine", "我的提交", MySubmissions, (SUPERVISOR,)),
    Page("plugins", "插件", PluginsView, OFFICE),
    Page("settings", "设置", SettingsView, (ADMIN,)),
)
ROLE_TITLES = {LIAISON: {"complaints": "本单位工单", "ratings": "本单位好差评"}}
RECORDS: dict[str, type[RecordWindow]] = {
    "complaint": ComplaintWindow,
    "rating": RatingWindow,
    "review": ReviewWindow,
    "accountability": AccountabilityWindow,
    "escalation": EscalationWindow,
}
SHORTCUTS = (
    ("Ctrl+N", "新建工单"),
    ("Ctrl+I", "导入数据"),
    ("Ctrl+F", "搜索（列表页）"),
    ("F5", "刷新"),
    ("Ctrl+1…9", "切换页面"),
    ("Alt+←/→", "列表翻页"),
    ("Enter / 双击", "打开记录"),
    ("Ctrl+L", "注销"),
    ("Ctrl+Q", "退出"),
    ("F1", "快捷键"),
)


def pages_for(role: str) -> list[Page]:
    return [p for p in PAGES if role in p.roles]


def _run_and_break(command: Callable[[], object], _event: tk.Event) -> str:
    """A shortcut's handler: run the command and stop Tk's own binding."""
    command()
    return "break"


class SuperviseApp:
    """The root window's life: login → main window → logout → login."""

    def __init__(
        self,
        root: tk.Tk,
        db_url: str | None = None,
        user: str | None = None,
        *,
        testing: bool = False,
    ) -> None:
        self.root, self.db_url, self.testing = root, db_url, testing
        self.user = user or os.environ.get("SUPERVISE_USER") or state.load().get("user")
        root.title(APP_TITLE)
        root.report_callback_exception = self.report_callback_exception
        local = state.load()
        self.font = apply_fonts(root, local.get("font_family"), local.get("font_size"))
        common.apply_theme(root)
        geometry = local.get("geometry")
        root.geometry(geometry if state.valid_geometry(geometry) else DEFAULT_GEOMETRY)
        root.minsize(1024, 680)
        root.protocol("WM_DELETE_WINDOW", self.quit)
        self.worker = Worker(root)
        self.login_view: LoginView | None = None
        self.main: MainWindow | None = None
        # load the plugins while the user types the password (importing them takes seconds)
        threading.Thread(target=self._warm_plugins, name="supervise-plugins", daemon=True).start()
        self.show_login()

    @staticmethod
    def _warm_plugins() -> None:
        try:
            get_registry().load_all()
        except Exception:  # reported again, with the plugin's name, when the main window asks
            logger.exception("loading the plugins in the background failed")

    def show_login(self) -> LoginView:
        self.login_view = LoginView(self.root, self.logged_in, db_url=self.db_url, user=self.user)
        self.login_view.pack(fill="both", expand=True)
        return self.login_view

    def logged_in(self, actor: Actor, url: str) -> None:
        self.db_url = url
        state.update(user=actor.name)
        use_plugins_dir_setting()  # the settings page's drop-in folder, for this process
        if self.login_view is not None:
            self.login_view.destroy()
            self.login_view = None
            gc.collect()
        self.root.title(f"{APP_TITLE} — {actor.name}（{ROLE_NAMES.get(actor.role, actor.role)}）")
        self.main = MainWindow(self.root, self, actor)
        self.main.pack(fill="both", expand=True)

    def save_geometry(self) -> None:
        if self.root.state() == "normal":
            state.update(geometry=self.root.geometry())

    def logout(self) -> None:
        self.save_geometry()
        self.worker.cancel_all()
        if self.main is not None:
            self.main.close()
            self.main = None
        self.root.configure({"menu": ""})
        self.root.title(APP_TITLE)
        gc.collect()  # the destroyed widgets are cycles: free their Tk variables here, on the Tk thread
        self.show_login()

    def quit(self) -> None:
        self.save_geometry()
        self.worker.close()
        if self.main is not None:
            self.main.close()
        self.root.destroy()
        close_database()

    def report_callback_exception(
        self, exc: type[BaseException], value: BaseException, tb: TracebackType | None
    ) -> None:
        if not isinstance(value, UserError):
            logger.error("error in a window callback", exc_info=(exc, value, tb))
        common.show_error(self.root, common.error_text(value))


class MainWindow(ttk.Frame):
    """Navigation on the left, the current page on the right, a status bar below."""

    dialog = common.DialogRef()  # the open dialog, not kept alive once destroyed

    def __init__(self, root: tk.Tk, app: SuperviseApp, actor: Actor) -> None:
        super().__init__(root)
        self.root, self.app, self.actor = root, app, actor
        self.ctx = ViewContext(root, actor, app.worker, self, app.testing)
        self.pages = pages_for(actor.role)
        self.plugin_pages = self._plugin_pages()
        self.views: dict[str, tk.Widget] = {}
        self.current: str | None = None
        self.records: dict[tuple[str, str], RecordWindow] = {}
        self.dialog = None
        self.last_plugin_answer: Any = None
        body = ttk.Panedwindow(self, orient="horizontal")
        body.pack(fill="both", expand=True)
        self.nav = ttk.Treeview(
            body, show="tree", selectmode="browse", style="Nav.Treeview", takefocus=False
        )
        self.nav.column("#0", width=150)
        body.add(self.nav, weight=0)
        self.content = ttk.Frame(body)
        body.add(self.content, weight=1)
        for page in self.all_pages:
            self.nav.insert("", "end", iid=page.name, text="  " + self.page_title(page))
        self.nav.bind("<<TreeviewSelect>>", self._nav_selected)
        role = ROLE_NAMES.get(actor.role, actor.role)
        self.status = ttk.Label(
            self,
            text=f"{actor.name}（{role}）  ·  {app.db_url}  ·  v{__version__}",
            style="Status.TLabel",
            anchor="w",
        )
        self.status.pack(fill="x", side="bottom")
        self.menus = self._build_menus()
        self._bind_shortcuts()
        if self.all_pages:
            self.show_view(self.all_pages[0].name)

    # -- pages -------------------------------------------------------------------------

    @property
    def all_pages(self) -> list[Page]:
        return self.pages + self.plugin_pages

    def page_title(self, page: Page) -> str:
        return ROLE_TITLES.get(self.actor.role, {}).get(page.name, page.title)

    def _plugin_pages(self) -> list[Page]:
        pages = []
        for spec in get_registry().views():
            if self.actor.role in spec.roles:
                pages.append(
                    Page(
                        f"plugin:{spec.name}",
                        spec.title,
                        self._plugin_factory(spec.factory),
                        spec.roles,
                    )
                )
        return pages

    def _plugin_factory(self, factory: Callable[..., object]) -> Callable[..., tk.Widget]:
        def build(parent: tk.Misc, ctx: ViewContext) -> tk.Widget:
            try:
                view = factory(parent, actor=ctx.actor, worker=ctx.worker, nav=ctx.nav)
            except Exception as exc:
                logger.exception("a plugin view failed to build")
                return self._broken(parent, f"插件页面出错：{type(exc).__name__}: {exc}")
            if isinstance(view, tk.Widget):
                return view
            return self._broken(
                parent, f"插件页面无效：返回了 {type(view).__name__}，应为 ttk.Frame"
            )

        return build

    @staticmethod
    def _broken(parent: tk.Misc, text: str) -> tk.Widget:
        frame = ttk.Frame(parent, padding=20)
        ttk.Label(frame, text=text, style="Error.TLabel").pack(anchor="w")
        return frame

    def _page(self, name: str) -> Page | None:
        for page in self.all_pages:
            if page.name == name:
                return page
        linked = next((p for p in PAGES if p.name == name), None)
        if linked is not None and linked.reader and allowed(self.actor.role, linked.reader):
            return linked  # not in this role's navigation, but readable through a link
        return None

    def show_view(self, name: str, **filters: Any) -> tk.Widget | None:
        """Show a page (building it on first use); list filters come from dashboard links."""
        page = self._page(name)
        if page is None:
            common.show_error(self.root, "无权查看此页面")
            return None
        view = self.views.get(name)
        if view is None:
            view = (
                page.factory(self.content, self.ctx, filters)
                if filters
                else page.factory(self.content, self.ctx)
            )
            self.views[name] = view
        elif filters and hasattr(view, "set_filters"):
            view.set_filters(**filters)
            view.refresh()  # type: ignore[attr-defined]  # hasattr does not narrow a Widget
        if self.current and self.current != name and self.current in self.views:
            self.views[self.current].pack_forget()
        view.pack(fill="both", expand=True)
        self.current = name
        if self.nav.exists(name) and self.nav.selection() != (name,):
            self.nav.selection_set(name)
        elif not self.nav.exists(name):
            self.nav.selection_set(())
        return view

    def _nav_selected(self, _event: tk.Event | None = None) -> None:
        selection = self.nav.selection()
        if selection and selection[0] != self.current:
            self.show_view(selection[0])

    def refresh_current(self) -> None:
        view = self.views.get(self.current or "")
        if view is not None and hasattr(view, "refresh"):
            view.refresh()

    def changed(self, kind: str) -> None:
        """A record changed: refresh the dashboard and the lists already built."""
        for view in self.views.values():
            if hasattr(view, "reload"):
                view.reload()
            elif isinstance(view, DashboardView):
                view.refresh()

    # -- records -----------------------------------------------------------------------

    def open_record(self, kind: str, key: object) -> tk.Toplevel | None:
        """Open (or raise) a record window; ``new_complaint`` opens the registration form."""
        if kind == "new_complaint":
            return self.new_complaint()
        if kind == "new_rating":
            return self.new_rating()
        window_class = RECORDS.get(kind)
        if window_class is None:
            return None
        existing = self.records.get((kind, str(key)))
        if existing is not None and existing.winfo_exists():
            existing.lift()
            existing.reload()
            return existing
        window = window_class(self.root, self.ctx, key, _utest=self.app.testing)
        if window.winfo_exists():
            self.records[(kind, str(key))] = window
            return window
        return None

    def new_complaint(self) -> tk.Toplevel | None:
        if not self.ctx.can("complaint.add"):
            return None
        from .dialogs import NewComplaintDialog

        def registered(result: dict[str, Any]) -> None:
            self.changed("complaint")
            self.status.configure(
                text=f"已登记 {result['number']}，查询码 {result['receipt_code']}"
            )
            self.open_record("complaint", result["number"])

        self.dialog = NewComplaintDialog(
            self.root, self.ctx, _utest=self.app.testing, on_result=registered
        )
        return self.dialog

    def change_password(self) -> tk.Toplevel:
        """修改密码 (every role); an identity key held is rewrapped, so access is kept."""
        from .identity_page import PasswordDialog

        def changed(_actor: object) -> None:
            self.status.configure(text="密码已修改")

        self.dialog = PasswordDialog(
            self.root, self.actor, _utest=self.app.testing, on_result=changed
        )
        return self.dialog

    def new_rating(self) -> tk.Toplevel | None:
        """录入好差评 (office roles); the rating's window opens once it is entered."""
        if not self.ctx.can("rating.add"):
            return None
        from .dialogs import NewRatingDialog

        def entered(result: dict[str, Any]) -> None:
            self.changed("rating")
            bad = "，差评已进入核实" if result["bad"] else ""
            self.status.configure(text=f"已录入评价 #{result['id']}{bad}")
            self.open_record("rating", result["id"])

        self.dialog = NewRatingDialog(
            self.root, self.ctx, _utest=self.app.testing, on_result=entered
        )
        return self.dialog

    def import_data(self) -> tk.Toplevel | None:
        if not self.ctx.can("import"):
            return None
        from .import_dialog import ImportDialog

        self.dialog = ImportDialog(self.root, self.ctx, _utest=self.app.testing)
        return self.dialog

    # -- menus and shortcuts --------------------------------------------------------------

    def _build_menus(self) -> dict[str, tk.Menu]:
        bar = tk.Menu(self.root)
        menus: dict[str, tk.Menu] = {}

        def menu(name: str) -> tk.Menu:
            if name not in menus:
                menus[name] = tk.Menu(bar, tearoff=False)
            return menus[name]

        file = menu("文件")
        if self.ctx.can("complaint.add"):
            file.add_command(label="新建工单…", accelerator="Ctrl+N", command=self.new_complaint)
        if self.ctx.can("rating.add"):
            file.add_command(label="录入好差评…", command=self.new_rating)
        if self.ctx.can("import"):
            file.add_command(label="导入数据…", accelerator="Ctrl+I", command=self.import_data)
        for label, command in document_actions(self):
            file.add_command(label=label, command=command)
        if file.index("end") is not None:
            file.add_separator()
        file.add_command(label="修改密码…", command=self.change_password)
        file.add_command(label="注销", accelerator="Ctrl+L", command=self.app.logout)
        file.add_command(label="退出", accelerator="Ctrl+Q", command=self.app.quit)
        view = menu("视图")
        for i, page in enumerate(self.all_pages, 1):
            view.add_command(
                label=self.page_title(page),
                accelerator=f"Ctrl+{i}" if i < 10 else "",
                command=partial(self.show_view, page.name),
            )
        view.add_separator()
        view.add_command(label="刷新", accelerator="F5", command=self.refresh_current)
        for action in get_registry().menu_actions():
            if self.actor.role in action.roles:
                menu(action.menu).add_command(
                    label=action.label, command=partial(self.run_plugin_action, action)
                )
        helper = menu("帮助")
        helper.add_command(label="快捷键", accelerator="F1", command=self.show_shortcuts)
        helper.add_command(label="关于", command=self.show_about)
        order = (
            ["文件", "视图"] + [n for n in menus if n not in ("文件", "视图", "帮助")] + ["帮助"]
        )
        for name in order:
            bar.add_cascade(label=name, menu=menus[name])
        self.root.configure(menu=bar)
        menus["__bar__"] = bar
        return menus

    def menu_labels(self, name: str) -> list[str]:
        """The entry labels of a menu (tests and the shortcut list)."""
        menu = self.menus[name]
        end = menu.index("end")
        return (
            []
            if end is None
            else [
                str(menu.entrycget(i, "label")) for i in range(end + 1) if menu.type(i) == "command"
            ]
        )

    def run_plugin_action(self, action: Any) -> Any:
        try:
            answer = action.callback(parent=self.root, actor=self.actor)
        except UserError as exc:
            common.show_error(self.root, exc.line())
            return None
        except Exception:
            logger.exception("plugin menu action %r failed", action.label)
            common.show_error(self.root, f"插件菜单“{action.label}”出错，详见日志")
            return None
        self.last_plugin_answer = answer
        if isinstance(answer, str) and answer:
            self.status.configure(text=f"{action.label}：{answer}")
        return answer

    def _bind_shortcuts(self) -> None:
        root = self.root
        bindings: list[tuple[str, Callable[[], Any]]] = [
            ("<Control-n>", self.new_complaint),
            ("<Control-i>", self.import_data),
            ("<F5>", self.refresh_current),
            ("<Control-l>", self.app.logout),
            ("<Control-q>", self.app.quit),
            ("<F1>", self.show_shortcuts),
            ("<Control-f>", self.focus_search),
        ]
        for i, page in enumerate(self.all_pages[:9], 1):
            bindings.append((f"<Control-Key-{i}>", partial(self.show_view, page.name)))
        self._bound = [seq for seq, _ in bindings]
        for sequence, command in bindings:
            root.bind(sequence, partial(_run_and_break, command))

    def focus_search(self) -> None:
        view = self.views.get(self.current or "")
        entry = getattr(view, "search_entry", None)
        if entry is not None:
            entry.focus_set()
            entry.select_range(0, "end")

    def show_shortcuts(self) -> None:
        common.show_info(
            self.root, "\n".join(f"{keys}\t{what}" for keys, what in SHORTCUTS), "快捷键"
        )

    def show_about(self) -> None:
        common.show_info(
            self.root,
            f"{APP_TITLE}\n版本 {__version__}\n界面字体：{self.app.font.family or 'Tk 默认'}",
            "关于",
        )

    def close(self) -> None:
        for sequence in getattr(self, "_bound", []):
            self.root.unbind(sequence)
        for window in list(self.records.values()):
            if window.winfo_exists():
                window.destroy()
        if self.dialog is not None and self.dialog.winfo_exists():
            self.dialog.destroy()
        self.destroy()


def run(db_url: str | None = None, user: str | None = None) -> int:
    """``supervise gui``: build the root window and run the event loop."""
    root = tk.Tk(className="supervise")
    SuperviseApp(root, db_url, user)
    root.mainloop()
    return 0


__all__ = ["MainWindow", "PAGES", "Page", "SuperviseApp", "pages_for", "run"]
