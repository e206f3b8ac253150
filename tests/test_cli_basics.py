"""The CLI skeleton: init, users, reference data, exit codes."""

from __future__ import annotations

import json

import pytest

from supervise.cli.main import main
from supervise.db import close_database, open_database
from supervise.models import Unit, User


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def cli_db(db_url, monkeypatch, capsys):
    monkeypatch.setenv("SUPERVISE_PASSWORD", "secret-123")
    code, _, err = run(capsys, "--db", db_url, "init", "--admin", "admin")
    assert code == 0, err
    monkeypatch.setenv("SUPERVISE_USER", "admin")
    return db_url


def test_init_creates_schema_and_admin(cli_db, capsys):
    code, out, _ = run(capsys, "--db", cli_db, "init", "--json")
    assert code == 0
    assert json.loads(out)["version"] >= 2
    open_database(cli_db)
    assert User.get(User.name == "admin").role == "admin"
    close_database()


def test_reference_data_and_json(cli_db, capsys):
    code, out, _ = run(
        capsys, "--db", cli_db, "unit", "add", "U01", "市政务服务局", "--kind", "部门", "--json"
    )
    assert code == 0 and json.loads(out)["code"] == "U01"
    code, _, _ = run(
        capsys,
        "--db",
        cli_db,
        "unit",
        "add",
        "U0101",
        "综合窗口",
        "--parent",
        "U01",
        "--kind",
        "窗口",
    )
    assert code == 0
    code, _, _ = run(capsys, "--db", cli_db, "staff", "add", "S001", "张三", "--unit", "U0101")
    assert code == 0
    code, _, _ = run(
        capsys,
        "--db",
        cli_db,
        "matter",
        "add",
        "M001",
        "营业执照办理",
        "--unit",
        "U01",
        "--legal",
        "20",
        "--promised",
        "5",
    )
    assert code == 0
    open_database(cli_db)
    assert Unit.get(Unit.code == "U0101").parent.code == "U01"
    close_database()


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["unit", "add", "U9", "x", "--parent", "NOPE"], 6),
        (["unit", "add", "U9", "x", "--kind", "公司"], 3),
        (["matter", "add", "M9", "x", "--unit", "U01", "--legal", "5", "--promised", "9"], 3),
        (["user", "add", "li", "--role", "liaison"], 3),
        (["calendar", "set", "2026-13-01", "holiday"], 3),
        (["workdays", "add", "2026-01-01", "100000000"], 3),  # past 9999-12-31
        (["unit", "add"], 2),
    ],
)
def test_bad_input_exit_codes(cli_db, capsys, argv, expected):
    run(capsys, "--db", cli_db, "unit", "add", "U01", "局")
    code, out, err = (
        run(capsys, "--db", cli_db, *argv) if argv != ["unit", "add"] else _usage(capsys, cli_db)
    )
    assert code == expected
    assert "Traceback" not in err
    assert err.strip().count("\n") <= 1 or expected == 2


@pytest.mark.parametrize(
    "argv",
    [
        ["rating", "show", "10000000000000000000"],  # SQLite's driver overflowed (exit 1)
        ["complaint", "list", "--offset", "10000000000000000000"],  # PostgreSQL: bigint range
        ["matter", "add", "M9", "x", "--unit", "U01", "--legal", "3000000000"],  # integer range
        ["review", "list", "--limit", "-2147483649"],
    ],
)
def test_integers_beyond_a_column_are_usage_errors(cli_db, capsys, argv):
    run(capsys, "--db", cli_db, "unit", "add", "U01", "局")
    with pytest.raises(SystemExit) as info:
        main(["--db", cli_db, *argv])
    _, err = capsys.readouterr()
    assert info.value.code == 2
    assert err.strip().splitlines()[-1].endswith(f"integer out of range: {argv[-1]}")
    assert (
        main(["--db", cli_db, "matter", "add", "M9", "x", "--unit", "U01", "--legal", "2147483647"])
        == 0
    )


def _usage(capsys, url):
    with pytest.raises(SystemExit) as info:
        main(["--db", url, "unit", "add"])
    out, err = capsys.readouterr()
    return info.value.code, out, err


