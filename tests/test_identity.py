"""Identities at rest (issue #8 items 6 and 8): sealed in storage, opened only
with the office key a user holds after log-in; retention purges them."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess

import pytest
from cryptography.exceptions import InvalidTag
from playhouse.migrate import migrate

from supervise import audit, identity, migrations, retention
from supervise.auth import change_password, login
from supervise.cli.main import main
from supervise.db import close_database, database, is_sqlite, open_database
from supervise.errors import NotPermitted
from supervise.models import Complaint, IdentityKey, SchemaMigration, User
from supervise.services.complaint_queries import ComplaintQueries
from supervise.services.complaints import ComplaintService
from supervise.services.ratings import RatingQueries, RatingService
from supervise.services.reference import ReferenceService

from .conftest import PASSWORD, RECOVERY, make_user

PEOPLE = [
    ("欧阳娜娜", "13812345678", "110101199001011234"),
    ("司马光明", "13987654321", None),
    ("诸葛青云", "13700001111", "320102198512125678"),
]


def _fixture(admin) -> list[str]:
    ReferenceService(admin).add_unit("U01", "市医保局")
    service = ComplaintService(admin)
    numbers = []
    for name, phone, id_no in PEOPLE:
        c = service.register(
            channel="12345热线",
            category="举报",
            content=f"窗口人员态度差 {phone[-2:]}",
            unit="U01",
            name=name,
            phone=phone,
            id_no=id_no,
            received=dt.datetime(2026, 1, 5, 9, 0),
        )
        numbers.append(c.number)
    RatingService(admin).add(
        unit="U01",
        level=1,
        rater="上官婉儿",
        phone="13655556666",
        rated=dt.datetime(2026, 1, 6, 10, 0),
    )
    return numbers


SECRETS = [v for p in PEOPLE for v in p if v] + ["上官婉儿", "13655556666"]


def _raw_bytes(url: str) -> bytes:
    """Everything a copy of the database holds: the SQLite files, or a pg_dump."""
    if is_sqlite():
        database.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        path = url.removeprefix("sqlite:///")
        return b"".join(open(p, "rb").read() for p in (path, path + "-wal") if os.path.exists(p))
    if shutil.which("pg_dump") is None:
        pytest.skip("pg_dump not installed")
    return subprocess.run(["pg_dump", url], check=True, capture_output=True).stdout


def test_copied_database_reveals_no_identity(admin, db):
    numbers = _fixture(admin)
    ComplaintQueries(admin).show(numbers[0], unmask=True)  # a view is audited, the identity is not
    raw = _raw_bytes(db)
    for secret in SECRETS:
        assert secret.encode("utf-8") not in raw, secret
    assert "欧*".encode() in raw or not is_sqlite()  # the masked form stays for lists
    assert audit.verify().ok


def test_allowed_user_sees_identity_after_login(admin, db):
    numbers = _fixture(admin)
    staff = make_user("jiwei01", "staff")
    shown = ComplaintQueries(staff).show(numbers[0], unmask=True)["complainant"]
    assert shown == {"name": "欧阳娜娜", "phone": "13812345678", "id_no": "110101199001011234"}
    masked = ComplaintQueries(staff).show(numbers[0])["complainant"]
    assert masked["name"] == "欧***" and masked["phone"] == "138****5678"
    rating = RatingQueries(staff).show(1, unmask=True)["rater"]
    assert rating == {"name": "上官婉儿", "phone": "13655556666"}


@pytest.mark.parametrize("role", ["viewer", "liaison"])
def test_viewer_and_liaison_never(admin, db, role):
    numbers = _fixture(admin)
    other = make_user("other", role, "U01" if role == "liaison" else None)
    assert ComplaintQueries(other).show(numbers[0])["complainant"] is None
    with pytest.raises(NotPermitted):
        identity.complaint_identity(other, Complaint.get(Complaint.number == numbers[0]))


def test_staff_without_grant_gets_one_clear_line(admin, db, capsys, monkeypatch):
    numbers = _fixture(admin)
    ReferenceService(login("admin", PASSWORD)).add_user("nokey", "staff", PASSWORD)
    identity.revoke(User.get(User.name == "nokey").id)
    monkeypatch.setenv("SUPERVISE_PASSWORD", PASSWORD)
    code = main(["--db", db, "--user", "nokey", "complaint", "show", numbers[0], "--unmask"])
    err = capsys.readouterr().err
    assert code == 4 and "keys grant" in err and "Traceback" not in err


def test_wrong_recovery_key_refused_and_right_one_restores(admin, db, capsys, monkeypatch):
    numbers = _fixture(admin)
    identity.revoke(User.get(User.name == "admin").id)
    monkeypatch.setenv("SUPERVISE_PASSWORD", PASSWORD)
    monkeypatch.setenv("SUPERVISE_RECOVERY_KEY", identity.format_recovery(os.urandom(32)))
    assert main(["--db", db, "--user", "admin", "keys", "recover"]) == 4
    assert "恢复密钥错误" in capsys.readouterr().err
    monkeypatch.setenv("SUPERVISE_RECOVERY_KEY", RECOVERY["key"])
    assert main(["--db", db, "--user", "admin", "keys", "recover"]) == 0
    open_database(db)
    actor = login("admin", PASSWORD)
    assert (
        ComplaintQueries(actor).show(numbers[1], unmask=True)["complainant"]["name"] == "司马光明"
    )


def test_password_change_keeps_access(admin, db):
    numbers = _fixture(admin)
    staff = make_user("jiwei01", "staff")
    changed = change_password(staff, PASSWORD, "new-pass-456")
    assert changed.identity_key is not None
    again = login("jiwei01", "new-pass-456")
    assert (
        ComplaintQueries(again).show(numbers[2], unmask=True)["complainant"]["name"] == "诸葛青云"
    )
    with pytest.raises(NotPermitted):
        login("jiwei01", PASSWORD)


def test_keys_grant_by_cli(admin, db, capsys, monkeypatch):
    numbers = _fixture(admin)
    ReferenceService(make_user("viewer1", "viewer")).actor  # noqa: B018 - a role that may not hold the key
    from supervise.auth import SYSTEM

    ReferenceService(SYSTEM).add_user(
        "newstaff", "staff", PASSWORD
    )  # added by no key holder: no grant
    assert login("newstaff", PASSWORD).identity_key is None
    monkeypatch.setenv("SUPERVISE_PASSWORD", PASSWORD)
    assert main(["--db", db, "--user", "admin", "keys", "grant", "viewer1"]) == 4
    assert main(["--db", db, "--user", "admin", "keys", "grant", "newstaff", "--json"]) == 0
    capsys.readouterr()
    assert (
        main(
            [
                "--db",
                db,
                "--user",
                "newstaff",
                "complaint",
                "show",
                numbers[0],
                "--unmask",
                "--json",
            ]
        )
        == 0
    )
    assert "欧阳娜娜" in capsys.readouterr().out


def test_moved_sealed_value_does_not_open(admin, db):
    numbers = _fixture(admin)
    first = Complaint.get(Complaint.number == numbers[0])
    Complaint.update(identity_sealed=first.identity_sealed).where(
        Complaint.number == numbers[1]
    ).execute()
    from supervise.errors import InvalidInput

    with pytest.raises(InvalidInput):
        ComplaintQueries(admin).show(numbers[1], unmask=True)


def test_keyword_search_covers_content_never_identity(admin, db):
    _fixture(admin)
    from supervise.services.complaint_queries import ComplaintFilter

    assert ComplaintQueries(admin).query(ComplaintFilter(search="态度差")).count() == 3
    assert ComplaintQueries(admin).query(ComplaintFilter(search="欧阳娜娜")).count() == 0


def _make_version_7(admin) -> None:
    """Turn a fresh database into the shape of schema version 7: clear identity columns."""
    import peewee as pw

    m = migrations.migrator()
    migrate(
        m.add_column("complaint", "complainant_name", pw.CharField(null=True)),
        m.add_column("complaint", "complainant_phone", pw.CharField(null=True)),
        m.add_column("complaint", "complainant_id_no", pw.CharField(null=True)),
        m.add_column("rating", "rater_name", pw.CharField(null=True)),
        m.add_column("rating", "rater_phone", pw.CharField(null=True)),
    )
    migrate(
        *(
            m.drop_column("complaint", c)
            for c in (
                "identity_sealed",
                "masked_name",
                "masked_phone",
                "masked_id_no",
                "identity_purged_at",
            )
        )
    )
    migrate(
        *(
            m.drop_column("rating", c)
            for c in ("identity_sealed", "masked_name", "masked_phone", "identity_purged_at")
        )
    )
    database.drop_tables([IdentityKey])
    SchemaMigration.delete().where(SchemaMigration.version >= 8).execute()


def test_migration_8_seals_an_older_database(admin, db, capsys, monkeypatch):
    ReferenceService(admin).add_unit("U01", "市医保局")
    _make_version_7(admin)
    p = database.param
    for i, (name, phone, id_no) in enumerate(PEOPLE, 1):
        number = f"TS20260100{i:03d}"
        database.execute_sql(
            "INSERT INTO complaint (number, receipt_code, channel, category, title, content, complainant_name,"
            " complainant_phone, complainant_id_no, anonymous, received_at, status, reopen_count,"
            f" extension_count, source, created_at, version) VALUES ({', '.join([p] * 17)})",
            (
                number,
                f"RC{i:06d}",
                "来访",
                "投诉",
                "t",
                "c",
                name,
                phone,
                id_no,
                False,
                dt.datetime(2026, 1, 5),
                "登记",
                0,
                0,
                "entered",
                dt.datetime(2026, 1, 5),
                1,
            ),
        )
        cid = Complaint.select(Complaint.id).where(Complaint.number == number).scalar()
        with database.atomic():
            audit.append(
                "admin",
                "complaint.add",
                "complaint",
                cid,
                None,
                {
                    "number": number,
                    "complainant_name": name,
                    "complainant_phone": phone,
                    "complainant_id_no": id_no,
                },
            )
    unit_id = database.execute_sql("SELECT id FROM unit WHERE code = 'U01'").fetchone()[0]
    database.execute_sql(
        'INSERT INTO rating (unit_id, "window", channel, level, bad, reasons, comment, rater_name, rater_phone,'
        f" real_name, rated_at, status, source, version) VALUES ({', '.join([p] * 14)})",
        (
            unit_id,
            "",
            "窗口",
            1,
            True,
            "",
            "",
            "上官婉儿",
            "13655556666",
            True,
            dt.datetime(2026, 1, 6, 10, 0),
            "待核实",
            "entered",
            1,
        ),
    )
    assert audit.verify().ok
    close_database()
    monkeypatch.setenv("SUPERVISE_PASSWORD", PASSWORD)
    assert main(["--db", db, "init"]) == 0
    out = capsys.readouterr().out
    assert "v8" in out and "恢复密钥" in out
    recovery = out.split("keep it on paper):")[1].split()[0]
    open_database(db)
    assert migrations.current_version() == migrations.LATEST
    raw = _raw_bytes(db)
    for secret in SECRETS:
        assert secret.encode("utf-8") not in raw, secret
    assert audit.verify().ok
    monkeypatch.setenv("SUPERVISE_RECOVERY_KEY", recovery)
    assert main(["--db", db, "--user", "admin", "keys", "recover"]) == 0
    open_database(db)
    actor = login("admin", PASSWORD)
    assert (
        ComplaintQueries(actor).show("TS20260100002", unmask=True)["complainant"]["phone"]
        == "13987654321"
    )
    rating_id = database.execute_sql("SELECT MAX(id) FROM rating").fetchone()[0]
    assert RatingQueries(actor).show(rating_id, unmask=True)["rater"] == {
        "name": "上官婉儿",
        "phone": "13655556666",
    }


def test_retention_purge_at_several_instants(admin, db, capsys, monkeypatch):
    numbers = _fixture(admin)
    service = ComplaintService(admin)
    service.assign(numbers[1], "U01", card="红", at=dt.datetime(2026, 1, 6, 9, 0))
    service.reply(numbers[1], "已整改", at=dt.datetime(2026, 1, 7, 9, 0))
    service.visit(numbers[1], "满意", True, at=dt.datetime(2026, 1, 8, 9, 0))
    service.close(numbers[1], at=dt.datetime(2026, 1, 10, 9, 0))
    service.refuse(numbers[0], "重复举报", at=dt.datetime(2026, 3, 1, 9, 0))
    closed = 2
    early = retention.purge(admin, dt.datetime(2026, 6, 1))  # 365 days not yet passed
    assert early["complaints"] == 0 and early["ratings"] == 0
    monkeypatch.setenv("SUPERVISE_PASSWORD", PASSWORD)
    assert (
        main(
            [
                "--db",
                db,
                "--user",
                "admin",
                "retention",
                "purge",
                "--as-of",
                "2027-01-11T00:00",
                "--json",
            ]
        )
        == 0
    )
    import json

    result = json.loads(capsys.readouterr().out)
    assert result["complaints"] == 1  # the one closed 2026-01-10; the refusal of 2026-03-01 not yet
    assert (
        main(
            [
                "--db",
                db,
                "--user",
                "admin",
                "retention",
                "purge",
                "--as-of",
                "2027-03-02T00:00",
                "--json",
            ]
        )
        == 0
    )
    assert json.loads(capsys.readouterr().out)["complaints"] == closed - 1
    open_database(db)
    c = Complaint.get(Complaint.number == numbers[1])
    assert c.identity_sealed is None and c.masked_name is None and c.identity_purged_at is not None
    assert Complaint.get(Complaint.number == numbers[2]).identity_sealed is not None  # still open
    assert retention.purge(admin, dt.datetime(2027, 2, 1))["complaints"] == 0  # idempotent
    assert (
        "purged"
        in ComplaintQueries(login("admin", PASSWORD)).show(numbers[1], unmask=True)["complainant"]
    )
    assert audit.verify().ok
    viewer = make_user("leader", "viewer")
    assert main(["--db", db, "--user", "leader", "retention", "purge"]) == 4
    del viewer


def test_a_wrapping_carries_its_scrypt_cost(monkeypatch: pytest.MonkeyPatch) -> None:
    """A user's key wrapped at one cost opens after the cost is raised; a wrong password does not."""
    from supervise import auth

    monkeypatch.setattr(auth, "SCRYPT_N", 2**10)
    secret = identity._wrap_user_private(7, "pass-word-1", b"k" * 32)
    assert secret.startswith("scrypt$1024$8$1$")
    monkeypatch.setattr(auth, "SCRYPT_N", 2**11)
    assert identity._unwrap_user_private(7, "pass-word-1", secret) == b"k" * 32
    with pytest.raises(InvalidTag):
        identity._unwrap_user_private(7, "pass-word-2", secret)
    with pytest.raises(InvalidTag):  # bound to its user
        identity._unwrap_user_private(8, "pass-word-1", secret)
