"""The monthly report (SPEC §6) on a hand-built office whose every figure is
known: each figure of docs/REPORT.md is checked exactly, then re-weighting,
ties, the change against M−1, the as-of cut-off, hotspots, trend, the files
and the identity scan."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
from itertools import count

import pytest
from openpyxl import load_workbook

from supervise.errors import InvalidInput, NotPermitted
from supervise.models import (
    AccountabilityCase,
    AuditEntry,
    Complaint,
    Escalation,
    Matter,
    Rating,
    Setting,
    Staff,
    SurveyResult,
    TimelineEvent,
    Unit,
)
from supervise.report import key_rates, monthly_figures, write_monthly
from supervise.services.complaints import ComplaintService
from supervise.services.reference import ReferenceService

from .conftest import dead_pid, leave_parts, make_user, sealed_complaint, sealed_rating

AS_OF = dt.datetime(2026, 4, 3, 12, 0)
EOD = dt.time(23, 59, 59)
#: Every complainant and rater identity in the fixture; none may reach a report.
NAMES = ("欧阳明月", "司马青衫", "诸葛云帆", "上官飞燕", "慕容秋水")
PHONES = ("13912345678", "13800001111", "18655556666", "15012340000", "17788889999")
_seq = count(1)


def day(month: int, d: int, h: int = 10, m: int = 0) -> dt.datetime:
    return dt.datetime(2026, month, d, h, m)


def due(month: int, d: int) -> dt.datetime:
    return dt.datetime.combine(dt.date(2026, month, d), EOD)


def complaint(
    unit: Unit | None,
    category: str,
    received: dt.datetime,
    *,
    due_at=None,
    replied=None,
    status: str = "已交办",
    matter: Matter | None = None,
    who: int = 0,
    **extra,
) -> Complaint:
    n = next(_seq)
    number = f"TS{received:%Y%m}{n:05d}"
    return Complaint.create(
        number=number,
        receipt_code=f"RC{n:010d}",
        channel="12345热线",
        category=category,
        title=f"诉求{n}",
        content=f"关于办事难的诉求{n}",
        **sealed_complaint(number, NAMES[who % 5], PHONES[who % 5]),
        unit=unit,
        matter=matter,
        received_at=received,
        status=status,
        due_at=due_at,
        replied_at=replied,
        **extra,
    )


def visit(c: Complaint, at: dt.datetime, note: str) -> None:
    TimelineEvent.create(
        record_kind="complaint",
        record_id=c.id,
        at=at,
        actor="jw",
        action="回访",
        status="已回访",
        note=note,
    )


def rating(
    unit: Unit,
    level: int,
    rated: dt.datetime,
    *,
    closed: dt.datetime | None = None,
    status: str | None = None,
    who: int = 0,
) -> Rating:
    bad = level <= 2
    return Rating.create(
        unit=unit,
        level=level,
        bad=bad,
        rated_at=rated,
        **sealed_rating(unit.id, rated, NAMES[who % 5], PHONES[who % 5]),
        real_name=True,
        status=status or ("已办结" if closed else ("待核实" if bad else "无需处理")),
        closed_at=closed,
    )


def escalation(rule: str, kind: str, target: int, level: str, raised: dt.datetime) -> None:
    Escalation.create(
        rule=rule,
        target_kind=kind,
        target_id=target,
        level=level,
        reason="超期",
        raised_at=raised,
        updated_at=raised,
    )


def case(
    unit: Unit, status: str, decided: dt.datetime | None, form: str | None = None, **extra
) -> None:
    AccountabilityCase.create(
        rule="超期慢作为",
        target_kind="unit",
        unit=unit,
        failure_kind="慢作为",
        evidence="[]",
        evidence_key=f"k{next(_seq)}",
        proposed_at=day(3, 1),
        status=status,
        form=form,
        decided_at=decided,
        decided_by="jw" if decided else None,
        **extra,
    )


@pytest.fixture
def office(admin):
    """Units U01–U05 and one month (2026-03) of records with known figures; see docs/REPORT.md."""
    ref = ReferenceService(admin)
    u1, u2, u3, u4 = (
        ref.add_unit(code, name)
        for code, name in (
            ("U01", "市人社局"),
            ("U02", "市医保局"),
            ("U03", "市税务局"),
            ("U04", "市住建委"),
        )
    )
    u5 = ref.add_unit("U05", "已撤销的办公室")
    Unit.update(active=False).where(Unit.id == u5.id).execute()
    m1 = Matter.create(code="M001", name="社保卡补办", unit=u1, legal_days=20, promised_days=5)
    m2 = Matter.create(code="M002", name="失业登记", unit=u1, legal_days=20, promised_days=6)
    m3 = Matter.create(code="M003", name="医保转移", unit=u2, legal_days=10, promised_days=None)
    Matter.create(code="M004", name="发票代开", unit=u3, legal_days=10, promised_days=10)

    # U01 complaints: received in March c1 c2 c3 c4 c6 c7 c8; due in March c1 c2 c3 c5 c8.
    c1 = complaint(
        u1,
        "投诉",
        day(3, 2, 9),
        due_at=due(3, 5),
        replied=day(3, 4),
        status="已办结",
        matter=m1,
        who=0,
    )
    c2 = complaint(
        u1,
        "投诉",
        day(3, 3),
        due_at=due(3, 6),
        replied=day(3, 9),
        status="已回访",
        matter=m1,
        who=1,
    )
    c3 = complaint(u1, "咨询", day(3, 10), due_at=due(3, 10), matter=m1, who=2)
    complaint(u1, "举报", day(3, 25), due_at=due(4, 8), who=3)
    c5 = complaint(
        u1,
        "投诉",
        day(2, 20),
        due_at=due(3, 2),
        replied=day(2, 27),
        status="已办结",
        matter=m2,
        who=4,
    )
    complaint(u1, "投诉", day(3, 12), status="不予受理")
    complaint(u1, "建议", day(3, 13), due_at=due(3, 16), status="已并单")
    c8 = complaint(
        u1, "求助", day(3, 20), due_at=due(3, 31), replied=day(4, 5), status="已反馈", matter=m2
    )
    # a visit known only from the columns, without its 回访 step, is not a visit of record
    complaint(
        u1,
        "求助",
        day(2, 25),
        visited_at=day(3, 15),
        visit_result="基本满意",
        resolved=False,
        status="已回访",
        source="hotline",
        external_id="RX1",
    )
    complaint(
        u1, "投诉", day(2, 2), due_at=due(2, 5), replied=day(2, 4), status="已办结", matter=m2
    )
    complaint(u2, "投诉", day(3, 28), due_at=due(4, 10), matter=m3)
    complaint(None, "建议", day(3, 29), status="登记")
    visit(c1, day(3, 5), "满意，已解决")
    visit(c2, day(3, 10), "不满意，未解决。群众认为答复敷衍")
    visit(c2, day(3, 20), "基本满意，已解决")
    visit(c5, day(2, 28), "满意，已解决")
    visit(c8, day(4, 6), "满意，已解决")  # after the as-of time (and the month)
    visit(
        c3, day(3, 30), "满意"
    )  # the hotline import writes the result alone when resolution is unknown

    for level, at, closed in (
        (5, day(3, 5), None),
        (4, day(3, 6), None),
        (3, day(3, 7), None),
        (2, day(3, 8), day(3, 20, 12)),
        (1, day(3, 9), None),
        (1, day(3, 21), day(4, 5)),
        (5, day(2, 15), None),
    ):
        r = rating(
            u1,
            level,
            at,
            closed=closed,
            status="待整改" if level <= 2 and closed is None else None,
            who=level,
        )
        if level == 1 and closed is None:
            r5 = r
    for level in (5, 5, 4, 3):
        rating(u2, level, day(3, 11))
    for level in (5, 4, 4, 3):
        rating(u3, level, day(3, 12))

    SurveyResult.create(
        agency="甲评估公司",
        period_start=dt.date(2026, 1, 1),
        period_end=dt.date(2026, 3, 31),
        unit=u3,
        sample_size=200,
        satisfaction=0.9,
    )
    SurveyResult.create(
        agency="乙评估公司",
        period_start=dt.date(2025, 10, 1),
        period_end=dt.date(2026, 3, 31),
        unit=u3,
        sample_size=100,
        satisfaction=0.5,
    )
    SurveyResult.create(
        agency="丙评估公司",
        period_start=dt.date(2026, 3, 1),
        period_end=dt.date(2026, 3, 15),
        unit=u2,
        sample_size=100,
        satisfaction=0.1,
    )  # does not cover the whole month

    escalation("临期预警", "complaint", c1.id, "预警", day(3, 3))
    escalation("超期催办", "complaint", c2.id, "催办", day(3, 7))
    escalation("差评整改超期", "rating", r5.id, "督办", day(3, 10))
    escalation("排名落后约谈", "unit", u2.id, "约谈提醒", day(3, 15))
    escalation("临期预警2", "complaint", c1.id, "预警", day(2, 10))

    case(u1, "已决定", day(3, 20), "约谈")
    case(u1, "已决定", day(3, 21), "政务处分", sanction="警告")
    case(u2, "不予问责", day(3, 22))
    case(u1, "待决定", None)
    case(u1, "已决定", day(4, 10), "通报")
    return {"U01": u1, "U02": u2, "U03": u3, "U04": u4, "c3": c3}


def unit_row(figures, code):
    (row,) = [r for r in figures["units"] if r["单位编码"] == code]
    return row


def test_every_figure_of_a_unit(office):
    f = monthly_figures("2026-03", AS_OF)
    u = unit_row(f, "U01")
    assert u["受理量"] == 7
    assert u["受理量分类"] == {"咨询": 1, "求助": 1, "投诉": 3, "举报": 1, "建议": 1, "表扬": 0}
    # due in March: c1 (on time), c2 (late), c3 (no reply), c5 (on time), c8 (reply after as_of)
    assert (u["应办结量"], u["按期办结量"], u["按期办结率"]) == (5, 2, 0.4)
    # visits: c1 满意, c2 不满意, c2 基本满意 (a reopened case twice), c3 满意 (resolution unknown)
    assert (u["回访量"], u["满意量"], u["解决量"]) == (4, 3, 2)
    assert (u["满意率"], u["解决率"]) == (0.75, 0.5)
    assert (u["评价量"], u["好评量"], u["好评率"]) == (6, 2, 0.3333)
    assert (u["差评数"], u["差评办结数"], u["差评整改率"]) == (3, 1, 0.3333)
    assert u["第三方满意度"] is None and u["第三方评估"] is None
    assert u["督办量"] == 3 and u["督办"] == {
        "预警": 1,
        "催办": 1,
        "督办": 1,
        "挂牌督办": 0,
        "约谈提醒": 0,
    }
    assert u["问责量"] == 2 and u["问责"]["约谈"] == 1 and u["问责"]["政务处分"] == 1
    assert sum(u["问责"].values()) == 2
    # 100 × (0.3×0.4 + 0.3×0.75 + 0.3×0.5 + 0.1×1/3) = 52.833…
    assert u["综合得分"] == 52.83


def test_total_includes_records_without_a_unit(office):
    t = monthly_figures("2026-03", AS_OF)["total"]
    assert t["受理量"] == 9  # U01 7, U02 1, one not yet assigned
    assert t["受理量分类"]["建议"] == 2 and t["受理量分类"]["投诉"] == 4
    assert (t["应办结量"], t["按期办结量"], t["回访量"], t["满意量"], t["解决量"]) == (
        5,
        2,
        4,
        3,
        2,
    )
    assert (t["评价量"], t["好评量"], t["好评率"]) == (14, 8, 0.5714)
    assert (t["差评数"], t["差评办结数"]) == (3, 1)
    assert t["督办"] == {"预警": 1, "催办": 1, "督办": 1, "挂牌督办": 0, "约谈提醒": 1}
    assert t["问责量"] == 3 and t["问责"]["不予问责"] == 1
    assert t["第三方满意度"] == 0.9  # U03's latest covering survey, weighted by its sample
    # 100 × (0.3×0.4 + 0.3×0.75 + 0.3×0.5 + 0.1×8/14) = 55.214…
    assert t["综合得分"] == 55.21
    assert (t["上月受理量"], t["上月综合得分"], t["得分变化"]) == (3, 100.0, -44.79)


def test_matter_and_staff_escalations_count_for_their_unit(office):
    """An escalation of a matter counts for the matter's unit, one of a staff
    member for the staff member's unit — never under "no unit"."""
    matter = Matter.get(Matter.code == "M004")  # U03's
    worker = Staff.create(number="S901", name="杜明", unit=office["U04"])
    escalation("事项超时限", "matter", matter.id, "挂牌督办", day(3, 18))
    escalation("人员约谈", "staff", worker.id, "约谈提醒", day(3, 19))
    escalation("事项超时限2", "matter", matter.id, "督办", day(4, 5))  # after the as-of time
    f = monthly_figures("2026-03", AS_OF)
    u3, u4 = unit_row(f, "U03"), unit_row(f, "U04")
    assert u3["督办量"] == 1 and u3["督办"]["挂牌督办"] == 1
    assert u4["督办量"] == 1 and u4["督办"]["约谈提醒"] == 1
    assert f["total"]["督办量"] == 6 and f["total"]["督办"]["挂牌督办"] == 1
    assert (
        sum(r["督办量"] for r in f["units"]) == f["total"]["督办量"]
    )  # nothing left under "no unit"


