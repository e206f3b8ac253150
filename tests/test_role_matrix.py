"""The whole command × role matrix of SPEC §1 for the complaint workflow
and administration: every command is tried by every role.

Expected outcome per role: 0 (allowed), 4 (not permitted) or 6 (outside
the liaison's unit, so not found).  Each command gets a fresh complaint in
the state it needs, prepared by a staff member through the services.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest

from supervise.auth import SYSTEM
from supervise.cli.main import main
from supervise.db import close_database, open_database
from supervise.services.complaints import ComplaintService, format_receipt
from supervise.services.reference import ReferenceService

from .conftest import PASSWORD, RECOVERY, make_user
from .test_accountability import pending_case

ROLES = ("admin", "staff", "liaison_own", "liaison_other", "supervisor", "viewer")
OFFICE = {"admin": 0, "staff": 0}


def expect(allowed: dict[str, int]) -> dict[str, int]:
    return {role: allowed.get(role, 4) for role in ROLES}


ANSWER = expect(OFFICE | {"liaison_own": 0, "liaison_other": 6})
READ = expect(OFFICE | {"liaison_own": 0, "liaison_other": 6, "viewer": 0})
LIST = expect(OFFICE | {"liaison_own": 0, "liaison_other": 0, "viewer": 0})

Prepare = Callable[[ComplaintService], list[str]]


def registered(s: ComplaintService) -> str:
    return s.register(
        channel="12345热线",
        category="投诉",
        content="窗口推诿",
        name="张三",
        phone="13800000000",
        received=dt.datetime(2026, 3, 2, 9, 0),
    ).number


def assigned(s: ComplaintService) -> str:
    number = registered(s)
    s.assign(number, "U01", card="黄")
    return number


def replied(s: ComplaintService) -> str:
    number = assigned(s)
    s.reply(number, "已处理")
    return number


def visited(s: ComplaintService) -> str:
    number = replied(s)
    s.visit(number, "满意", True)
    return number


def extension_pending(s: ComplaintService) -> str:
    number = assigned(s)
    ComplaintService(SYSTEM).request_extension(number, 3, "核查")
    return number


CASES: list[tuple[str, Prepare, dict[str, int]]] = [
    (
        "complaint add --channel 来访 --category 咨询 --content 咨询社保",
        lambda s: [],
        expect(OFFICE),
    ),
    ("complaint assign {n} --unit U01 --card 蓝", lambda s: [registered(s)], expect(OFFICE)),
    ("complaint reply {n} --text 已办理", lambda s: [assigned(s)], ANSWER),
    ("complaint dispute {n} --reason 非本单位职责", lambda s: [assigned(s)], ANSWER),
    ("complaint extend {n} --days 3 --reason 需核查", lambda s: [assigned(s)], ANSWER),
    ("complaint approve-extension {n}", lambda s: [extension_pending(s)], expect(OFFICE)),
    ("complaint visit {n} --result 满意 --resolved yes", lambda s: [replied(s)], expect(OFFICE)),
    ("complaint close {n}", lambda s: [visited(s)], expect(OFFICE)),
    ("complaint refuse {n} --reason 不属于受理范围", lambda s: [registered(s)], expect(OFFICE)),
    (
        "complaint merge {n} --into {m}",
        lambda s: [*reversed([registered(s), registered(s)])],
        expect(OFFICE),
    ),
    ("complaint show {n}", lambda s: [assigned(s)], READ),
    ("complaint show {n} --unmask", lambda s: [assigned(s)], READ),
    ("complaint list", lambda s: [], LIST),
    ("complaint list --search 推诿 --unit U01", lambda s: [], LIST),
    ("unit add UX{i} 新单位", lambda s: [], expect(OFFICE)),
    ("staff add SX{i} 王五 --unit U01", lambda s: [], expect(OFFICE)),
    ("matter add MX{i} 新事项 --unit U01 --legal 10", lambda s: [], expect(OFFICE)),
    ("user add newuser{i} --role viewer", lambda s: [], expect({"admin": 0})),
    ("user list", lambda s: [], expect({"admin": 0})),
    ("calendar set 2027-01-0{d} holiday", lambda s: [], expect({"admin": 0})),
    ("settings complaint.max_extensions 2", lambda s: [], expect({"admin": 0})),
    ("audit verify", lambda s: [], expect(OFFICE)),
    ("escalate --as-of 2026-03-10T09:00", lambda s: [assigned(s)], expect(OFFICE)),
    ("escalate --as-of 2026-03-10T09:00 --json", lambda s: [], expect(OFFICE)),
    ("escalation list --state open", lambda s: [], expect(OFFICE | {"viewer": 0})),
    ("accountability propose --as-of 2026-03-20T09:00", lambda s: [assigned(s)], expect(OFFICE)),
    ("accountability list --status 待决定 --json", lambda s: [], expect(OFFICE | {"viewer": 0})),
    ("accountability show {n}", lambda s: [str(pending_case())], expect(OFFICE | {"viewer": 0})),
    (
        "accountability decide {n} --form 约谈 --basis 依据问责条例",
        lambda s: [str(pending_case())],
        expect({"staff": 0}),
    ),
    (
        "accountability dismiss {n} --reason 情节轻微",
        lambda s: [str(pending_case())],
        expect({"staff": 0}),
    ),
    # identity keys and retention (issue #8 items 6 and 8)
    ("keys status --json", lambda s: [], expect(OFFICE)),
    ("keys grant jw", lambda s: [], expect(OFFICE)),
    ("keys recover", lambda s: [], expect(OFFICE)),
    (
        "retention purge --as-of 2026-03-10T09:00 --json",
        lambda s: [visited(s)],
        expect({"admin": 0}),
    ),
    ("user passwd", lambda s: [], expect({role: 0 for role in ROLES})),
]


@pytest.mark.parametrize("role", ROLES)
def test_matrix(db, admin, role, monkeypatch, capsys):
    ref = ReferenceService(admin)
    ref.add_unit("U01", "市人社局")
    ref.add_unit("U02", "市医保局")
    make_user("jw", "staff")
    user = {"admin": "admin", "staff": "jw"}.get(role, role)
    if role.startswith("liaison"):
        make_user(user, "liaison", "U01" if role == "liaison_own" else "U02")
    elif role not in ("admin", "staff"):
        make_user(user, role)
    preparer = ComplaintService(SYSTEM)
    monkeypatch.setenv("SUPERVISE_USER", user)
    monkeypatch.setenv("SUPERVISE_PASSWORD", PASSWORD)
    monkeypatch.setenv("SUPERVISE_NEW_PASSWORD", PASSWORD)
    monkeypatch.setenv("SUPERVISE_RECOVERY_KEY", RECOVERY["key"] or "")
    wrong = []
    for i, (template, prepare, expected) in enumerate(CASES):
        numbers = prepare(preparer) + ["", ""]
        argv = template.format(n=numbers[0], m=numbers[1], i=i, d=i % 9 + 1).split()
        close_database()
        code = main(["--db", db, *argv])
        open_database(db)
        err = capsys.readouterr().err
        assert "Traceback" not in err
        if code != expected[role]:
            wrong.append(f"{template}: got {code}, expected {expected[role]} ({err.strip()})")
    assert not wrong, "\n".join(wrong)


def test_track_needs_no_login_and_leaks_nothing(db, admin, capsys):
    ReferenceService(admin).add_unit("U01", "市人社局")
    service = ComplaintService(SYSTEM)
    number = assigned(service)
    from supervise.models import Complaint

    code = format_receipt(Complaint.get(Complaint.number == number).receipt_code)
    close_database()
    assert main(["--db", db, "track", code, "--json"]) == 0
    out = capsys.readouterr().out
    open_database(db)
    assert "已交办" in out and "张三" not in out and "13800000000" not in out and "推诿" not in out
    close_database()
    assert main(["--db", db, "track", "ZZZZ-ZZZZ-ZZZZ"]) == 6
    open_database(db)
