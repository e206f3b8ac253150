"""``export`` and ``report monthly`` on the command line: the ``--json`` answers
of SPEC §11 and the exit codes of §8, never a traceback."""

from __future__ import annotations

import json

import pytest
from openpyxl import load_workbook

from supervise.cli.main import main
from supervise.models import AuditEntry
from supervise.registry import set_registry


def run(capsys, *argv: str) -> tuple[int, str, str]:
    try:
        code = main(list(argv))
    except SystemExit as exit:  # argparse: a usage error
        code = exit.code
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def cli(db_url, monkeypatch, capsys):
    """An office with two units, a staff member, a viewer and a few March records."""
    set_registry(None)
    monkeypatch.setenv("SUPERVISE_PASSWORD", "secret-123")
    assert run(capsys, "--db", db_url, "init", "--admin", "admin")[0] == 0
    monkeypatch.setenv("SUPERVISE_USER", "admin")
    steps = [
        ["unit", "add", "U01", "市人社局"],
        ["unit", "add", "U02", "市医保局"],
        ["user", "add", "jw", "--role", "staff"],
        ["user", "add", "leader", "--role", "viewer"],
        ["user", "add", "lly1", "--role", "liaison", "--unit", "U01"],
    ]
    for argv in steps:
        code, _, err = run(capsys, "--db", db_url, *argv)
        assert code == 0, err

    def call(user: str, *argv: str) -> tuple[int, dict | None, str]:
        code, out, err = run(capsys, "--db", db_url, "--user", user, *argv)
        assert "Traceback" not in err
        return code, json.loads(out) if code == 0 and "--json" in argv else None, err

    code, data, _ = call(
        "jw",
        "complaint",
        "add",
        "--channel",
        "12345热线",
        "--category",
        "投诉",
        "--content",
        "=1+1 窗口推诿",
        "--name",
        "欧阳明月",
        "--phone",
        "13912345678",
        "--received",
        "2026-03-02T09:00",
        "--json",
    )
    assert code == 0
    assert (
        call("jw", "complaint", "assign", data["number"], "--unit", "U01", "--card", "黄")[0] == 0
    )
    for level in ("5", "4", "1"):
        assert (
            call(
                "jw",
                "rating",
                "add",
                "--unit",
                "U02",
                "--level",
                level,
                "--rated",
                "2026-03-05T10:00",
            )[0]
            == 0
        )
    yield call
    set_registry(None)


def test_export_json_and_file(cli, tmp_path):
    out = tmp_path / "工单台账.xlsx"
    code, data, _ = cli(
        "jw", "export", "complaints", "--out", str(out), "--month", "2026-03", "--json"
    )
    assert code == 0
    assert data == {
        "name": "complaints",
        "title": "诉求工单台账",
        "file": str(out),
        "rows": 1,
        "unmasked": False,
        "filters": {"month": "2026-03"},
    }
    ws = load_workbook(out)["诉求工单台账"]
    assert ws["F2"].value == "'=1+1 窗口推诿" and ws["G2"].value == "欧***"


def test_export_unmask_audited_and_refused_to_a_viewer(cli, tmp_path):
    code, data, _ = cli(
        "jw", "export", "complaints", "--out", str(tmp_path / "a.xlsx"), "--unmask", "--json"
    )
    assert code == 0 and data["unmasked"] is True
    assert load_workbook(tmp_path / "a.xlsx")["诉求工单台账"]["G2"].value == "欧阳明月"
    assert AuditEntry.select().where(AuditEntry.action == "export.unmask").count() == 1
    code, _, err = cli(
        "leader", "export", "complaints", "--out", str(tmp_path / "b.xlsx"), "--unmask"
    )
    assert code == 4 and "export.unmask" in err and not (tmp_path / "b.xlsx").exists()
    code, _, _ = cli(
        "leader", "export", "ratings", "--out", str(tmp_path / "c.xlsx"), "--bad", "--json"
    )
    assert code == 0


EXPORT_ERRORS = [
    (["export", "complaints", "--status", "乱了"], 3),
    (["export", "complaints", "--month", "2026-13"], 3),
    (["export", "complaints", "--unit", "U99"], 6),
    (["export", "nothing"], 6),
    (["export", "reviews", "--category", "投诉"], 2),
    (["export", "monthly"], 2),
    (["export", "complaints", "--from", "三月"], 3),
    (["export", "ratings", "--level", "9"], 3),
]


@pytest.mark.parametrize(("argv", "expected"), EXPORT_ERRORS)
def test_export_errors_are_one_line(cli, tmp_path, argv, expected):
    code, _, err = cli("jw", *argv, "--out", str(tmp_path / "x.xlsx"))
    assert code == expected
    assert len(err.strip().splitlines()) == 1 and " / " in err  # Chinese / English
    assert not (tmp_path / "x.xlsx").exists()


