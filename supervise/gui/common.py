"""Pieces every view and dialog uses: messages, the dialog base, forms, tooltips, theme.

Messages: :func:`show_error`, :func:`show_info` and :func:`ask_yes_no` show a
message box, except when :data:`INTERACTIVE` is False (tests, screenshots);
every message is also kept in :data:`MESSAGES` so a test can read it.

Dialogs (STYLE 8, 11) are :class:`Dialog` subclasses: ``create_widgets()``
builds the body, ``validate()`` returns the value or None (after putting
messages beside the fields), and ``.result`` holds the value once OK was
pressed.  With ``_utest=True`` the dialog neither grabs nor waits, so a test
can fill it and press its buttons.
"""

from __future__ import annotations

import collections
import gc
import logging
import tkinter as tk
import weakref
from collections.abc import Callable
from tkinter import messagebox, ttk
from typing import Any

from ..db import busy_error, is_busy
from ..errors import UserError

logger = logging.getLogger(__name__)

#: False in tests and while making screenshots: message boxes are not shown.
INTERACTIVE = True
#: The last messages shown, as (kind, text): kind is "error", "info" or "ask".
MESSAGES: collections.deque[tuple[str, str]] = collections.deque(maxlen=50)
#: What ask_yes_no answers when not interactive.
DEFAULT_ANSWER = True

ERROR_FG = "#c0392b"
ACCENT = "#1f5fa8"
MUTED = "#6b7280"
CARD_BG = "#ffffff"
WINDOW_BG = "#eef1f5"


# -- messages ---------------------------------------------------------------------


def show_error(parent: tk.Misc | None, text: str, title: str = "错误") -> None:
    MESSAGES.append(("error", text))
    if INTERACTIVE:
        messagebox.showerror(title, text, **_parent(parent))


def show_info(parent: tk.Misc | None, text: str, title: str = "提示") -> None:
    MESSAGES.append(("info", text))
    if INTERACTIVE:
        messagebox.showinfo(title, text, **_parent(parent))


def ask_yes_no(parent: tk.Misc | None, text: str, title: str = "确认") -> bool:
    MESSAGES.append(("ask", text))
    if INTERACTIVE:
        return bool(messagebox.askyesno(title, text, **_parent(parent)))
    return DEFAULT_ANSWER


def _alive(widget: tk.Misc | None) -> tk.Misc | None:
    try:
        return widget if widget is not None and widget.winfo_exists() else None
    except tk.TclError:
        return None


def _parent(widget: tk.Misc | None) -> dict[str, Any]:
    """The ``parent`` option of a message box: the widget while it lives, else none."""
    alive = _alive(widget)
    return {"parent": alive} if alive is not None else {}


def error_text(exc: BaseException) -> str:
    """The one line a person reads: the UserError's line, else a short notice."""
    if isinstance(exc, UserError):
        return exc.line()
    if is_busy(exc):  # SQLite's lock held by another writer past the busy timeout
        return busy_error().line()
    return "内部错误，已写入日志 / internal error, see the log file"


def report_error(parent: tk.Misc | None, exc: BaseException) -> None:
    """UserError: its line, no traceback; anything else: logged in full, short notice."""
    if not isinstance(exc, UserError):
        logger.error("internal error in the GUI", exc_info=exc)
    show_error(parent, error_text(exc))


# -- theme -----------------------------------------------------------------------------


def apply_theme(root: tk.Misc) -> ttk.Style:
    """One ttk theme ('clam') on every platform, with the app's few styles."""
    style = ttk.Style(root)
    style.theme_use("clam")
    root.configure(background=WINDOW_BG)  # type: ignore[call-arg]
    style.configure(".", background=WINDOW_BG)
    style.configure("TFrame", background=WINDOW_BG)
    style.configure("TLabel", background=WINDOW_BG)
    style.configure("TCheckbutton", background=WINDOW_BG)
    style.configure("TRadiobutton", background=WINDOW_BG)
    style.configure("TLabelframe", background=WINDOW_BG)
    style.configure(
        "TLabelframe.Label", background=WINDOW_BG, foreground=ACCENT, font="SuperviseBold"
    )
    style.configure("Card.TFrame", background=CARD_BG, relief="solid", borderwidth=1)
    style.configure("Card.TLabel", background=CARD_BG, foreground=MUTED)
    style.configure(
        "CardNumber.TLabel", background=CARD_BG, foreground=ACCENT, font="SuperviseNumber"
    )
    style.configure(
        "CardAlert.TLabel", background=CARD_BG, foreground=ERROR_FG, font="SuperviseNumber"
    )
    style.configure("Title.TLabel", font="SuperviseTitle", foreground="#1f2937")
    style.configure("Muted.TLabel", foreground=MUTED)
    style.configure("Error.TLabel", foreground=ERROR_FG)
    style.configure("Status.TLabel", background="#dde3ea", foreground="#374151", padding=(6, 2))
    style.configure("Nav.Treeview", rowheight=30, font="TkDefaultFont")
    style.map("Nav.Treeview", background=[("selected", ACCENT)])
    style.configure("Treeview", rowheight=24)
    style.configure("Treeview.Heading", font="TkHeadingFont")
    style.configure("Accent.TButton", foreground="#ffffff", background=ACCENT)
    style.map("Accent.TButton", background=[("active", "#2a74c9"), ("disabled", "#9bb3d1")])
    return style


