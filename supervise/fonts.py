"""Finding and embedding the CJK fonts of a circular (SPEC §7).

A circular uses four text roles: 仿宋 (body), 小标宋 (发文机关标志, title),
黑体 (first-level headings) and 楷体 (second-level headings).
:func:`find_font` looks for a TrueType file for a role, in this order:

1. the setting ``fonts.paths`` (``{"仿宋": "D:/fonts/simfang.ttf", …}``; a
   value may also be ``{"path": …, "index": N}`` for a subfont of a .ttc);
2. the plugin hook ``supervise_circular_font(role)`` (``registry.circular_font``);
3. the Windows font folders (``%WINDIR%\\Fonts`` and the per-user folder):
   ``simfang.ttf``, ``simhei.ttf``, ``simkai.ttf``, ``simsun.ttc``, the
   ``_GB2312`` variants, 方正小标宋 …;
4. fontconfig (``fc-list :lang=zh``), preferring a face whose family names
   the role, then a simplified-Chinese face, then a serif (宋/明) one.

A candidate is used only when it has TrueType outlines (a ``glyf`` table;
reportlab cannot embed ``CFF `` outlines such as Noto CJK) and maps the
CJK ideographs.  When no role finds anything, reportlab's built-in CID font
``STSong-Light`` is used and one warning says that the PDF then depends on
the reader's fonts.  Registered fonts are cached per process.
"""

from __future__ import annotations

import itertools
import logging
import os
import shutil
import struct
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont

logger = logging.getLogger(__name__)

ROLES: tuple[str, ...] = ("仿宋", "小标宋", "黑体", "楷体")
FALLBACK_FONT = "STSong-Light"
FALLBACK_WARNING = (
    "未找到可嵌入的中文 TrueType 字体，使用阅读器内置的 STSong-Light，PDF 显示依赖阅读器字体"
    " / no embeddable CJK TrueType font found: using STSong-Light, the PDF depends on the reader's fonts"
)

#: Windows file names per role, best first (lower-case; Windows names are case-insensitive).
WINDOWS_FILES: dict[str, tuple[str, ...]] = {
    "仿宋": ("仿宋_gb2312.ttf", "fangsong_gb2312.ttf", "fs_gb2312.ttf", "simfang.ttf"),
    "小标宋": (
        "方正小标宋简体.ttf",
        "fzxbsjw.ttf",
        "fzxbsjw--gb1-0.ttf",
        "方正小标宋_gbk.ttf",
        "fzxbsk.ttf",
        "simsun.ttc",
        "simsun.ttf",
    ),
    "黑体": ("simhei.ttf", "方正黑体_gbk.ttf", "fzhtk.ttf", "msyh.ttc", "msyh.ttf"),
    "楷体": ("楷体_gb2312.ttf", "kaiti_gb2312.ttf", "kt_gb2312.ttf", "simkai.ttf"),
}
#: Any of these will do for a role whose own files are missing.
WINDOWS_GENERIC: tuple[str, ...] = (
    "simsun.ttc",
    "simsun.ttf",
    "simfang.ttf",
    "simkai.ttf",
    "simhei.ttf",
    "msyh.ttc",
    "msyh.ttf",
)
#: Words in a fontconfig family name that mark a face as fit for the role.
ROLE_WORDS: dict[str, tuple[str, ...]] = {
    "仿宋": ("fangsong", "仿宋", "fang song"),
    "小标宋": ("xiaobiaosong", "小标宋", "song", "宋", "ming", "明"),
    "黑体": ("hei", "黑", "sans"),
    "楷体": ("kai", "楷"),
}
SERIF_WORDS = ("song", "宋", "ming", "明", "serif")
SANS_WORDS = ("hei", "黑", "sans", "gothic")
SIMPLIFIED_WORDS = (" cn", " sc", "gb", "简", "microhei")


@dataclass(frozen=True)
class FontChoice:
    """The font used for a role: reportlab's registered name and where it came from."""

    role: str
    name: str  # the name registered with reportlab
    path: str | None  # None for the built-in fallback
    subfont_index: int
    source: str  # configured / plugin / windows / fontconfig / builtin
    embedded: bool
    warning: str | None = None

    def describe(self) -> str:
        where = f"{self.path}#{self.subfont_index}" if self.path else "built-in"
        return f"{self.role}: {self.name} ({self.source}, {where})"


@dataclass(frozen=True)
class Candidate:
    path: str
    index: int
    source: str
    label: str = ""


# -- the sfnt table directory ------------------------------------------------------------


