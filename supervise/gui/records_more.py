"""Record windows for ratings 好差评, reviews 监督评议 and accountability cases 问责."""

from __future__ import annotations

import importlib
import importlib.util
import json
import logging
import os
import tkinter as tk
from collections.abc import Callable
from tkinter import filedialog, ttk
from typing import Any

from ..errors import NotFound, UserError
from ..models import (
    PERSON_FORMS,
    RATING_FINDINGS,
    SANCTIONS,
    UNIT_FORMS,
    AccountabilityCase,
    Escalation,
    Rating,
    Review,
    Staff,
    Unit,
)
from ..permissions import ADMIN, STAFF, require
from ..services.ratings import RatingQueries, RatingService
from ..services.reviews import MAX_ATTACHMENT, ReviewQueries, ReviewService
from .common import Dialog, Form, set_text, show_error
from .dialogs import ChoiceDialog, TextDialog
from .lists_more import start_rule_run
from .queries import escalation_record, record_links
from .records import RecordWindow

logger = logging.getLogger(__name__)


class RatingWindow(RecordWindow):
    """好差评: the rating, the rater (office only), the 差评 loop and its steps."""

    kind = "rating"
    model = Rating

    def text_panes(self) -> list[tuple[str, str]]:
        return [("comment", "评价内容与差评原因"), ("measures", "整改措施")]

    def read(self, unmask: bool = False) -> dict[str, Any]:
        return RatingQueries(self.ctx.actor).show(int(self.key), unmask=unmask)

    def show(self, d: dict[str, Any]) -> None:
        self.record_id = d["id"]
        self.title(f"评价 #{d['id']}")
        bad = "差评" if d["bad"] else "非差评"
        self.heading.configure(
            text=f"评价 #{d['id']}  ·  {d['level_name']}  ·  {bad}  ·  {d['status']}"
        )
        self.badge.configure(text="已超期" if d["overdue"] else "")
        staff = f"{d['staff_name']}（{d['staff']}）" if d.get("staff") else None
        matter = f"{d['matter_name']}（{d['matter']}）" if d.get("matter") else None
        self._fill_details(
            [
                ("单位", d.get("unit")),
                ("窗口", d.get("window")),
                ("工作人员", staff),
                ("事项", matter),
                ("渠道", d.get("channel")),
                ("评价时间", d.get("rated_at")),
                ("核实期限", d.get("contact_due_at")),
                ("核实结论", d.get("finding")),
                ("整改方式", d.get("rectify_kind")),
                ("整改期限", d.get("rectify_due_at")),
                ("整改完成", d.get("rectified_at")),
                ("回访时间", d.get("visited_at")),
                ("办结时间", d.get("closed_at")),
                ("来源", "导入" if d.get("source") != "entered" else "录入"),
            ]
        )
        comment = "\n".join(
            x
            for x in (d.get("comment"), f"差评原因：{d['reasons']}" if d.get("reasons") else "")
            if x
        )
        set_text(self.texts["comment"], comment, readonly=True)
        set_text(self.texts["measures"], d.get("measures") or "", readonly=True)
        self.show_identity(d)
        self._fill_timeline(d["timeline"])
        self._fill_actions(self.actions(d))

    def show_identity(self, d: dict[str, Any], unmasked: bool = False) -> None:
        person = d.get("rater")
        if person is None:
            self.identity.pack_forget()
            return
        self.identity.pack(fill="x", pady=(0, 6))
        if person.get("anonymous") or person.get("purged"):
            self.identity.configure(text="评价人")
            self.identity_label.configure(
                text=f"已按保存期限清除（{person['purged'][:10]}）"
                if person.get("purged")
                else "匿名"
            )
            self.unmask_button.pack_forget()
            return
        self.identity.configure(text="评价人" if unmasked else "评价人（已遮蔽）")
        self.identity_label.configure(
            text="    ".join(p for p in (person.get("name"), person.get("phone")) if p)
        )
        if unmasked:
            self.unmask_button.pack_forget()
        else:
            self.unmask_button.pack(side="right")

    def actions(self, d: dict[str, Any]) -> list[tuple[str, Callable[[], object]]]:
        handle = self.ctx.can("rating.handle")
        status = d["status"]
        if status == "待核实" and handle:
            return [("核实", self.ask_verify)]
        if status == "待整改" and handle:
            return [("整改", self.ask_rectify)]
        if status == "待回访" and self.ctx.actor.role in (ADMIN, STAFF):
            return [("回访", self.ask_visit)]
        return []

    @property
    def service(self) -> RatingService:
        return RatingService(self.ctx.actor)

    def ask_verify(self) -> None:
        self.ask(
            lambda parent, **kw: ChoiceDialog(
                parent,
                f"核实评价 #{self.key}",
                "核实结论",
                RATING_FINDINGS,
                ok_text="核实",
                options=("立行立改", "复杂整改"),
                **kw,
            ),
            lambda r: self.verify(
                r["choice"],
                r["text"],
                complex=r["options"]["复杂整改"],
                immediate=r["options"]["立行立改"],
            ),
        )

    def verify(
        self, finding: str, note: str = "", *, complex: bool = False, immediate: bool = False
    ) -> bool:
        return self.perform(
            lambda: self.service.verify(
                int(self.key), finding, note, complex=complex, immediate=immediate
            ),
            "已核实",
        )

    def ask_rectify(self) -> None:
        self.ask(
            lambda parent, **kw: TextDialog(
                parent, f"整改评价 #{self.key}", "整改措施", ok_text="整改完成", **kw
            ),
            lambda r: self.perform(
                lambda: self.service.rectify(int(self.key), r["text"]), "已整改"
            ),
        )

    def ask_visit(self) -> None:
        self.ask(
            lambda parent, **kw: TextDialog(
                parent, f"回访评价人 #{self.key}", "回访结果", ok_text="回访", **kw
            ),
            lambda r: self.perform(lambda: self.service.visit(int(self.key), r["text"]), "已回访"),
        )


