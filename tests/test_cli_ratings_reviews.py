"""``rating …`` and ``review …`` on the command line: the answers of SPEC §11
and the exit codes of §8."""

from __future__ import annotations

import hashlib
import json

import pytest

from supervise.cli.main import main


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def cli(db_url, monkeypatch, capsys):
    """An initialised database with two units, a staff user, a liaison and two supervisors."""
    monkeypatch.setenv("SUPERVISE_PASSWORD", "secret-123")
    assert run(capsys, "--db", db_url, "init", "--admin", "admin")[0] == 0
    monkeypatch.setenv("SUPERVISE_USER", "admin")
    for argv in (
        ["unit", "add", "U01", "市人社局"],
        ["unit", "add", "U02", "市医保局"],
        ["staff", "add", "S001", "李四", "--unit", "U01"],
        ["user", "add", "jw", "--role", "staff"],
        ["user", "add", "lly1", "--role", "liaison", "--unit", "U01"],
        ["user", "add", "jdy1", "--role", "supervisor"],
        ["user", "add", "jdy2", "--role", "supervisor"],
        ["user", "add", "leader", "--role", "viewer"],
    ):
        code, _, err = run(capsys, "--db", db_url, *argv)
        assert code == 0, err

    def call(user: str, *argv: str) -> tuple[int, dict | None, str]:
        code, out, err = run(capsys, "--db", db_url, "--user", user, *argv)
        assert "Traceback" not in err
        return code, json.loads(out) if code == 0 and "--json" in argv else None, err

    return call


def test_rating_loop_json(cli):
    code, data, _ = cli(
        "jw",
        "rating",
        "add",
        "--unit",
        "U01",
        "--level",
        "1",
        "--staff",
        "S001",
        "--comment",
        "等候太久",
        "--rater",
        "王五",
        "--phone",
        "13912345678",
        "--rated",
        "2025-09-30T10:00",
        "--json",
    )
    assert code == 0 and data["bad"] is True and data["status"] == "待核实"
    assert data["contact_due_at"] == "2025-10-09 23:59:59"
    rid = str(data["id"])
    code, data, _ = cli("lly1", "rating", "verify", rid, "--finding", "属实", "--complex", "--json")
    assert code == 0 and data["status"] == "待整改" and data["rectify_kind"] == "限期整改"
    code, data, _ = cli("lly1", "rating", "rectify", rid, "--measures", "增设窗口", "--json")
    assert code == 0 and data["status"] == "待回访"
    code, data, _ = cli("jw", "rating", "visit", rid, "--result", "满意", "--json")
    assert code == 0 and data["status"] == "已办结"
    code, data, _ = cli("jw", "rating", "show", rid, "--json")
    assert data["rater"] == {"name": "王*", "phone": "139****5678"}
    assert [e["action"] for e in data["timeline"]] == ["评价", "核实", "整改", "回访"]
    code, data, _ = cli("jw", "rating", "show", rid, "--unmask", "--json")
    assert data["rater"]["phone"] == "13912345678"


def test_rating_words_misjudged_and_list(cli):
    code, data, _ = cli(
        "jw", "rating", "add", "--unit", "U01", "--level", "非常满意", "--channel", "网上", "--json"
    )
    assert code == 0 and data["bad"] is False and data["status"] == "无需处理"
    code, data, _ = cli("jw", "rating", "add", "--unit", "U02", "--level", "2", "--json")
    assert code == 0 and data["bad"] is True
    code, data, _ = cli("jw", "rating", "verify", str(data["id"]), "--finding", "误评", "--json")
    assert code == 0 and data["status"] == "已办结"  # anonymous: nobody to visit back
    code, data, _ = cli("jw", "rating", "list", "--bad", "--json")
    assert code == 0 and data["total"] == 1 and data["items"][0]["status"] == "已办结"
    code, data, _ = cli("lly1", "rating", "list", "--json")
    assert data["total"] == 1 and data["items"][0]["unit"] == "市人社局"
    for argv in (["rating", "list"], ["rating", "show", "2"], ["rating", "show", "2", "--unmask"]):
        assert cli("jw", *argv)[0] == 0


