"""Record windows: details, the timeline, and the steps this user may take now.

:class:`RecordWindow` is the frame of every record window: a header, a
details grid, text panes, the identity box (only for roles that may see
identities; showing them unmasked is a deliberate click that the service
audits), the timeline, and one button per allowed step.

A step runs in one write transaction that first checks the record's version
against the one this window shows (``SELECT … FOR UPDATE`` on PostgreSQL;
SQLite's ``BEGIN IMMEDIATE`` already holds the write lock).  A stale window
gets :class:`~supervise.errors.Conflict` naming who changed the record, shown
by :class:`~supervise.gui.dialogs.ConflictDialog`, which offers to reload.
"""

from __future__ import annotations

import datetime as dt
import logging
import tkinter as tk
from collections.abc import Callable
from tkinter import ttk
from typing import Any

from ..db import is_sqlite, write_transaction
from ..errors import Conflict, NotFound, UserError
from ..models import AuditEntry, Complaint, Versioned
from ..services.complaint_queries import ComplaintQueries
from ..services.complaints import ComplaintService
from ..settings import get as setting
from .common import WINDOW_BG, DialogRef, collect_on_tk_thread, set_text, show_error
from .context import ViewContext
from .dialogs import (
    AssignDialog,
    ConflictDialog,
    ExtensionDialog,
    MergeDialog,
    TextDialog,
    VisitDialog,
)

logger = logging.getLogger(__name__)


def stale(model: type[Versioned], pk: object) -> Conflict:
    """The Conflict for a record changed since it was read, naming who changed it last."""
    last = (
        AuditEntry.select(AuditEntry.actor, AuditEntry.at)
        .where((AuditEntry.table == model._meta.table_name) & (AuditEntry.record_id == str(pk)))
        .order_by(AuditEntry.id.desc())
        .first()
    )
    who = last.actor if last else "?"
    when = f"{last.at:%Y-%m-%d %H:%M:%S}" if last and isinstance(last.at, dt.datetime) else ""
    return Conflict(
        f"记录已被 {who} 于 {when} 修改，请刷新后重试",
        f"the record was changed by {who} at {when}; reload and try again",
        changed_by=who,
    )


def check_version(model: type[Versioned], pk: object, version: int) -> None:
    """Raise Conflict when the stored version differs from ``version``; call inside the transaction."""
    q = model.select(model.version).where(model._meta.primary_key == pk)
    if not is_sqlite():
        q = q.for_update()
    current = q.scalar()
    if current is None:
        raise NotFound("记录已被删除", "the record was deleted")
    if current != version:
        raise stale(model, pk)


