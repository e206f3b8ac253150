"""Issuing circulars (supervise.circulars, plugins/circulars.py) on SQLite and PostgreSQL:
numbers per year never reused (also concurrently), each kind produced, no identity leaks."""

from __future__ import annotations

import datetime as dt
import gc
import json
import re
import shutil
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from supervise import circulars, fonts
from supervise.auth import SYSTEM
from supervise.circulars import CircularData, CircularService, Redactor, format_number, next_seq
from supervise.db import database, write_transaction
from supervise.errors import InvalidInput, NotFound, NotPermitted
from supervise.models import (
    AccountabilityCase,
    Complaint,
    Counter,
    DocumentNumber,
    Rating,
    Staff,
    Unit,
)
from supervise.services.complaints import ComplaintService
from supervise.services.reference import ReferenceService

from .conftest import make_user, sealed_rating

RECEIVED = dt.datetime(2026, 10, 9, 10, 0)
DATE = dt.date(2026, 11, 20)
PEOPLE = [
    ("欧阳娜娜", "13912345678", "110101199001011234"),
    ("蔡文姬", "13700001111", "32010219850505123X"),
    ("司马光明", "18655554444", None),
]


@contextmanager
def threads_without_gc() -> Iterator[None]:
    """Collect garbage here, not in the worker threads: Tk objects left by GUI tests in
    this process abort the interpreter when a worker thread happens to collect them."""
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def pdf_text(path: Path) -> str:
    """The extracted text without white space and page numbers (they fall between lines)."""
    out = subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    return re.sub(r"—\d+—", "", "".join(out.split()))


@pytest.fixture
def office(admin, tmp_path):
    fonts.reset_cache()
    ref = ReferenceService(admin)
    ref.add_unit("U01", "市人社局")
    ref.add_unit("U02", "市医保局")
    ref.add_staff("S001", "杜甫明", "U01")
    staff = make_user("jw", "staff")
    service = ComplaintService(staff)
    complaints = []
    for i, (name, phone, id_no) in enumerate(PEOPLE):
        c = service.register(
            channel="12345热线",
            category="投诉",
            unit="U01",
            received=RECEIVED,
            content=f"社保卡补办多次被要求补充材料，联系电话{phone}，本人{name}",
            name=name,
            phone=phone,
            id_no=id_no,
        )
        complaints.append(c)
        service.register(
            channel="来访",
            category="表扬",
            unit="U02" if i else "U01",
            staff="S001" if i == 0 else None,
            received=RECEIVED + dt.timedelta(days=i),
            content=f"{name}表扬窗口服务热情",
            name=name,
            phone=phone,
        )
    ref.set_setting("circulars.min_ratings", 3)
    for level in (5, 5, 4, 2):
        u02 = Unit.get(Unit.code == "U02")
        Rating.create(
            unit=u02,
            level=level,
            bad=level <= 2,
            rated_at=RECEIVED,
            **sealed_rating(u02.id, RECEIVED, "梁山伯", "13500008888"),
            real_name=True,
        )
    first = complaints[0]
    unit_case = AccountabilityCase.create(
        rule="超期慢作为",
        target_kind="unit",
        unit=Unit.get(Unit.code == "U01"),
        failure_kind="慢作为",
        evidence=json.dumps([{"kind": "complaint", "id": c.id} for c in complaints]),
        evidence_key="c1",
        reason=f"{PEOPLE[0][0]}（电话{PEOPLE[0][1]}）反映的工单{first.number}超期8个工作日未办结",
        proposed_at=dt.datetime(2026, 11, 2),
        status="已决定",
        form="通报",
        basis="《效能问责办法》第十条",
        decided_by="jw",
        decided_at=dt.datetime(2026, 11, 5, 9),
    )
    staff_case = AccountabilityCase.create(
        rule="整改不到位",
        target_kind="staff",
        unit=Unit.get(Unit.code == "U01"),
        staff=Staff.get(Staff.number == "S001"),
        failure_kind="不作为",
        evidence="[]",
        evidence_key="c2",
        reason="差评整改超期未完成，身份证号110101199001011234",
        proposed_at=dt.datetime(2026, 11, 2),
        status="已决定",
        form="政务处分",
        sanction="警告",
        decided_by="jw",
        decided_at=dt.datetime(2026, 11, 6, 9),
    )
    pending = AccountabilityCase.create(
        rule="超期慢作为",
        target_kind="unit",
        unit=Unit.get(Unit.code == "U02"),
        failure_kind="慢作为",
        evidence="[]",
        evidence_key="c3",
        reason="待决定",
        proposed_at=dt.datetime(2026, 11, 2),
    )
    return {"staff": staff, "cases": (unit_case, staff_case, pending), "out": tmp_path}