def test_a_rate_without_data_drops_out_and_the_rest_are_reweighted(office):
    f = monthly_figures("2026-03", AS_OF)
    u2 = unit_row(f, "U02")
    assert u2["受理量"] == 1 and u2["应办结量"] == 0 and u2["回访量"] == 0
    assert u2["按期办结率"] is None and u2["满意率"] is None and u2["解决率"] is None
    assert u2["好评率"] == 0.75 and u2["综合得分"] == 75.0  # only 好评率 has data: 0.1×0.75 / 0.1
    u4 = unit_row(f, "U04")
    assert u4["综合得分"] is None and u4["排名"] is None and u4["受理量"] == 0
    assert "U05" not in {r["单位编码"] for r in f["units"]}  # inactive and without data


def test_ranking_ties_boards_and_red_flag(office):
    f = monthly_figures("2026-03", AS_OF)
    assert [(r["排名"], r["单位编码"], r["综合得分"]) for r in f["ranking"]] == [
        (1, "U02", 75.0),
        (1, "U03", 75.0),
        (3, "U01", 52.83),
    ]
    assert [r["单位编码"] for r in f["流动红旗"]] == ["U02", "U03"]
    assert [r["单位编码"] for r in f["红黑榜"]["红榜"]] == [
        "U02",
        "U03",
    ]  # three ranked: two red, one black
    assert [r["单位编码"] for r in f["红黑榜"]["黑榜"]] == ["U01"]
    assert unit_row(f, "U03")["排名"] == 1


