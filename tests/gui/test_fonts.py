"""The CJK interface font (supervise.gui.fonts): chosen by name, applied to every named font."""

from __future__ import annotations

import gc
import tkinter.font as tkfont

import pytest

from supervise.gui.fonts import NAMED_FONTS, apply_fonts, choose_family, cjk_families


def test_choose_family_by_platform_and_preference():
    linux = ["DejaVu Sans", "Noto Sans CJK SC", "WenQuanYi Micro Hei"]
    assert choose_family(linux, "linux") == "WenQuanYi Micro Hei"
    assert choose_family(["Noto Sans CJK SC", "Noto Sans CJK JP"], "linux") == "Noto Sans CJK SC"
    assert (
        choose_family(["Microsoft YaHei", "SimSun", "Noto Sans CJK SC"], "win32")
        == "Microsoft YaHei"
    )
    assert (
        choose_family(["Noto Sans CJK SC"], "win32") == "Noto Sans CJK SC"
    )  # another platform's list last
    assert choose_family(linux, "linux", prefer="Noto Sans CJK SC") == "Noto Sans CJK SC"
    assert choose_family(linux, "linux", prefer="Not Installed") == "WenQuanYi Micro Hei"
    assert choose_family(["DejaVu Sans", "Noto Sans CJK JP"], "linux") is None


def test_apply_fonts_sets_the_named_fonts(root):
    choice = apply_fonts(root, size=12)
    installed = set(tkfont.families(root))
    if choice.family is None:
        pytest.skip("no Chinese font on this machine (apt-get install fonts-wqy-microhei)")
    assert choice.family in installed and choice.family in cjk_families(root)
    for name in NAMED_FONTS:
        font = tkfont.nametofont(name, root)
        assert font.cget("family") == choice.family and font.cget("size") == 12
    gc.collect()  # the app's own fonts live in Tcl, not in Python objects
    assert tkfont.nametofont("SuperviseTitle", root).cget("size") == 16
    assert tkfont.Font(root, font="TkDefaultFont").measure("效能监督") > tkfont.Font(
        root, font="TkDefaultFont"
    ).measure("ab")