def test_rating_list_search(cli):
    for unit, level, comment in (
        ("U01", 1, "排队两个小时，态度差"),
        ("U02", 5, "服务态度好"),
        ("U01", 4, "一次办好"),
    ):
        assert (
            cli(
                "jw",
                "rating",
                "add",
                "--unit",
                unit,
                "--level",
                str(level),
                "--comment",
                comment,
                "--json",
            )[0]
            == 0
        )
    code, data, _ = cli("jw", "rating", "list", "--search", "态度", "--json")
    assert code == 0 and data["total"] == 2
    code, data, _ = cli(
        "jw", "rating", "list", "--search", "态度", "--unit", "U01", "--bad", "--json"
    )
    assert data["total"] == 1 and data["items"][0]["level"] == 1
    code, data, _ = cli(
        "lly1", "rating", "list", "--search", "态度", "--json"
    )  # a liaison: their unit only
    assert data["total"] == 1
    code, _, err = cli("jw", "rating", "list", "--search", "，。")
    assert code == 3 and "search" in err and len(err.strip().splitlines()) == 1


RATING_ERRORS = [
    ("jw", ["rating", "add", "--unit", "U01", "--level", "7"], 3),
    ("jw", ["rating", "add", "--unit", "U01", "--level", "3", "--channel", "微信"], 3),
    ("jw", ["rating", "add", "--unit", "U01", "--level", "3", "--rated", "昨天"], 3),
    ("jw", ["rating", "add", "--unit", "U99", "--level", "3"], 6),
    ("jdy1", ["rating", "add", "--unit", "U01", "--level", "3"], 4),
    ("lly1", ["rating", "add", "--unit", "U01", "--level", "3"], 4),
    ("jw", ["rating", "verify", "999", "--finding", "属实"], 6),
    ("jw", ["rating", "verify", "1", "--finding", "存疑"], 3),
    ("jw", ["rating", "rectify", "1", "--measures", "措施"], 3),
    ("leader", ["rating", "verify", "1", "--finding", "属实"], 4),
    ("lly1", ["rating", "visit", "1", "--result", "满意"], 4),
    ("jdy1", ["rating", "show", "1"], 4),
]


def test_rating_exit_codes(cli):
    assert cli("jw", "rating", "add", "--unit", "U01", "--level", "1", "--rater", "王五")[0] == 0
    for user, argv, expected in RATING_ERRORS:
        code, _, err = cli(user, *argv)
        assert code == expected, (user, argv, err)
        assert err.startswith("supervise: ") and err.strip().count("\n") == 0
    assert cli("jw", "rating", "show", "1", "--json")[1]["status"] == "待核实"  # nothing changed


def test_review_submit_adopt_to_complaint(cli):
    code, data, _ = cli(
        "jdy1",
        "review",
        "submit",
        "--unit",
        "U01",
        "--method",
        "暗访",
        "--finding",
        "窗口人员玩手机",
        "--finding",
        "叫号机故障",
        "--category",
        "作风",
        "--severity",
        "较重",
        "--scores",
        "80,75,90",
        "--json",
    )
    assert code == 0 and data["status"] == "待审核" and len(data["findings"]) == 2
    rid = str(data["id"])
    code, data, _ = cli("jw", "review", "adopt", rid, "--to-complaint", "--json")
    assert code == 0 and data["status"] == "已采纳"
    assert (
        len(data["numbers"]) == 2
        and data["number"] == data["numbers"][0]
        and data["number"].startswith("TS")
    )
    code, complaint, _ = cli("jw", "complaint", "show", data["number"], "--json")
    assert (
        complaint["status"] == "已交办"
        and complaint["card"] == "黄"
        and complaint["channel"] == "社会监督员"
    )
    assert f"监督评议 #{rid}" in complaint["timeline"][0]["note"]
    code, shown, _ = cli("jdy1", "review", "show", rid, "--json")
    assert [f["complaint"] for f in shown["findings"]] == data["numbers"]
    assert shown["scores"] == {"工作态度": 80, "服务品质": 75, "管理水准": 90}
    assert all(f["category"] == "作风" and f["severity"] == "较重" for f in shown["findings"])