class AttachDialog(Dialog):
    """添加附件: which finding the file belongs to, and the file (≤ 20 MB)."""

    ok_text = "上传"

    def __init__(self, parent: tk.Misc, findings: list[dict[str, Any]], **kw: Any) -> None:
        self.findings = findings
        self.labels = [
            f"{i}. [{f['category']}·{f['severity']}] {f['description'][:30]}"
            for i, f in enumerate(findings, 1)
        ]
        super().__init__(parent, "添加附件", **kw)

    def create_widgets(self, body: ttk.Frame) -> None:
        self.form = form = Form(body)
        form.pack(fill="both", expand=True)
        self.finding = ttk.Combobox(form, values=self.labels, state="readonly", width=44)
        if len(self.labels) == 1:
            self.finding.set(self.labels[0])
        form.add("finding", "所属问题", self.finding, required=True, sticky="w")
        row = ttk.Frame(form)
        self.path = ttk.Entry(row, width=36)
        self.path.pack(side="left")
        ttk.Button(row, text="浏览…", command=self.browse).pack(side="left", padx=4)
        form.add("path", "文件", row, required=True, sticky="w")

    def browse(self) -> None:
        path = filedialog.askopenfilename(parent=self, title="选择附件")
        if path:
            self.path.delete(0, "end")
            self.path.insert(0, path)

    def validate(self) -> Any:
        self.form.clear_errors()
        chosen = self.finding.get()
        if chosen not in self.labels:
            self.form.error("finding", "请选择附件所属的问题")
        path = self.path.get().strip()
        if not path:
            self.form.error("path", "请选择文件")
        elif not os.path.isfile(path):
            self.form.error("path", "文件不存在")
        elif os.path.getsize(path) > MAX_ATTACHMENT:
            self.form.error("path", "附件不能超过 20 MB")
        if self.form.has_errors():
            return None
        return {"finding": self.findings[self.labels.index(chosen)]["id"], "path": path}


