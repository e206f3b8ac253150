"""``import ratings``: 好差评评价明细 → ratings, 差评 into the handling loop (SPEC §2.3, §5)."""

# The fixtures `cli` and `office` come from tests/import_support.py and are requested by name,
# which ruff sees as redefinitions of the imported names.
# ruff: noqa: F811

from __future__ import annotations

import datetime as dt

from supervise.models import AuditEntry, ImportBatch, Rating, TimelineEvent
from supervise.services.ratings import RatingService

from .conftest import make_user
from .import_support import Opened, clear_identity, cli, counts, office, write_csv, write_xlsx  # noqa: F401

HEADER = [
    "评价编号",
    "评价时间",
    "单位编码",
    "单位名称",
    "服务窗口",
    "工作人员工号",
    "工作人员姓名",
    "事项编码",
    "事项名称",
    "评价渠道",
    "评价等级",
    "差评原因",
    "评价内容",
    "评价人",
    "联系电话",
    "是否实名",
]
ROWS = [
    # an Excel date cell, a level word, a phone that arrives as a float
    [
        "PJ0001",
        dt.datetime(2025, 9, 30, 10, 15),
        "U01",
        "市人社局",
        "3号窗口",
        "S001",
        "王敏",
        "M001",
        "社保卡补办",
        "窗口",
        "非常满意",
        None,
        "办事很快",
        "张三",
        13800138000.0,
        "是",
    ],
    # a date string, a digit level, a 差评 of a real-name rater
    [
        "PJ0002",
        "2025/9/30 16:40",
        "U01",
        "市人社局",
        "3号窗口",
        "S001",
        "王敏",
        None,
        None,
        "网上",
        2,
        "等待时间长",
        "排队两个小时",
        "李四",
        "13900139000",
        "是",
    ],
    # Chinese date-time, channel alias, anonymous 非常不满意
    [
        "PJ0003",
        "2025年10月9日 9时05分",
        "U02",
        "市医保局",
        None,
        None,
        None,
        "M002",
        None,
        "移动端",
        "非常不满意",
        "态度生硬",
        None,
        None,
        None,
        "否",
    ],
    # a date-time at midnight read back as a plain date
    [
        "PJ0004",
        dt.date(2025, 10, 10),
        "U0101",
        None,
        None,
        None,
        None,
        None,
        None,
        None,
        "4",
        None,
        None,
        None,
        None,
        None,
    ],
]


def _file(tmp_path, name="ratings.xlsx"):
    return write_xlsx(tmp_path / name, HEADER, ROWS, title="2025年9—10月政务服务好差评评价明细")


def test_import_ratings_realistic_file(office, tmp_path):
    code, out, err = office("import", "ratings", str(_file(tmp_path)), "--json")
    assert code == 0, err
    assert (out["imported"], out["duplicates"], out["errors"]) == (4, 0, 0)
    with Opened(office.url):
        r = {x.external_id: x for x in Rating.select()}
        assert {x.source for x in r.values()} == {"ratings"} and {
            x.batch_id for x in r.values()
        } == {out["batch"]}
        one = r["PJ0001"]
        assert (one.level, one.bad, one.status, one.channel, one.window) == (
            5,
            False,
            "无需处理",
            "窗口",
            "3号窗口",
        )
        assert (
            clear_identity(one)["phone"] == "13800138000"
            and one.real_name
            and one.staff.number == "S001"
        )
        assert one.matter.code == "M001" and one.contact_due_at is None
        two = r["PJ0002"]
        assert (two.level, two.bad, two.status) == (2, True, "待核实")
        # contact within 1 working day of 2025-09-30: the National Day holiday runs to Oct 8
        assert two.contact_due_at == dt.datetime(2025, 10, 9, 23, 59, 59)
        assert two.rated_at == dt.datetime(2025, 9, 30, 16, 40)
        three = r["PJ0003"]
        assert (three.channel, three.level, three.real_name, three.identity_sealed) == (
            "掌上",
            1,
            False,
            None,
        )
        assert three.contact_due_at == dt.datetime(2025, 10, 10, 23, 59, 59)
        four = r["PJ0004"]
        assert (
            four.rated_at == dt.datetime(2025, 10, 10)
            and four.level == 4
            and four.unit.code == "U0101"
        )
        events = list(
            TimelineEvent.select()
            .where(TimelineEvent.record_kind == "rating")
            .order_by(TimelineEvent.id)
        )
        assert {e.record_id for e in events} == {two.id, three.id}
        note = next(e.note for e in events if e.record_id == two.id)
        assert note.startswith("不满意（网上），差评，2025-10-09 前核实联系") and e_actor(
            events
        ) == {"admin"}
        batch = ImportBatch.get_by_id(out["batch"])
        assert (batch.format, batch.state, batch.rows, batch.imported) == ("ratings", "完成", 4, 4)
        entry = AuditEntry.select().where(AuditEntry.action == "import.ratings").get()
        assert entry.record_id == str(batch.id) and '"imported": 4' in entry.after


def e_actor(events):
    return {e.actor for e in events}


def test_reimport_adds_nothing_and_says_so(office, tmp_path):
    path = _file(tmp_path)
    assert office("import", "ratings", str(path), "--json")[1]["imported"] == 4
    before = counts(office.url)
    code, out, err = office("import", "ratings", str(path), "--json")
    assert code == 0 and (out["imported"], out["duplicates"]) == (0, 4)
    after = counts(office.url)
    assert (
        after["rating"] == before["rating"] and after["timeline_event"] == before["timeline_event"]
    )
    code, text, _ = office("import", "ratings", str(path))
    assert "均已导入过" in text and "duplicates: 4" in text


def test_imported_bad_rating_enters_the_handling_loop(office, tmp_path):
    office("import", "ratings", str(_file(tmp_path)))
    with Opened(office.url):
        staff = make_user("jw", "staff")
        rating = Rating.get(Rating.external_id == "PJ0002")
        service = RatingService(staff)
        service.verify(rating.id, "属实", immediate=True, at=dt.datetime(2025, 10, 9, 10, 0))
        service.rectify(rating.id, "增开窗口", at=dt.datetime(2025, 10, 9, 16, 0))
        done = service.visit(rating.id, "满意", at=dt.datetime(2025, 10, 10, 9, 0))
        assert done.status == "已办结"
        assert [e["action"] for e in service.timeline(done)] == ["评价", "核实", "整改", "回访"]


def test_gb18030_csv_and_skip_invalid(office, tmp_path):
    rows = [
        ["PJ9001", "2025-10-09 09:00", "U01", "满意"],
        ["PJ9002", "2025-10-09 10:00", "U77", "满意"],
        ["PJ9003", "2025-10-09 11:00", "U02", "很好"],
        ["PJ9004", "2025-10-09 12:00", "U02", "1"],
    ]
    path = write_csv(
        tmp_path / "评价.csv", ["评价编号", "评价时间", "单位编码", "评价等级"], rows, "gb18030"
    )
    code, out, err = office("import", "ratings", str(path), "--skip-invalid", "--json")
    assert code == 0 and (out["imported"], out["errors"]) == (2, 2)
    assert "2 行有错误未导入" in err
    with Opened(office.url):
        assert sorted(r.external_id for r in Rating.select()) == ["PJ9001", "PJ9004"]
        assert ImportBatch.get_by_id(out["batch"]).errors == 2