def test_review_reject_attach_and_scope(cli, tmp_path):
    code, data, _ = cli(
        "jdy1",
        "review",
        "submit",
        "--unit",
        "U02",
        "--method",
        "明察",
        "--finding",
        "大厅环境脏乱",
        "--json",
    )
    rid, fid = str(data["id"]), str(data["findings"][0])
    photo = tmp_path / "photo.png"
    photo.write_bytes(b"\x89PNG\r\n\x1a\n" + b"x" * 100)
    code, att, _ = cli("jdy1", "review", "attach", fid, str(photo), "--json")
    assert code == 0 and att["sha256"] == hashlib.sha256(photo.read_bytes()).hexdigest()
    assert att["mime"] == "image/png" and att["size"] == 108
    assert cli("jw", "review", "reject", rid, "--reason", "   ")[0] == 3
    code, data, _ = cli("jw", "review", "reject", rid, "--reason", "已当场整改", "--json")
    assert code == 0 and data["status"] == "未采纳"
    code, shown, _ = cli("jdy1", "review", "show", rid, "--json")
    assert shown["reject_reason"] == "已当场整改"
    assert shown["findings"][0]["attachments"][0]["sha256"] == att["sha256"]
    assert cli("jdy2", "review", "show", rid)[0] == 6
    assert cli("jdy2", "review", "list", "--json")[1]["total"] == 0
    assert cli("jdy1", "review", "list", "--json")[1]["items"][0]["reject_reason"] == "已当场整改"
    assert cli("jw", "review", "adopt", rid)[0] == 3  # already decided
    for argv in (["review", "show", rid], ["review", "list", "--status", "未采纳"]):
        assert cli("jdy1", *argv)[0] == 0


REVIEW_ERRORS = [
    ("jdy1", ["review", "submit", "--unit", "U01", "--method", "抽查", "--finding", "x"], 3),
    (
        "jdy1",
        [
            "review",
            "submit",
            "--unit",
            "U01",
            "--method",
            "暗访",
            "--finding",
            "x",
            "--scores",
            "80,90",
        ],
        3,
    ),
    (
        "jdy1",
        [
            "review",
            "submit",
            "--unit",
            "U01",
            "--method",
            "暗访",
            "--finding",
            "x",
            "--scores",
            "a,b,c",
        ],
        3,
    ),
    (
        "jdy1",
        [
            "review",
            "submit",
            "--unit",
            "U01",
            "--method",
            "暗访",
            "--finding",
            "x",
            "--category",
            "服务",
        ],
        3,
    ),
    ("jdy1", ["review", "submit", "--unit", "U99", "--method", "暗访", "--finding", "x"], 6),
    ("lly1", ["review", "submit", "--unit", "U01", "--method", "暗访", "--finding", "x"], 4),
    ("jdy1", ["review", "adopt", "1"], 4),
    ("jdy2", ["review", "reject", "1", "--reason", "x"], 4),
    ("jw", ["review", "adopt", "999"], 6),
    ("jw", ["review", "attach", "999", "missing.pdf"], 3),
    ("leader", ["review", "attach", "1", "missing.pdf"], 4),
]


def test_review_exit_codes(cli):
    assert (
        cli("jdy1", "review", "submit", "--unit", "U01", "--method", "暗访", "--finding", "问题")[0]
        == 0
    )
    for user, argv, expected in REVIEW_ERRORS:
        code, _, err = cli(user, *argv)
        assert code == expected, (user, argv, err)
        assert err.startswith("supervise: ") and err.strip().count("\n") == 0
    assert cli("jw", "review", "list", "--json")[1]["total"] == 1  # nothing changed


def test_usage_errors_exit_2(capsys):
    with pytest.raises(SystemExit) as info:
        main(["rating", "verify", "abc", "--finding", "属实"])
    assert info.value.code == 2
    with pytest.raises(SystemExit) as info:
        main(["review", "submit", "--unit", "U01", "--method", "暗访"])
    assert info.value.code == 2
    capsys.readouterr()