def test_change_against_the_month_before(office):
    f = monthly_figures("2026-03", AS_OF)
    u1 = unit_row(f, "U01")
    # February: U01 alone has data — c11 on time, c5's visit 满意/resolved, one 5-level rating → 100
    assert (u1["上月排名"], u1["上月综合得分"]) == (1, 100.0)
    assert (u1["排名"], u1["名次变化"], u1["得分变化"]) == (3, -2, -47.17)
    assert u1["上月受理量"] == 3
    u2 = unit_row(f, "U02")
    assert u2["上月排名"] is None and u2["名次变化"] is None and u2["得分变化"] is None
    feb = monthly_figures("2026-02", AS_OF)
    assert unit_row(feb, "U01")["综合得分"] == 100.0 and unit_row(feb, "U01")["应办结量"] == 1


def test_as_of_cut_off(office):
    f = monthly_figures("2026-03", dt.datetime(2026, 3, 20, 0, 0))
    u = unit_row(f, "U01")
    assert f["截止时间"] == "2026-03-20 00:00:00"
    assert u["受理量"] == 5  # c4 (03-25) and c8 (03-20 10:00) come later
    # c8 is due 03-31, not yet due and not answered: left out; c1, c2, c3, c5 remain
    assert (u["应办结量"], u["按期办结量"]) == (4, 2)
    assert (u["回访量"], u["满意量"], u["解决量"]) == (
        2,
        1,
        1,
    )  # c1, c2 (不满意); c2's second visit is later
    assert (u["评价量"], u["差评数"], u["差评办结数"]) == (5, 2, 0)  # r4 is closed at 03-20 12:00
    assert u["问责量"] == 0 and u["督办量"] == 3
    early = unit_row(monthly_figures("2026-03", dt.datetime(2026, 3, 4, 12, 0)), "U01")
    # c1 answered on 03-04 10:00 counts although its due time (03-05) is still ahead; c5 was due 03-02
    assert (early["应办结量"], early["按期办结量"]) == (2, 2)