def test_export_needs_a_permitted_role_and_a_folder(cli, tmp_path):
    assert cli("lly1", "export", "complaints", "--out", str(tmp_path / "x.xlsx"))[0] == 4
    assert cli("jw", "export", "complaints", "--out", str(tmp_path / "no" / "x.xlsx"))[0] == 3
    assert cli("jw", "export", "complaints")[0] == 2  # --out is required


def test_report_monthly_json_and_files(cli, tmp_path):
    code, data, _ = cli(
        "leader",
        "report",
        "monthly",
        "--month",
        "2026-03",
        "--as-of",
        "2026-04-02T12:00",
        "--out",
        str(tmp_path / "月报"),
        "--json",
    )
    assert code == 0
    assert data["月份"] == "2026-03" and data["截止时间"] == "2026-04-02 12:00:00"
    assert [f.rsplit("/", 1)[1] for f in data["files"]] == ["月报-2026-03.xlsx", "月报-2026-03.pdf"]
    units = {u["单位编码"]: u for u in data["units"]}
    assert units["U01"]["受理量"] == 1 and units["U02"]["评价量"] == 3
    assert units["U02"]["好评率"] == 0.6667 and units["U02"]["差评数"] == 1
    assert data["total"]["受理量"] == 1 and data["total"]["评价量"] == 3
    # U02: 好评率 2/3 only; U01: its one complaint was due 03-05 and is unanswered
    assert [(r["单位编码"], r["综合得分"]) for r in data["ranking"]] == [
        ("U02", 66.67),
        ("U01", 0.0),
    ]
    assert [r["单位编码"] for r in data["流动红旗"]] == ["U02"]
    for key in ("ranking", "红黑榜", "hotspots", "trend"):
        assert key in data
    assert all(
        (tmp_path / "月报" / name).exists() for name in ("月报-2026-03.xlsx", "月报-2026-03.pdf")
    )


def test_report_monthly_figures_only_and_text(cli, tmp_path):
    code, data, _ = cli("jw", "report", "monthly", "--month", "2026-03", "--json")
    assert code == 0 and data["files"] == []
    code, _, err = cli("jw", "report", "monthly", "--month", "2026-03")
    assert code == 2 and "--out" in err
    code, _, err = cli("jw", "report", "monthly", "--month", "2026-03", "--out", str(tmp_path))
    assert code == 0


REPORT_ERRORS = [
    ("jw", ["--month", "2026-13", "--json"], 3),
    ("jw", ["--month", "2026-03", "--as-of", "昨天", "--json"], 3),
    ("jw", ["--month", "2026-03", "--as-of", "2026-02-01T00:00", "--json"], 3),
    ("lly1", ["--month", "2026-03", "--json"], 4),
    ("jw", ["--json"], 2),
]


@pytest.mark.parametrize(("user", "argv", "expected"), REPORT_ERRORS)
def test_report_errors(cli, user, argv, expected):
    code, _, err = cli(user, "report", "monthly", *argv)
    assert code == expected and " / " in err.strip().splitlines()[-1]
    if expected != 2:  # argparse prints its usage lines before the error
        assert len(err.strip().splitlines()) == 1


def test_third_party_exporter_and_circular_run_as_the_core_calls_them(cli, tmp_path):
    """The example plugin (tests/plugins/supervise_example, installed by `make
    test`) adds an export and a circular kind; both run from the CLI."""
    import subprocess

    pytest.importorskip("supervise_example", reason="pip install ./tests/plugins/supervise_example")
    out = tmp_path / "件数.csv"
    code, data, err = cli("jw", "export", "example_csv", "--out", str(out), "--json")
    assert code == 0, err
    assert data["rows"] == 1 and out.read_text(encoding="utf-8").splitlines() == [
        "单位编码,单位,件数",
        "U01,市人社局,1",
    ]
    code, _, err = cli(
        "jw", "export", "example_csv", "--out", str(tmp_path / "x.csv"), "--status", "已办结"
    )
    assert code == 2 and "状态" in err and not (tmp_path / "x.csv").exists()

    pdf = tmp_path / "超期通报.pdf"
    code, data, err = cli(
        "jw",
        "circular",
        "example_circular",
        "--out",
        str(pdf),
        "--as-of",
        "2027-06-01T00:00",
        "--date",
        "2027-06-02",
        "--json",
    )
    assert code == 0, err
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    compact = "".join(text.split())
    assert "关于对市人社局超期未反馈问题的通报" in compact and "13912345678" not in compact
    code, _, err = cli(
        "jw",
        "circular",
        "example_circular",
        "--out",
        str(tmp_path / "none.pdf"),
        "--as-of",
        "2026-03-02T10:00",
    )
    assert code == 3 and "没有超期未反馈的单位" in err and not (tmp_path / "none.pdf").exists()