class ReviewWindow(RecordWindow):
    """监督评议: scores, findings with attachments, and adoption or rejection."""

    kind = "review"
    model = Review

    def text_panes(self) -> list[tuple[str, str]]:
        return [("findings", "发现的问题")]

    def read(self, unmask: bool = False) -> dict[str, Any]:
        return ReviewQueries(self.ctx.actor).show(int(self.key))

    def show(self, d: dict[str, Any]) -> None:
        self.record_id = d["id"]
        self.title(f"监督评议 #{d['id']}")
        self.heading.configure(text=f"监督评议 #{d['id']}  ·  {d['unit']}  ·  {d['status']}")
        scores = "，".join(f"{k} {v}" for k, v in d["scores"].items() if v is not None) or None
        self._fill_details(
            [
                ("被评议单位", d.get("unit")),
                ("窗口", d.get("window")),
                ("工作人员", d.get("staff")),
                ("评议日期", d.get("review_date")),
                ("方式", d.get("method")),
                ("评议人", d.get("reviewer")),
                ("评分", scores),
                ("结论", d.get("conclusion")),
                ("状态", d.get("status")),
                ("决定人", d.get("decided_by")),
                ("决定时间", d.get("decided_at")),
                ("未采纳理由", d.get("reject_reason")),
            ]
        )
        lines = []
        for i, f in enumerate(d["findings"], 1):
            line = f"{i}. [{f['category']}·{f['severity']}] {f['description']}"
            if f.get("complaint"):
                line += f"（已转工单 {f['complaint']}）"
            for a in f["attachments"]:
                line += f"\n    附件：{a['name']}（{a['size']:,} 字节）"
            lines.append(line)
        set_text(self.texts["findings"], "\n".join(lines), readonly=True)
        self.identity.pack_forget()
        self._fill_timeline(d["timeline"])
        self._fill_actions(self.actions(d))

    def actions(self, d: dict[str, Any]) -> list[tuple[str, Callable[[], object]]]:
        acts: list[tuple[str, Callable[[], object]]] = []
        if d["status"] == "待审核" and self.ctx.can("review.decide"):
            acts += [("采纳", self.ask_adopt), ("不予采纳", self.ask_reject)]
        own = self.ctx.actor.name == d.get("reviewer")
        if d["findings"] and (self.ctx.can("review.decide") or (own and d["status"] == "待审核")):
            acts.append(("添加附件", self.ask_attach))
        return acts

    @property
    def service(self) -> ReviewService:
        return ReviewService(self.ctx.actor)

    def ask_adopt(self) -> None:
        self.ask(
            lambda parent, **kw: ChoiceDialog(
                parent,
                f"采纳评议 #{self.key}",
                "处理",
                ("采纳",),
                ok_text="采纳",
                options=("问题转为工单交办",),
                **kw,
            ),
            lambda r: self.adopt(r["options"]["问题转为工单交办"], r["text"]),
        )

    def adopt(self, to_complaint: bool = False, note: str = "") -> bool:
        return self.perform(lambda: self.service.adopt(int(self.key), to_complaint, note), "已采纳")

    def ask_reject(self) -> None:
        self.ask(
            lambda parent, **kw: TextDialog(
                parent, f"不予采纳 #{self.key}", "理由", ok_text="不予采纳", **kw
            ),
            lambda r: self.perform(lambda: self.service.reject(int(self.key), r["text"]), "未采纳"),
        )

    def ask_attach(self) -> None:
        self.ask(
            AttachDialog, lambda r: self.attach(r["finding"], r["path"]), self.data["findings"]
        )

    def attach(self, finding_id: int, path: str) -> bool:
        # attaching adds a file, it does not edit the review: no version check needed
        try:
            self.service.attach(finding_id, path)
        except UserError as exc:
            show_error(self, exc.line())
            return False
        self.reload()
        return True


def _accountability_service() -> type | None:
    """The accountability service of the rules milestone, when it is installed."""
    if importlib.util.find_spec("supervise.services.accountability") is None:
        return None
    return getattr(
        importlib.import_module("supervise.services.accountability"), "AccountabilityService", None
    )


def _read_case(actor: Any, case_id: int) -> dict[str, Any]:
    """One case as :meth:`AccountabilityService.show` gives it, or read directly without that service."""
    service = _accountability_service()
    if service is not None:
        data = service(actor).show(case_id)
    else:
        require(actor.role, "accountability.read", actor.name)
        case = AccountabilityCase.get_or_none(AccountabilityCase.id == case_id)
        if case is None:
            raise NotFound(
                f"问责案件不存在：{case_id}", f"accountability case not found: {case_id}"
            )
        unit = Unit.get_by_id(case.unit_id)
        staff = Staff.get_by_id(case.staff_id) if case.staff_id else None
        data = {
            "id": case.id,
            "rule": case.rule,
            "kind": case.failure_kind,
            "target_kind": case.target_kind,
            "target": f"{staff.name}（{unit.name}）" if staff else unit.name,
            "unit": unit.name,
            "staff": staff.name if staff else None,
            "evidence": json.loads(case.evidence or "[]"),
            "reason": case.reason,
            "proposed_at": case.proposed_at,
            "status": case.status,
            "form": case.form,
            "sanction": case.sanction,
            "sanction_ends": case.sanction_ends,
            "basis": case.basis,
            "decided_by": case.decided_by,
            "decided_at": case.decided_at,
        }
    data["version"] = AccountabilityCase.get_by_id(case_id).version
    return data