def test_a_case_not_yet_due_counts_once_answered_by_the_as_of_time(office):
    Complaint.update(replied_at=day(3, 30)).where(
        Complaint.due_at == due(3, 31)
    ).execute()  # c8, on time now
    early = unit_row(monthly_figures("2026-03", dt.datetime(2026, 3, 30, 9, 0)), "U01")
    late = unit_row(monthly_figures("2026-03", dt.datetime(2026, 3, 30, 12, 0)), "U01")
    # at 09:00 c8 is neither due nor answered (the reply after the as-of time does not count): left out
    assert (early["应办结量"], early["按期办结量"]) == (4, 2)
    assert (late["应办结量"], late["按期办结量"]) == (5, 3)


def test_survey_weight_setting_brings_in_the_latest_covering_survey(office):
    u3 = unit_row(monthly_figures("2026-03", AS_OF), "U03")
    assert u3["第三方满意度"] == 0.9 and u3["第三方评估"]["评估机构"] == "甲评估公司"
    assert unit_row(monthly_figures("2026-03", AS_OF), "U02")["第三方满意度"] is None
    Setting.create(key="report.survey_weight", value="0.1")
    f = monthly_figures("2026-03", AS_OF)
    assert unit_row(f, "U03")["综合得分"] == 82.5  # (0.1×0.75 + 0.1×0.9) / 0.2
    assert [r["单位编码"] for r in f["ranking"]] == ["U03", "U02", "U01"]
    assert f["权重"]["第三方满意度"] == 0.1


