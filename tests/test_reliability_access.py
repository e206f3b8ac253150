"""Access (issue #8, item 4, command line): brute force locks an account, and identities
never reach a role without the right — in lists, ``--json`` answers, exports, circulars,
reports, logs or error messages.  On SQLite and PostgreSQL.

The command × role matrix of the workflow itself is tests/test_role_matrix.py; this module
scans what every command of every role prints and writes for the seeded identities.
"""

from __future__ import annotations

import collections
import datetime as dt
import os
import subprocess
from pathlib import Path

import openpyxl
import pytest

from supervise import auth
from supervise.auth import SYSTEM
from supervise.cli.main import main
from supervise.db import close_database, open_database
from supervise.models import AuditEntry, Complaint, Rating, User
from supervise.services.accountability import AccountabilityService
from supervise.services.complaints import ComplaintService, format_receipt
from supervise.services.ratings import RatingService
from supervise.services.reference import ReferenceService
from supervise.services.reviews import ReviewService

from .conftest import PASSWORD, make_user
from .test_accountability import pending_case
from .test_reliability_input import add_to_report

T = dt.datetime(2026, 3, 2, 9, 0)
SECRETS = (
    "张秘密",
    "13811112222",
    "110101199001011234",
    "李隐私",
    "13933334444",
    "王匿名",
    "13755556666",
)
ROLES = {"admin": "admin", "jw": "staff", "lly": "liaison", "jdy": "supervisor", "ld": "viewer"}
OFFICE = {"admin", "jw"}
LONG = os.environ.get("SUPERVISE_LONG_TESTS") == "1"
CHECKED: collections.Counter[str] = collections.Counter()


@pytest.fixture(scope="module", autouse=True)
def _report_counts():
    yield
    add_to_report(CHECKED)


def cli(db: str, *argv: str) -> tuple[int, str, str]:
    """Run one command in process and capture its output (the database reopened after)."""
    import contextlib
    import io

    out, err = io.StringIO(), io.StringIO()
    close_database()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(["--db", db, *argv])
        except SystemExit as exc:
            code = int(exc.code or 0)
    open_database(db)
    return code, out.getvalue(), err.getvalue()


# -- brute force -----------------------------------------------------------------------


def test_five_wrong_passwords_lock_for_fifteen_minutes(db, admin, monkeypatch):
    make_user("jw", "staff")
    codes = []
    for _ in range(5):
        monkeypatch.setenv("SUPERVISE_PASSWORD", "wrong-password")
        code, _, err = cli(db, "--user", "jw", "audit", "verify")
        codes.append(code)
        assert err.strip() == "supervise: 用户名或密码错误 / wrong user name or password"
    assert codes == [4] * 5
    monkeypatch.setenv("SUPERVISE_PASSWORD", PASSWORD)
    code, _, err = cli(db, "--user", "jw", "audit", "verify")
    until = User.get(User.name == "jw").locked_until
    assert code == 4 and err.strip() == (
        f"supervise: 账户已锁定至 {until:%H:%M} / account locked until {until:%H:%M}"
    )
    assert dt.timedelta(minutes=14) < until - dt.datetime.now() <= dt.timedelta(minutes=15)
    actions = [
        a
        for (a,) in AuditEntry.select(AuditEntry.action).where(AuditEntry.table == "user").tuples()
    ]
    assert (actions.count("user.login_failed"), actions.count("user.lock")) == (4, 1), actions
    # a minute before the end it is still locked, at the end it opens again
    real_now = auth.now
    monkeypatch.setattr(auth, "now", lambda: until - dt.timedelta(minutes=1))
    assert cli(db, "--user", "jw", "audit", "verify")[0] == 4
    monkeypatch.setattr(auth, "now", lambda: until + dt.timedelta(seconds=1))
    assert cli(db, "--user", "jw", "audit", "verify")[0] == 0
    monkeypatch.setattr(auth, "now", real_now)
    assert (
        cli(db, "--user", "jw", "audit", "verify")[0] == 0
    )  # the counter was reset by the success
    assert User.get(User.name == "jw").failed_logins == 0