class DecideDialog(TextDialog):
    """问责决定: the form (and for 政务处分 the sanction) with its basis."""

    def __init__(self, parent: tk.Misc, case_id: int, person: bool, **kw: Any) -> None:
        self.forms = PERSON_FORMS if person else UNIT_FORMS
        super().__init__(parent, f"问责决定 #{case_id}", "决定依据", ok_text="决定", **kw)

    def create_extra(self, form: Any) -> None:
        self.form_box = ttk.Combobox(form, values=self.forms, state="readonly", width=14)
        form.add("form", "问责方式", self.form_box, required=True, sticky="w")
        self.sanction = ttk.Combobox(form, values=list(SANCTIONS), state="readonly", width=10)
        form.add("sanction", "政务处分种类", self.sanction, sticky="w")

    def validate_extra(self) -> dict[str, Any]:
        chosen, sanction = self.form_box.get(), self.sanction.get() or None
        if not chosen:
            self.form.error("form", "请选择问责方式")
        if chosen == "政务处分" and not sanction:
            self.form.error("sanction", "政务处分须选择处分种类")
        if chosen != "政务处分" and sanction:
            self.form.error("sanction", "只有“政务处分”需要处分种类")
        return {"form": chosen, "sanction": sanction}


class AccountabilityWindow(RecordWindow):
    """问责: the proposal, its evidence and the decision (by ``staff`` only, SPEC §2.4)."""

    kind = "accountability"
    model = AccountabilityCase

    def text_panes(self) -> list[tuple[str, str]]:
        return [("reason", "事由与证据"), ("basis", "决定依据")]

    def read(self, unmask: bool = False) -> dict[str, Any]:
        return _read_case(self.ctx.actor, int(self.key))

    def show(self, d: dict[str, Any]) -> None:
        self.record_id = d["id"]
        self.title(f"问责 #{d['id']}")
        self.heading.configure(text=f"问责 #{d['id']}  ·  {d['kind']}  ·  {d['status']}")
        self._fill_details(
            [
                ("规则", d["rule"]),
                ("对象", d["target"]),
                ("提出时间", d["proposed_at"]),
                ("问责方式", d["form"]),
                ("处分", d["sanction"]),
                ("处分期满", d["sanction_ends"]),
                ("决定人", d["decided_by"]),
                ("决定时间", d.get("decided_at")),
            ]
        )
        evidence = "\n".join(
            f"· {e.get('target') or e.get('kind')} (#{e.get('id')})"
            for e in d["evidence"]
            if isinstance(e, dict)
        )
        set_text(self.texts["reason"], f"{d['reason']}\n\n证据：\n{evidence}", readonly=True)
        set_text(self.texts["basis"], d["basis"] or "", readonly=True)
        self.identity.pack_forget()
        refs = [(e.get("kind"), e.get("id")) for e in d["evidence"] if isinstance(e, dict)]
        self._fill_links(record_links(refs))
        events = [
            {
                "at": d["proposed_at"],
                "action": "提出",
                "status": "待决定",
                "actor": f"问责规则 {d['rule']}",
                "note": d["reason"],
            }
        ]
        if d.get("decided_at"):
            note = "，".join(str(x) for x in (d["form"], d["sanction"], d["basis"]) if x)
            events.append(
                {
                    "at": d["decided_at"],
                    "action": "决定" if d["status"] == "已决定" else "不予问责",
                    "status": d["status"],
                    "actor": d["decided_by"] or "",
                    "note": note,
                }
            )
        self._fill_timeline(events)
        acts: list[tuple[str, Callable[[], object]]] = []
        if (
            d["status"] == "待决定"
            and self.ctx.can("accountability.decide")
            and _accountability_service()
        ):
            acts += [("作出决定", self.ask_decide), ("不予问责", self.ask_dismiss)]
        self._fill_actions(acts)

    @property
    def service(self) -> Any:
        service = _accountability_service()
        if service is None:  # the buttons are only shown when it is installed
            raise NotFound("问责模块未安装", "the accountability module is not installed")
        return service(self.ctx.actor)

    def ask_decide(self) -> None:
        self.ask(
            DecideDialog,
            lambda r: self.decide(r["form"], r["text"], r["sanction"]),
            int(self.key),
            self.data.get("target_kind") == "staff",
        )

    def decide(self, form: str, basis: str, sanction: str | None = None) -> bool:
        return self.perform(
            lambda: self.service.decide(int(self.key), form, basis, sanction), "已决定"
        )

    def ask_dismiss(self) -> None:
        self.ask(
            lambda parent, **kw: TextDialog(
                parent, f"不予问责 #{self.key}", "理由", ok_text="不予问责", **kw
            ),
            lambda r: self.perform(
                lambda: self.service.dismiss(int(self.key), r["text"]), "不予问责"
            ),
        )