def test_weights_setting(office):
    Setting.create(
        key="report.weights",
        value=json.dumps({"按期办结率": 1, "满意率": 0, "解决率": 0, "好评率": 0}),
    )
    f = monthly_figures("2026-03", AS_OF)
    assert unit_row(f, "U01")["综合得分"] == 40.0
    assert unit_row(f, "U02")["综合得分"] is None  # no 按期办结率: no score, not ranked
    assert [r["单位编码"] for r in f["ranking"]] == ["U01"]
    Setting.update(value=json.dumps({"按期办结率": -1})).where(
        Setting.key == "report.weights"
    ).execute()
    with pytest.raises(InvalidInput):
        monthly_figures("2026-03", AS_OF)
    Setting.update(value=json.dumps({"速度": 1})).where(Setting.key == "report.weights").execute()
    with pytest.raises(InvalidInput):
        monthly_figures("2026-03", AS_OF)


def test_hotspots(office):
    h = monthly_figures("2026-03", AS_OF)["hotspots"]
    assert [(m["编码"], m["受理量"], m["上月受理量"]) for m in h["事项"]["最多"]] == [
        ("M001", 3, 0),
        ("M002", 1, 2),
        ("M003", 1, 0),
    ]
    assert [(m["编码"], m["增长量"]) for m in h["事项"]["增长最快"]] == [("M001", 3), ("M003", 1)]
    assert h["事项"]["最多"][1]["增长率"] == -0.5
    assert [m["未达压缩目标"] for m in h["事项"]["最多"]] == [
        False,
        True,
        False,
    ]  # 5/20 is exactly 25%
    assert [(m["编码"], m["受理量"]) for m in h["承诺时限未达标事项"]] == [("M002", 1), ("M004", 0)]
    assert [(c["名称"], c["受理量"]) for c in h["类别"]["最多"]] == [
        ("投诉", 4),
        ("建议", 2),
        ("咨询", 1),
        ("求助", 1),
        ("举报", 1),
    ]
    assert [(c["名称"], c["增长量"]) for c in h["类别"]["增长最快"]] == [
        ("投诉", 2),
        ("建议", 2),
        ("咨询", 1),
        ("举报", 1),
    ]
    assert [(u["编码"], u["受理量"], u["增长量"]) for u in h["单位"]["最多"]] == [
        ("U01", 7, 4),
        ("U02", 1, 1),
    ]


