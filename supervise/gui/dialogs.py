"""Form dialogs: the new complaint, the steps of a record, and the stale-edit notice.

Each is a :class:`~supervise.gui.common.Dialog`: ``create_widgets()``,
``validate()`` (messages beside the fields) and ``.result``.  The new
complaint dialog registers the complaint itself, so a refusal by the service
shows in the dialog; the step dialogs only collect values and the record
window carries the step out.
"""

from __future__ import annotations

import datetime as dt
import logging
import tkinter as tk
from tkinter import ttk
from typing import Any

from .. import models, settings
from ..errors import NotFound, UserError
from ..services.complaints import ComplaintService, format_receipt
from ..services.ratings import BAD_LEVELS, RatingService
from . import queries
from .common import Dialog, Form, set_text, text_value
from .context import ViewContext

logger = logging.getLogger(__name__)

DATETIME_FORMATS = ("%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d")


def parse_when(text: str) -> dt.datetime:
    """``2026-10-05 14:03`` (or ISO with T, or a date); ValueError with a Chinese message."""
    text = text.strip()
    for fmt in DATETIME_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt)
        except ValueError:
            continue
    raise ValueError("时间格式应为 2026-10-05 14:03")


def unit_values() -> list[str]:
    return [f"{code} {name}" for code, name in queries.unit_choices()]


def unit_code(text: str) -> str:
    return text.strip().split(" ", 1)[0]


def _text_box(parent: tk.Misc, height: int = 4, width: int = 48) -> tk.Text:
    return tk.Text(
        parent,
        height=height,
        width=width,
        wrap="word",
        font="TkTextFont",
        relief="solid",
        borderwidth=1,
    )


REFERENCE_FIELDS = (("单位", "unit"), ("工号", "staff"), ("工作人员", "staff"), ("事项", "matter"))
PHONE_CHARS = set("0123456789-+ ")


class EntryDialog(Dialog):
    """A form that writes its record itself on OK (登记工单, 录入好差评).

    Subclasses build ``create_fields()``, check them in ``check()`` (messages
    beside the fields; the values, or None) and write in ``save(values)``; a
    reference the service cannot find (unit, staff number, matter) is shown
    beside its field, and nothing is written while a field is wrong."""

    heading = ""

    def __init__(self, parent: tk.Misc, ctx: ViewContext, **kw: Any) -> None:
        self.ctx = ctx
        super().__init__(parent, self.heading, **kw)

    def create_widgets(self, body: ttk.Frame) -> None:
        self.form = Form(body)
        self.form.pack(fill="both", expand=True)
        self.create_fields(self.form)

    def create_fields(self, form: Form) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def check(self) -> dict[str, Any] | None:  # pragma: no cover - abstract
        raise NotImplementedError

    def save(self, values: dict[str, Any]) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def entry(self, key: str, label: str, width: int = 16) -> ttk.Entry:
        """An optional one-line field."""
        widget = ttk.Entry(self.form, width=width)
        self.form.add(key, label, widget, sticky="w")
        return widget

    def when_field(self, key: str, label: str) -> ttk.Entry:
        """A date-time field, prefilled with now."""
        entry = ttk.Entry(self.form, width=20)
        entry.insert(0, models.now().strftime("%Y-%m-%d %H:%M"))
        self.form.add(key, label, entry, required=True, sticky="w")
        return entry

    def read_when(self, key: str, label: str, entry: ttk.Entry) -> dt.datetime | None:
        """The field's time; a message beside it when it is malformed or in the future."""
        try:
            when = parse_when(entry.get())
        except ValueError as exc:
            self.form.error(key, str(exc))
            return None
        if when > models.now() + dt.timedelta(minutes=5):
            self.form.error(key, f"{label}不能晚于当前时间")
        return when

    def validate(self) -> Any:
        self.form.clear_errors()
        values = self.check()
        if values is None or self.form.has_errors():
            return None
        try:
            return self.save(values)
        except NotFound as exc:
            field = next((f for word, f in REFERENCE_FIELDS if word in exc.zh), None)
            if field is None:
                raise
            self.form.error(field, exc.zh)
            return None


