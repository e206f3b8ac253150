"""Font discovery for circulars (supervise.fonts): order, outline check, TTC, fallback."""

from __future__ import annotations

import datetime as dt
import json
import logging
import shutil
import struct
import subprocess
from pathlib import Path

import pytest

from supervise import fonts, hookimpl
from supervise.models import Setting
from supervise.officialdoc import OfficialDocument, render
from supervise.plugins import get_plugin_manager
from supervise.registry import Registry, set_registry

UMING = Path("/usr/share/fonts/truetype/arphic/uming.ttc")
WQY = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")


def system_cjk_fonts() -> list[tuple[str, int, str, str]]:
    return [f for f in fonts.fontconfig_faces() if f[2] == "TrueType"]


needs_cjk = pytest.mark.skipif(
    not system_cjk_fonts(), reason="no TrueType CJK font known to fontconfig"
)
needs_both = pytest.mark.skipif(
    not (UMING.is_file() and WQY.is_file()),
    reason="needs fonts-arphic-uming and fonts-wqy-microhei",
)


@pytest.fixture(autouse=True)
def fresh_fonts(monkeypatch: pytest.MonkeyPatch):
    """No Windows folders, an empty plugin registry and an empty cache for every test."""
    for var in ("WINDIR", "SystemRoot", "LOCALAPPDATA"):
        monkeypatch.delenv(var, raising=False)
    set_registry(Registry(get_plugin_manager(load_entry_points=False)))
    fonts.reset_cache()
    yield
    set_registry(None)
    fonts.reset_cache()


def cff_font(path: Path) -> Path:
    """A file with an OpenType/CFF table directory, like Noto CJK's."""
    tables = [b"CFF ", b"cmap", b"head"]
    data = b"OTTO" + struct.pack(">HHHH", len(tables), 32, 1, 0)
    for i, tag in enumerate(tables):
        data += tag + struct.pack(">III", 0, 12 + 16 * len(tables) + i * 4, 4)
    path.write_bytes(data + b"\0" * 16)
    return path


def test_outline_kind_reads_the_table_directory(tmp_path: Path) -> None:
    assert fonts.outline_kind(cff_font(tmp_path / "noto.otf")) == "CFF"
    (tmp_path / "junk.ttf").write_bytes(b"not a font at all")
    assert fonts.outline_kind(tmp_path / "junk.ttf") is None
    assert fonts.outline_kind(tmp_path / "missing.ttf") is None
    if UMING.is_file():
        assert fonts.outline_kind(UMING, 0) == "glyf"
        assert fonts.outline_kind(UMING, 1) == "glyf"  # a second face of the collection
        assert fonts.outline_kind(UMING, 99) is None  # no such subfont


@needs_cjk
def test_fontconfig_fonts_are_found_and_embeddable() -> None:
    chosen = fonts.find_fonts()
    assert set(chosen) == set(fonts.ROLES)
    for choice in chosen.values():
        assert choice.embedded and choice.source == "fontconfig" and choice.warning is None
        assert fonts.outline_kind(choice.path, choice.subfont_index) == "glyf"


@needs_both
def test_roles_prefer_fitting_faces() -> None:
    assert fonts.find_font("黑体").path == str(WQY)  # a Hei face for 黑体
    song = fonts.find_font("仿宋")
    assert (song.path, song.subfont_index) == (str(UMING), 0)  # a Ming/Song face, the CN one


@needs_both
def test_configured_path_comes_first(db: str) -> None:
    Setting.create(
        key="fonts.paths",
        value=json.dumps({"仿宋": str(WQY), "楷体": {"path": str(UMING), "index": 1}}),
    )
    fangsong, kaiti = fonts.find_font("仿宋"), fonts.find_font("楷体")
    assert (fangsong.source, fangsong.path) == ("configured", str(WQY))
    assert (kaiti.source, kaiti.subfont_index) == ("configured", 1)
    assert fonts.find_font("黑体").source == "fontconfig"