def test_trend_six_months_as_of_the_same_instant(office):
    trend = monthly_figures("2026-03", AS_OF)["trend"]
    assert [t["月份"] for t in trend] == [
        "2025-10",
        "2025-11",
        "2025-12",
        "2026-01",
        "2026-02",
        "2026-03",
    ]
    assert [t["受理量"] for t in trend] == [0, 0, 0, 0, 3, 9]
    assert (
        trend[0]["综合得分"] is None
        and trend[-2]["综合得分"] == 100.0
        and trend[-1]["综合得分"] == 55.21
    )


def test_visits_written_by_the_service_are_counted(office, admin):
    staff = make_user("jw", "staff")
    service = ComplaintService(staff)
    c = service.register(
        channel="来访",
        category="投诉",
        content="窗口推诿",
        unit=None,
        name="欧阳明月",
        received=day(5, 4, 9),
    )
    service.assign(c.number, "U04", card="红", at=day(5, 4, 10))
    service.reply(c.number, "已处理", at=day(5, 6))
    service.visit(c.number, "基本满意", False, note="仍需跟进", at=day(5, 7))
    service.reply(c.number, "已再次处理", at=day(5, 8))
    service.visit(c.number, "满意", True, at=day(5, 11))
    u4 = unit_row(monthly_figures("2026-05", day(5, 31)), "U04")
    assert (u4["回访量"], u4["满意量"], u4["解决量"]) == (2, 2, 1)


def test_bad_month_and_as_of(office):
    for month in ("2026-13", "2026/03", "三月", ""):
        with pytest.raises(InvalidInput):
            monthly_figures(month, AS_OF)
    with pytest.raises(InvalidInput):
        monthly_figures("2026-03", dt.datetime(2026, 2, 28, 23, 59))
    assert monthly_figures("2026-3", AS_OF)["月份"] == "2026-03"


def test_key_rates_for_the_dashboard(office):
    staff = make_user("jw", "staff")
    assert key_rates(staff, "2026-03", AS_OF) == {
        "按期办结率": 0.4,
        "满意率": 0.75,
        "解决率": 0.5,
        "好评率": 0.5714,
    }
    liaison = make_user("lly", "liaison", "U02")
    assert key_rates(liaison, "2026-03", AS_OF)["好评率"] == 0.75
    with pytest.raises(NotPermitted):
        key_rates(make_user("jdy", "supervisor"), "2026-03", AS_OF)