class RecordWindow(tk.Toplevel):
    """The frame of a record window; subclasses read the record and add their steps."""

    kind = ""
    model: type[Versioned] = Complaint
    dialog = DialogRef()  # the open step dialog, not kept alive once destroyed

    def __init__(
        self, parent: tk.Misc, ctx: ViewContext, key: Any, *, _utest: bool = False
    ) -> None:
        super().__init__(parent)
        self.ctx, self.key, self._utest = ctx, key, _utest
        self.configure(background=WINDOW_BG)
        self.geometry("980x720")
        self.data: dict[str, Any] = {}
        self.record_id: int | None = None
        self.version: int | None = None
        self.buttons: dict[str, ttk.Button] = {}
        self.dialog = None
        self.unmasked = False
        self._build()
        self.bind("<F5>", lambda _e: self.reload())
        self.bind("<Escape>", lambda _e: self.destroy())
        self.reload()

    # -- layout ------------------------------------------------------------------------

    def _build(self) -> None:
        outer = ttk.Frame(self, padding=12)
        outer.pack(fill="both", expand=True)
        head = ttk.Frame(outer)
        head.pack(fill="x")
        self.heading = ttk.Label(head, text="", style="Title.TLabel")
        self.heading.pack(side="left")
        self.badge = ttk.Label(head, text="", style="Error.TLabel", font="SuperviseBold")
        self.badge.pack(side="left", padx=12)
        ttk.Button(head, text="刷新 (F5)", command=self.reload).pack(side="right")
        self.action_bar = ttk.Frame(outer)
        self.action_bar.pack(fill="x", pady=(8, 4))
        panes = ttk.Panedwindow(outer, orient="vertical")
        panes.pack(fill="both", expand=True)
        top = ttk.Frame(panes)
        panes.add(top, weight=3)
        self.details = ttk.Frame(top)
        self.details.pack(side="left", fill="y", anchor="n")
        texts = ttk.Frame(top)
        texts.pack(side="left", fill="both", expand=True, padx=(16, 0))
        self.texts: dict[str, tk.Text] = {}
        for key, title in self.text_panes():
            ttk.Label(texts, text=title, style="Muted.TLabel").pack(anchor="w")
            box = tk.Text(
                texts, height=5, wrap="word", font="TkTextFont", relief="solid", borderwidth=1
            )
            box.pack(fill="both", expand=True, pady=(0, 6))
            self.texts[key] = box
        self.identity = ttk.Labelframe(texts, text="诉求人（已遮蔽）", padding=6)
        self.identity_label = ttk.Label(self.identity, text="")
        self.identity_label.pack(side="left")
        self.unmask_button = ttk.Button(
            self.identity, text="显示完整信息（将记入审计）", command=self.unmask
        )
        self.unmask_button.pack(side="right")
        self.links_box = ttk.Labelframe(texts, text="相关记录（双击打开）", padding=4)
        self.links = ttk.Treeview(
            self.links_box, columns=("kind", "text"), show="headings", height=4, selectmode="browse"
        )
        self.links.heading("kind", text="类别", anchor="w")
        self.links.heading("text", text="记录", anchor="w")
        self.links.column("kind", width=80, stretch=False)
        self.links.column("text", width=360)
        self.links.pack(fill="both", expand=True)
        self.links.bind("<Double-1>", lambda _e: self.open_link())
        self.links.bind("<Return>", lambda _e: self.open_link())
        self.link_items: list[dict[str, Any]] = []
        bottom = ttk.Frame(panes)
        panes.add(bottom, weight=2)
        ttk.Label(bottom, text="办理过程", style="Muted.TLabel").pack(anchor="w")
        columns = ("at", "action", "status", "actor", "note")
        self.timeline = ttk.Treeview(bottom, columns=columns, show="headings", height=8)
        for key, title, width in (
            ("at", "时间", 140),
            ("action", "环节", 80),
            ("status", "状态", 70),
            ("actor", "经办人", 90),
            ("note", "说明", 480),
        ):
            self.timeline.heading(key, text=title, anchor="w")
            self.timeline.column(key, width=width, stretch=key == "note")
        self.timeline.pack(fill="both", expand=True)

    def text_panes(self) -> list[tuple[str, str]]:
        return []

    def destroy(self) -> None:
        root = self.nametowidget(".")  # the Tk root, alive after this window is gone
        super().destroy()
        collect_on_tk_thread(
            root
        )  # free the window's Tk variables on the Tk thread, not in a worker's collection

    def _fill_details(self, rows: list[tuple[str, Any]]) -> None:
        for child in self.details.winfo_children():
            child.destroy()
        for i, (label, value) in enumerate(rows):
            ttk.Label(self.details, text=label, style="Muted.TLabel").grid(
                row=i, column=0, sticky="ne", pady=2
            )
            text = "—" if value in (None, "") else str(value)
            ttk.Label(self.details, text=text, wraplength=300).grid(
                row=i, column=1, sticky="nw", padx=(8, 0), pady=2
            )

    def _fill_timeline(self, events: list[dict[str, Any]]) -> None:
        self.timeline.delete(*self.timeline.get_children())
        for e in events:
            at = str(e["at"])[:16]
            self.timeline.insert(
                "", "end", values=(at, e["action"], e.get("status") or "", e["actor"], e["note"])
            )

    def _fill_links(self, links: list[dict[str, Any]]) -> None:
        """Related records (``queries.record_links`` items); hidden when there are none."""
        self.link_items = list(links)
        self.links.delete(*self.links.get_children())
        for i, link in enumerate(self.link_items):
            text = link["text"] if link["open"] else f"{link['text']}（无记录窗口）"
            self.links.insert("", "end", iid=str(i), values=(link["kind"], text))
        if self.link_items:
            self.links_box.pack(fill="both", expand=True, pady=(0, 6))
        else:
            self.links_box.pack_forget()

    def open_link(self, index: int | None = None) -> tk.Toplevel | None:
        """Open a related record (the selected one, or ``index``) in its own window."""
        if index is None:
            selection = self.links.selection()
            if not selection:
                return None
            index = int(selection[0])
        target = self.link_items[index]["open"]
        return self.ctx.nav.open_record(*target) if target else None

    def _fill_actions(self, actions: list[tuple[str, Callable[[], object]]]) -> None:
        for child in self.action_bar.winfo_children():
            child.destroy()
        self.buttons = {}
        for label, command in actions:
            button = ttk.Button(self.action_bar, text=label, command=command)
            button.pack(side="left", padx=(0, 6))
            self.buttons[label] = button
        if not actions:
            ttk.Label(self.action_bar, text="当前无可执行的操作", style="Muted.TLabel").pack(
                side="left"
            )

    # -- reading -----------------------------------------------------------------------

    def read(self, unmask: bool = False) -> dict[str, Any]:
        raise NotImplementedError  # pragma: no cover

    def show(self, data: dict[str, Any]) -> None:
        raise NotImplementedError  # pragma: no cover

    def reload(self) -> None:
        try:
            self.data = self.read(unmask=False)
        except UserError as exc:
            show_error(self, exc.line())
            self.destroy()
            return
        self.unmasked = False
        self.version = self.data.get("version")
        self.show(self.data)

    def unmask(self) -> None:
        """Show the identity in full: a deliberate click, audited by the service."""
        try:
            data = self.read(unmask=True)
        except UserError as exc:
            show_error(self, exc.line())
            return
        self.unmasked = True
        self.show_identity(data, unmasked=True)

    def show_identity(self, data: dict[str, Any], unmasked: bool = False) -> None:
        """Subclasses fill the identity box."""

    # -- steps ---------------------------------------------------------------------------

    def ask(
        self,
        dialog: Callable[..., tk.Toplevel],
        then: Callable[[dict[str, Any]], object],
        *args: Any,
    ) -> None:
        """Open a step dialog; ``then(result)`` carries the step out when it is confirmed."""
        self.dialog = dialog(self, *args, _utest=self._utest, on_result=then)

    def perform(self, step: Callable[[], Any], done: str = "") -> bool:
        """Run one step after the version check, in one transaction; reload afterwards."""
        try:
            with write_transaction():
                check_version(self.model, self.record_id, self.version or 0)
                step()
        except Conflict as exc:
            self.conflict(exc)
            return False
        except UserError as exc:
            show_error(self, exc.line())
            return False
        except Exception as exc:
            self._root().report_callback_exception(  # type: ignore[attr-defined]  # Misc._root is untyped
                type(exc), exc, exc.__traceback__
            )
            return False
        self.reload()
        self.ctx.nav.changed(self.kind)
        if done:
            self.status(done)
        return True

    def conflict(self, exc: Conflict) -> None:
        self.dialog = ConflictDialog(
            self, exc, _utest=self._utest, on_result=lambda _r: self.reload()
        )

    def status(self, text: str) -> None:
        self.badge.configure(text=text)


