"""Small bar charts drawn on a Canvas (no plotting library needed).

A chart redraws itself when resized; clicking a bar calls ``on_click`` with
the bar's key, so a chart is a way into the filtered list as well.
"""

from __future__ import annotations

import logging
import tkinter as tk
import tkinter.font as tkfont
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from .common import ACCENT, CARD_BG, MUTED

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    key: Any = None
    color: str = ACCENT


class BarChart(tk.Canvas):
    """Vertical bars (``horizontal=False``) or horizontal bars with labels on the left."""

    def __init__(
        self,
        parent: tk.Misc,
        title: str,
        *,
        horizontal: bool = False,
        height: int = 190,
        on_click: Callable[[Any], None] | None = None,
        label_every: int = 1,
    ) -> None:
        super().__init__(
            parent,
            height=height,
            background=CARD_BG,
            highlightthickness=1,
            highlightbackground="#d1d5db",
        )
        self.title = title
        self.horizontal = horizontal
        self.on_click = on_click
        self.label_every = label_every
        self.bars: list[Bar] = []
        self.message = "加载中…"
        self.bind("<Configure>", lambda _e: self.redraw())

    def set(self, bars: Sequence[Bar] | None, message: str = "暂无数据") -> None:
        self.bars = list(bars or [])
        self.message = message
        self.redraw()

    def redraw(self) -> None:
        self.delete("all")
        width, height = max(self.winfo_width(), 200), max(self.winfo_height(), 120)
        self.create_text(10, 8, text=self.title, anchor="nw", font="SuperviseBold", fill="#1f2937")
        if not self.bars or not any(b.value for b in self.bars):
            self.create_text(
                width / 2, height / 2, text=self.message, fill=MUTED, font="SuperviseSmall"
            )
            return
        top = max(b.value for b in self.bars) or 1
        if self.horizontal:
            self._horizontal(width, height, top)
        else:
            self._vertical(width, height, top)

    def _vertical(self, width: int, height: int, top: float) -> None:
        left, right, upper, lower = 34, width - 10, 34, height - 24
        self.create_line(left, lower, right, lower, fill="#9ca3af")
        self.create_text(
            left - 4, upper, text=_fmt(top), anchor="e", font="SuperviseSmall", fill=MUTED
        )
        self.create_text(left - 4, lower, text="0", anchor="e", font="SuperviseSmall", fill=MUTED)
        step = (right - left) / len(self.bars)
        for i, bar in enumerate(self.bars):
            x0 = left + i * step + step * 0.15
            x1 = left + (i + 1) * step - step * 0.15
            y0 = lower - (lower - upper) * (bar.value / top)
            item = self.create_rectangle(x0, y0, x1, lower, fill=bar.color, width=0)
            self._clickable(item, bar)
            if i % self.label_every == 0:
                self.create_text(
                    (x0 + x1) / 2,
                    lower + 4,
                    text=bar.label,
                    anchor="n",
                    font="SuperviseSmall",
                    fill=MUTED,
                )

    def _horizontal(self, width: int, height: int, top: float) -> None:
        upper, lower = 32, height - 8
        label_w = min(190, int(width * 0.45))
        left, right = label_w + 14, width - 44
        step = (lower - upper) / len(self.bars)
        for i, bar in enumerate(self.bars):
            y0 = upper + i * step + step * 0.15
            y1 = upper + (i + 1) * step - step * 0.15
            x1 = left + (right - left) * (bar.value / top)
            self.create_text(
                left - 6,
                (y0 + y1) / 2,
                text=self._fit(bar.label, label_w - 4),
                anchor="e",
                font="SuperviseSmall",
                fill="#374151",
            )
            item = self.create_rectangle(left, y0, max(x1, left + 2), y1, fill=bar.color, width=0)
            self._clickable(item, bar)
            self.create_text(
                max(x1, left + 2) + 4,
                (y0 + y1) / 2,
                text=_fmt(bar.value),
                anchor="w",
                font="SuperviseSmall",
                fill=MUTED,
            )

    def _fit(self, text: str, width: int) -> str:
        """``text`` cut with an ellipsis so that it fits ``width`` pixels."""
        font = tkfont.nametofont("SuperviseSmall")
        if font.measure(text) <= width:
            return text
        while text and font.measure(text + "…") > width:
            text = text[:-1]
        return text + "…"

    def _clickable(self, item: int, bar: Bar) -> None:
        if self.on_click is None or bar.key is None:
            return
        self.tag_bind(item, "<Button-1>", lambda _e, key=bar.key: self.on_click(key))  # type: ignore[misc]
        self.tag_bind(item, "<Enter>", lambda _e: self.configure(cursor="hand2"))
        self.tag_bind(item, "<Leave>", lambda _e: self.configure(cursor=""))


def _fmt(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:.2f}"


__all__ = ["Bar", "BarChart"]