# -- numbers ------------------------------------------------------------------------------


def test_numbers_per_prefix_and_year_never_go_back(db) -> None:
    with write_transaction():
        assert [next_seq("效监通", 2026) for _ in range(3)] == [1, 2, 3]
        assert next_seq("效监通", 2027) == 1 and next_seq("效监函", 2026) == 1
        DocumentNumber.create(prefix="效监通", year=2026, seq=3, kind="x", issued_by="t")
        Counter.delete().where(Counter.name == "document:效监通:2026").execute()  # a lost counter
        assert next_seq("效监通", 2026) == 4
    assert format_number("效监通", 2026, 12) == "效监通〔2026〕12号"


def test_concurrent_allocation_never_repeats(db) -> None:
    per_thread, threads = 8, 3
    issued: list[int] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(threads)

    def work(name: str) -> None:
        try:
            barrier.wait()
            for _ in range(per_thread):
                with write_transaction():
                    seq = next_seq("并发", 2026)
                    DocumentNumber.create(
                        prefix="并发", year=2026, seq=seq, kind="test", issued_by=name
                    )
                issued.append(seq)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            database.obj.close()

    workers = [threading.Thread(target=work, args=(f"t{i}",)) for i in range(threads)]
    with threads_without_gc():
        for w in workers:
            w.start()
        for w in workers:
            w.join(60)
    assert errors == []
    assert sorted(issued) == list(range(1, per_thread * threads + 1))
    assert (
        DocumentNumber.select().where(DocumentNumber.prefix == "并发").count()
        == per_thread * threads
    )


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils not installed")
def test_concurrent_issue_two_threads(office) -> None:
    numbers: list[str] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)
    case = str(office["cases"][0].id)

    def work(i: int) -> None:
        try:
            barrier.wait()
            for j in range(2):
                out = office["out"] / f"t{i}-{j}.pdf"
                result = CircularService(office["staff"]).issue(
                    "criticism", out, cases=[case], date=DATE
                )
                numbers.append(result["number"])
                assert result["number"] in pdf_text(out)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            database.obj.close()

    workers = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    with threads_without_gc():
        for w in workers:
            w.start()
        for w in workers:
            w.join(120)
    assert errors == []
    assert sorted(numbers) == [f"效监通〔2026〕{n}号" for n in range(1, 5)]


