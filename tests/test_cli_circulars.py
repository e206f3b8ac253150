"""``supervise circular …`` on the demo database: each kind produced, checked with
pdfinfo, pdffonts and pdftotext; no complainant identity; exit codes of SPEC §8."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from supervise import fonts, identity
from supervise.auth import login
from supervise.cli.main import main
from supervise.db import close_database, open_database
from supervise.models import AccountabilityCase, Complaint, DocumentNumber, Rating, Unit

from .conftest import PASSWORD, RECOVERY

pytestmark = pytest.mark.skipif(
    not all(shutil.which(t) for t in ("pdfinfo", "pdffonts", "pdftotext")),
    reason="poppler-utils not installed",
)


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def pdf_text(path: Path) -> str:
    out = subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    return re.sub(r"—\d+—", "", "".join(out.split()))


@pytest.fixture
def demo(db: str, capsys, monkeypatch: pytest.MonkeyPatch) -> dict:
    """The demo office (two months to 2026-11-20) plus two decided accountability cases."""
    fonts.reset_cache()
    monkeypatch.setenv("SUPERVISE_PASSWORD", "demo-2026")
    monkeypatch.setenv(
        "SUPERVISE_RECOVERY_KEY", RECOVERY["key"]
    )  # the db fixture made the office key
    code, out, err = run(capsys, "--db", db, "demo", "--seed", "2026", "--months", "2", "--json")
    assert code == 0, err
    open_database(db)
    complaints = list(
        Complaint.select()
        .where(Complaint.masked_phone.is_null(False))
        .order_by(Complaint.id)
        .limit(4)
    )
    first = identity.complaint_identity(login("jiwei01", "demo-2026"), complaints[0])
    unit = Unit.get_by_id(complaints[0].unit_id)
    cases = []
    for i, form in enumerate(("通报", "约谈")):
        cases.append(
            AccountabilityCase.create(
                rule="超期慢作为",
                target_kind="unit",
                unit=unit,
                failure_kind="慢作为",
                evidence=json.dumps([{"kind": "complaint", "id": c.id} for c in complaints]),
                evidence_key=f"test-{i}",
                proposed_at=dt.datetime(2026, 11, 3, 9),
                reason=f"{first['name']}（{first['phone']}）反映的问题超期未办结",
                status="已决定",
                form=form,
                basis="《效能问责办法》第十条",
                decided_by="jiwei01",
                decided_at=dt.datetime(2026, 11, 10, 9),
            ).id
        )
    close_database()
    monkeypatch.setenv("SUPERVISE_USER", "jiwei01")
    return {"db": db, "cases": [str(c) for c in cases]}


def identities() -> set[str]:
    """Every clear identity of the demo database, opened with the demo staff's key."""
    actor = login("jiwei01", "demo-2026")
    found = {
        v
        for c in Complaint.select().where(Complaint.identity_sealed.is_null(False))
        for v in identity.complaint_identity(actor, c).values()
        if v
    }
    found |= {
        v
        for r in Rating.select().where(Rating.identity_sealed.is_null(False))
        for v in identity.rating_identity(actor, r).values()
        if v
    }
    return found


def test_each_kind_from_the_demo_database(demo, capsys, tmp_path: Path) -> None:
    db, (first, second) = demo["db"], demo["cases"]
    commands = {
        "criticism": ["--case", first, "--case", second],
        "commendation": ["--month", "2026-10"],
        "monthly": ["--month", "2026-10", "--as-of", "2026-11-20T18:00"],
    }
    answers = {}
    for kind, extra in commands.items():
        out = tmp_path / f"{kind}.pdf"
        code, stdout, err = run(
            capsys,
            "--db",
            db,
            "circular",
            kind,
            "--out",
            str(out),
            "--date",
            "2026-11-20",
            *extra,
            "--json",
        )
        assert code == 0, err
        answer = json.loads(stdout)
        assert answer["file"] == str(out) and answer["pages"] >= 1 and answer["kind"] == kind
        info = subprocess.run(
            ["pdfinfo", str(out)], capture_output=True, text=True, check=True
        ).stdout
        assert "595.276 x 841.89 pts (A4)" in info and f"Pages:           {answer['pages']}" in info
        listing = subprocess.run(
            ["pdffonts", str(out)], capture_output=True, text=True, check=True
        ).stdout
        if not answer["warnings"]:
            assert all(
                re.search(r"TrueType.*\syes\s+yes\s+yes\s", row) for row in listing.splitlines()[2:]
            )
        text = pdf_text(out)
        assert answer["number"] in text and answer["title"] in text
        answers[kind] = (answer, text)
    assert [a["number"] for a, _ in answers.values()] == [f"效监通〔2026〕{n}号" for n in (1, 2, 3)]
    assert (
        "决定对其予以通报" in answers["criticism"][1]
        and "决定对其进行约谈" in answers["criticism"][1]
    )
    assert "群众表扬" in answers["commendation"][1]
    monthly = answers["monthly"][1]
    assert (
        "流动红旗" in monthly
        and "红榜" in monthly
        and "黑榜" in monthly
        and "2026年10月" in monthly
    )

    open_database(db)
    try:
        secrets = identities()
        assert len(secrets) > 100
        for kind, (answer, text) in answers.items():
            dumped = json.dumps(answer, ensure_ascii=False)
            leaked = sorted(s for s in secrets if s in text or s in dumped)
            assert leaked == [], f"{kind} leaks {leaked}"
        assert DocumentNumber.select().count() == 3
    finally:
        close_database()


def test_list_errors_and_permissions(
    demo, capsys, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = demo["db"]
    code, out, _ = run(capsys, "--db", db, "circular", "--list", "--json")
    assert code == 0
    assert {"criticism", "commendation", "monthly"} <= {k["name"] for k in json.loads(out)["kinds"]}
    pdf = str(tmp_path / "x.pdf")
    cases = [
        (["circular", "criticism"], 2),  # no --out
        (["circular", "criticism", "--out", pdf, "--month", "2026-13"], 3),
        (["circular", "criticism", "--out", pdf, "--case", "999999"], 6),
        (["circular", "nothing", "--out", pdf], 6),
        (["circular", "monthly", "--out", pdf], 3),  # no --month
        (
            [
                "circular",
                "criticism",
                "--out",
                pdf,
                "--case",
                demo["cases"][0],
                "--date",
                "2026-02-30",
            ],
            3,
        ),
        (
            [
                "circular",
                "criticism",
                "--out",
                str(tmp_path / "no" / "x.pdf"),
                "--case",
                demo["cases"][0],
            ],
            3,
        ),
    ]
    for argv, expected in cases:
        code, out, err = run(capsys, "--db", db, *argv)
        assert code == expected, (argv, err)
        assert err.strip().startswith("supervise:") or "usage" in err
        assert "Traceback" not in err and len(err.strip().splitlines()) <= 2
    for user in ("lly_U01", "leader", "jdy01"):
        monkeypatch.setenv("SUPERVISE_USER", user)
        code, _, err = run(
            capsys, "--db", db, "circular", "criticism", "--out", pdf, "--case", demo["cases"][0]
        )
        assert code == 4, (user, err)
    monkeypatch.setenv("SUPERVISE_USER", "jiwei01")
    monkeypatch.setenv("SUPERVISE_PASSWORD", PASSWORD)  # wrong password for the demo user
    code, _, _ = run(
        capsys, "--db", db, "circular", "criticism", "--out", pdf, "--case", demo["cases"][0]
    )
    assert code == 4 and not Path(pdf).exists()