class NewComplaintDialog(EntryDialog):
    """登记: channel, category, content, unit, complainant; registers on OK."""

    ok_text = "登记"
    heading = "登记诉求工单"

    def create_fields(self, form: Form) -> None:
        self.channel = ttk.Combobox(form, values=models.CHANNELS, state="readonly", width=16)
        self.channel.set(models.CHANNELS[0])
        form.add("channel", "渠道", self.channel, required=True, sticky="w")
        self.category = ttk.Combobox(form, values=models.CATEGORIES, state="readonly", width=16)
        self.category.set("投诉")
        form.add("category", "类别", self.category, required=True, sticky="w")
        self.title_entry = ttk.Entry(form, width=48)
        form.add("title", "标题", self.title_entry)
        self.content = _text_box(form, 6)
        form.add("content", "诉求内容", self.content, required=True)
        self.unit = ttk.Combobox(form, values=["", *unit_values()], width=30)
        form.add("unit", "涉及单位", self.unit, sticky="w")
        self.staff = self.entry("staff", "工作人员工号", 16)
        self.matter = self.entry("matter", "事项编码", 16)
        self.anonymous = tk.BooleanVar()
        form.add(
            "anonymous",
            "匿名",
            ttk.Checkbutton(form, variable=self.anonymous, text="诉求人要求匿名"),
            sticky="w",
        )
        self.name = self.entry("name", "诉求人", 16)
        self.phone = self.entry("phone", "联系电话", 20)
        self.id_no = self.entry("id_no", "证件号码", 24)
        self.received = self.when_field("received", "受理时间")

    def focus_initial(self) -> None:
        self.content.focus_set()

    def check(self) -> dict[str, Any] | None:
        content = text_value(self.content)
        if not content:
            self.form.error("content", "诉求内容不能为空")
        if self.anonymous.get() and (
            self.name.get().strip() or self.phone.get().strip() or self.id_no.get().strip()
        ):
            self.form.error("name", "匿名诉求不应填写姓名、电话或证件号")
        return {
            "content": content,
            "received": self.read_when("received", "受理时间", self.received),
        }

    def save(self, values: dict[str, Any]) -> dict[str, Any]:
        c = ComplaintService(self.ctx.actor).register(
            channel=self.channel.get(),
            category=self.category.get(),
            content=values["content"],
            title=self.title_entry.get().strip(),
            unit=unit_code(self.unit.get()) or None,
            staff=self.staff.get().strip() or None,
            matter=self.matter.get().strip() or None,
            name=self.name.get().strip() or None,
            phone=self.phone.get().strip() or None,
            id_no=self.id_no.get().strip() or None,
            anonymous=self.anonymous.get(),
            received=values["received"],
        )
        return {"number": c.number, "receipt_code": format_receipt(c.receipt_code)}


class NewRatingDialog(EntryDialog):
    """录入好差评: one rating entered by staff; a 差评 opens its handling loop (SPEC §2.3)."""

    ok_text = "录入"
    heading = "录入好差评"

    def create_fields(self, form: Form) -> None:
        self.unit = ttk.Combobox(form, values=unit_values(), width=30)
        form.add("unit", "单位", self.unit, required=True, sticky="w")
        self.level = ttk.Combobox(
            form,
            values=[f"{n} {w}" for n, w in models.RATING_LEVELS.items()],
            state="readonly",
            width=14,
        )
        form.add("level", "评价等级", self.level, required=True, sticky="w")
        self.channel = ttk.Combobox(form, values=models.RATING_CHANNELS, state="readonly", width=14)
        self.channel.set(models.RATING_CHANNELS[0])
        form.add("channel", "评价渠道", self.channel, required=True, sticky="w")
        self.window = self.entry("window", "服务窗口", 24)
        self.staff = self.entry("staff", "工作人员工号", 16)
        self.matter = self.entry("matter", "事项编码", 16)
        self.reasons = self.entry("reasons", "差评原因", 40)
        self.comment = _text_box(form, 3)
        form.add("comment", "评价内容", self.comment)
        self.rater = self.entry("rater", "评价人", 16)
        self.phone = self.entry("phone", "联系电话", 20)
        self.real_name = tk.BooleanVar()
        form.add(
            "real_name",
            "实名",
            ttk.Checkbutton(form, variable=self.real_name, text="实名评价（差评须回访）"),
            sticky="w",
        )
        self.rated = self.when_field("rated", "评价时间")

    def focus_initial(self) -> None:
        self.unit.focus_set()

    def check(self) -> dict[str, Any] | None:
        form = self.form
        code = unit_code(self.unit.get())
        if not code:
            form.error("unit", "请选择单位")
        elif code not in dict(queries.unit_choices()):
            form.error("unit", f"单位编码不存在：{code}")
        level = int(self.level.get().split(" ", 1)[0]) if self.level.get() else None
        if level is None:
            form.error("level", "请选择评价等级")
        if level in BAD_LEVELS and not self.reasons.get().strip():
            form.error("reasons", "差评请填写差评原因")
        phone = self.phone.get().strip()
        if phone and (not set(phone) <= PHONE_CHARS or sum(ch.isdigit() for ch in phone) < 7):
            form.error("phone", "联系电话应为 7 位以上数字")
        rater = self.rater.get().strip()
        if self.real_name.get() and not rater:
            form.error("rater", "实名评价须填写评价人姓名")
        return {
            "unit": code,
            "level": level,
            "phone": phone or None,
            "rater": rater or None,
            "rated": self.read_when("rated", "评价时间", self.rated),
        }

    def save(self, values: dict[str, Any]) -> dict[str, Any]:
        r = RatingService(self.ctx.actor).add(
            unit=values["unit"],
            level=values["level"],
            channel=self.channel.get(),
            window=self.window.get().strip(),
            matter=self.matter.get().strip() or None,
            staff=self.staff.get().strip() or None,
            reasons=self.reasons.get().strip(),
            comment=text_value(self.comment),
            rater=values["rater"],
            phone=values["phone"],
            real_name=self.real_name.get() or None,
            rated=values["rated"],
        )
        return {"id": r.id, "bad": r.bad, "status": r.status}


