"""``escalate``, ``escalation list`` and ``accountability …`` on the command
line: the ``--json`` answers of SPEC §11, the text output and the exit
codes of §8."""

from __future__ import annotations

import json

import pytest

from supervise.cli.main import main
from supervise.db import close_database, open_database
from supervise.registry import set_registry
from supervise.rules import engine

from .test_rules import CLOCK, complaint, end_of


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def cli(db_url, monkeypatch, capsys):
    """An initialised database with two units, a staff member, a staff user, a viewer and a liaison;
    the example plugin is disabled so that only the built-in rules run."""
    monkeypatch.setattr(engine, "now", lambda: CLOCK)
    monkeypatch.setenv("SUPERVISE_DISABLED_PLUGINS", "example")
    set_registry(None)
    monkeypatch.setenv("SUPERVISE_PASSWORD", "secret-123")
    assert run(capsys, "--db", db_url, "init", "--admin", "admin")[0] == 0
    monkeypatch.setenv("SUPERVISE_USER", "admin")
    for argv in (
        ["unit", "add", "U01", "市人社局"],
        ["unit", "add", "U02", "市医保局"],
        ["staff", "add", "S001", "李四", "--unit", "U01"],
        ["user", "add", "jw", "--role", "staff"],
        ["user", "add", "leader", "--role", "viewer"],
        ["user", "add", "lly", "--role", "liaison", "--unit", "U01"],
    ):
        code, _, err = run(capsys, "--db", db_url, *argv)
        assert code == 0, err

    def call(user: str, *argv: str) -> tuple[int, dict | None, str]:
        code, out, err = run(capsys, "--db", db_url, "--user", user, *argv)
        assert "Traceback" not in err
        return code, json.loads(out) if code == 0 and "--json" in argv else out, err

    def data(*dues: str) -> list[str]:
        open_database(db_url)
        try:
            return [complaint(end_of(due)).number for due in dues]
        finally:
            close_database()

    call.data = data  # type: ignore[attr-defined]
    yield call
    set_registry(None)


def test_escalate_json_and_idempotent(cli):
    a, b = cli.data("2026-09-30", "2026-10-09")
    code, data, _ = cli("jw", "escalate", "--as-of", "2026-10-10T00:00", "--json")
    assert code == 0
    assert {(i["rule"], i["level"], i["target"]) for i in data["raised"]} == {
        ("期限督办", "督办", a),
        ("期限督办", "催办", b),
    }  # one escalation per late complaint
    assert data["raised_total"] == 2 and data["open"] == 2 and data["failures"] == []
    assert data["as_of"] == "2026-10-10 00:00:00"
    assert data["by_rule"]["期限督办"] == {
        "title": "临期预警/超期催办/超期督办/挂牌督办",
        "raised": {"督办": 1, "催办": 1},
        "resolved": 0,
        "open": 2,
    }
    assert all(i["unit"] == "市人社局" and i["reason"] for i in data["raised"])
    code, data, _ = cli("jw", "escalate", "--as-of", "2026-10-10T00:00", "--json")
    assert code == 0 and data["raised"] == [] and data["open"] == 2
    code, data, _ = cli("admin", "escalate", "--as-of", "2026-10-13T00:00", "--json")
    # a reaches 5 working days late (挂牌督办, the same record raised), b 3 (督办)
    assert {(i["rule"], i["level"], i["target"]) for i in data["raised"]} == {
        ("期限督办", "挂牌督办", a),
        ("期限督办", "督办", b),
    }
    code, data, _ = cli("jw", "escalation", "list", "--level", "挂牌督办", "--json")
    assert code == 0 and data["total"] == 1
    (item,) = data["items"]
    assert (item["rule"], item["target"], item["state"], item["raised_at"], item["updated_at"]) == (
        "期限督办",
        a,
        "open",
        "2026-10-10 00:00:00",
        "2026-10-13 00:00:00",
    )
    assert item["reason"].startswith("挂牌督办：")
    code, data, _ = cli("leader", "escalation", "list", "--state", "open", "--json")
    assert code == 0 and data["total"] == 2
    code, text, _ = cli("jw", "escalation", "list", "--rule", "期限督办")
    assert code == 0 and "共 2 条" in text and b in text


def test_escalate_text_and_limit(cli):
    numbers = cli.data(*["2026-09-30"] * 3)
    code, text, _ = cli("jw", "escalate", "--as-of", "2026-10-05T09:00", "--limit", "2")
    assert code == 0
    assert (
        "新增/升级 raised 3" in text
        and "在办 open 3" in text
        and "期限督办: 新增/升级 催办 3" in text
    )
    assert sum(number in text for number in numbers) == 2 and "仅列出前 2 条" in text


