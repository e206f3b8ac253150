"""登录: user name, password, and the database chosen as on the command line.

The database field starts with ``--db``, else ``SUPERVISE_DB``, else the
default SQLite file (:func:`supervise.db.resolve_url`).  Logging in opens
that database, checks that its schema is current (``supervise init``
creates or upgrades it) and checks the password with
:func:`supervise.auth.login` — five wrong passwords lock the account, as on
the command line.  Messages stay in the form; there is no message box.
"""

from __future__ import annotations

import logging
import tkinter as tk
from collections.abc import Callable
from tkinter import ttk
from typing import Any

from .. import migrations
from ..auth import Actor, login
from ..db import close_database, database, open_database, resolve_url
from ..errors import UserError
from .common import CARD_BG, error_text

logger = logging.getLogger(__name__)


_opened: dict[str, str] = {}


def open_and_login(url: str, name: str, password: str) -> Actor:
    """Open ``url`` (when it is not the open database), check the schema, log in."""
    if _opened.get("url") != url or database.obj is None or database.obj.is_closed():
        close_database()
        open_database(url)
        _opened["url"] = url
    version = migrations.current_version()
    if version is None:
        raise UserError(
            "数据库尚未初始化：请先运行 supervise init",
            "the database is empty: run supervise init first",
        )
    if version < migrations.LATEST:
        raise UserError(
            f"数据库版本 {version} 需要升级：请先运行 supervise init",
            f"the database is at version {version}: run supervise init to upgrade it",
        )
    if version > migrations.LATEST:
        raise UserError(
            f"数据库版本 {version} 高于本程序支持的 {migrations.LATEST}，请升级程序",
            f"the database is at version {version}, newer than this program",
        )
    return login(name, password)


class LoginView(ttk.Frame):
    """The login form, centred in the root window."""

    def __init__(
        self,
        parent: tk.Misc,
        on_login: Callable[[Actor, str], None],
        *,
        db_url: str | None = None,
        user: str | None = None,
    ) -> None:
        super().__init__(parent)
        self.on_login = on_login
        card = ttk.Frame(self, style="Card.TFrame", padding=28)
        card.place(relx=0.5, rely=0.45, anchor="center")
        ttk.Label(card, text="政务服务效能监督", font="SuperviseTitle", background=CARD_BG).grid(
            row=0, column=0, columnspan=3, pady=(0, 4)
        )
        ttk.Label(card, text="诉求 · 好差评 · 监督评议 · 督办问责", style="Card.TLabel").grid(
            row=1, column=0, columnspan=3, pady=(0, 18)
        )
        self.user_var = tk.StringVar(value=user or "")
        self.password_var = tk.StringVar()
        self.db_var = tk.StringVar(value=resolve_url(db_url))
        self.errors: dict[str, ttk.Label] = {}
        self.entries: dict[str, ttk.Entry] = {}
        fields: tuple[tuple[str, str, tk.StringVar, dict[str, Any]], ...] = (
            ("user", "用户名", self.user_var, {}),
            ("password", "密码", self.password_var, {"show": "•"}),
            ("db", "数据库", self.db_var, {}),
        )
        for row, (key, label, var, extra) in enumerate(fields, start=2):
            ttk.Label(card, text=label, background=CARD_BG).grid(
                row=row, column=0, sticky="e", padx=(0, 8), pady=4
            )
            entry = ttk.Entry(card, textvariable=var, width=36 if key != "db" else 44, **extra)
            entry.grid(row=row, column=1, sticky="w", pady=4)
            entry.bind("<Return>", lambda _e: self.attempt())
            self.entries[key] = entry
            message = ttk.Label(card, text="", style="Error.TLabel", background=CARD_BG)
            message.grid(row=row, column=2, sticky="w", padx=(6, 0))
            self.errors[key] = message
        self.login_button = ttk.Button(
            card, text="登录", style="Accent.TButton", command=self.attempt
        )
        self.login_button.grid(row=5, column=1, sticky="w", pady=(14, 0))
        self.message = ttk.Label(
            card, text="", style="Error.TLabel", background=CARD_BG, wraplength=460
        )
        self.message.grid(row=6, column=0, columnspan=3, sticky="w", pady=(10, 0))
        (self.entries["password"] if user else self.entries["user"]).focus_set()

    def attempt(self) -> Actor | None:
        """Check the fields and log in; messages go beside the field or under the button."""
        for label in self.errors.values():
            label.configure(text="")
        self.message.configure(text="")
        name, password, url = (
            self.user_var.get().strip(),
            self.password_var.get(),
            self.db_var.get().strip(),
        )
        for key, value, text in (
            ("user", name, "请输入用户名"),
            ("password", password, "请输入密码"),
            ("db", url, "请输入数据库地址"),
        ):
            if not value:
                self.errors[key].configure(text=text)
        if not (name and password and url):
            return None
        self.configure(cursor="watch")
        self.update_idletasks()
        try:
            actor = open_and_login(url, name, password)
        except UserError as exc:
            self.message.configure(text=exc.line())
            self.password_var.set("")
            return None
        except Exception as exc:  # a database or driver failure: logged, short notice
            logger.exception("login failed")
            self.message.configure(text=error_text(exc))
            return None
        finally:
            self.configure(cursor="")
        self.on_login(actor, url)
        return actor


__all__ = ["LoginView", "open_and_login"]
