"""The built-in ledgers (plugins/ledgers.py) through :func:`run_export`: headers,
frozen pane, autofilter, masking vs unmask (audited), roles, filters, formula
neutralisation, and a file that is whole or absent."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import zipfile

import pytest
from openpyxl import load_workbook

from supervise import xlsx
from supervise.errors import InvalidInput, NotFound, NotPermitted, UsageError
from supervise.exporting import LedgerFilter, run_export
from supervise.models import AccountabilityCase, AuditEntry, Escalation, Rating, Staff
from supervise.registry import set_registry
from supervise.services.complaints import ComplaintService
from supervise.services.ratings import RatingService
from supervise.services.reference import ReferenceService
from supervise.services.reviews import ReviewService
from supervise.xlsx import Cancelled

from .conftest import dead_pid, leave_parts, make_user

MARCH = dt.datetime(2026, 3, 2, 9, 0)


@pytest.fixture(autouse=True)
def _installed_plugins():
    """The exporters come from the installed entry points (pip install . registers
    ``ledgers = supervise_plugins.ledgers``), not from a registry another test left behind."""
    set_registry(None)
    yield
    set_registry(None)


@pytest.fixture
def office(admin):
    ref = ReferenceService(admin)
    ref.add_unit("U01", "市人社局")
    ref.add_unit("U02", "市医保局")
    Staff.create(number="S001", name="李四", unit=ref.add_unit("U03", "市税务局"))
    staff = make_user("jw", "staff")
    complaints = ComplaintService(staff)
    a = complaints.register(
        channel="12345热线",
        category="投诉",
        content="=1+1 窗口推诿",
        title="@SUM(A1)",
        name="欧阳明月",
        phone="13912345678",
        id_no="110101199001011234",
        received=MARCH,
    )
    complaints.assign(a.number, "U01", card="黄", at=MARCH)
    b = complaints.register(
        channel="网站",
        category="举报",
        content="索要好处",
        anonymous=True,
        received=dt.datetime(2026, 4, 1, 9, 0),
    )
    complaints.assign(b.number, "U02", card="红", at=dt.datetime(2026, 4, 1, 10, 0))
    complaints.register(
        channel="来访",
        category="咨询",
        content="-社保怎么转移",
        name="司马青衫",
        phone="13800001111",
        received=dt.datetime(2026, 3, 20, 9, 0),
    )
    ratings = RatingService(staff)
    bad = ratings.add(
        "U01",
        1,
        comment="+等了两小时",
        rater="诸葛云帆",
        phone="18655556666",
        rated=dt.datetime(2026, 3, 5, 10, 0),
    )
    ratings.add("U02", 5, rated=dt.datetime(2026, 3, 6, 10, 0))
    ratings.add("U01", 4, channel="网上", rated=dt.datetime(2026, 4, 6, 10, 0))
    reviews = ReviewService(make_user("jdy", "supervisor"))
    reviews.submit(
        "U01",
        "暗访",
        [("窗口人员玩手机", "纪律", "较重"), "等候区无座椅"],
        scores=(80, 70, 60),
        review_date=dt.date(2026, 3, 3),
    )
    reviews.submit("U02", "明察", [], conclusion="好", review_date=dt.date(2026, 4, 3))
    at = dt.datetime(2026, 3, 10, 9, 0)
    for rule, kind, target, level in (
        ("期限督办", "complaint", a.id, "催办"),
        ("差评整改超期", "rating", bad.id, "督办"),
        ("排名落后约谈", "unit", ref.add_unit("U04", "市住建委").id, "约谈提醒"),
    ):
        Escalation.create(
            rule=rule,
            target_kind=kind,
            target_id=target,
            level=level,
            reason="=超期",
            raised_at=at,
            updated_at=at,
        )
    AccountabilityCase.create(
        rule="超期慢作为",
        target_kind="staff",
        unit=Staff.get().unit_id,
        staff=Staff.get().id,
        failure_kind="慢作为",
        evidence=json.dumps([{"kind": "complaint", "id": a.id}]),
        evidence_key="k1",
        proposed_at=at,
        status="已决定",
        form="诫勉",
        basis="办理超期",
        decided_by="jw",
        decided_at=at,
    )
    return {"staff": staff, "a": a, "b": b}


def rows_of(path, sheet: str | None = None):
    wb = load_workbook(path)
    ws = wb[sheet or wb.sheetnames[1]]
    rows = list(ws.iter_rows(values_only=True))
    return wb, ws, rows[0], [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]


def cover_of(wb) -> dict:
    return {r[0]: r[1] for r in wb["封面"].iter_rows(min_row=3, values_only=True)}


def test_complaints_ledger_masked_by_default(office, tmp_path):
    out = tmp_path / "工单.xlsx"
    result = run_export(office["staff"], "complaints", out)
    assert result.rows == 3 and result.path == out and not result.unmasked
    wb, ws, header, rows = rows_of(out)
    assert wb.sheetnames == ["封面", "诉求工单台账"]
    assert header[:6] == ("工单编号", "受理时间", "渠道", "类别", "标题", "诉求内容")
    assert (
        ws.freeze_panes == "A2"
        and ws.auto_filter.ref == f"A1:{ws.cell(1, len(header)).column_letter}4"
    )
    first = rows[0]
    assert (first["诉求人"], first["联系电话"], first["证件号码"]) == (
        "欧***",
        "139****5678",
        "110101********1234",
    )
    assert first["承办单位"] == "市人社局" and first["状态"] == "已交办" and first["交办单"] == "黄"
    assert (
        isinstance(first["受理时间"], dt.datetime) and ws["B2"].number_format == "yyyy-mm-dd hh:mm"
    )
    assert [r["诉求人"] for r in rows] == ["欧***", "司***", "匿名"]
    cover = cover_of(wb)
    assert cover["导出人"] == "jw（纪检监察/效能监督干部）" and cover["记录数"] == 3
    assert cover["身份信息"].startswith("已脱敏") and cover["筛选条件"] == "无（全部记录）"
    entry = AuditEntry.select().order_by(AuditEntry.id.desc()).first()
    assert (entry.action, entry.record_id) == ("export", "complaints")
    assert json.loads(entry.after)["unmasked"] is False


def test_unmask_is_audited_and_reserved_to_the_office(office, tmp_path):
    result = run_export(office["staff"], "complaints", tmp_path / "full.xlsx", unmask=True)
    _, _, _, rows = rows_of(result.path)
    assert (rows[0]["诉求人"], rows[0]["联系电话"]) == ("欧阳明月", "13912345678")
    entry = AuditEntry.select().where(AuditEntry.action == "export.unmask").get()
    assert entry.actor == "jw" and json.loads(entry.after)["rows"] == 3
    viewer = make_user("leader", "viewer")
    with pytest.raises(NotPermitted):
        run_export(viewer, "complaints", tmp_path / "v.xlsx", unmask=True)
    assert not (tmp_path / "v.xlsx").exists()
    assert AuditEntry.select().where(AuditEntry.action == "export.unmask").count() == 1


def test_viewer_sees_no_identity_at_all(office, tmp_path):
    result = run_export(make_user("leader", "viewer"), "complaints", tmp_path / "v.xlsx")
    wb, _, header, rows = rows_of(result.path)
    assert "诉求人" not in header and "联系电话" not in header and "证件号码" not in header
    text = " ".join(str(v) for r in rows for v in r.values())
    assert "欧阳" not in text and "139" not in text
    assert cover_of(wb)["身份信息"] == "不含身份信息"
    _, _, header, _ = rows_of(
        run_export(make_user("leader2", "viewer"), "ratings", tmp_path / "r.xlsx").path
    )
    assert "评价人" not in header


@pytest.mark.parametrize("role", ["liaison", "supervisor"])
def test_roles_that_may_not_export(office, tmp_path, role):
    with pytest.raises(NotPermitted):
        run_export(
            make_user("u", role, "U01" if role == "liaison" else None),
            "complaints",
            tmp_path / "x.xlsx",
        )


def test_formulas_are_neutralised(office, tmp_path):
    out = run_export(office["staff"], "complaints", tmp_path / "f.xlsx").path
    _, ws, _, rows = rows_of(out)
    assert rows[0]["诉求内容"] == "'=1+1 窗口推诿" and rows[0]["标题"] == "'@SUM(A1)"
    assert rows[1]["诉求内容"] == "'-社保怎么转移"
    with zipfile.ZipFile(out) as z:
        assert not any(
            "<f>" in z.read(n).decode() for n in z.namelist() if n.startswith("xl/worksheets/")
        )
    _, _, _, esc = rows_of(run_export(office["staff"], "escalations", tmp_path / "e.xlsx").path)
    assert esc[0]["督办事由"] == "'=超期"


def test_complaint_filters(office, tmp_path):
    staff = office["staff"]

    def numbers(**kw):
        _, _, _, rows = rows_of(
            run_export(staff, "complaints", tmp_path / "c.xlsx", LedgerFilter(**kw)).path
        )
        return [r["工单编号"] for r in rows]

    a, b = office["a"].number, office["b"].number
    assert numbers(month="2026-04") == [b]
    assert numbers(month="2026-03", unit="U01") == [a]
    assert numbers(category="举报") == [b]
    assert numbers(status="登记", channel="来访") and numbers(status="已交办", unit="U02") == [b]
    assert numbers(search="推诿") == [a]
    assert numbers(date_from=dt.date(2026, 3, 20), date_to=dt.date(2026, 3, 31)) != [a]
    wb, *_ = rows_of(
        run_export(
            staff, "complaints", tmp_path / "c.xlsx", LedgerFilter(month="2026-03", unit="U01")
        ).path
    )
    assert cover_of(wb)["筛选条件"] == "月份：2026-03；单位编码：U01"
    with pytest.raises(InvalidInput):
        run_export(staff, "complaints", tmp_path / "c.xlsx", LedgerFilter(status="办完了"))
    with pytest.raises(NotFound):
        run_export(staff, "complaints", tmp_path / "c.xlsx", LedgerFilter(unit="U99"))
    with pytest.raises(UsageError):
        run_export(staff, "reviews", tmp_path / "c.xlsx", LedgerFilter(category="投诉"))
    with pytest.raises(InvalidInput):
        run_export(staff, "complaints", tmp_path / "c.xlsx", LedgerFilter(month="2026-13"))


def test_ratings_ledger(office, tmp_path):
    staff = office["staff"]
    _, _, header, rows = rows_of(run_export(staff, "ratings", tmp_path / "r.xlsx").path)
    assert header[:3] == ("评价编号", "评价时间", "单位编码")
    assert len(rows) == 3
    bad = rows[0]
    assert (bad["评价等级"], bad["等级名称"], bad["是否差评"], bad["处理状态"]) == (
        1,
        "非常不满意",
        "是",
        "待核实",
    )
    assert (bad["评价人"], bad["联系电话"], bad["评价内容"]) == (
        "诸***",
        "186****6666",
        "'+等了两小时",
    )
    assert rows[1]["评价人"] == "匿名"
    _, _, _, only_bad = rows_of(
        run_export(staff, "ratings", tmp_path / "r.xlsx", LedgerFilter(bad_only=True)).path
    )
    assert [r["评价等级"] for r in only_bad] == [1]
    _, _, _, level = rows_of(
        run_export(
            staff, "ratings", tmp_path / "r.xlsx", LedgerFilter(level="满意", month="2026-04")
        ).path
    )
    assert [(r["评价等级"], r["评价渠道"]) for r in level] == [(4, "网上")]
    with pytest.raises(InvalidInput):
        run_export(staff, "ratings", tmp_path / "r.xlsx", LedgerFilter(level="7"))


def test_reviews_ledger_one_row_per_finding(office, tmp_path):
    _, _, _, rows = rows_of(run_export(office["staff"], "reviews", tmp_path / "v.xlsx").path)
    assert [(r["单位编码"], r["问题描述"], r["问题类别"], r["严重程度"]) for r in rows] == [
        ("U01", "窗口人员玩手机", "纪律", "较重"),
        ("U01", "等候区无座椅", "其他", "一般"),
        ("U02", None, None, None),
    ]
    assert rows[0]["评议日期"] == dt.datetime(2026, 3, 3) and rows[0]["工作态度"] == 80
    assert rows[2]["评议结论"] == "好" and rows[0]["审核状态"] == "待审核"
    _, _, _, march = rows_of(
        run_export(
            office["staff"], "reviews", tmp_path / "v.xlsx", LedgerFilter(month="2026-03")
        ).path
    )
    assert len(march) == 2


def test_escalations_ledger_names_the_responsible_unit(office, tmp_path):
    staff = office["staff"]
    _, _, _, rows = rows_of(run_export(staff, "escalations", tmp_path / "e.xlsx").path)
    assert [
        (r["对象类型"], r["督办对象"], r["责任单位编码"], r["级别"], r["状态"]) for r in rows
    ] == [
        ("工单", office["a"].number, "U01", "催办", "督办中"),
        ("评价", f"#{Rating.get(Rating.level == 1).id}", "U01", "督办", "督办中"),
        ("单位", "U04", "U04", "约谈提醒", "督办中"),
    ]
    _, _, _, u01 = rows_of(
        run_export(staff, "escalations", tmp_path / "e.xlsx", LedgerFilter(unit="U01")).path
    )
    assert len(u01) == 2
    _, _, _, levels = rows_of(
        run_export(
            staff,
            "escalations",
            tmp_path / "e.xlsx",
            LedgerFilter(level="约谈提醒", status="督办中"),
        ).path
    )
    assert [r["督办对象"] for r in levels] == ["U04"]
    with pytest.raises(InvalidInput):
        run_export(staff, "escalations", tmp_path / "e.xlsx", LedgerFilter(status="结束"))


def test_accountability_ledger(office, tmp_path):
    _, _, _, rows = rows_of(
        run_export(make_user("leader", "viewer"), "accountability", tmp_path / "a.xlsx").path
    )
    (case,) = rows
    assert (case["问责对象"], case["工作人员"], case["问责形式"], case["状态"]) == (
        "个人",
        "李四",
        "诫勉",
        "已决定",
    )
    assert case["证据"] == f"工单 {office['a'].number}"


def test_monthly_workbook_as_an_export(office, tmp_path):
    result = run_export(
        office["staff"], "monthly", tmp_path / "m.xlsx", LedgerFilter(month="2026-03")
    )
    assert load_workbook(result.path).sheetnames == ["汇总", "排名", "单位明细", "热点", "趋势"]
    with pytest.raises(UsageError):
        run_export(office["staff"], "monthly", tmp_path / "m2.xlsx")
    assert not (tmp_path / "m2.xlsx").exists()


def test_progress_cancel_and_no_partial_file(office, tmp_path, monkeypatch):
    monkeypatch.setattr(xlsx, "PROGRESS_EVERY", 1)
    seen = []
    run_export(
        office["staff"],
        "complaints",
        tmp_path / "p.xlsx",
        progress=lambda n, t: seen.append((n, t)),
    )
    assert seen[-1] == (3, 3) and seen[0] == (1, 3)
    target = tmp_path / "cancelled.xlsx"
    with pytest.raises(Cancelled):
        run_export(office["staff"], "complaints", target, cancel=lambda: True)
    assert not target.exists() and sorted(p.name for p in tmp_path.glob("*.xlsx")) == ["p.xlsx"]
    assert not list(tmp_path.glob(".*part*"))
    with pytest.raises(InvalidInput):
        run_export(office["staff"], "complaints", tmp_path / "missing" / "x.xlsx")
    with pytest.raises(NotFound):
        run_export(office["staff"], "nothing", tmp_path / "x.xlsx")


@pytest.mark.parametrize("name", ["reviews", "escalations", "accountability", "monthly"])
def test_unmask_is_refused_where_there_is_nothing_to_unmask(office, tmp_path, name):
    with pytest.raises(UsageError):
        run_export(
            office["staff"],
            name,
            tmp_path / "x.xlsx",
            LedgerFilter(month="2026-03") if name == "monthly" else None,
            unmask=True,
        )
    assert not (tmp_path / "x.xlsx").exists()
    assert AuditEntry.select().where(AuditEntry.action.startswith("export")).count() == 0


def test_the_next_export_removes_what_a_killed_one_left(office, tmp_path):
    """A run killed while writing leaves ``.名称.<pid>.part.xlsx``; the next export to the same
    file removes it (its writer is gone), and leaves a running writer's and other files' parts."""
    out = tmp_path / "工单.xlsx"
    parts = leave_parts(out, dead_pid())
    run_export(office["staff"], "complaints", out)
    assert load_workbook(out).sheetnames == ["封面", "诉求工单台账"]
    assert not parts["killed"].exists() and not parts["day_old"].exists()
    assert parts["running"].exists() and parts["other"].exists()


KILLED_EXPORT = """
import os, signal, sys
from supervise import zipwrite
from supervise.auth import Actor
from supervise.db import open_database
from supervise.exporting import run_export

def killed(self, name, part):  # SIGKILL once the sheet's bytes start to reach the file
    self._emit(b"PK" * 1000)
    self.stream.flush()
    os.kill(os.getpid(), signal.SIGKILL)

zipwrite.ZipOut.add_deflated = killed
open_database(sys.argv[1])
run_export(Actor(name="jw", role="staff"), "complaints", sys.argv[2])
"""


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="SIGKILL is POSIX")
def test_an_export_killed_mid_write_is_cleaned_up_by_the_next(office, db, tmp_path):
    """A real SIGKILL while the file is being written: the part stays (nothing runs after a
    kill); the next export to the same target removes it and writes a whole file."""
    out = tmp_path / "工单.xlsx"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    child = subprocess.run(
        [sys.executable, "-c", KILLED_EXPORT, db, str(out)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert child.returncode == -signal.SIGKILL, child.stderr
    left = list(tmp_path.glob(".工单.*.part.xlsx"))
    assert len(left) == 1 and not out.exists()
    run_export(office["staff"], "complaints", out)
    assert not left[0].exists() and list(tmp_path.glob(".*part*")) == []
    assert load_workbook(out)["诉求工单台账"].max_row == 4