class AssignDialog(Dialog):
    """交办 / 改派: the unit and the card colour or a limit in working days."""

    ok_text = "交办"

    def __init__(
        self, parent: tk.Misc, number: str, current_unit: str | None = None, **kw: Any
    ) -> None:
        self.number, self.current_unit = number, current_unit
        super().__init__(parent, f"交办 {number}", **kw)

    def create_widgets(self, body: ttk.Frame) -> None:
        self.form = form = Form(body)
        form.pack(fill="both", expand=True)
        values = unit_values()
        self.unit = ttk.Combobox(form, values=values, width=30)
        if self.current_unit:
            self.unit.set(
                next((v for v in values if unit_code(v) == self.current_unit), self.current_unit)
            )
        form.add("unit", "承办单位", self.unit, required=True, sticky="w")
        days = settings.get("complaint.card_days")
        self.mode = tk.StringVar(value="card")
        self.card = tk.StringVar(value="黄")
        cards = ttk.Frame(form)
        for colour in models.CARDS:
            ttk.Radiobutton(
                cards,
                text=f"{colour}色（{days.get(colour)} 个工作日）",
                value=colour,
                variable=self.card,
                command=lambda: self.mode.set("card"),
            ).pack(side="left", padx=(0, 8))
        form.add("card", "交办单", cards, sticky="w")
        limit = ttk.Frame(form)
        ttk.Radiobutton(limit, text="自定时限", value="limit", variable=self.mode).pack(side="left")
        self.limit = ttk.Spinbox(limit, from_=0, to=365, width=6)
        self.limit.pack(side="left", padx=4)
        ttk.Label(limit, text="个工作日（自受理之日起）").pack(side="left")
        form.add("limit", "或", limit, sticky="w")

    def validate(self) -> Any:
        self.form.clear_errors()
        code = unit_code(self.unit.get())
        if not code:
            self.form.error("unit", "请选择承办单位")
        if code and code not in dict(queries.unit_choices()):
            self.form.error("unit", f"单位编码不存在：{code}")
        result: dict[str, Any] = {"unit": code, "card": None, "limit": None}
        if self.mode.get() == "card":
            result["card"] = self.card.get()
        else:
            try:
                result["limit"] = int(self.limit.get())
                if not 0 <= result["limit"] <= 365:
                    raise ValueError
            except ValueError:
                self.form.error("limit", "时限应为 0–365 的整数")
        return None if self.form.has_errors() else result


class TextDialog(Dialog):
    """One required text (reply, reason, measures) and optional extra fields."""

    def __init__(
        self,
        parent: tk.Misc,
        title: str,
        label: str,
        *,
        ok_text: str = "确定",
        required: bool = True,
        initial: str = "",
        **kw: Any,
    ) -> None:
        self.label, self.required, self.initial = label, required, initial
        self.ok_text = ok_text
        super().__init__(parent, title, **kw)

    def create_widgets(self, body: ttk.Frame) -> None:
        self.form = Form(body)
        self.form.pack(fill="both", expand=True)
        self.create_extra(self.form)
        self.text = _text_box(self.form, 5)
        set_text(self.text, self.initial)
        self.form.add("text", self.label, self.text, required=self.required)

    def create_extra(self, form: Form) -> None:
        """Fields above the text (subclasses)."""

    def focus_initial(self) -> None:
        self.text.focus_set()

    def validate(self) -> Any:
        self.form.clear_errors()
        value = text_value(self.text)
        if self.required and not value:
            self.form.error("text", f"{self.label}不能为空")
        extra = self.validate_extra()
        return None if self.form.has_errors() else {"text": value, **extra}

    def validate_extra(self) -> dict[str, Any]:
        return {}


