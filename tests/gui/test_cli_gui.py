"""``supervise gui`` (supervise.cli.gui_cmd): wired, lazy, and a clear line without a display."""

from __future__ import annotations

import pytest

from supervise.cli.main import build_parser, main


def test_gui_command_is_wired():
    args = build_parser().parse_args(["--db", "sqlite:///x.db", "gui", "--user", "jiwei01"])
    assert (
        args.gui_user == "jiwei01"
        and args.database is False
        and args.run.__module__ == "supervise.cli.gui_cmd"
    )


def test_no_display_gives_one_clear_line(monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("DISPLAY", ":987654")
    code = main(["--db", f"sqlite:///{tmp_path}/x.db", "gui"])
    err = capsys.readouterr().err
    assert code == 1 and "无法打开图形界面" in err and "Traceback" not in err


def test_help_mentions_the_prefill(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["gui", "--help"])
    assert stop.value.code == 0 and "--user" in capsys.readouterr().out
