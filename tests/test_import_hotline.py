"""``import hotline``: 12345 orders carry their whole story into complaints (SPEC §2.1, §5).

The file is what a 12345 platform exports for one month: orders in every
state, with assigned, limit, replied, visited (result, resolved) and closed
times.  Each becomes a complaint with the status, due time, timeline and
numbers the complaint workflow would have given it.
"""

# The fixtures `cli` and `office` come from tests/import_support.py and are requested by name,
# which ruff sees as redefinitions of the imported names.
# ruff: noqa: F811

from __future__ import annotations

import datetime as dt

from supervise.models import Complaint, Counter, TimelineEvent
from supervise.search import search_condition
from supervise.services.complaint_queries import track
from supervise.services.complaints import ComplaintService

from .conftest import count_updates, make_user
from .import_support import Opened, clear_identity, cli, counts, error_rows, office, write_xlsx  # noqa: F401

HEADER = [
    "工单编号",
    "受理时间",
    "诉求类型",
    "诉求内容",
    "承办单位编码",
    "诉求渠道",
    "诉求人",
    "联系电话",
    "是否匿名",
    "承办单位",
    "涉及事项编码",
    "交办时间",
    "办理时限",
    "反馈时间",
    "办理结果",
    "回访时间",
    "回访结果",
    "是否解决",
    "办结时间",
]
T = dt.datetime
ORDERS = [
    # only received
    [
        "GD250901",
        T(2025, 9, 1, 9, 0),
        "咨询",
        "咨询灵活就业人员社保缴费标准",
        "U01",
        None,
        "张一",
        "13800000001",
        "否",
        "市人社局",
        None,
        None,
        None,
        None,
        None,
        None,
        None,
        None,
        None,
    ],
    # assigned, limit 3: due 3 working days after the day of receipt (the 调休 Saturday counts)
    [
        "GD250902",
        T(2025, 9, 30, 10, 0),
        "投诉",
        "社保卡补办多次被要求补充材料，推诿扯皮",
        "U01",
        "12345热线",
        "张二",
        13800000002,
        "否",
        "市人社局",
        "M001",
        T(2025, 9, 30, 11, 0),
        3,
        None,
        None,
        None,
        None,
        None,
        None,
    ],
    # replied on time
    [
        "GD250903",
        "2025-09-15 08:30",
        "求助",
        "医保异地备案办不下来",
        "U02",
        None,
        "张三",
        None,
        None,
        "市医保局",
        "M002",
        "2025-09-15 09:00",
        "5",
        "2025-09-18 17:00",
        "已指导线上备案",
        None,
        None,
        None,
        None,
    ],
    # the whole story: replied, visited 满意 and resolved, closed
    [
        "GD250904",
        "2025年9月10日 14时20分",
        "投诉",
        "窗口工作人员态度生硬",
        "U01",
        None,
        "张四",
        "13800000004",
        "否",
        None,
        None,
        "2025-09-10 15:00",
        5,
        "2025-09-12 10:00",
        "已约谈当事人并致歉",
        "2025-09-15 09:30",
        "满意",
        "是",
        "2025-09-16 10:00",
    ],
    # visited 不满意, not resolved, not closed: reopened from the visit day
    [
        "GD250905",
        T(2025, 9, 8, 9, 0),
        "投诉",
        "办证承诺时限超期未办结",
        "U02",
        None,
        "张五",
        "13800000005",
        "否",
        None,
        None,
        T(2025, 9, 8, 10, 0),
        5,
        T(2025, 9, 18, 16, 0),
        "已加快办理",
        T(2025, 9, 19, 10, 0),
        "不满意",
        "否",
        None,
    ],
    # anonymous (the name is not kept), category 求决 → 求助, limit as a deadline
    [
        "GD250906",
        T(2025, 9, 22, 11, 0),
        "求决",
        "举报某窗口违规收取材料费",
        "U01",
        "网站",
        "匿名人",
        "13800000006",
        "是",
        None,
        None,
        T(2025, 9, 22, 14, 0),
        "2025-09-26",
        None,
        None,
        None,
        None,
        None,
        None,
    ],
    # visited 满意 and resolved, waiting for its close; replied late
    [
        "GD250907",
        T(2025, 9, 1, 9, 0),
        "建议",
        "建议延长周末窗口服务时间",
        "U0101",
        None,
        "张七",
        "13800000007",
        "否",
        None,
        None,
        None,
        1,
        T(2025, 9, 5, 9, 0),
        "已采纳，十月起试行",
        T(2025, 9, 8, 9, 0),
        "基本满意",
        "是",
        None,
    ],
]