class VisitDialog(TextDialog):
    """回访: result and resolved; 不满意 or unresolved reopens (重办)."""

    def __init__(self, parent: tk.Misc, number: str, **kw: Any) -> None:
        super().__init__(parent, f"回访 {number}", "回访记录", ok_text="回访", required=False, **kw)

    def create_extra(self, form: Form) -> None:
        self.result_var = tk.StringVar(value="满意")
        box = ttk.Frame(form)
        for value in models.VISIT_RESULTS:
            ttk.Radiobutton(box, text=value, value=value, variable=self.result_var).pack(
                side="left", padx=(0, 8)
            )
        form.add("result", "回访结果", box, required=True, sticky="w")
        self.resolved = tk.BooleanVar(value=True)
        form.add(
            "resolved",
            "问题解决",
            ttk.Checkbutton(form, text="已解决", variable=self.resolved),
            sticky="w",
        )
        hint = ttk.Label(
            form, text="“不满意”或“未解决”将重办（重新交办，计入重办次数）", style="Muted.TLabel"
        )
        form.add("hint", "", hint, sticky="w")

    def validate_extra(self) -> dict[str, Any]:
        return {"result": self.result_var.get(), "resolved": self.resolved.get()}


class ExtensionDialog(TextDialog):
    """申请延期: working days and a reason."""

    def __init__(self, parent: tk.Misc, number: str, **kw: Any) -> None:
        super().__init__(parent, f"申请延期 {number}", "延期理由", ok_text="提交申请", **kw)

    def create_extra(self, form: Form) -> None:
        self.days = ttk.Spinbox(form, from_=1, to=60, width=6)
        self.days.set("5")
        form.add("days", "延期天数", self.days, required=True, sticky="w")

    def validate_extra(self) -> dict[str, Any]:
        try:
            days = int(self.days.get())
            if not 1 <= days <= 60:
                raise ValueError
        except ValueError:
            self.form.error("days", "延期天数应为 1–60 的整数")
            return {}
        return {"days": days}


class MergeDialog(TextDialog):
    """并单: the earlier complaint's number and a note."""

    def __init__(self, parent: tk.Misc, number: str, **kw: Any) -> None:
        super().__init__(parent, f"并单 {number}", "说明", ok_text="并单", required=False, **kw)

    def create_extra(self, form: Form) -> None:
        self.into = ttk.Entry(form, width=20)
        form.add("into", "并入工单编号", self.into, required=True, sticky="w")

    def validate_extra(self) -> dict[str, Any]:
        into = self.into.get().strip().upper()
        if not into:
            self.form.error("into", "请填写更早受理的工单编号")
        return {"into": into}


class ChoiceDialog(TextDialog):
    """A required choice among words plus an optional note (核实 findings, decisions)."""

    def __init__(
        self,
        parent: tk.Misc,
        title: str,
        label: str,
        choices: tuple[str, ...],
        *,
        ok_text: str = "确定",
        note_label: str = "说明",
        options: tuple[str, ...] = (),
        **kw: Any,
    ) -> None:
        self.choice_label, self.choices, self.options = label, choices, options
        super().__init__(parent, title, note_label, ok_text=ok_text, required=False, **kw)

    def create_extra(self, form: Form) -> None:
        self.choice = ttk.Combobox(form, values=self.choices, state="readonly", width=18)
        form.add("choice", self.choice_label, self.choice, required=True, sticky="w")
        self.option_vars: dict[str, tk.BooleanVar] = {}
        for option in self.options:
            var = tk.BooleanVar()
            self.option_vars[option] = var
            form.add(option, "", ttk.Checkbutton(form, text=option, variable=var), sticky="w")

    def validate_extra(self) -> dict[str, Any]:
        if not self.choice.get():
            self.form.error("choice", f"请选择{self.choice_label}")
        return {
            "choice": self.choice.get(),
            "options": {k: v.get() for k, v in self.option_vars.items()},
        }


class ConflictDialog(Dialog):
    """A stale edit: who changed the record, and the offer to reload it."""

    ok_text = "重新加载"

    def __init__(self, parent: tk.Misc, error: UserError, **kw: Any) -> None:
        self.error = error
        super().__init__(parent, "记录已被修改", **kw)

    def create_widgets(self, body: ttk.Frame) -> None:
        who = getattr(self.error, "changed_by", None) or "他人"
        ttk.Label(body, text=f"记录已被 {who} 修改", style="Title.TLabel").pack(anchor="w")
        self.detail = ttk.Label(body, text=self.error.zh, wraplength=420)
        self.detail.pack(anchor="w", pady=(8, 0))
        ttk.Label(
            body,
            text="您看到的是旧版本。重新加载后再操作，以免覆盖他人的修改。",
            style="Muted.TLabel",
            wraplength=420,
        ).pack(anchor="w", pady=(8, 0))

    def create_buttons(self) -> None:
        super().create_buttons()
        self.cancel_button.configure(text="关闭")

    def validate(self) -> Any:
        return "reload"


__all__ = [
    "AssignDialog",
    "ChoiceDialog",
    "ConflictDialog",
    "EntryDialog",
    "ExtensionDialog",
    "MergeDialog",
    "NewComplaintDialog",
    "NewRatingDialog",
    "TextDialog",
    "VisitDialog",
    "parse_when",
    "unit_code",
    "unit_values",
]