# -- each kind --------------------------------------------------------------------------------


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils not installed")
def test_each_kind_is_produced_without_identities(office) -> None:
    service = CircularService(office["staff"])
    unit_case, staff_case, _ = office["cases"]
    out = office["out"]
    results = [
        service.issue(
            "criticism", out / "c1.pdf", cases=[str(unit_case.id), str(staff_case.id)], date=DATE
        ),
        service.issue("criticism", out / "c2.pdf", month=dt.date(2026, 11, 1), date=DATE),
        service.issue("commendation", out / "p1.pdf", month=dt.date(2026, 10, 1), date=DATE),
        service.issue(
            "commendation",
            out / "p2.pdf",
            cases=[c.number for c in Complaint.select().where(Complaint.category == "表扬")],
            date=DATE,
        ),
    ]
    assert [r["number"] for r in results] == [f"效监通〔2026〕{n}号" for n in range(1, 5)]
    texts = {r["kind"] + str(i): pdf_text(Path(r["file"])) for i, r in enumerate(results)}
    criticism = texts["criticism0"]
    assert "关于对市人社局慢作为、不作为问题的通报" in criticism
    assert "市人社局工作人员杜某不作为问题" in criticism and "给予警告政务处分" in criticism
    assert "涉及诉求工单3件" in criticism and "决定对其予以通报" in criticism
    assert (
        "市人社局工作人员杜某" not in texts["criticism1"]
    )  # by month: only the forms 通报/通报批评
    praise = texts["commendation2"]
    assert "关于对市医保局、市人社局予以表扬的通报" in praise  # most praised first
    assert "市医保局，当月评价4次，好评率75.0%，差评1条" in praise
    assert "受到表扬的工作人员有杜某" in praise
    assert "好差评" not in texts["commendation3"].replace(
        "“好差评”", ""
    )  # by case: no ratings part
    secrets = {s for person in PEOPLE for s in person if s} | {"梁山伯", "13500008888", "杜甫明"}
    for name, text in texts.items():
        leaked = [s for s in secrets if s in text]
        assert leaked == [], f"{name} leaks {leaked}"
    for r in results:
        assert not [s for s in secrets if s in json.dumps(r, ensure_ascii=False)]
    assert DocumentNumber.select().count() == 4 and {
        d.issued_by for d in DocumentNumber.select()
    } == {"jw"}


def test_bad_requests(office) -> None:
    service = CircularService(office["staff"])
    out = office["out"] / "x.pdf"
    pending = office["cases"][2]
    with pytest.raises(InvalidInput, match="尚未作出问责决定"):
        service.issue("criticism", out, cases=[str(pending.id)])
    with pytest.raises(NotFound):
        service.issue("criticism", out, cases=["9999"])
    with pytest.raises(InvalidInput):
        service.issue("criticism", out, cases=["abc"])
    with pytest.raises(InvalidInput, match="--case"):
        service.issue("criticism", out)
    with pytest.raises(InvalidInput, match="没有决定通报"):
        service.issue("criticism", out, month=dt.date(2025, 1, 1))
    complaint = Complaint.select().where(Complaint.category == "投诉").first()
    with pytest.raises(InvalidInput, match="不是针对某单位的表扬"):
        service.issue("commendation", out, cases=[complaint.number])
    with pytest.raises(NotFound):
        service.issue("no-such-kind", out)
    with pytest.raises(InvalidInput):
        service.issue(
            "criticism", office["out"] / "missing" / "x.pdf", cases=[str(office["cases"][0].id)]
        )
    for role in ("liaison", "viewer", "supervisor"):
        who = make_user(f"u_{role}", role, "U01" if role == "liaison" else None)
        with pytest.raises(NotPermitted):
            CircularService(who).issue("criticism", out, cases=[str(office["cases"][0].id)])
    assert DocumentNumber.select().count() == 0 and not out.exists()


def test_failed_rendering_issues_no_number(office, monkeypatch: pytest.MonkeyPatch) -> None:
    service = CircularService(office["staff"])
    case = str(office["cases"][0].id)

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(circulars.officialdoc, "render", broken)
    with pytest.raises(OSError):
        service.issue("criticism", office["out"] / "c.pdf", cases=[case], date=DATE)
    assert DocumentNumber.select().count() == 0
    assert list(office["out"].glob("*.pdf")) == [] and list(office["out"].glob(".*part")) == []
    monkeypatch.undo()
    assert service.issue("criticism", office["out"] / "c.pdf", cases=[case], date=DATE)["seq"] == 1