def test_wrong_password_exit_4(cli_db, capsys, monkeypatch):
    monkeypatch.setenv("SUPERVISE_PASSWORD", "not-the-password")
    code, _, err = run(capsys, "--db", cli_db, "user", "list")
    assert code == 4
    assert "wrong user name or password" in err


def test_role_cannot_add_user(cli_db, capsys, monkeypatch):
    code, _, _ = run(capsys, "--db", cli_db, "user", "add", "viewer1", "--role", "viewer")
    assert code == 0
    monkeypatch.setenv("SUPERVISE_USER", "viewer1")
    code, _, err = run(capsys, "--db", cli_db, "user", "add", "x2", "--role", "admin")
    assert code == 4 and "not permitted" in err
    code, _, err = run(capsys, "--db", cli_db, "unit", "add", "U77", "单位")
    assert code == 4


def test_user_list_json(cli_db, capsys):
    run(capsys, "--db", cli_db, "unit", "add", "U01", "局")
    assert (
        run(capsys, "--db", cli_db, "user", "add", "li", "--role", "liaison", "--unit", "U01")[0]
        == 0
    )
    code, out, _ = run(capsys, "--db", cli_db, "user", "list", "--json")
    data = json.loads(out)
    assert data["total"] == 2
    assert {"name": "li", "role": "liaison", "unit": "U01"}.items() <= next(
        u for u in data["items"] if u["name"] == "li"
    ).items()


def test_help_lists_every_command(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    for command in (
        "init",
        "demo",
        "gui",
        "workdays",
        "calendar",
        "user",
        "unit",
        "staff",
        "matter",
        "complaint",
        "rating",
        "review",
        "track",
        "import",
        "export",
        "escalate",
        "accountability",
        "circular",
        "report",
        "plugins",
        "audit",
        "backup",
        "restore",
    ):
        assert command in out


def test_audit_verify_then_tamper(cli_db, capsys):
    run(capsys, "--db", cli_db, "unit", "add", "U01", "局")
    code, out, _ = run(capsys, "--db", cli_db, "audit", "verify", "--json")
    assert code == 0 and json.loads(out)["ok"]
    open_database(cli_db)
    from supervise.models import AuditEntry

    first = AuditEntry.select().order_by(AuditEntry.id).first()
    AuditEntry.update(actor="mallory").where(AuditEntry.id == first.id).execute()
    close_database()
    code, out, err = run(capsys, "--db", cli_db, "audit", "verify")
    assert code == 1
    assert f"entry {first.id}" in err


def test_backup_command(cli_db, capsys, tmp_path):
    code, out, err = run(capsys, "--db", cli_db, "backup", str(tmp_path / "copy.db"), "--json")
    if cli_db.startswith("sqlite"):
        assert code == 0 and json.loads(out)["bytes"] > 0
    else:
        assert code == 2 and "pg_dump" in err


def test_plugins_dir_setting_loads_drop_ins(cli_db, capsys, tmp_path):
    from supervise.registry import set_registry

    folder = tmp_path / "dropins"
    folder.mkdir()
    (folder / "dropfmt.py").write_text(
        "from supervise import hookimpl\n"
        "from supervise.extension import Column, ImporterSpec\n"
        "def run(ctx, rows, **_):\n"
        "    ctx.imported += sum(1 for _ in rows)\n"
        "@hookimpl\n"
        "def supervise_register_importers():\n"
        "    return [ImporterSpec('dropfmt', '投放格式', (Column('编号', True),), run)]\n",
        encoding="utf-8",
    )
    data = tmp_path / "rows.csv"
    data.write_text("编号\n1\n2\n", encoding="utf-8")
    try:
        assert run(capsys, "--db", cli_db, "import", "dropfmt", str(data))[0] == 6
        assert (
            run(capsys, "--db", cli_db, "settings", "plugins.dir", json.dumps(str(folder)))[0] == 0
        )
        code, out, err = run(capsys, "--db", cli_db, "import", "dropfmt", str(data), "--json")
        assert code == 0, err
        assert json.loads(out)["imported"] == 2
    finally:
        set_registry(None)
