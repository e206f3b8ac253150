"""The layout of an official document (公文) after GB/T 9704-2012 (SPEC §7).

A4 paper, 天头 37 mm, 订口 28 mm, a 156 × 225 mm text block holding 22
lines of 28 characters of 3号 (16 pt) 仿宋.  Characters are placed on that
grid here, not by a paragraph engine: the line pitch is 225 mm / 22, the
character pitch 156 mm / 28, and a half-width character (digits, Latin)
takes half a cell, so every full line holds exactly 28 characters.  Lines
break after the Chinese rules (避头尾): no line starts with a closing mark
(，。、；：？！）》” …) and none ends with an opening one (（《“ …).  One
closing mark may hang past the right edge, as Word does by default
(允许标点溢出边界); where two would have to, the last character of the line
moves down with them instead.

Page 1 carries the 版头: the red 发文机关标志 (organ + 文件, 小标宋, centred,
its top 35 mm below the top of the text block), the 发文字号 two lines
below it, a red separator 4 mm below that; then the title in 2号 (22 pt)
小标宋 two lines below the separator (one or more centred lines, the lower
ones longer), the 主送机关, the body (paragraphs starting ``一、`` in 黑体,
``（一）`` in 楷体 up to their first 。), the 发文机关署名 and the 成文日期
(Arabic numerals; the signature two characters from the right edge, the
date starting two characters right of the signature's first character),
and the 版记 at the bottom of the last page: 抄送 and 印发机关/印发日期
between a thick, a thin and a thick line, the last one on the bottom edge of
the text block.  Page numbers ``— N —`` in 4号 (14 pt) sit 7 mm below the
text block, odd pages on the right, even ones on the left, one character in.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from .fonts import FontChoice, find_fonts

logger = logging.getLogger(__name__)

PAGE_W, PAGE_H = A4
TOP, LEFT = 37 * mm, 28 * mm
BLOCK_W, BLOCK_H = 156 * mm, 225 * mm
LINES, CHARS = 22, 28
PITCH = BLOCK_H / LINES  # line pitch, ≈ 28.99 pt
CELL = BLOCK_W / CHARS  # character pitch, ≈ 15.79 pt
UNITS = 2 * CHARS  # a line in half-cells
BODY_PT, TITLE_PT, FOOT_PT = 16, 22, 14  # 3号, 2号, 4号
ASCENT = 0.88  # the ideographic em box spans −0.12 … 0.88 em around the baseline
MARK_GAP = 35 * mm  # top of the text block → top of the 发文机关标志
MARK_MAX_PT = 48
RULE_GAP = 4 * mm  # 发文字号 → red separator
PAGE_NO_GAP = 7 * mm  # bottom of the text block → the dashes of the page number
RED = (0.9, 0.0, 0.0)

NO_START = set("，。、；：？！）］｝〕〉》」』】〗’”…—·%‰,.;:?!)]}>～~々ー")
NO_END = set("（［｛〔〈《「『【〖‘“([{<")
_LEVEL1 = re.compile(r"^[一二三四五六七八九十]+、")
_LEVEL2 = re.compile(r"^（[一二三四五六七八九十]+）")
_ASCII_RUN = re.compile(r"[0-9A-Za-z][0-9A-Za-z.\-/:%]*[0-9A-Za-z%]|[0-9A-Za-z]")


@dataclass
class OfficialDocument:
    """What a 公文 says; :func:`render` lays it out."""

    organ: str  # 发文机关 (also the 署名 unless ``signature`` is given)
    number: str  # 发文字号, e.g. 效监通〔2026〕12号
    title: str
    addressee: str  # 主送机关, without the colon
    body: list[str]  # paragraphs
    date: dt.date  # 成文日期 (and 印发日期 unless ``print_date`` is given)
    cc: list[str] = field(default_factory=list)  # 抄送
    printer: str = ""  # 印发机关 (default: the organ)
    print_date: dt.date | None = None
    signature: str = ""
    mark: str = ""  # 发文机关标志 (default: organ + 文件)


@dataclass
class Rendered:
    path: Path
    pages: int
    fonts: dict[str, FontChoice]
    warnings: list[str]


@dataclass
class Line:
    """One laid-out line: atoms with their start (in half-cells) and text role."""

    atoms: list[tuple[int, str, str]]  # (x in half-cells, text, role)
    hanging: bool = False

    @property
    def text(self) -> str:
        return "".join(a[1] for a in self.atoms)


# -- measuring and breaking ----------------------------------------------------------------


def char_units(ch: str) -> int:
    """2 half-cells for a full-width (or ambiguous, in Chinese text) character, else 1."""
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F", "A") else 1


def text_units(text: str) -> int:
    return sum(char_units(ch) for ch in text)


def _atoms(text: str) -> list[str]:
    """Unbreakable pieces: a run of digits/Latin, a doubled ——/……, or one character."""
    atoms: list[str] = []
    i = 0
    while i < len(text):
        m = _ASCII_RUN.match(text, i)
        if m:
            atoms.append(m.group())
            i = m.end()
        elif text[i] in "—…" and text[i + 1 : i + 2] == text[i]:
            atoms.append(text[i : i + 2])
            i += 2
        else:
            atoms.append(text[i])
            i += 1
    return atoms


def _starts_bad(atom: str) -> bool:
    return atom[0] in NO_START


def break_runs(runs: Iterable[tuple[str, str]], indent: int = 4, width: int = UNITS) -> list[Line]:
    """Break ``(text, role)`` runs into lines of ``width`` half-cells, the first indented."""
    pieces = [(a, role) for text, role in runs for a in _split_long(_atoms(text), width)]
    lines: list[Line] = []
    cur: list[tuple[str, str]] = []
    used = indent

    def close(hanging: bool = False) -> None:
        x = indent if not lines else 0
        placed = []
        for atom, role in cur:
            placed.append((x, atom, role))
            x += text_units(atom)
        lines.append(Line(placed, hanging))

    for i, (atom, role) in enumerate(pieces):
        w = text_units(atom)
        if used + w <= width:
            cur.append((atom, role))
            used += w
            continue
        following = pieces[i + 1][0] if i + 1 < len(pieces) else ""
        if _starts_bad(atom) and len(atom) == 1 and not (following and _starts_bad(following)):
            cur.append((atom, role))  # hang one closing mark past the edge
            close(hanging=True)
            cur, used = [], 0
            continue
        carry: list[tuple[str, str]] = []
        if _starts_bad(atom):  # move characters down until the new line starts well
            while cur and (_starts_bad(cur[-1][0]) or not carry):
                carry.insert(0, cur.pop())
        while cur and cur[-1][0][-1] in NO_END:  # an opening mark never ends a line
            carry.insert(0, cur.pop())
        if not cur:  # nothing left to move; break here after all
            cur, carry = carry, []
        close()
        cur = [*carry, (atom, role)]
        used = sum(text_units(a) for a, _ in cur)
    if cur or not lines:
        close()
    return lines


def _split_long(atoms: list[str], width: int) -> list[str]:
    out: list[str] = []
    for atom in atoms:
        while text_units(atom) > width:
            out.append(atom[:width])
            atom = atom[width:]
        out.append(atom)
    return out


def paragraph_runs(text: str) -> list[tuple[str, str]]:
    """The text roles of a body paragraph: ``一、…`` 黑体, ``（一）…。`` 楷体, the rest 仿宋."""
    if _LEVEL1.match(text):
        return [(text, "黑体")]
    if _LEVEL2.match(text):
        end = text.find("。")
        if end < 0 or end == len(text) - 1:
            return [(text, "楷体")]
        return [(text[: end + 1], "楷体"), (text[end + 1 :], "仿宋")]
    return [(text, "仿宋")]


def title_lines(title: str, size: float = TITLE_PT) -> list[str]:
    """Split a title into centred lines that fit the block, upper lines no longer (梯形).

    Line breaks already in the title (from the template) are kept.
    """
    if "\n" in title:
        return [
            part
            for line in title.split("\n")
            if line.strip()
            for part in title_lines(line.strip(), size)
        ]
    per_line = int(BLOCK_W // size)
    n = len(title)
    if n <= per_line:
        return [title]
    count = math.ceil(n / per_line)
    good_after = "的于和及与、，等局委厅室心口区县镇道院所站"  # words and unit names end here
    lines, rest = [], title
    while count > 1:
        ideal = len(rest) // count
        options = range(
            max(1, len(rest) - per_line * (count - 1)), min(per_line, len(rest) - 1) + 1
        )

        def score(k: int, ideal: int = ideal, rest: str = rest) -> tuple[int, int]:
            nice = 0 if rest[k - 1] in good_after else 1
            return (abs(k - ideal) + 3 * nice + (0 if k <= ideal else 1), k)

        cut = min(options, key=score)
        while cut < len(rest) and rest[cut] in NO_START:
            cut += 1
        lines.append(rest[:cut])
        rest = rest[cut:]
        count -= 1
    lines.append(rest)
    return lines


# -- drawing ---------------------------------------------------------------------------------


def _y(top: float, size: float) -> float:
    """The PDF baseline for text of ``size`` whose em box starts ``top`` points below the page top."""
    return PAGE_H - top - ASCENT * size


def row_top(row: int) -> float:
    return TOP + row * PITCH


class _Writer:
    def __init__(self, canvas: Canvas, fonts: dict[str, FontChoice]) -> None:
        self.c = canvas
        self.fonts = fonts

    def run(
        self,
        x: float,
        top: float,
        text: str,
        role: str,
        size: float,
        full: float,
        colour: tuple[float, float, float] | None = None,
    ) -> float:
        """Draw ``text`` char by char, ``full`` points per full-width char; returns the end x."""
        self.c.setFont(self.fonts[role].name, size)
        self.c.setFillColorRGB(*(colour or (0, 0, 0)))
        base = _y(top, size)
        for ch in text:
            self.c.drawString(x, base, ch)
            x += full * char_units(ch) / 2
        return x

    def grid_line(self, row: int, line: Line, size: float = BODY_PT) -> None:
        for x, atom, role in line.atoms:
            self.run(LEFT + x * CELL / 2, row_top(row), atom, role, size, CELL)

    def centred(
        self,
        top: float,
        text: str,
        role: str,
        size: float,
        full: float,
        colour: tuple[float, float, float] | None = None,
    ) -> None:
        width = text_units(text) * full / 2
        self.run(LEFT + (BLOCK_W - width) / 2, top, text, role, size, full, colour)

    def rule(
        self, top: float, width: float, colour: tuple[float, float, float] = (0, 0, 0)
    ) -> None:
        self.c.setStrokeColorRGB(*colour)
        self.c.setLineWidth(width)
        self.c.line(LEFT, PAGE_H - top, LEFT + BLOCK_W, PAGE_H - top)


def _mark(w: _Writer, text: str) -> float:
    """The red 发文机关标志; returns the distance of its bottom from the page top."""
    top = TOP + MARK_GAP
    room = BLOCK_W * 0.96
    units = text_units(text) / 2
    size = min(MARK_MAX_PT, room / (units * 0.75))
    scale = min(1.0, room / (units * size))
    font = w.fonts["小标宋"].name
    width = units * size * scale
    t = w.c.beginText()
    t.setTextOrigin(LEFT + (BLOCK_W - width) / 2, _y(top, size))
    t.setFont(font, size)
    t.setHorizScale(scale * 100)
    t.setFillColorRGB(*RED)
    t.textOut(text)
    w.c.saveState()  # Tz (horizontal scale) is graphics state: keep it to the mark
    w.c.drawText(t)
    w.c.restoreState()
    return top + size


def _signature_block(organ: str, date_text: str) -> tuple[Line, Line]:
    sig_w, date_w = text_units(organ), text_units(date_text)
    sig_x = UNITS - 4 - sig_w
    date_x = sig_x + 4
    if date_x + date_w > UNITS - 4:
        date_x = UNITS - 4 - date_w
        sig_x = date_x - 4
    return Line([(max(0, sig_x), organ, "仿宋")]), Line([(max(0, date_x), date_text, "仿宋")])


def chinese_date(day: dt.date) -> str:
    """2026年11月20日: Arabic numerals, the full year, no leading zeros."""
    return f"{day.year}年{day.month}月{day.day}日"


def _cc_lines(cc: list[str]) -> list[Line]:
    """抄送：A，B，C。 with one character kept free on each side, continuation under the first name."""
    if not cc:
        return []
    head = "抄送："
    text = "，".join(cc) + "。"
    start = 2 + text_units(head)  # in half-characters of 14 pt, one character in from the left
    width = int(BLOCK_W // (FOOT_PT / 2)) - 2  # one character free at the right
    broken = break_runs([(text, "仿宋")], indent=0, width=width - start)
    lines = []
    for i, line in enumerate(broken):
        atoms = [(start + x, a, r) for x, a, r in line.atoms]
        if i == 0:
            atoms.insert(0, (2, head, "仿宋"))
        lines.append(Line(atoms))
    return lines


# -- the document ------------------------------------------------------------------------------


def render(
    doc: OfficialDocument, path: str | Path, fonts: dict[str, FontChoice] | None = None
) -> Rendered:
    """Lay ``doc`` out and write the PDF to ``path``; returns the page count and font notes."""
    path = Path(path)
    fonts = fonts or find_fonts()
    warnings = list(dict.fromkeys(f.warning for f in fonts.values() if f.warning))
    c = Canvas(
        str(path),
        pagesize=A4,
        pageCompression=1,
        initialFontName=fonts["仿宋"].name,
        initialFontSize=BODY_PT,
    )
    c.setTitle(doc.title.replace("\n", ""))
    c.setAuthor(doc.organ)
    c.setSubject(doc.number)
    c.setCreator("supervise")
    w = _Writer(c, fonts)

    # 版头
    bottom = _mark(w, doc.mark or f"{doc.organ}文件")
    number_top = bottom + 2 * PITCH
    w.centred(number_top, doc.number, "仿宋", BODY_PT, CELL)
    rule_top = number_top + BODY_PT + RULE_GAP
    w.rule(rule_top, 1.5, RED)
    row = math.ceil((rule_top - TOP) / PITCH) + 2  # two blank lines below the separator

    # 主体: rows of (kind, payload)
    flow: list[tuple[str, object]] = [("title", t) for t in title_lines(doc.title)]
    flow.append(("blank", None))
    flow += [("line", ln) for ln in break_runs([(doc.addressee + "：", "仿宋")], indent=0)]
    for paragraph in doc.body:
        flow += [("line", ln) for ln in break_runs(paragraph_runs(paragraph.strip()))]
    signature, date_line = _signature_block(doc.signature or doc.organ, chinese_date(doc.date))

    page = 1
    placed: list[tuple[int, int, str, object]] = []  # (page, row, kind, payload)
    for kind, payload in flow:
        if row >= LINES:
            page, row = page + 1, 0
        placed.append((page, row, kind, payload))
        row += 1
    # 署名 and 成文日期: one blank line below the body, the two together, never alone on a page
    if row + 3 > LINES:
        body_rows = [p for p in placed if p[0] == page and p[2] == "line"]
        page, row = page + 1, 0
        for moved in body_rows[-2:]:
            placed.remove(moved)
            placed.append((page, row, moved[2], moved[3]))
            row += 1
        row += 1
    else:
        row += 1
    placed.append((page, row, "line", signature))
    placed.append((page, row + 1, "line", date_line))
    row += 2

    cc = _cc_lines(doc.cc)
    foot_rows = len(cc) + 1
    if row + 1 + foot_rows > LINES:
        page, row = page + 1, 0
    pages = page

    for number in range(1, pages + 1):
        if number > 1:
            c.showPage()
        for p, r, kind, payload in placed:
            if p != number:
                continue
            if kind == "title":
                w.centred(row_top(r), str(payload), "小标宋", TITLE_PT, TITLE_PT)
            elif kind == "line":
                w.grid_line(r, payload)  # type: ignore[arg-type]
        if number == pages:
            _foot(w, cc, doc)
        _page_number(w, number)
    c.save()
    logger.info("wrote %s (%d pages)", path, pages)
    return Rendered(path, pages, fonts, warnings)


def _foot(w: _Writer, cc: list[Line], doc: OfficialDocument) -> None:
    """版记 at the bottom of the last page."""
    first = LINES - len(cc) - 1
    w.rule(row_top(first), 0.35 * mm)  # thick
    inset = (PITCH - FOOT_PT) / 2
    half = FOOT_PT / 2
    for i, line in enumerate(cc):
        for x, atom, role in line.atoms:
            w.run(LEFT + x * half, row_top(first + i) + inset, atom, role, FOOT_PT, FOOT_PT)
    last = LINES - 1
    if cc:
        w.rule(row_top(last), 0.25 * mm)
    printer = doc.printer or doc.organ
    when = chinese_date(doc.print_date or doc.date) + "印发"
    w.run(LEFT + FOOT_PT, row_top(last) + inset, printer, "仿宋", FOOT_PT, FOOT_PT)
    end = LEFT + BLOCK_W - FOOT_PT - text_units(when) * half
    w.run(end, row_top(last) + inset, when, "仿宋", FOOT_PT, FOOT_PT)
    w.rule(TOP + BLOCK_H, 0.35 * mm)


def _page_number(w: _Writer, number: int) -> None:
    text = f"— {number} —"
    half = FOOT_PT / 2
    width = text_units(text) * half
    # the dashes sit about 0.3 em above the baseline: put them 7 mm below the text block
    top = TOP + BLOCK_H + PAGE_NO_GAP - (ASCENT - 0.3) * FOOT_PT
    x = LEFT + BLOCK_W - FOOT_PT - width if number % 2 else LEFT + FOOT_PT
    w.run(x, top, text, "仿宋", FOOT_PT, FOOT_PT)


__all__ = [
    "BLOCK_H",
    "BLOCK_W",
    "CELL",
    "CHARS",
    "LEFT",
    "LINES",
    "NO_END",
    "NO_START",
    "PITCH",
    "TOP",
    "Line",
    "OfficialDocument",
    "Rendered",
    "break_runs",
    "chinese_date",
    "paragraph_runs",
    "render",
    "text_units",
    "title_lines",
]