def test_edited_template_wins_and_bad_template_is_reported(office, tmp_path, monkeypatch) -> None:
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "criticism.txt").write_text(
        "[标题]\n关于${单位概括}的特别通报\n[主送]\n${主送机关}\n[正文]\n${案件列表}\n[条目:案件列表]\n${对象}：${处理}。\n",
        encoding="utf-8",
    )
    monkeypatch.setattr(circulars, "template_dirs", lambda: [folder])
    service = CircularService(office["staff"])
    case = str(office["cases"][0].id)
    result = service.issue("criticism", office["out"] / "edited.pdf", cases=[case], date=DATE)
    assert result["title"] == "关于市人社局的特别通报"
    (folder / "criticism.txt").write_text(
        "[标题]\n${__class__}\n[主送]\n甲\n[正文]\n乙\n", encoding="utf-8"
    )
    with pytest.raises(InvalidInput, match="__class__"):
        service.issue("criticism", office["out"] / "bad.pdf", cases=[case], date=DATE)


def test_plugin_answering_wrongly_is_a_clear_error(office) -> None:
    from supervise import hookimpl
    from supervise.extension import CircularSpec
    from supervise.plugins import get_plugin_manager
    from supervise.registry import Registry, set_registry

    class Odd:
        @hookimpl
        def supervise_register_circulars(self):
            return [
                CircularSpec("odd", "怪", "criticism.txt", lambda **_: {"not": "data"}),
                CircularSpec("boom", "炸", "criticism.txt", lambda **_: 1 / 0),
            ]

    pm = get_plugin_manager(load_entry_points=False)
    pm.register(Odd(), name="odd")
    set_registry(Registry(pm))
    try:
        service = CircularService(office["staff"])
        with pytest.raises(circulars.CircularPluginError, match="CircularData") as raised:
            service.issue("odd", office["out"] / "o.pdf")
        assert raised.value.exit_code == 1
        with pytest.raises(circulars.CircularPluginError, match="division"):
            service.issue("boom", office["out"] / "b.pdf")
    finally:
        set_registry(None)


def test_redactor() -> None:
    redact = Redactor(["欧阳娜娜", "13912345678", None, "王"])
    text = redact(
        "欧阳娜娜来电13912345678，另一号码 186 5555 4444、0571-88889999，证件32010219850505123X，邮箱a.b@c.cn"
    )
    assert (
        "欧阳娜娜" not in text
        and "1391234" not in text
        and "8888" not in text
        and "123X" not in text
    )
    assert "a.b@c.cn" not in text and text.startswith("某某来电***")
    assert (
        redact("工单TS20261000001于2026年11月20日办结") == "工单TS20261000001于2026年11月20日办结"
    )
    assert redact.leaks("欧阳娜娜") == ["欧阳娜娜"] and redact.leaks("市人社局") == []


def test_circular_data_defaults() -> None:
    data = CircularData(values={"a": "b"})
    assert data.lists == {} and data.identities == set() and SYSTEM.role == "admin"


def test_template_from_a_plugin_package(tmp_path, monkeypatch) -> None:
    """``"package:file.txt"`` reads a template a plugin ships in its package;
    an edited copy of the same file name still wins."""
    monkeypatch.setattr(circulars, "template_dirs", lambda: [tmp_path])
    assert (
        circulars.load_template("supervise_templates:monthly.txt").sections
        == circulars.load_template("monthly.txt").sections
    )
    with pytest.raises(NotFound):
        circulars.load_template("supervise_templates:absent.txt")
    for bad in ("../x.txt", ":x.txt", "supervise_templates:", "p:../x.txt"):
        with pytest.raises(InvalidInput):
            circulars.load_template(bad)
    (tmp_path / "monthly.txt").write_text(
        "[标题]\n本地\n[主送]\n甲\n[正文]\n乙\n", encoding="utf-8"
    )
    assert circulars.load_template("supervise_templates:monthly.txt").sections["标题"] == ["本地"]