@needs_cjk
def test_unusable_configured_font_is_skipped_with_a_warning(db: str, tmp_path: Path) -> None:
    noto = cff_font(tmp_path / "NotoSansCJK-Regular.otf")
    Setting.create(
        key="fonts.paths", value=json.dumps({"仿宋": str(noto), "黑体": str(tmp_path / "gone.ttf")})
    )
    fangsong = fonts.find_font("仿宋")
    assert fangsong.source == "fontconfig" and fangsong.embedded
    assert "NotoSansCJK-Regular.otf" in fangsong.warning and "CFF" in fangsong.warning
    assert "gone.ttf" in fonts.find_font("黑体").warning


@needs_both
def test_plugin_font_hook_after_configured_before_system(db: str) -> None:
    class Fonts:
        @hookimpl
        def supervise_circular_font(self, role):
            return str(WQY) if role in ("仿宋", "楷体") else None

    pm = get_plugin_manager(load_entry_points=False)
    pm.register(Fonts(), name="fonts")
    set_registry(Registry(pm))
    assert (fonts.find_font("仿宋").source, fonts.find_font("仿宋").path) == ("plugin", str(WQY))
    assert fonts.find_font("小标宋").source == "fontconfig"
    Setting.create(key="fonts.paths", value=json.dumps({"楷体": str(UMING)}))
    assert fonts.find_font("楷体").source == "configured"


@needs_both
def test_windows_font_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "Windows" / "Fonts"
    folder.mkdir(parents=True)
    (folder / "SIMFANG.TTF").symlink_to(UMING)  # Windows names are case-insensitive
    (folder / "simhei.ttf").symlink_to(WQY)
    cff_font(folder / "simkai.ttf")  # an unusable file is passed over
    monkeypatch.setenv("WINDIR", str(tmp_path / "Windows"))
    assert fonts.windows_font_dirs() == [folder]
    fangsong, hei = fonts.find_font("仿宋"), fonts.find_font("黑体")
    assert (fangsong.source, Path(fangsong.path).name) == ("windows", "SIMFANG.TTF")
    assert (hei.source, Path(hei.path).name) == ("windows", "simhei.ttf")
    kai = fonts.find_font("楷体")  # simkai.ttf is CFF: the generic simhei/simfang fallbacks win
    assert kai.source == "windows" and Path(kai.path).name in ("SIMFANG.TTF", "simhei.ttf")


def test_no_font_falls_back_to_stsong_with_one_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(fonts, "fontconfig_faces", lambda: [])
    with caplog.at_level(logging.WARNING, logger="supervise.fonts"):
        chosen = fonts.find_fonts()
    assert {c.name for c in chosen.values()} == {"STSong-Light"}
    assert all(not c.embedded and c.warning == fonts.FALLBACK_WARNING for c in chosen.values())
    assert [r.message for r in caplog.records] == [fonts.FALLBACK_WARNING]
    doc = OfficialDocument(
        organ="某某市政务服务效能监督办公室",
        number="效监通〔2026〕1号",
        title="关于字体回退的通报",
        addressee="各有关单位",
        body=["没有可嵌入字体时，正文仍可提取为中文。"],
        date=dt.date(2026, 11, 20),
    )
    rendered = render(doc, tmp_path / "fallback.pdf", chosen)
    assert rendered.warnings == [fonts.FALLBACK_WARNING]
    if shutil.which("pdffonts") and shutil.which("pdftotext"):
        listing = subprocess.run(
            ["pdffonts", str(rendered.path)], capture_output=True, text=True
        ).stdout
        assert "STSong-Light" in listing
        text = subprocess.run(
            ["pdftotext", str(rendered.path), "-"], capture_output=True, text=True
        ).stdout
        assert "正文仍可提取为中文" in "".join(text.split())


def test_unknown_role_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        fonts.find_font("宋体")