def outline_kind(path: str | os.PathLike[str], index: int = 0) -> str | None:
    """``"glyf"`` for TrueType outlines, ``"CFF"`` for PostScript ones, None if unreadable.

    Reads the sfnt table directory (of subfont ``index`` in a .ttc) directly.
    """
    try:
        with open(path, "rb") as handle:
            head = handle.read(12)
            offset = 0
            if head[:4] == b"ttcf":
                count = struct.unpack(">I", head[8:12])[0]
                if not 0 <= index < count:
                    return None
                handle.seek(12 + 4 * index)
                offset = struct.unpack(">I", handle.read(4))[0]
                handle.seek(offset)
                head = handle.read(12)
            if len(head) < 12 or head[:4] not in (b"\x00\x01\x00\x00", b"OTTO", b"true"):
                return None
            tables = struct.unpack(">H", head[4:6])[0]
            directory = handle.read(16 * tables)
    except (OSError, struct.error):
        return None
    tags = {directory[i : i + 4] for i in range(0, len(directory) - 15, 16)}
    if b"glyf" in tags:
        return "glyf"
    if b"CFF " in tags or b"CFF2" in tags:
        return "CFF"
    return None


# -- where to look -------------------------------------------------------------------------

_lock = threading.Lock()
_fc_faces: list[tuple[str, int, str, str]] | None = None


def windows_font_dirs() -> list[Path]:
    """``%WINDIR%\\Fonts`` and ``%LOCALAPPDATA%\\Microsoft\\Windows\\Fonts`` when they exist."""
    dirs = []
    windir = os.environ.get("WINDIR") or os.environ.get("SystemRoot")
    if windir:
        dirs.append(Path(windir) / "Fonts")
    local = os.environ.get("LOCALAPPDATA")
    if local:
        dirs.append(Path(local) / "Microsoft" / "Windows" / "Fonts")
    return [d for d in dirs if d.is_dir()]


def _windows_candidates(role: str) -> Iterator[Candidate]:
    for folder in windows_font_dirs():
        files = {p.name.lower(): p for p in folder.iterdir() if p.is_file()}
        for name in (*WINDOWS_FILES.get(role, ()), *WINDOWS_GENERIC):
            if name in files:
                yield Candidate(str(files[name]), 0, "windows", name)


def fontconfig_faces() -> list[tuple[str, int, str, str]]:
    """``(file, index, fontformat, family)`` of every face fontconfig lists for Chinese (cached)."""
    global _fc_faces
    if _fc_faces is None:
        _fc_faces = _run_fc_list()
    return list(_fc_faces)