# -- small widgets ---------------------------------------------------------------------


class Tooltip:
    """A tooltip shown while the pointer rests on ``widget``."""

    def __init__(self, widget: tk.Misc, text: str, delay_ms: int = 500) -> None:
        self.widget, self.text, self.delay_ms = widget, text, delay_ms
        self._after: str | None = None
        self._tip: tk.Toplevel | None = None
        widget.bind("<Enter>", self._schedule, add="+")
        widget.bind("<Leave>", self.hide, add="+")
        widget.bind("<ButtonPress>", self.hide, add="+")

    def _schedule(self, _event: tk.Event | None = None) -> None:
        self._after = self.widget.after(self.delay_ms, self.show)

    def show(self) -> None:
        if self._tip is not None or not self.text:
            return
        x = self.widget.winfo_rootx() + 12
        y = self.widget.winfo_rooty() + self.widget.winfo_height() + 4
        self._tip = tip = tk.Toplevel(self.widget)
        tip.wm_overrideredirect(True)
        tip.wm_geometry(f"+{x}+{y}")
        tk.Label(
            tip,
            text=self.text,
            background="#ffffe0",
            relief="solid",
            borderwidth=1,
            font="TkTooltipFont",
            padx=6,
            pady=3,
        ).pack()

    def hide(self, _event: tk.Event | None = None) -> None:
        if self._after is not None:
            self.widget.after_cancel(self._after)
            self._after = None
        if self._tip is not None:
            self._tip.destroy()
            self._tip = None


def text_value(widget: tk.Text) -> str:
    return widget.get("1.0", "end-1c").strip()


def set_text(widget: tk.Text, value: str, readonly: bool = False) -> None:
    widget.configure(state="normal")
    widget.delete("1.0", "end")
    widget.insert("1.0", value or "")
    if readonly:
        widget.configure(state="disabled")


class Form(ttk.Frame):
    """A grid of label / field / message-beside-the-field rows."""

    def __init__(self, parent: tk.Misc, **kwargs: Any) -> None:
        super().__init__(parent, **kwargs)
        self.fields: dict[str, tk.Widget] = {}
        self.errors: dict[str, ttk.Label] = {}
        self._row = 0
        self.columnconfigure(1, weight=1)

    def add(
        self,
        name: str,
        label: str,
        widget: tk.Widget,
        *,
        required: bool = False,
        sticky: str = "ew",
    ) -> tk.Widget:
        text = f"{label}{' *' if required else ''}"
        ttk.Label(self, text=text).grid(row=self._row, column=0, sticky="ne", padx=(0, 6), pady=3)
        widget.grid(row=self._row, column=1, sticky=sticky, pady=3)
        message = ttk.Label(self, text="", style="Error.TLabel", wraplength=260)
        message.grid(row=self._row, column=2, sticky="nw", padx=(8, 0), pady=3)
        self.fields[name], self.errors[name] = widget, message
        self._row += 1
        return widget

    def error(self, name: str, text: str) -> None:
        self.errors[name].configure(text=text)

    def clear_errors(self) -> None:
        for label in self.errors.values():
            label.configure(text="")

    def has_errors(self) -> bool:
        return any(label.cget("text") for label in self.errors.values())


# -- dialogs ---------------------------------------------------------------------------