class ComplaintWindow(RecordWindow):
    """诉求工单: details, content, reply, complainant, timeline and the steps allowed now."""

    kind = "complaint"
    model = Complaint

    def text_panes(self) -> list[tuple[str, str]]:
        return [("content", "诉求内容"), ("reply", "承办单位反馈")]

    def read(self, unmask: bool = False) -> dict[str, Any]:
        return ComplaintQueries(self.ctx.actor).show(str(self.key), unmask=unmask)

    def show(self, d: dict[str, Any]) -> None:
        self.record_id = Complaint.get(Complaint.number == d["number"]).id
        self.title(f"诉求工单 {d['number']}")
        self.heading.configure(
            text=f"{d['number']}  ·  {d['status']}  ·  {d['category']}  ·  {d['channel']}"
        )
        self.badge.configure(text="已超期" if d["overdue"] else "")
        card = f"{d['card']}色，" if d.get("card") else ""
        limit = f"{card}{d['limit_days']} 个工作日" if d.get("limit_days") is not None else None
        visit = None
        if d.get("visit_result"):
            visit = f"{d['visit_result']}，{'已解决' if d.get('resolved') else '未解决'}"
        extension = f"已延期 {d['extension_count']} 次" if d.get("extension_count") else None
        if d.get("extension_pending"):
            extension = f"申请延期 {d['extension_pending']} 个工作日（待审批）"
        self._fill_details(
            [
                ("标题", d.get("title")),
                ("受理时间", d.get("received_at")),
                ("承办单位", d.get("unit")),
                ("交办时限", limit),
                ("办理期限", d.get("due_at")),
                ("反馈时间", d.get("replied_at")),
                ("回访", visit),
                ("重办次数", d.get("reopen_count")),
                ("延期", extension),
                ("办结时间", d.get("closed_at")),
                ("终止原因", d.get("end_reason")),
                ("查询码", d.get("receipt_code")),
            ]
        )
        set_text(self.texts["content"], d.get("content") or "", readonly=True)
        set_text(self.texts["reply"], d.get("reply_text") or "", readonly=True)
        self.show_identity(d)
        self._fill_timeline(d["timeline"])
        self._fill_actions(self.actions(d))

    def show_identity(self, d: dict[str, Any], unmasked: bool = False) -> None:
        person = d.get("complainant")
        if person is None:  # liaisons and viewers: no identity box at all
            self.identity.pack_forget()
            return
        self.identity.pack(fill="x", pady=(0, 6))
        if person.get("anonymous") or person.get("purged"):
            self.identity.configure(text="诉求人")
            self.identity_label.configure(
                text=f"已按保存期限清除（{person['purged'][:10]}）"
                if person.get("purged")
                else "匿名"
            )
            self.unmask_button.pack_forget()
            return
        self.identity.configure(text="诉求人" if unmasked else "诉求人（已遮蔽）")
        parts = [person.get("name"), person.get("phone"), person.get("id_no")]
        self.identity_label.configure(text="    ".join(p for p in parts if p) or "—")
        if unmasked:
            self.unmask_button.pack_forget()
        else:
            self.unmask_button.pack(side="right")

    # -- what this user may do now ---------------------------------------------------------

    def actions(self, d: dict[str, Any]) -> list[tuple[str, Callable[[], object]]]:
        handle, answer = self.ctx.can("complaint.handle"), self.ctx.can("complaint.answer")
        status = d["status"]
        acts: list[tuple[str, Callable[[], object]]] = []
        if status == "登记" and handle:
            acts += [
                ("改派" if d.get("assigned_at") else "交办", self.ask_assign),
                ("不予受理", self.ask_refuse),
                ("并单", self.ask_merge),
            ]
        if status == "已交办":
            if answer:
                acts += [("反馈", self.ask_reply), ("退回", self.ask_dispute)]
                limit = int(setting("complaint.max_extensions"))
                if not d.get("extension_pending") and d.get("extension_count", 0) < limit:
                    acts.append(("申请延期", self.ask_extension))
            if handle and d.get("extension_pending"):
                acts += [
                    ("批准延期", lambda: self.decide_extension(True)),
                    ("不予批准延期", lambda: self.decide_extension(False)),
                ]
            if handle:
                acts.append(("并单", self.ask_merge))
        if status == "已反馈" and handle:
            acts.append(("回访", self.ask_visit))
            if d.get("anonymous") or d.get("category") in ("咨询", "表扬", "建议"):
                acts.append(("办结", self.close_case))
        if status == "已回访" and handle:
            acts.append(("办结", self.close_case))
        return acts

    @property
    def service(self) -> ComplaintService:
        return ComplaintService(self.ctx.actor)

    @property
    def number(self) -> str:
        return str(self.data["number"])

    def ask_assign(self) -> None:
        self.ask(
            AssignDialog,
            lambda r: self.assign(r["unit"], card=r["card"], limit=r["limit"]),
            self.number,
            self.data.get("unit_code"),
        )

    def assign(self, unit: str, card: str | None = None, limit: int | None = None) -> bool:
        return self.perform(
            lambda: self.service.assign(self.number, unit, card=card, limit=limit), "已交办"
        )

    def ask_reply(self) -> None:
        self.ask(
            lambda parent, **kw: TextDialog(
                parent, f"反馈 {self.number}", "反馈内容", ok_text="提交反馈", **kw
            ),
            lambda r: self.reply(r["text"]),
        )

    def reply(self, text: str) -> bool:
        return self.perform(lambda: self.service.reply(self.number, text), "已反馈")

    def ask_dispute(self) -> None:
        self.ask(
            lambda parent, **kw: TextDialog(
                parent, f"退回 {self.number}", "退回理由", ok_text="退回", **kw
            ),
            lambda r: self.perform(lambda: self.service.dispute(self.number, r["text"]), "已退回"),
        )

    def ask_extension(self) -> None:
        self.ask(
            ExtensionDialog,
            lambda r: self.perform(
                lambda: self.service.request_extension(self.number, r["days"], r["text"]),
                "已申请延期",
            ),
            self.number,
        )

    def decide_extension(self, approve: bool) -> bool:
        return self.perform(
            lambda: self.service.decide_extension(self.number, approve), "已审批延期"
        )

    def ask_visit(self) -> None:
        self.ask(
            VisitDialog, lambda r: self.visit(r["result"], r["resolved"], r["text"]), self.number
        )

    def visit(self, result: str, resolved: bool, note: str = "") -> bool:
        return self.perform(
            lambda: self.service.visit(self.number, result, resolved, note), "已回访"
        )

    def close_case(self) -> bool:
        return self.perform(lambda: self.service.close(self.number), "已办结")

    def ask_refuse(self) -> None:
        self.ask(
            lambda parent, **kw: TextDialog(
                parent, f"不予受理 {self.number}", "理由", ok_text="不予受理", **kw
            ),
            lambda r: self.perform(lambda: self.service.refuse(self.number, r["text"]), "不予受理"),
        )

    def ask_merge(self) -> None:
        self.ask(
            MergeDialog,
            lambda r: self.perform(
                lambda: self.service.merge(self.number, r["into"], r["text"]), "已并单"
            ),
            self.number,
        )


__all__ = ["ComplaintWindow", "RecordWindow", "check_version", "stale"]
