"""``import findings``: 社会监督员提交表 → reviews waiting for the office's decision (SPEC §2.2, §5)."""

# The fixtures `cli` and `office` come from tests/import_support.py and are requested by name,
# which ruff sees as redefinitions of the imported names.
# ruff: noqa: F811

from __future__ import annotations

import datetime as dt

from supervise.models import Finding, Review, TimelineEvent
from supervise.services.reviews import ReviewQueries, ReviewService

from .conftest import make_user
from .import_support import Opened, cli, counts, error_rows, office, write_xlsx  # noqa: F401

HEADER = [
    "监督员",
    "评议日期",
    "单位编码",
    "问题描述",
    "评议方式",
    "问题类别",
    "严重程度",
    "工作态度",
    "服务品质",
    "管理水准",
]
ROWS = [
    [
        "李监督",
        dt.date(2025, 9, 16),
        "U01",
        "窗口工作人员上班时间玩手机",
        "暗访",
        "纪律",
        "较重",
        70,
        80,
        75,
    ],
    ["李监督", "2025-09-16", "U01", "叫号系统故障无人处理", "暗访", "效率", None, None, None, None],
    ["李监督", "2025年9月16日", "U02", "咨询台无人值守", "明察", "作风", "一般", 85.0, None, None],
    ["周监督", "2025/9/18", "U0101", "等候区座椅不足", None, None, None, None, None, None],
]


def test_rows_grouped_into_reviews(office, tmp_path):
    with Opened(office.url):
        make_user("李监督", "supervisor")
    path = write_xlsx(
        tmp_path / "监督员提交表.xlsx", HEADER, ROWS, title="社会监督员监督评议情况登记表"
    )
    code, out, err = office("import", "findings", str(path), "--json")
    assert code == 0, err
    assert (out["imported"], out["errors"]) == (4, 0)
    with Opened(office.url):
        reviews = {(r.reviewer_name, r.unit.code): r for r in Review.select()}
        assert len(reviews) == 3
        first = reviews[("李监督", "U01")]
        assert (first.method, first.review_date, first.status, first.source) == (
            "暗访",
            dt.date(2025, 9, 16),
            "待审核",
            "findings",
        )
        assert (first.score_attitude, first.score_quality, first.score_management) == (70, 80, 75)
        assert first.reviewer.name == "李监督"  # the supervisor's own account
        assert [
            (f.description, f.category, f.severity) for f in first.findings.order_by(Finding.id)
        ] == [
            ("窗口工作人员上班时间玩手机", "纪律", "较重"),
            ("叫号系统故障无人处理", "效率", "一般"),
        ]
        other = reviews[("周监督", "U0101")]
        assert (other.method, other.reviewer_id, other.score_attitude) == ("暗访", None, None)
        assert [(f.category, f.severity) for f in other.findings] == [("其他", "一般")]
        assert reviews[("李监督", "U02")].score_attitude == 85
        events = TimelineEvent.select().where(
            (TimelineEvent.record_kind == "review") & (TimelineEvent.record_id == first.id)
        )
        assert [(e.action, e.status) for e in events] == [("提交", "待审核")]
        assert "问题 2 条" in events[0].note
        # the supervisor sees their own imported submissions, the office decides on them
        supervisor = make_user("周监督2", "supervisor")
        assert ReviewQueries(supervisor).list()["total"] == 0
        from supervise.auth import actor_of
        from supervise.models import User

        mine = ReviewQueries(actor_of(User.get(User.name == "李监督"))).list()
        assert mine["total"] == 2
        staff = make_user("jw", "staff")
        review, complaints = ReviewService(staff).adopt(first.id, to_complaint=True)
        assert review.status == "已采纳" and len(complaints) == 2
    code, out, _ = office("import", "findings", str(path), "--json")
    assert code == 0 and (out["imported"], out["duplicates"]) == (0, 4)


def test_findings_errors(office, tmp_path):
    rows = [
        ["李监督", "2025-09-16", "U01", "甲问题", "暗访", "纪律", "较重", 70, None, None],
        ["李监督", "2025-09-16", "U01", "甲问题", "暗访", None, None, None, None, None],
        ["李监督", "2025-09-16", "U01", "乙问题", "暗访", None, None, 60, None, None],
        ["李监督", "2025-13-01", "U99", "丙问题", "偷访", "卫生", "特别严重", 101, "好", None],
        ["李监督", "2099-01-01", "U01", "丁问题", None, None, None, None, None, None],
    ]
    path = write_xlsx(tmp_path / "f.xlsx", HEADER, rows)
    before = counts(office.url)
    code, _, err = office("import", "findings", str(path))
    assert code == 3
    assert counts(office.url) == before
    assert [(r[1], r[2]) for r in error_rows(tmp_path / "f.errors.xlsx")] == [
        (3, "问题描述"),  # the same finding twice in one review
        (4, "工作态度"),  # 60 where the review already says 70
        (5, "单位编码"),
        (5, "评议日期"),
        (5, "评议方式"),
        (5, "问题类别"),
        (5, "严重程度"),
        (5, "工作态度"),
        (5, "服务品质"),
        (6, "评议日期"),
    ]
