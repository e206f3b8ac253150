"""The GB/T 9704-2012 layout (supervise.officialdoc), measured from the PDF itself."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
from html import unescape
from pathlib import Path

import pytest

from supervise import fonts
from supervise.officialdoc import (
    NO_END,
    NO_START,
    UNITS,
    OfficialDocument,
    break_runs,
    chinese_date,
    paragraph_runs,
    render,
    text_units,
    title_lines,
)

MM = 72 / 25.4
TOP, LEFT, RIGHT, BOTTOM = 37 * MM, 28 * MM, (28 + 156) * MM, (37 + 225) * MM
TOLERANCE = 1 * MM  # GB/T 9704: 天头 37 ± 1 mm, 订口 28 ± 1 mm
POPPLER = all(shutil.which(tool) for tool in ("pdfinfo", "pdffonts", "pdftotext", "pdftoppm"))
needs_poppler = pytest.mark.skipif(not POPPLER, reason="poppler-utils not installed")

SENTENCE = (
    "为进一步加强政务服务效能建设，严肃工作纪律，持续整治推诿扯皮、敷衍塞责、"
    "超期办理等突出问题，推动政务服务提质增效，根据有关规定，现将有关情况通报如下"
)
BODY = [
    SENTENCE + "。",
    "一、基本情况",
    "（一）市人社局窗口推诿扯皮问题。2026年10月12日，群众反映在窗口办理社保卡补办业务时，"
    "工作人员多次要求补充材料，未一次性告知，导致群众多次往返。经核查，问题属实。",
    *["；".join([SENTENCE] * 3) + "。" for _ in range(5)],
    "“请各单位务必高度重视。”各单位要引以为戒，举一反三。",
]


def document(**changes) -> OfficialDocument:
    fields = dict(
        organ="某某市政务服务效能监督办公室",
        number="效监通〔2026〕12号",
        title="关于对市人社局等3个单位推诿扯皮和超期办理问题的通报",
        addressee="各区县政府，市直各部门",
        body=BODY,
        date=dt.date(2026, 11, 20),
        cc=["市纪委监委", "市委办公室", "市政府办公室"],
        printer="某某市政务服务效能监督办公室",
    )
    fields.update(changes)
    return OfficialDocument(**fields)


# -- line breaking (no PDF needed) ---------------------------------------------------------


def test_full_lines_hold_exactly_28_characters() -> None:
    lines = break_runs([("政" * 100, "仿宋")])
    assert [len(line.text) for line in lines] == [
        26,
        28,
        28,
        18,
    ]  # first line indented two characters
    assert lines[0].atoms[0][0] == 4 and lines[1].atoms[0][0] == 0


def test_no_line_starts_with_a_closing_mark_or_ends_with_an_opening_one() -> None:
    text = "（一）" + "，".join(["市人社局“一窗通办”改革（试点）"] * 9) + "。“好”。"
    for indent in (0, 4, 6):
        lines = break_runs([(text, "仿宋")], indent=indent)
        assert "".join(line.text for line in lines) == text
        for line in lines[1:]:
            assert line.text[0] not in NO_START, line.text
        for line in lines[:-1]:
            assert line.text.rstrip(line.text[-1] if line.hanging else "")[-1:] not in NO_END, (
                line.text
            )


def test_one_closing_mark_hangs_two_push_a_character_down() -> None:
    hanging = break_runs([("政" * 25 + "务。" + "服务", "仿宋")])
    assert hanging[0].hanging and hanging[0].text.endswith("务。") and len(hanging[0].text) == 27
    assert text_units(hanging[0].text) == UNITS - 4 + 2  # one mark past the edge
    pushed = break_runs([("政" * 25 + "务。”" + "服务", "仿宋")])
    assert not pushed[0].hanging and pushed[0].text == "政" * 25  # one character short
    assert pushed[1].text.startswith("务。”")
    opening = break_runs([("政" * 25 + "“服务”", "仿宋")])
    assert opening[0].text == "政" * 25 and opening[1].text.startswith("“服务”")


def test_numbers_stay_together_and_take_half_cells() -> None:
    lines = break_runs([("政" * 25 + "2026年12345号", "仿宋")])
    assert lines[0].text == "政" * 25 and lines[1].text.startswith("2026年")
    assert text_units("2026年11月20日") == 14


def test_heading_roles_and_titles_and_dates() -> None:
    assert paragraph_runs("一、基本情况") == [("一、基本情况", "黑体")]
    assert paragraph_runs("（二）加强管理。各单位要……") == [
        ("（二）加强管理。", "楷体"),
        ("各单位要……", "仿宋"),
    ]
    assert paragraph_runs("正文") == [("正文", "仿宋")]
    assert title_lines("短标题") == ["短标题"]
    two = title_lines("关于对市不动产登记服务大厅慢作为、不作为问题的通报")
    assert two == ["关于对市不动产登记服务大厅", "慢作为、不作为问题的通报"]
    assert title_lines("第一行\n第二行") == ["第一行", "第二行"]
    assert chinese_date(dt.date(2026, 1, 5)) == "2026年1月5日"


# -- the PDF ---------------------------------------------------------------------------------


def words(pdf: Path, page: int) -> list[dict]:
    html = subprocess.run(
        ["pdftotext", "-f", str(page), "-l", str(page), "-bbox", str(pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    pattern = r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>'
    return [
        {"x0": float(a), "y0": float(b), "x1": float(c), "y1": float(d), "text": unescape(t)}
        for a, b, c, d, t in re.findall(pattern, html)
    ]


def lines_of(items: list[dict]) -> list[dict]:
    """Words grouped into lines by their top edge."""
    rows: dict[float, list[dict]] = {}
    for w in items:
        key = next((k for k in rows if abs(k - w["y0"]) < 3), w["y0"])
        rows.setdefault(key, []).append(w)
    out = []
    for top, ws in sorted(rows.items()):
        ws.sort(key=lambda w: w["x0"])
        out.append(
            {
                "top": top,
                "x0": ws[0]["x0"],
                "x1": ws[-1]["x1"],
                "text": "".join(w["text"] for w in ws),
            }
        )
    return out


@pytest.fixture(scope="module")
def pdf(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    fonts.reset_cache()
    rendered = render(document(), tmp_path_factory.mktemp("doc") / "circular.pdf")
    return rendered.path, rendered.pages


@needs_poppler
def test_page_size_and_count(pdf) -> None:
    path, pages = pdf
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    assert re.search(r"Page size:\s+595\.2\d* x 841\.8\d* pts \(A4\)", info)
    assert f"Pages:           {pages}" in info and pages >= 3


@needs_poppler
def test_margins_and_grid_measured_from_the_pdf(pdf) -> None:
    path, _ = pdf
    body = lines_of(words(path, 2))  # page 2 is body only: 22 lines on the grid
    text_lines = [ln for ln in body if not ln["text"].startswith("—")]
    assert len(text_lines) == 22
    assert abs(text_lines[0]["top"] - TOP) < TOLERANCE
    assert abs(min(ln["x0"] for ln in text_lines) - LEFT) < TOLERANCE
    pitch = [b["top"] - a["top"] for a, b in zip(text_lines, text_lines[1:], strict=False)]
    assert all(abs(p - 225 * MM / 22) < 0.5 for p in pitch), pitch
    full = [ln for ln in text_lines if ln["x0"] < LEFT + 1 and abs(ln["x1"] - RIGHT) < TOLERANCE]
    assert len(full) >= 10
    assert all(len(ln["text"]) == 28 for ln in full)
    hanging = [ln for ln in text_lines if ln["x1"] > RIGHT + TOLERANCE]
    for ln in hanging:  # a hanging line is full plus one closing mark
        assert ln["text"][-1] in NO_START and abs(ln["x1"] - RIGHT - 16) < TOLERANCE
    for ln in text_lines:
        assert ln["text"][0] not in NO_START


@needs_poppler
def test_first_page_header_title_and_page_numbers(pdf) -> None:
    path, pages = pdf
    first = lines_of(words(path, 1))
    mark = first[0]
    assert mark["text"] == "某某市政务服务效能监督办公室文件"
    assert abs(mark["top"] - (TOP + 35 * MM)) < TOLERANCE  # 35 mm below the top of the text block
    assert LEFT - 1 <= mark["x0"] and mark["x1"] <= RIGHT + 1
    assert abs((mark["x0"] + mark["x1"]) / 2 - (LEFT + RIGHT) / 2) < 2  # centred
    number = first[1]
    assert (
        number["text"] == "效监通〔2026〕12号"
        and abs((number["x0"] + number["x1"]) / 2 - (LEFT + RIGHT) / 2) < 2
    )
    title = [ln for ln in first if "通报" in ln["text"] and ln["top"] < 450]
    assert "".join(ln["text"] for ln in title).endswith("超期办理问题的通报")
    odd = [ln for ln in first if ln["text"] == "—1—"]
    even = [ln for ln in lines_of(words(path, 2)) if ln["text"] == "—2—"]
    assert odd and odd[0]["x1"] > RIGHT - 20 * MM and even and even[0]["x0"] < LEFT + 20 * MM
    assert odd[0]["top"] > BOTTOM


@needs_poppler
def test_signature_date_and_imprint_on_the_last_page(pdf) -> None:
    path, pages = pdf
    last = lines_of(words(path, pages))
    with_signature = next(
        lines
        for lines in (last, lines_of(words(path, pages - 1)))
        if "2026年11月20日" in [ln["text"] for ln in lines]
    )
    texts = [ln["text"] for ln in with_signature]
    signature = texts.index("某某市政务服务效能监督办公室")
    assert texts[signature + 1] == "2026年11月20日"
    sig, date = with_signature[signature], with_signature[signature + 1]
    assert abs(sig["x1"] - (RIGHT - 2 * 156 * MM / 28)) < TOLERANCE  # two characters from the right
    assert (
        abs(date["x0"] - (sig["x0"] + 2 * 156 * MM / 28)) < TOLERANCE
    )  # two right of the signature
    imprint = [ln for ln in last if ln["text"].endswith("2026年11月20日印发")]
    assert imprint and imprint[0]["text"].startswith("某某市政务服务效能监督办公室")
    assert BOTTOM - 225 * MM / 22 < imprint[0]["top"] < BOTTOM  # on the last line of the block
    cc = [ln for ln in last if ln["text"].startswith("抄送：")]
    assert cc and cc[0]["text"] == "抄送：市纪委监委，市委办公室，市政府办公室。"


@needs_poppler
def test_fonts_embedded_and_text_extracts(pdf) -> None:
    path, _ = pdf
    chosen = fonts.find_fonts()
    listing = subprocess.run(
        ["pdffonts", str(path)], capture_output=True, text=True, check=True
    ).stdout
    rows = listing.splitlines()[2:]
    assert rows
    if all(c.embedded for c in chosen.values()):
        for row in rows:
            assert " TrueType " in row and re.search(r"\syes\s+yes\s+yes\s", row), row
    text = "".join(
        subprocess.run(
            ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
        ).stdout.split()
    )
    assert "关于对市人社局等3个单位推诿扯皮" in text
    assert "群众反映在窗口办理社保卡补办业务时" in text
    assert "抄送：市纪委监委" in text


@needs_poppler
def test_page_renders_not_blank_with_a_red_header(pdf, tmp_path: Path) -> None:
    from PIL import Image

    path, _ = pdf
    subprocess.run(
        ["pdftoppm", "-f", "1", "-l", "1", "-r", "50", "-png", str(path), str(tmp_path / "p")],
        check=True,
    )
    (png,) = tmp_path.glob("p*.png")
    image = Image.open(png).convert("RGB")
    width, height = image.size
    pixels = image.load()
    dark = red = 0
    for y in range(height):
        for x in range(width):
            r, g, b = pixels[x, y]
            if r < 100 and g < 100 and b < 100:
                dark += 1
            if r > 180 and g < 90 and b < 90:
                red += 1
                assert y < height * 0.45  # red only in the 版头
    assert dark > 800 and red > 300
