"""The CJK interface font, chosen explicitly from what the system has.

Tk asks fontconfig (or GDI) for a glyph it lacks in the default font and
takes whatever answers first; on many Linux desktops that is a Japanese
face, whose 骨 直 画 differ from the Simplified Chinese forms.  So the GUI
names its font: Microsoft YaHei on Windows, PingFang on macOS, WenQuanYi
Micro Hei or Noto Sans CJK SC on Linux, then a few others.  A family chosen
by the user (settings page, kept in the local GUI file) wins when installed.
Every named Tk font (``TkDefaultFont``, ``TkTextFont``, …) is reconfigured,
so ttk widgets, menus, entries and message boxes all follow.
"""

from __future__ import annotations

import logging
import sys
import tkinter as tk
import tkinter.font as tkfont
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

logger = logging.getLogger(__name__)

PREFERRED: dict[str, tuple[str, ...]] = {
    "win32": ("Microsoft YaHei UI", "Microsoft YaHei", "DengXian", "SimHei", "SimSun"),
    "darwin": ("PingFang SC", "Hiragino Sans GB", "Heiti SC", "STHeiti", "Songti SC"),
    "linux": (
        "WenQuanYi Micro Hei",
        "Noto Sans CJK SC",
        "Noto Sans SC",
        "Source Han Sans SC",
        "Source Han Sans CN",
        "WenQuanYi Zen Hei",
        "Droid Sans Fallback",
        "AR PL UMing CN",
        "AR PL UKai CN",
    ),
}
PREFERRED_MONO = ("WenQuanYi Micro Hei Mono", "Noto Sans Mono CJK SC", "Sarasa Mono SC", "NSimSun")

#: Tk's named fonts that widgets use; all of them get the CJK family.
NAMED_FONTS = (
    "TkDefaultFont",
    "TkTextFont",
    "TkMenuFont",
    "TkHeadingFont",
    "TkCaptionFont",
    "TkSmallCaptionFont",
    "TkIconFont",
    "TkTooltipFont",
)
DEFAULT_SIZE = {"win32": 9, "darwin": 13}.get(sys.platform, 10)


@dataclass(frozen=True)
class FontChoice:
    """The family applied (None when no CJK family was found) and the point size."""

    family: str | None
    mono: str | None
    size: int


def _platform(platform: str) -> str:
    if platform.startswith("win"):
        return "win32"
    if platform == "darwin":
        return "darwin"
    return "linux"


def choose_family(
    families: Iterable[str], platform: str = sys.platform, prefer: str | None = None
) -> str | None:
    """The first preferred CJK family that is installed, or None.

    ``prefer`` (the user's choice) wins when installed.  Families from other
    platforms' lists are tried last, so a Noto install on Windows still works.
    """
    installed = set(families)
    if prefer and prefer in installed:
        return prefer
    own = PREFERRED[_platform(platform)]
    others = [f for key, names in PREFERRED.items() if key != _platform(platform) for f in names]
    for family in (*own, *others):
        if family in installed:
            return family
    return None


def choose_mono(families: Iterable[str]) -> str | None:
    installed = set(families)
    return next((f for f in PREFERRED_MONO if f in installed), None)


def apply_fonts(root: tk.Misc, family: str | None = None, size: int | None = None) -> FontChoice:
    """Set every named Tk font to the chosen CJK family; define the app's own fonts."""
    families = tkfont.families(root)
    chosen = choose_family(families, prefer=family)
    mono = choose_mono(families)
    size = size or DEFAULT_SIZE
    if chosen is None:
        logger.warning(
            "no Chinese font found; Tk will pick glyphs itself (install fonts-wqy-microhei)"
        )
    for name in NAMED_FONTS:
        font = tkfont.nametofont(name, root)
        options: dict[str, Any] = {"size": size}
        if chosen:
            options["family"] = chosen
        font.configure(**options)
    tkfont.nametofont("TkHeadingFont", root).configure(weight="bold")
    fixed = tkfont.nametofont("TkFixedFont", root)
    if mono:
        fixed.configure(size=size, family=mono)
    else:
        fixed.configure(size=size)
    base = chosen or tkfont.nametofont("TkDefaultFont", root).actual("family")
    _define(root, "SuperviseTitle", family=base, size=size + 4, weight="bold")
    _define(root, "SuperviseNumber", family=base, size=size + 12, weight="bold")
    _define(root, "SuperviseSmall", family=base, size=max(size - 1, 7))
    _define(root, "SuperviseBold", family=base, size=size, weight="bold")
    logger.info("interface font: %s %s pt", chosen or "(Tk default)", size)
    return FontChoice(chosen, mono, size)


def _define(root: tk.Misc, name: str, **options: object) -> None:
    """Create or update a named font; made with Tcl's ``font create`` so that it
    lives as long as the interpreter, not as long as a Python Font object."""
    args: list[object] = []
    for key, value in options.items():
        args += [f"-{key}", value]
    verb = "configure" if name in tkfont.names(root) else "create"
    root.tk.call("font", verb, name, *args)


def cjk_families(root: tk.Misc) -> list[str]:
    """Installed families that look like Chinese fonts (for the settings page)."""
    known = {f for names in PREFERRED.values() for f in names} | set(PREFERRED_MONO)
    hints = ("CJK", "Hei", "Song", "Kai", "Fang", "Ming", "YaHei", "PingFang", "Han Sans", "SC")
    result = {
        f
        for f in tkfont.families(root)
        if f in known or any(h in f for h in hints) or any("\u4e00" <= ch <= "\u9fff" for ch in f)
    }
    return sorted(result)


__all__ = ["FontChoice", "apply_fonts", "choose_family", "choose_mono", "cjk_families", "PREFERRED"]