def _file(tmp_path):
    return write_xlsx(
        tmp_path / "12345工单.xlsx", HEADER, ORDERS, title="12345政务服务便民热线工单（2025年9月）"
    )


def test_orders_become_complaints_with_their_story(office, tmp_path):
    code, out, err = office("import", "hotline", str(_file(tmp_path)), "--json")
    assert code == 0, err
    assert (out["imported"], out["duplicates"], out["errors"]) == (7, 0, 0)
    with Opened(office.url):
        c = {x.external_id: x for x in Complaint.select()}
        assert {x.source for x in c.values()} == {"hotline"}
        assert sorted(x.number for x in c.values()) == [f"TS2025090000{i}" for i in range(1, 8)]
        assert all(len(x.receipt_code) == 12 for x in c.values())

        one = c["GD250901"]
        assert (one.status, one.due_at, one.assigned_at, one.channel) == (
            "登记",
            None,
            None,
            "12345热线",
        )
        assert clear_identity(one)["name"] == "张一" and one.masked_name == "张*"

        two = c["GD250902"]
        assert (two.status, two.limit_days, two.assigned_at) == ("已交办", 3, T(2025, 9, 30, 11, 0))
        assert two.due_at == T(2025, 10, 11, 23, 59, 59) and two.matter.code == "M001"
        assert clear_identity(two)["phone"] == "13800000002"

        three = c["GD250903"]
        assert (three.status, three.replied_at, three.reply_text) == (
            "已反馈",
            T(2025, 9, 18, 17),
            "已指导线上备案",
        )
        assert three.due_at == T(2025, 9, 22, 23, 59, 59)

        four = c["GD250904"]
        assert (four.status, four.visit_result, four.resolved, four.closed_at) == (
            "已办结",
            "满意",
            True,
            T(2025, 9, 16, 10, 0),
        )
        assert four.received_at == T(2025, 9, 10, 14, 20)

        five = c["GD250905"]
        assert (
            five.status,
            five.reopen_count,
            five.replied_at,
            five.visit_result,
            five.resolved,
        ) == ("已交办", 1, None, "不满意", False)
        assert five.due_at == T(2025, 9, 26, 23, 59, 59)  # 5 working days after the visit on Sep 19

        six = c["GD250906"]
        assert (six.category, six.channel, six.anonymous) == ("求助", "网站", True)
        assert (six.identity_sealed, six.masked_name, six.masked_phone) == (None, None, None)
        assert six.due_at == T(2025, 9, 26, 23, 59, 59) and six.limit_days == 4

        seven = c["GD250907"]
        assert (seven.status, seven.assigned_at, seven.limit_days) == (
            "已回访",
            T(2025, 9, 1, 9, 0),
            1,
        )
        assert seven.due_at == T(2025, 9, 2, 23, 59, 59) and seven.replied_at > seven.due_at

        def story(x):
            return [
                (e.action, e.status)
                for e in TimelineEvent.select()
                .where(
                    (TimelineEvent.record_kind == "complaint") & (TimelineEvent.record_id == x.id)
                )
                .order_by(TimelineEvent.at, TimelineEvent.id)
            ]

        assert story(one) == [("登记", "登记")]
        assert story(four) == [
            ("登记", "登记"),
            ("交办", "已交办"),
            ("反馈", "已反馈"),
            ("回访", "已回访"),
            ("办结", "已办结"),
        ]
        assert story(five)[-2:] == [("回访", "已回访"), ("重办", "已交办")]
        notes = {
            e.action: e.note
            for e in TimelineEvent.select()
            .where(TimelineEvent.record_id == seven.id)
            .where(TimelineEvent.record_kind == "complaint")
        }
        assert notes["反馈"].startswith("超期反馈：已采纳") and "GD250907" in notes["登记"]
        assert notes["交办"] == "承办单位 社保综合窗口，时限 1 个工作日，2025-09-02 前办结"

        # the keyword index knows the imported orders, the counter continues after them
        found = Complaint.select().where(search_condition("推诿"))
        assert [x.external_id for x in found] == ["GD250902"]
        assert Counter.get(Counter.name == "complaint:202509").value == 7
        service = ComplaintService(make_user("jw", "staff"))
        new = service.register(
            channel="来访",
            category="投诉",
            content="窗口排队时间过长",
            received=T(2025, 9, 30, 15, 0),
        )
        assert new.number == "TS20250900008"
        # the complainant follows an imported order by its receipt code
        view = track(four.receipt_code)
        assert view["status"] == "已办结" and [e["action"] for e in view["steps"]][-1] == "办结"