def _xlsx_text(path) -> str:
    wb = load_workbook(path)
    return "\n".join(
        str(v) for ws in wb for row in ws.iter_rows(values_only=True) for v in row if v is not None
    )


def test_write_monthly_files_and_no_identity_anywhere(office, tmp_path):
    staff = make_user("jw", "staff")
    steps = []
    files = write_monthly(
        staff, "2026-03", AS_OF, tmp_path / "out", lambda done, total: steps.append((done, total))
    )
    assert [p.name for p in files] == ["月报-2026-03.xlsx", "月报-2026-03.pdf"]
    assert steps == [(1, 3), (2, 3), (3, 3)]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "月报-2026-03.pdf",
        "月报-2026-03.xlsx",
    ]
    wb = load_workbook(files[0])
    assert wb.sheetnames == ["汇总", "排名", "单位明细", "热点", "趋势"]
    summary = {row[0]: row[1] for row in wb["汇总"].iter_rows(min_row=2, values_only=True)}
    assert summary["受理量"] == 9 and summary["按期办结率"] == 0.4 and summary["综合得分"] == 55.21
    assert summary["流动红旗"] == "市医保局、市税务局"
    ranking = list(wb["排名"].iter_rows(min_row=2, values_only=True))
    assert [r[:3] for r in ranking[:3]] == [
        (1, "U02", "市医保局"),
        (1, "U03", "市税务局"),
        (3, "U01", "市人社局"),
    ]
    assert ranking[3][1] == "U04" and ranking[3][-2] == "不参与排名"
    detail = list(wb["单位明细"].iter_rows(values_only=True))
    assert detail[-1][1] == "合计" and detail[-1][3] == 9
    assert [r[0] for r in wb["趋势"].iter_rows(min_row=2, values_only=True)][-1] == "2026-03"
    assert wb["排名"].freeze_panes == "A2"
    assert AuditEntry.select().where(AuditEntry.action == "report.monthly").count() == 1

    text = _xlsx_text(files[0])
    pdf_text = _pdf_text(files[1])
    assert "政务服务效能监督月报" in pdf_text and "流动红旗" in pdf_text and "市医保局" in pdf_text
    for secret in (*NAMES, *PHONES):
        assert secret not in text and secret not in pdf_text
        assert secret[:3] + "****" + secret[-4:] not in text  # nor a masked form


def _pdf_text(path) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    return subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def test_report_permissions(office, tmp_path):
    viewer = make_user("leader", "viewer")
    assert len(write_monthly(viewer, "2026-03", AS_OF, tmp_path)) == 2
    for role in ("liaison", "supervisor"):
        with pytest.raises(NotPermitted):
            write_monthly(
                make_user(f"u_{role}", role, "U01" if role == "liaison" else None),
                "2026-03",
                AS_OF,
                tmp_path,
            )
    (tmp_path / "file").write_text("x")
    with pytest.raises(InvalidInput):
        write_monthly(viewer, "2026-03", AS_OF, tmp_path / "file")


def test_empty_database_month(admin, tmp_path):
    left = [
        leave_parts(tmp_path / name, dead_pid())
        for name in ("月报-2026-03.xlsx", "月报-2026-03.pdf")
    ]
    f = monthly_figures("2026-03", AS_OF)
    assert (
        f["units"] == []
        and f["ranking"] == []
        and f["流动红旗"] == []
        and f["total"]["综合得分"] is None
    )
    assert f["红黑榜"] == {"红榜": [], "黑榜": []}
    files = write_monthly(admin, "2026-03", AS_OF, tmp_path)
    assert "没有可参与排名的单位" in _pdf_text(files[1])
    # what a killed run left beside the two files is gone; a running writer's part stays
    assert [sorted(k for k, p in parts.items() if p.exists()) for parts in left] == [
        ["other", "running"]
    ] * 2