def test_propose_decide_dismiss_and_list(cli):
    a, b = cli.data("2026-09-30", "2026-09-30")
    code, data, _ = cli("jw", "accountability", "propose", "--as-of", "2026-10-14T00:00", "--json")
    assert code == 0 and data["proposed_total"] == 2
    assert {(i["rule"], i["kind"], i["target"]) for i in data["proposed"]} == {
        ("超期慢作为", "慢作为", "U01 市人社局")
    }
    first, second = sorted(i["id"] for i in data["proposed"])
    code, data, _ = cli("jw", "accountability", "propose", "--as-of", "2026-10-15T00:00", "--json")
    assert code == 0 and data["proposed"] == []
    code, data, _ = cli("jw", "accountability", "list", "--status", "待决定", "--json")
    assert data["total"] == 2
    code, data, err = cli(
        "admin", "accountability", "decide", str(first), "--form", "约谈", "--basis", "依据"
    )
    assert code == 4 and "无权" in err
    code, _, err = cli(
        "jw", "accountability", "decide", str(first), "--form", "诫勉", "--basis", "依据"
    )
    assert code == 3 and "对单位的问责方式无效" in err
    code, data, _ = cli(
        "jw",
        "accountability",
        "decide",
        str(first),
        "--form",
        "约谈",
        "--basis",
        "问责条例第七条",
        "--json",
    )
    assert code == 0 and (data["status"], data["form"], data["decided_by"]) == (
        "已决定",
        "约谈",
        "jw",
    )
    assert data["evidence"][0]["target"] in (a, b)
    code, _, err = cli(
        "jw", "accountability", "decide", str(first), "--form", "通报", "--basis", "x"
    )
    assert code == 3
    code, _, _ = cli("jw", "accountability", "decide", "99999", "--form", "约谈", "--basis", "x")
    assert code == 6
    code, data, _ = cli(
        "jw", "accountability", "dismiss", str(second), "--reason", "系统故障所致", "--json"
    )
    assert code == 0 and (data["status"], data["basis"]) == ("不予问责", "系统故障所致")
    code, text, _ = cli("leader", "accountability", "show", str(first))
    assert code == 0 and "决定 decision: 约谈" in text and "依据 basis: 问责条例第七条" in text
    code, data, _ = cli("leader", "accountability", "list", "--json")
    assert data["total"] == 2 and {i["status"] for i in data["items"]} == {"已决定", "不予问责"}
    code, _, _ = cli("lly", "accountability", "list")
    assert code == 4


def test_sanction_on_the_command_line(cli, db_url):
    from supervise.models import AccountabilityCase, Staff, Unit

    open_database(db_url)
    try:
        case = AccountabilityCase.create(
            rule="严重纪律问题乱作为",
            target_kind="staff",
            unit=Unit.get(Unit.code == "U01").id,
            staff=Staff.get(Staff.number == "S001").id,
            failure_kind="乱作为",
            evidence="[]",
            evidence_key="t:1",
            reason="测试",
            proposed_at=CLOCK,
        )
    finally:
        close_database()
    code, _, err = cli(
        "jw", "accountability", "decide", str(case.id), "--form", "政务处分", "--basis", "依据"
    )
    assert code == 3 and "政务处分种类" in err
    code, data, _ = cli(
        "jw",
        "accountability",
        "decide",
        str(case.id),
        "--form",
        "政务处分",
        "--basis",
        "依据",
        "--sanction",
        "记过",
        "--json",
    )
    assert code == 0 and data["sanction"] == "记过" and data["target"] == "S001 李四（市人社局）"
    assert data["sanction_ends"] is not None and data["kind"] == "乱作为"


def test_bad_input_and_permissions(cli):
    code, _, err = cli("jw", "escalate", "--as-of", "十月五日")
    assert code == 3 and "2026-10-05T14:03" in err
    code, _, err = cli("jw", "escalate", "--as-of", "2028-01-05T09:00")
    assert code == 3 and "future" in err
    code, _, _ = cli("jw", "escalate", "--limit", "-1")
    assert code == 3
    code, _, err = cli("jw", "escalation", "list", "--level", "严重")
    assert code == 3 and "督办级别无效" in err
    code, _, _ = cli("leader", "escalate")
    assert code == 4
    code, _, _ = cli("lly", "escalation", "list")
    assert code == 4
    code, _, _ = cli("leader", "accountability", "propose")
    assert code == 4
    code, _, _ = cli("jw", "accountability", "dismiss", "1", "--reason", " ")
    assert code == 3


def test_a_failing_plugin_rule_is_reported_not_fatal(cli, monkeypatch, tmp_path):
    (tmp_path / "broken_rule.py").write_text(
        "from supervise import hookimpl\n"
        "from supervise.extension import RuleSpec\n"
        "def run(ctx, **_):\n    raise RuntimeError('broken on purpose')\n"
        "@hookimpl\n"
        "def supervise_register_escalation_rules():\n    return [RuleSpec('坏规则', '坏规则', 'escalation', run)]\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("SUPERVISE_PLUGINS_DIR", str(tmp_path))
    set_registry(None)
    (a,) = cli.data("2026-09-30")
    code, data, err = cli("jw", "escalate", "--as-of", "2026-10-05T09:00", "--json")
    assert code == 0 and data["failures"] == [
        {"rule": "坏规则", "error": "RuntimeError: broken on purpose"}
    ]
    assert (
        "规则“坏规则”运行失败，已跳过 / rule '坏规则' failed and was skipped: RuntimeError: broken on purpose"
        in err
    )
    assert [(i["rule"], i["target"]) for i in data["raised"]] == [("期限督办", a)]