def test_import_writes_each_complaint_once(office, tmp_path):
    """Each order's keyword index goes in with its row (PostgreSQL's ``tsv`` in the INSERT):
    no UPDATE of a complaint follows the import."""
    with Opened(office.url):
        updates = count_updates("complaint")
    code, out, err = office("import", "hotline", str(_file(tmp_path)), "--json")
    assert code == 0 and out["imported"] == 7, err
    with Opened(office.url):
        assert updates() == 0
        found = Complaint.select().where(search_condition("已指导线上备案"))
        assert [x.external_id for x in found] == ["GD250903"]  # the reply is indexed too


def test_imported_orders_continue_in_the_workflow(office, tmp_path):
    office("import", "hotline", str(_file(tmp_path)))
    with Opened(office.url):
        service = ComplaintService(make_user("jw", "staff"))
        three = Complaint.get(Complaint.external_id == "GD250903")
        _, reopened = service.visit(three.number, "满意", True, at=T(2025, 9, 19, 9, 0))
        closed = service.close(three.number, at=T(2025, 9, 19, 10, 0))
        assert not reopened and closed.status == "已办结"
        five = Complaint.get(Complaint.external_id == "GD250905")
        replied, on_time = service.reply(five.number, "已办结并送达", at=T(2025, 9, 24, 10, 0))
        assert on_time and replied.status == "已反馈"


def test_reimport_adds_nothing(office, tmp_path):
    path = _file(tmp_path)
    office("import", "hotline", str(path))
    before = counts(office.url)
    code, out, _ = office("import", "hotline", str(path), "--json")
    assert code == 0 and (out["imported"], out["duplicates"]) == (0, 7)
    after = counts(office.url)
    assert {
        k: v for k, v in after.items() if k not in ("import_batch", "audit_entry", "setting")
    } == {k: v for k, v in before.items() if k not in ("import_batch", "audit_entry", "setting")}


def test_inconsistent_stories_are_errors(office, tmp_path):
    rows = [
        [
            "GD1",
            "2025-09-10 09:00",
            "投诉",
            "甲",
            "U01",
            "2025-09-09 09:00",
            None,
            None,
            None,
            None,
        ],
        [
            "GD2",
            "2025-09-10 09:00",
            "投诉",
            "乙",
            "U01",
            "2025-09-10 10:00",
            "2025-09-12 10:00",
            "2025-09-11 10:00",
            "满意",
            None,
        ],
        ["GD3", "2025-09-10 09:00", "投诉", "丙", "U01", None, None, None, "满意", None],
        [
            "GD4",
            "2025-09-10 09:00",
            "投诉",
            "丁",
            "U01",
            None,
            None,
            "2025-09-15 09:00",
            None,
            "很快",
        ],
        ["GD5", "2099-01-01 09:00", "吐槽", "戊", "U01", None, None, None, None, "-3"],
    ]
    header = [
        "工单编号",
        "受理时间",
        "诉求类型",
        "诉求内容",
        "承办单位编码",
        "交办时间",
        "反馈时间",
        "回访时间",
        "回访结果",
        "办理时限",
    ]
    path = write_xlsx(tmp_path / "bad.xlsx", header, rows)
    before = counts(office.url)
    code, _, err = office("import", "hotline", str(path), "--errors", str(tmp_path / "e.xlsx"))
    assert code == 3 and "8 处错误" in err
    assert counts(office.url) == before
    assert [(r[1], r[2], r[4].split(" ")[0]) for r in error_rows(tmp_path / "e.xlsx")] == [
        (2, "交办时间", "早于受理时间"),
        (3, "回访时间", "早于反馈时间"),
        (4, "回访时间", "有回访结果时须填写回访时间"),
        (5, "办理时限", "办理时限应为"),
        (5, "回访结果", "有回访时间时须填写回访结果"),
        (6, "受理时间", "时间晚于当前时间"),
        (6, "诉求类型", "应为"),
        (6, "办理时限", "办理时限应为"),
    ]