def test_lock_is_per_account_and_unknown_users_are_not_told_apart(db, admin, monkeypatch):
    make_user("jw", "staff")
    monkeypatch.setenv("SUPERVISE_PASSWORD", "wrong-password")
    for _ in range(5):
        cli(db, "--user", "jw", "audit", "verify")
    ghost = cli(db, "--user", "ghost", "audit", "verify")
    assert (
        ghost[0] == 4
        and ghost[2].strip() == "supervise: 用户名或密码错误 / wrong user name or password"
    )
    monkeypatch.setenv("SUPERVISE_PASSWORD", PASSWORD)
    assert cli(db, "--user", "admin", "audit", "verify")[0] == 0


# -- identities ---------------------------------------------------------------------------


@pytest.fixture
def seeded(db, admin, tmp_path):
    ref = ReferenceService(admin)
    ref.add_unit("U01", "市人社局")
    ref.add_unit("U02", "市医保局")
    make_user("jw", "staff")
    make_user("lly", "liaison", "U01")
    sup = make_user("jdy", "supervisor")
    make_user("ld", "viewer")
    service = ComplaintService(SYSTEM)
    c = service.register(
        channel="12345热线",
        category="举报",
        content="窗口推诿刁难",
        unit="U01",
        name="张秘密",
        phone="13811112222",
        id_no="110101199001011234",
        received=T,
    )
    service.assign(c.number, "U01", card="黄", at=T)
    done = service.register(
        channel="来访",
        category="表扬",
        content="服务热情",
        unit="U01",
        name="张秘密",
        phone="13811112222",
        received=T,
    )
    service.assign(done.number, "U01", card="蓝", at=T)
    service.reply(done.number, "已办理", at=T + dt.timedelta(hours=2))
    service.visit(done.number, "满意", True, at=T + dt.timedelta(hours=3))
    service.close(done.number, at=T + dt.timedelta(hours=3))
    r = RatingService(SYSTEM).add(
        "U01", 1, rater="李隐私", phone="13933334444", real_name=True, comment="态度差", rated=T
    )
    ReviewService(sup).submit("U01", "暗访", ["窗口人员离岗"], review_date=T.date(), at=T)
    case = pending_case()
    AccountabilityService(make_user("jw2", "staff")).decide(
        case, "通报", "依据问责条例", at=T + dt.timedelta(days=3)
    )
    hotline = tmp_path / "hotline.csv"
    hotline.write_text(
        "工单编号,受理时间,诉求类型,诉求内容,承办单位编码,诉求人,联系电话\n"
        "GD001,2026-03-03 10:00,投诉,办事难,U01,王匿名,13755556666\n",
        encoding="utf-8",
    )
    receipt = format_receipt(Complaint.get_by_id(c.id).receipt_code)
    return {
        "db": db,
        "number": c.number,
        "done": done.number,
        "rating": r.id,
        "case": case,
        "hotline": hotline,
        "receipt": receipt,
    }


def commands(s: dict, out: Path) -> list[list[str]]:
    n, rid = s["number"], str(s["rating"])
    return [
        ["import", "hotline", str(s["hotline"]), "--json"],
        ["import", "list", "--json"],
        ["complaint", "list"],
        ["complaint", "list", "--json"],
        ["complaint", "list", "--search", "推诿", "--json"],
        ["complaint", "show", n],
        ["complaint", "show", n, "--json"],
        ["complaint", "show", n, "--unmask", "--json"],
        ["complaint", "show", "TS209901999999"],
        ["rating", "list", "--json"],
        ["rating", "show", rid, "--json"],
        ["rating", "show", rid, "--unmask"],
        ["review", "list", "--json"],
        ["review", "show", "1", "--json"],
        ["escalate", "--as-of", "2026-03-20T09:00", "--json"],
        ["escalation", "list", "--json"],
        ["accountability", "propose", "--as-of", "2026-03-20T09:00", "--json"],
        ["accountability", "list", "--json"],
        ["accountability", "show", str(s["case"]), "--json"],
        ["track", s["receipt"], "--json"],
        ["track", s["receipt"]],
        *[
            ["export", name, "--out", str(out / f"{name}.xlsx"), "--month", "2026-03"]
            for name in ("complaints", "ratings", "reviews", "escalations", "accountability")
        ],
        ["export", "complaints", "--out", str(out / "unmasked.xlsx"), "--unmask"],
        [
            "report",
            "monthly",
            "--month",
            "2026-03",
            "--as-of",
            "2026-04-01T00:00",
            "--out",
            str(out / "report"),
            "--json",
        ],
        [
            "circular",
            "criticism",
            "--case",
            str(s["case"]),
            "--out",
            str(out / "criticism.pdf"),
            "--json",
        ],
        ["circular", "commendation", "--case", s["done"], "--out", str(out / "commendation.pdf")],
        ["circular", "monthly", "--month", "2026-03", "--out", str(out / "monthly.pdf")],
        ["user", "list", "--json"],
        ["audit", "verify", "--json"],
        ["keys", "status", "--json"],
        ["keys", "grant", "ld"],
        ["keys", "grant", "nosuchuser"],
        ["retention", "purge", "--as-of", "2026-03-20T09:00", "--json"],
    ]