class Dialog(tk.Toplevel):
    """A modal dialog: body from ``create_widgets()``, OK runs ``validate()``.

    ``validate()`` returns the dialog's value, or None after showing what is
    wrong (beside the field, or in the message line at the bottom).  The value
    is kept in ``.result`` and, when given, handed to ``on_result`` — the way
    a caller acts on a dialog that does not block (``_utest``).
    """

    ok_text = "确定"

    def __init__(
        self,
        parent: tk.Misc,
        title: str,
        *,
        _utest: bool = False,
        on_result: Callable[[Any], None] | None = None,
    ) -> None:
        super().__init__(parent)
        self.withdraw()
        self.title(title)
        self.configure(background=WINDOW_BG)
        self.parent = parent
        self.result: Any = None
        self.on_result = on_result
        self._utest = _utest
        body = ttk.Frame(self, padding=12)
        body.pack(fill="both", expand=True)
        self.create_widgets(body)
        self.message = ttk.Label(
            self, text="", style="Error.TLabel", wraplength=520, padding=(12, 0)
        )
        self.message.pack(fill="x")
        self.create_buttons()
        self.protocol("WM_DELETE_WINDOW", self.cancel)
        self.bind("<Escape>", lambda _e: self.cancel())
        self.transient(parent.winfo_toplevel())
        self.deiconify()
        if not _utest:
            self.wait_visibility()
            self.grab_set()
            self.focus_initial()
            self.wait_window(self)

    def create_widgets(self, body: ttk.Frame) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def create_buttons(self) -> None:
        bar = ttk.Frame(self, padding=(12, 6, 12, 12))
        bar.pack(fill="x")
        self.cancel_button = ttk.Button(bar, text="取消", command=self.cancel)
        self.cancel_button.pack(side="right")
        self.ok_button = ttk.Button(bar, text=self.ok_text, command=self.ok, style="Accent.TButton")
        self.ok_button.pack(side="right", padx=(0, 6))
        self.bind("<Return>", self._return)

    def _return(self, event: tk.Event) -> None:
        if not isinstance(event.widget, tk.Text):
            self.ok()

    def focus_initial(self) -> None:
        """Give the keyboard focus to the first field (subclasses may override)."""

    def validate(self) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def show_message(self, text: str) -> None:
        self.message.configure(text=text)

    def ok(self) -> None:
        self.show_message("")
        try:
            value = self.validate()
        except UserError as exc:
            self.show_message(exc.line())
            return
        if value is None:
            return
        self.result = value
        self.destroy()
        if self.on_result is not None:
            self.on_result(value)

    def cancel(self) -> None:
        self.result = None
        self.destroy()

    def destroy(self) -> None:
        root = self.nametowidget(".")  # the Tk root, alive after this window is gone
        super().destroy()
        collect_on_tk_thread(root)


def collect_on_tk_thread(root: tk.Misc) -> None:
    """Collect garbage on the Tk thread as soon as the current callback has returned.

    Destroyed widget trees are reference cycles; collected by a worker
    thread's collection, their Tk variables would be finalised off the Tk
    thread.  A window cannot be collected while its own ``destroy()`` runs
    (it is still on the stack), so the collection waits for the idle loop.
    """
    try:
        root.after_idle(gc.collect)
    except tk.TclError:  # the application itself is going away
        gc.collect()


class DialogRef:
    """An attribute naming the open dialog of a window without keeping it alive.

    A destroyed dialog leaves its master's children; when nothing else holds
    it, :meth:`Dialog.destroy` collects its widget tree there and then, on the
    Tk thread.  Held by a plain attribute it lived on as a reference cycle
    until the next dialog replaced it, and was then collected by whichever
    thread collected next — a worker, finalising Tk variables off the Tk
    thread (a 145 ms stall of the window, ``bench --only gui``).
    """

    def __set_name__(self, owner: type, name: str) -> None:
        self.key = f"_{name}_ref"

    def __get__(self, obj: Any, objtype: type | None = None) -> Any:
        if obj is None:
            return self
        ref = obj.__dict__.get(self.key)
        return ref() if ref is not None else None

    def __set__(self, obj: Any, value: tk.Misc | None) -> None:
        obj.__dict__[self.key] = weakref.ref(value) if value is not None else None


class JobProgressDialog(Dialog):
    """A dialog that runs one worker job (import, export, circular, report): its progress
    reports, the end of the job and cancelling.

    Subclasses build ``progress`` (a Progressbar) and ``progress_label`` and keep
    the running job in ``job``; ``progress_text(value)`` words a report that
    came without text."""

    job: Any = None
    progress: ttk.Progressbar
    progress_label: ttk.Label

    def progress_text(self, value: float) -> str:
        return ""

    def _progress(self, value: float, total: float | None, text: str) -> None:
        if not self.winfo_exists():
            return
        if total:
            if str(self.progress.cget("mode")) != "determinate":
                self.progress.stop()
                self.progress.configure(mode="determinate")
            self.progress.configure(maximum=max(total, value, 1), value=value)
        text = text or self.progress_text(value)
        if text:
            self.progress_label.configure(text=text)

    def _finish(self) -> None:
        self.job = None
        self.progress.stop()
        self.progress.configure(mode="determinate")
        self.cancel_button.configure(text="关闭")
        self.ok_button.state(["!disabled"])

    def cancel_job(self) -> bool:
        """Ask the running job to stop; False when none runs (the dialog may then close)."""
        if self.job is None:
            return False
        self.job.cancel()
        self.progress_label.configure(text="正在取消…")
        return True


__all__ = [
    "DialogRef",
    "collect_on_tk_thread",
    "JobProgressDialog",
    "ACCENT",
    "Dialog",
    "Form",
    "INTERACTIVE",
    "MESSAGES",
    "Tooltip",
    "apply_theme",
    "ask_yes_no",
    "error_text",
    "report_error",
    "set_text",
    "show_error",
    "show_info",
    "text_value",
]