class EscalationWindow(RecordWindow):
    """督办: the record, its cause (the target record) and what cites it; the escalation itself
    changes only through the rules, so its steps are opening the cause and re-running the rules."""

    kind = "escalation"
    model = Escalation

    def text_panes(self) -> list[tuple[str, str]]:
        return [("reason", "督办事由")]

    def read(self, unmask: bool = False) -> dict[str, Any]:
        return escalation_record(self.ctx.actor, int(self.key))

    def show(self, d: dict[str, Any]) -> None:
        self.record_id = d["id"]
        self.title(f"督办 #{d['id']}")
        self.heading.configure(text=f"督办 #{d['id']}  ·  {d['level']}  ·  {d['state']}")
        self.badge.configure(
            text="挂牌督办" if d["level"] == "挂牌督办" and d["state"] == "未解除" else ""
        )
        self._fill_details(
            [
                ("规则", d["rule"]),
                ("等级", d["level"]),
                ("督办对象", d["target"]),
                ("单位", d["unit"]),
                ("发起时间", d["raised_at"]),
                ("最近更新", d["updated_at"]),
                ("状态", d["state"]),
                ("解除时间", d["resolved_at"]),
            ]
        )
        set_text(self.texts["reason"], d["reason"] or "", readonly=True)
        self.identity.pack_forget()
        self._fill_links(d["links"])
        events = [
            {
                "at": d["raised_at"],
                "action": "发起",
                "status": d["level"],
                "actor": "督办规则",
                "note": d["reason"],
            }
        ]
        if d["updated_at"] and d["updated_at"] != d["raised_at"]:
            events.append(
                {
                    "at": d["updated_at"],
                    "action": "更新",
                    "status": d["level"],
                    "actor": "督办规则",
                    "note": "规则重新评估",
                }
            )
        if d["resolved_at"]:
            events.append(
                {
                    "at": d["resolved_at"],
                    "action": "解除",
                    "status": "已解除",
                    "actor": "督办规则",
                    "note": "督办对象已处理",
                }
            )
        self._fill_timeline(events)
        self._fill_actions(self.actions(d))

    def actions(self, d: dict[str, Any]) -> list[tuple[str, Callable[[], object]]]:
        acts: list[tuple[str, Callable[[], object]]] = []
        if d["target_link"]:
            acts.append(("打开督办对象", self.open_target))
        if self.ctx.can("escalate"):
            acts.append(("运行督办规则", self.run_rules))
        return acts

    def open_target(self) -> tk.Toplevel | None:
        return self.ctx.nav.open_record(*self.data["target_link"])

    def run_rules(self) -> None:
        """Re-run the escalation rules (as ``supervise escalate``) in a worker; this record then reloads."""
        self.status("正在运行督办规则…")

        def done(text: str) -> None:
            if self.winfo_exists():
                self.reload()
                self.status(text)

        start_rule_run(self.ctx, "escalate", self.buttons.get("运行督办规则"), done)


__all__ = [
    "AccountabilityWindow",
    "AttachDialog",
    "DecideDialog",
    "EscalationWindow",
    "RatingWindow",
    "ReviewWindow",
]