def unmasking(argv: list[str]) -> bool:
    return "--unmask" in argv


def written_text(path: Path) -> str:
    if path.suffix == ".xlsx":
        book = openpyxl.load_workbook(path, read_only=True)
        return "\n".join(
            str(v)
            for ws in book.worksheets
            for row in ws.iter_rows(values_only=True)
            for v in row
            if v is not None
        )
    if path.suffix == ".pdf":
        return subprocess.run(
            ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
        ).stdout
    return path.read_text(encoding="utf-8", errors="replace")


# Every role on SQLite and the scoped role (liaison) on PostgreSQL in CI; every role on both
# engines with SUPERVISE_LONG_TESTS=1 (each role runs about 30 commands, PDFs included).
SCANS = [("sqlite", u) for u in ROLES] + [("postgresql", u) for u in ROLES if LONG or u == "lly"]


@pytest.mark.parametrize(("db_url", "user"), SCANS, indirect=["db_url"])
def test_identities_never_reach_a_role_without_the_right(seeded, user, tmp_path, monkeypatch):
    monkeypatch.setenv("SUPERVISE_PASSWORD", PASSWORD)
    monkeypatch.setenv("SUPERVISE_USER", user)
    leaks, checked, failures, unmasked = [], 0, [], set()
    for argv in commands(seeded, tmp_path / "out"):
        (tmp_path / "out").mkdir(exist_ok=True)
        before = set((tmp_path / "out").rglob("*"))
        code, out, err = cli(seeded["db"], *argv)
        if code not in (0, 3, 4, 6) or "Traceback" in err:
            failures.append(f"{' '.join(argv)} → {code}: {err.strip()}")
        files = sorted(p for p in set((tmp_path / "out").rglob("*")) - before if p.is_file())
        may_see = user in OFFICE and unmasking(argv) and code == 0
        for where, text in [
            ("stdout", out),
            ("stderr", err),
            *((str(p.name), written_text(p)) for p in files),
        ]:
            checked += 1
            found = [s for s in SECRETS if s in text]
            if found and not may_see:
                leaks.append(f"{' '.join(argv)} [{where}]: {found}")
            elif found:
                unmasked.update(found)
        for p in files:
            p.unlink()
    logs = list(Path(seeded_home()).rglob("*.log*"))
    for log in logs:
        found = [s for s in SECRETS if s in log.read_text(encoding="utf-8", errors="replace")]
        if found:
            leaks.append(f"log {log.name}: {found}")
    CHECKED["access: commands run"] += len(commands(seeded, tmp_path))
    CHECKED["access: outputs scanned"] += checked + len(logs)
    assert not failures, "\n".join(failures)
    assert not leaks, "\n".join(leaks)
    assert checked >= 2 * len(commands(seeded, tmp_path))
    # the scan does see identities where they are allowed: the office's unmasked views and export
    assert unmasked == (set(SECRETS) if user in OFFICE else set())


def seeded_home() -> str:
    return os.environ["SUPERVISE_HOME"]


def test_unmasked_views_are_for_the_office_and_audited(seeded, monkeypatch):
    monkeypatch.setenv("SUPERVISE_PASSWORD", PASSWORD)
    views = AuditEntry.select().where(AuditEntry.action == "identity.view").count()
    code, out, _ = cli(
        seeded["db"], "--user", "jw", "complaint", "show", seeded["number"], "--unmask", "--json"
    )
    assert code == 0 and "张秘密" in out and "13811112222" in out
    code, out, _ = cli(
        seeded["db"], "--user", "jw", "rating", "show", str(seeded["rating"]), "--unmask", "--json"
    )
    assert code == 0 and "李隐私" in out
    assert AuditEntry.select().where(AuditEntry.action == "identity.view").count() == views + 2
    stored = Rating.get_by_id(seeded["rating"])
    assert stored.masked_name == "李**" and "李隐私" not in (stored.identity_sealed or "")
