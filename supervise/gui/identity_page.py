"""设置 › 身份信息: retention period and purge, identity key grant and recovery,
password change (issue #8 items 6 and 8; docs/SECURITY.md).

The purge runs in a worker thread with its own connection and reports its
progress to the bar; it can be cancelled between batches.  Everything here
goes through the same services as ``supervise retention purge``,
``supervise keys grant|recover`` and ``supervise user passwd``.
"""

from __future__ import annotations

import logging
import tkinter as tk
from collections.abc import Callable
from tkinter import ttk
from typing import Any

from .. import retention, settings
from ..auth import change_password
from ..errors import UserError
from ..services import keys
from .common import Dialog, Form
from .context import ViewContext
from .worker import Job

logger = logging.getLogger(__name__)


class IdentityTab(ttk.Frame):
    """One notebook page; ``store`` saves settings as the other pages do."""

    def __init__(
        self, parent: tk.Misc, ctx: ViewContext, store: Callable[[dict[str, Any]], bool]
    ) -> None:
        super().__init__(parent, padding=12)
        self.ctx, self.store = ctx, store
        self.job: Job | None = None
        self.form = Form(self)
        self.form.pack(fill="x", anchor="n")
        self.days = tk.StringVar(value=str(settings.get("identity.retention_days")))
        self.form.add(
            "days",
            "身份信息保存期限（办结后天数）",
            ttk.Entry(self.form, textvariable=self.days, width=8),
            sticky="w",
        )
        self.form.add(
            "hint",
            "",
            ttk.Label(
                self.form,
                style="Muted.TLabel",
                text=(
                    "已办结、不予受理、已并单的工单及已办结/无需处理的评价，超过期限后清除诉求人/评价人身份（留痕）。"
                ),
            ),
            sticky="w",
        )
        buttons = ttk.Frame(self)
        buttons.pack(fill="x", pady=(8, 0))
        ttk.Button(buttons, text="保存期限", command=self.save_days).pack(side="left")
        self.purge_button = ttk.Button(buttons, text="立即清除到期身份信息", command=self.purge)
        self.purge_button.pack(side="left", padx=6)
        self.cancel_button = ttk.Button(buttons, text="取消", command=self.cancel, state="disabled")
        self.cancel_button.pack(side="left")
        if not ctx.can("retention.purge"):
            self.purge_button.configure(state="disabled")
        self.bar = ttk.Progressbar(self, mode="determinate", maximum=1)
        self.bar.pack(fill="x", pady=(8, 0))
        self.message = ttk.Label(self, text="", style="Muted.TLabel")
        self.message.pack(anchor="w", pady=(4, 12))
        self._keys()

    # -- retention -------------------------------------------------------------------------

    def save_days(self) -> bool:
        self.form.clear_errors()
        try:
            days = int(self.days.get().strip())
            if not 0 <= days <= 36500:
                raise ValueError
        except ValueError:
            self.form.error("days", "应为 0–36500 的整数")
            return False
        return self.store({"identity.retention_days": days})

    def purge(self) -> None:
        actor = self.ctx.actor

        def work(job: Job) -> dict[str, Any]:
            return retention.purge(
                actor,
                progress=lambda done, total: job.progress(done, total),
                cancel=lambda: job.cancelled,
            )

        self.purge_button.configure(state="disabled")
        self.cancel_button.configure(state="normal")
        self.message.configure(text="正在清除…", style="Muted.TLabel")
        self.job = self.ctx.worker.submit(
            work,
            name="retention",
            on_progress=self._progress,
            on_done=self._done,
            on_error=self._failed,
            on_cancelled=self._ended,
        )

    def cancel(self) -> None:
        if self.job is not None:
            self.job.cancel()

    def _progress(self, value: float, total: float | None, _text: str) -> None:
        self.bar.configure(maximum=max(total or 1, 1), value=value)
        self.message.configure(text=f"已清除 {int(value)}" + (f" / {int(total)}" if total else ""))

    def _done(self, result: dict[str, Any]) -> None:
        self._ended()
        note = "（已取消）" if result["cancelled"] else ""
        self.message.configure(
            text=f"已清除工单 {result['complaints']} 件、评价 {result['ratings']} 条的身份信息"
            f"（{result['cutoff'][:10]} 前办结）{note}",
            style="Muted.TLabel",
        )
        self.result = result

    def _failed(self, exc: BaseException) -> None:
        self._ended()
        text = exc.line() if isinstance(exc, UserError) else "清除失败，详见日志"
        self.message.configure(text=text, style="Error.TLabel")

    def _ended(self) -> None:
        self.job = None
        self.cancel_button.configure(state="disabled")
        if self.ctx.can("retention.purge"):
            self.purge_button.configure(state="normal")

    # -- keys and password --------------------------------------------------------------------

    def _keys(self) -> None:
        box = ttk.LabelFrame(self, text="身份解密密钥", padding=8)
        box.pack(fill="x")
        self.key_form = Form(box)
        self.key_form.pack(fill="x")
        self.status = ttk.Label(self.key_form, text="")
        self.key_form.add("status", "状态", self.status, sticky="w")
        self.grantee = tk.StringVar()
        row = ttk.Frame(self.key_form)
        ttk.Entry(row, textvariable=self.grantee, width=16).pack(side="left")
        ttk.Button(row, text="授权", command=self.grant).pack(side="left", padx=4)
        self.key_form.add("grant", "授权用户（管理员/干部）", row, sticky="w")
        self.recovery = tk.StringVar()
        row = ttk.Frame(self.key_form)
        ttk.Entry(row, textvariable=self.recovery, width=40, show="•").pack(side="left")
        ttk.Button(row, text="恢复", command=self.recover).pack(side="left", padx=4)
        self.key_form.add("recover", "用恢复密钥恢复本人权限", row, sticky="w")
        self.old_pw, self.new_pw = tk.StringVar(), tk.StringVar()
        row = ttk.Frame(self.key_form)
        ttk.Entry(row, textvariable=self.old_pw, width=14, show="•").pack(side="left")
        ttk.Entry(row, textvariable=self.new_pw, width=14, show="•").pack(side="left", padx=4)
        ttk.Button(row, text="修改密码", command=self.change_password).pack(side="left")
        self.key_form.add("password", "原密码 / 新密码", row, sticky="w")
        self.key_message = ttk.Label(box, text="", style="Muted.TLabel")
        self.key_message.pack(anchor="w")
        self.refresh()

    def refresh(self) -> None:
        try:
            data = keys.status(self.ctx.actor)
        except UserError as exc:
            self.status.configure(text=exc.zh)
            return
        holders = "、".join(h["name"] for h in data["holders"]) or "无"
        mine = "本人已持有" if data["you_hold_key"] else "本人未持有"
        self.status.configure(text=f"指纹 {data['office_key'] or '无'}；{mine}；持有人：{holders}")

    def _say(self, text: str, error: bool = False) -> None:
        self.key_message.configure(text=text, style="Error.TLabel" if error else "Muted.TLabel")

    def grant(self) -> None:
        try:
            user = keys.grant(self.ctx.actor, self.grantee.get().strip())
        except UserError as exc:
            self._say(exc.line(), True)
            return
        self._say(f"已授权 {user.name}")
        self.refresh()

    def recover(self) -> None:
        try:
            self.ctx.actor = keys.recover(self.ctx.actor, self.recovery.get())
        except UserError as exc:
            self._say(exc.line(), True)
            return
        finally:
            self.recovery.set("")
        self._say("已恢复本人的身份解密权限（其他窗口重新登录后生效）")
        self.refresh()

    def change_password(self) -> None:
        try:
            change_password(self.ctx.actor, self.old_pw.get(), self.new_pw.get())
        except UserError as exc:
            self._say(exc.line(), True)
            return
        finally:
            self.old_pw.set("")
            self.new_pw.set("")
        self._say("密码已修改，身份解密权限保留")


class PasswordDialog(Dialog):
    """文件 › 修改密码 (every role): the identity key, when held, is rewrapped and kept."""

    ok_text = "修改"

    def __init__(self, parent: tk.Misc, actor: Any, **kw: Any) -> None:
        self.actor = actor
        super().__init__(parent, "修改密码", **kw)

    def create_widgets(self, body: ttk.Frame) -> None:
        self.form = Form(body)
        self.form.pack(fill="both", expand=True)
        self.old, self.new, self.again = (
            ttk.Entry(self.form, show="•", width=24) for _ in range(3)
        )
        self.form.add("old", "原密码", self.old, required=True)
        self.form.add("new", "新密码（至少 8 位）", self.new, required=True)
        self.form.add("again", "再次输入新密码", self.again, required=True)

    def focus_initial(self) -> None:
        self.old.focus_set()

    def validate(self) -> Any:
        self.form.clear_errors()
        if self.new.get() != self.again.get():
            self.form.error("again", "两次输入的新密码不一致")
            return None
        try:
            return change_password(self.actor, self.old.get(), self.new.get())
        except UserError as exc:
            self.show_message(exc.line())
            return None


__all__ = ["IdentityTab", "PasswordDialog"]
