"""The screenshot script (supervise.gui.screenshots) writes a picture of every main screen."""

from __future__ import annotations

import pytest

from supervise.gui import screenshots

PIL = pytest.importorskip("PIL.Image")


def test_screenshots_of_the_main_screens(xdisplay, demo_template, tmp_path, monkeypatch):
    monkeypatch.setenv("SUPERVISE_DISABLED_PLUGINS", "example")
    db = tmp_path / "office.db"
    db.write_bytes(demo_template.read_bytes())
    out = tmp_path / "shots"
    assert screenshots.main([str(out), "--db", f"sqlite:///{db}"]) == 0
    names = sorted(p.name for p in out.glob("*.png"))
    assert names == sorted(
        [
            "login.png",
            "dashboard.png",
            "complaints.png",
            "complaint.png",
            "import.png",
            "liaison.png",
            "supervisor.png",
        ]
    )
    with PIL.open(out / "dashboard.png") as image:
        assert image.size[0] >= 1000 and image.size[1] >= 600
        assert (
            len(image.convert("L").getcolors(maxcolors=256) or ()) > 20
        )  # drawn, not a blank frame
    assert not list(out.glob(".*"))