def _run_fc_list() -> list[tuple[str, int, str, str]]:
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return []
    try:
        out = subprocess.run(
            [fc_list, ":lang=zh", "--format", "%{file}\t%{index}\t%{fontformat}\t%{family}\n"],
            capture_output=True,
            text=True,
            timeout=20,
            check=False,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        logger.warning("fc-list failed", exc_info=True)
        return []
    faces = []
    for line in out.splitlines():
        parts = line.split("\t")
        if len(parts) != 4:
            continue
        try:
            index = int(parts[1] or 0)
        except ValueError:
            continue
        faces.append((parts[0], index, parts[2], parts[3]))
    return faces


def _rank(role: str, family: str) -> tuple[int, int, int, str]:
    text = " " + family.lower()
    own = any(w in text for w in ROLE_WORDS.get(role, ()))
    simplified = any(w in text for w in SIMPLIFIED_WORDS)
    style = SANS_WORDS if role == "黑体" else SERIF_WORDS
    styled = any(w in text for w in style)
    mono = "mono" in text
    return (
        0 if own else 1,
        0 if simplified else 1,
        (0 if styled else 1) + (2 if mono else 0),
        family,
    )


def _fontconfig_candidates(role: str) -> Iterator[Candidate]:
    faces = [f for f in fontconfig_faces() if f[2] in ("TrueType", "")]
    for path, index, _, family in sorted(faces, key=lambda f: _rank(role, f[3])):
        yield Candidate(path, index, "fontconfig", family.split(",")[0])


def _configured(role: str) -> Candidate | None:
    from . import settings
    from .db import database

    if database.obj is None or database.obj.is_closed():
        return None  # no database open in this thread (a font test, a plugin page)
    try:
        paths = settings.get("fonts.paths") or {}
    except Exception:  # no database open (a font test, a plugin page); nothing configured
        logger.debug("fonts.paths unavailable", exc_info=True)
        paths = {}
    value = paths.get(role) if isinstance(paths, dict) else None
    if not value:
        return None
    if isinstance(value, dict):
        return Candidate(str(value.get("path", "")), int(value.get("index", 0) or 0), "configured")
    return Candidate(str(value), 0, "configured")


def _plugin(role: str) -> Candidate | None:
    from .registry import get_registry

    path = get_registry().circular_font(role)
    return Candidate(path, 0, "plugin") if path else None


def candidates(role: str) -> Iterator[Candidate]:
    """Every candidate for ``role`` in the order of the module docstring."""
    for first in (_configured(role), _plugin(role)):
        if first is not None:
            yield first
    yield from _windows_candidates(role)
    yield from _fontconfig_candidates(role)


# -- registering -----------------------------------------------------------------------------

_registered: dict[tuple[str, int], str] = {}  # (real path, index) → reportlab name
_rejected: dict[tuple[str, int], str] = {}  # (real path, index) → why
_warned: set[str] = set()
_serial = itertools.count(1)  # never reset: a reportlab name is never given to two files


def _why_unusable(candidate: Candidate) -> str | None:
    path = Path(candidate.path)
    if not path.is_file():
        return "文件不存在 file not found"
    kind = outline_kind(path, candidate.index)
    if kind == "CFF":
        return "CFF (PostScript) 轮廓无法嵌入 CFF outlines cannot be embedded"
    if kind is None:
        return "不是 TrueType 字体或子字体序号无效 not a TrueType font, or no such subfont"
    return None


def register(candidate: Candidate) -> str | None:
    """Register the candidate with reportlab; its font name, or None when unusable."""
    key = (os.path.realpath(candidate.path), candidate.index)
    with _lock:
        if key in _registered:
            return _registered[key]
        if key in _rejected:
            return None
        why = _why_unusable(candidate)
        name = f"SV{next(_serial)}-{Path(candidate.path).stem}-{candidate.index}"
        font = None
        if why is None:
            try:
                font = TTFont(name, key[0], subfontIndex=candidate.index)
            except Exception as exc:  # reportlab's TTFError and struct errors on broken files
                why = f"reportlab 无法读取 cannot read it: {exc}"
        if font is not None and 0x4E2D not in font.face.charToGlyph:
            why = "不含中文字形 has no CJK glyphs"
        if why is not None or font is None:
            _rejected[key] = why or "?"
            logger.info("font %s#%s skipped: %s", candidate.path, candidate.index, why)
            return None
        pdfmetrics.registerFont(font)
        _registered[key] = name
        return name


def _fallback(role: str) -> FontChoice:
    if FALLBACK_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FALLBACK_FONT))
    with _lock:
        if FALLBACK_WARNING not in _warned:
            _warned.add(FALLBACK_WARNING)
            logger.warning(FALLBACK_WARNING)
    return FontChoice(role, FALLBACK_FONT, None, 0, "builtin", False, FALLBACK_WARNING)


def find_font(role: str) -> FontChoice:
    """The font for ``role`` (仿宋/小标宋/黑体/楷体), registered with reportlab.

    A configured path that cannot be used is passed over with a warning in
    :attr:`FontChoice.warning`; with nothing usable the choice is the
    built-in ``STSong-Light`` (not embedded).
    """
    if role not in ROLES:
        raise ValueError(f"unknown font role {role!r}; expected one of {ROLES}")
    problems: list[str] = []
    for candidate in candidates(role):
        name = register(candidate)
        if name is not None:
            warning = "；".join(problems) or None
            return FontChoice(
                role, name, candidate.path, candidate.index, candidate.source, True, warning
            )
        if candidate.source in ("configured", "plugin"):
            key = (os.path.realpath(candidate.path), candidate.index)
            problems.append(
                f"{role}字体 {candidate.path} 不可用 unusable: {_rejected.get(key, '?')}"
            )
    choice = _fallback(role)
    if problems:
        return FontChoice(
            **{**choice.__dict__, "warning": "；".join([*problems, FALLBACK_WARNING])}
        )
    return choice


def find_fonts() -> dict[str, FontChoice]:
    """A choice for every role."""
    return {role: find_font(role) for role in ROLES}


def reset_cache() -> None:
    """Forget what was registered or rejected (tests; after the font settings change)."""
    global _fc_faces
    with _lock:
        _registered.clear()
        _rejected.clear()
        _warned.clear()
        _fc_faces = None


__all__ = [
    "FALLBACK_FONT",
    "ROLES",
    "FontChoice",
    "find_font",
    "find_fonts",
    "outline_kind",
    "reset_cache",
]
