"""Keyword search (supervise.search) on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import itertools
import random

import pytest

from supervise import search
from supervise.errors import InvalidInput
from supervise.models import Complaint, Rating, Unit

pytestmark = pytest.mark.storage

_numbers = itertools.count(1)
START = dt.datetime(2024, 1, 1, 8, 0)


@pytest.fixture
def index(db: str) -> None:
    search.create_schema()  # idempotent; the migration creates it too


def add(
    content: str,
    title: str = "",
    reply: str | None = None,
    unit: Unit | None = None,
    at: dt.datetime | None = None,
    indexed: bool = True,
) -> Complaint:
    n = next(_numbers)
    c = Complaint.create(
        number=f"T{n:07d}",
        receipt_code=f"R{n:09d}",
        channel="网站",
        category="投诉",
        title=title,
        content=content,
        reply_text=reply,
        unit=unit,
        received_at=at or START + dt.timedelta(minutes=n),
    )
    if indexed:
        search.index_complaints([(c.id, c.title, c.content, c.reply_text)])
    return c


def found(query: str) -> set[int]:
    return {c.id for c in Complaint.select(Complaint.id).where(search.search_condition(query))}


def test_tokens() -> None:
    assert search.tokens("推诿扯皮") == ["推诿", "诿扯", "扯皮"]
    assert search.tokens("拨打12345热线，ＥＴＣ 社") == ["拨打", "12345", "热线", "etc", "社"]
    assert search.tokens("二〇二四年") == ["二〇", "〇二", "二四", "四年"]
    assert search.tokens(" ，。") == []


def test_two_character_terms_in_each_field(index: None) -> None:
    a = add("反映社保缴费窗口工作人员态度差", title="社保问题")
    b = add("办事大厅乱收费", reply="经核查，已退还收费。")
    c = add("窗口相互推诿，拖延办理", title="投诉推诿")
    d = add("表扬窗口服务", title="表扬", reply="已转达")
    assert found("社保") == {a.id}
    assert found("收费") == {b.id}
    assert found("推诿") == {c.id}
    assert found("窗口") == {a.id, c.id, d.id}
    assert found("核查") == {b.id}  # only in the reply
    assert found("问题") == {a.id}  # only in the title


def test_phrase_must_be_contiguous(index: None) -> None:
    a = add("他们推诿……诿扯半天")
    b = add("互相推诿扯皮")
    c = add("诿扯", title="推诿")  # no chaining across fields either
    assert found("推诿") == {a.id, b.id, c.id}
    assert found("诿扯") == {a.id, b.id, c.id}
    assert found("推诿扯") == {b.id}
    assert found("推诿扯皮") == {b.id}
    assert found("互相推诿扯皮") == {b.id}
    assert found("扯皮推诿") == set()


def test_several_terms_are_anded(index: None) -> None:
    a = add("社保中心乱收费")
    add("社保卡补办很慢")
    add("停车收费不合理")
    assert found("社保 收费") == {a.id}
    assert found("社保，收费") == {a.id}
    assert found("社保 停车") == set()


def test_letters_digits_and_width(index: None) -> None:
    a = add("拨打12345热线无人接听")
    b = add("高速ETC扣费错误", title="ＥＴＣ扣费")
    c = add("电话 12345 一直占线")
    assert found("12345") == {a.id, c.id}
    assert found("12345热线") == {a.id}
    assert found("ＥＴＣ") == {b.id}
    assert found("etc") == {b.id}
    assert found("ETC扣费") == {b.id}
    assert found("1234") == set()  # letters and digits match whole words


def test_single_character_falls_back_to_substring(index: None) -> None:
    a = add("社区医院排队")
    b = add("窗口", reply="已联系社区")
    add("无关内容")
    assert found("社") == {a.id, b.id}
    assert found("社 排队") == {a.id}
    assert found("医") == {a.id}


def test_rare_characters(index: None) -> None:
    # Ext-B/Ext-E ideographs, private-use 造字, a script plain unicode61 drops.
    a = add("申请人王𬘡明、李𠀀华反映")
    b = add("户籍姓名含造字\ue123\ue456")
    c = add("ᦰᦱᦲ ᧐᧑")
    assert found("𬘡明") == {a.id}
    assert found("王𬘡") == {a.id}
    assert found("𠀀华") == {a.id}
    assert found("\ue123\ue456") == {b.id}
    assert found("ᦰᦱᦲ") == {c.id}


def test_invalid_queries(index: None) -> None:
    for query in ("", "   ", "，。！", "__"):
        with pytest.raises(InvalidInput):
            search.search_condition(query)
    assert search.matching_ids("社") is None


def test_matching_ids(index: None) -> None:
    a = add("社保卡挂失")
    add("公积金")
    ids = search.matching_ids("社保卡")
    assert ids is not None
    assert [c.id for c in Complaint.select().where(Complaint.id.in_(ids))] == [a.id]


@pytest.mark.parametrize("dense_span", [0, 1000])  # one look-up per id; one range read
def test_matching_among(index: None, dense_span: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(search, "DENSE_SPAN", dense_span)
    a, b, c, d = add("社保卡"), add("公积金"), add("社保中心"), add("社保")
    assert search.matching_among("社保", [a.id, b.id, c.id]) == {a.id, c.id}
    assert search.matching_among("社保", [d.id, b.id]) == {d.id}
    assert search.matching_among("社保卡", [a.id, b.id, c.id, d.id]) == {a.id}
    assert search.matching_among("社保", [a.id, d.id]) == {a.id, d.id}  # c between: not asked
    assert search.matching_among("社保", []) == set()
    assert search.matching_among("社", [a.id, d.id]) is None


def test_count_matching(index: None) -> None:
    add("社保卡")
    add("公积金")
    add("社保中心", reply="社保已办")
    assert search.count_matching("社保") == 2
    assert search.count_matching("社保 中心") == 1
    assert search.count_matching("医保") == 0
    assert search.count_matching("社") is None


def test_reindex_after_reply_changes_and_remove(index: None) -> None:
    c = add("医保报销进度", reply="正在办理")
    assert found("办理") == {c.id}
    c.reply_text = "已经报销完毕"
    c.save()
    search.index_complaints([(c.id, c.title, c.content, c.reply_text)])
    assert found("办理") == set()
    assert found("完毕") == {c.id}
    other = add("医保报销")
    search.remove_complaints([c.id])
    assert found("医保") == {other.id}
    Complaint.delete().where(Complaint.id == other.id).execute()
    search.remove_complaints([other.id])
    assert found("医保") == set()


def test_rebuild(index: None) -> None:
    a = add("公积金提取难", indexed=False)
    b = add("公积金贷款", title="贷款", indexed=False)
    assert found("公积") == set()
    assert search.rebuild() == 2
    assert found("公积") == {a.id, b.id}
    assert found("贷款") == {b.id}


def test_long_text(index: None) -> None:
    filler = "甲乙丙丁" * 5000  # 20,000 characters: past PostgreSQL's last position
    c = add(filler + "末尾社保", title="开头")
    assert found("社保") == {c.id}
    assert found("开头") == {c.id}


@pytest.fixture(params=[0, 5000], ids=["many", "few"])
def both_shapes(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Both shapes of the SQLite condition: ``+id IN`` (many matches) and ``id IN`` (few)."""
    monkeypatch.setattr(search, "FEW_MATCHES", request.param)


def test_combined_with_filters(index: None, both_shapes: None) -> None:
    east = Unit.create(code="E01", name="东区人社局")
    west = Unit.create(code="W01", name="西区人社局")
    ours = [
        add(f"第{i}件，社保卡问题", unit=east, at=START + dt.timedelta(days=i)) for i in range(30)
    ]
    add("社保卡问题", unit=west)
    add("公积金问题", unit=east)
    query = Complaint.select().where(search.search_condition("社保") & (Complaint.unit == east))
    assert query.count() == 30
    page = list(query.order_by(Complaint.received_at.desc(), Complaint.id.desc()).limit(20))
    assert [c.id for c in page] == [c.id for c in reversed(ours)][:20]


ALPHABET = "社保收费推诿扯皮窗口办事难不作为"
PUNCT = "，。、 ；“”"


def _random_text(rng: random.Random, runs: int) -> str:
    parts = ["".join(rng.choices(ALPHABET, k=rng.randint(1, 9))) for _ in range(runs)]
    return "".join(p + rng.choice(PUNCT) for p in parts)


def test_matches_brute_force_substring(index: None) -> None:
    rng = random.Random(20240501)
    rows = []
    for n in range(2000):
        reply = _random_text(rng, 3) if rng.random() < 0.5 else None
        rows.append(
            {
                "number": f"S{n:07d}",
                "receipt_code": f"Q{n:09d}",
                "channel": "网站",
                "category": "投诉",
                "title": _random_text(rng, 1),
                "content": _random_text(rng, rng.randint(5, 20)),
                "reply_text": reply,
                "received_at": START + dt.timedelta(minutes=n),
            }
        )
    for chunk in range(0, len(rows), 500):
        Complaint.insert_many(rows[chunk : chunk + 500]).execute()
    data = list(
        Complaint.select(
            Complaint.id, Complaint.title, Complaint.content, Complaint.reply_text
        ).tuples()
    )
    search.index_complaints(data)
    queries = set()
    while len(queries) < 50:
        if rng.random() < 0.5:  # a piece of some text: always found
            text = rng.choice(data)[2]
            k = rng.randint(2, 4)
            i = rng.randrange(len(text) - k)
            piece = text[i : i + k]
            if not any(ch in PUNCT for ch in piece):
                queries.add(piece)
        else:  # random characters: found or not
            queries.add("".join(rng.choices(ALPHABET, k=rng.randint(2, 4))))
    hits = 0
    for i, q in enumerate(sorted(queries)):
        expected = {row[0] for row in data if any(f and q in f for f in row[1:])}
        with pytest.MonkeyPatch.context() as m:
            m.setattr(search, "FEW_MATCHES", 5000 if i % 2 else 0)
            assert found(q) == expected, q
        hits += bool(expected)
    assert hits >= 25


def _reference_tokens(text: str) -> list[str]:
    """tokens() spelled out character by character, for comparison."""
    import unicodedata

    def kind(ch: str) -> str:
        if search._CJK_CHAR.match(ch):
            return "cjk"
        return "word" if ch.isalnum() else "gap"

    out: list[str] = []
    text = unicodedata.normalize("NFKC", text).lower()
    for k, run in itertools.groupby(text, kind):
        s = "".join(run)
        if k == "word":
            out.append(s[: search.MAX_WORD])
        elif k == "cjk":
            out += [s] if len(s) == 1 else [s[i : i + 2] for i in range(len(s) - 1)]
    return out


def test_tokens_match_reference() -> None:
    pool = list("社保推诿扯皮〇々あア한aZ09_ ，。、；（）…“”·-—") + [
        "ＡＢ",
        "１２",
        "㎡",
        "①",
        "ﬁ",
        "İ",
        "\u0301",
        "\ue123",
        "𬘡",
        "\ufdd0",
        "\u3000",
        "\n",
        "ᦰ",
        "x" * 70,
    ]
    rng = random.Random(7)
    for _ in range(3000):
        text = "".join(rng.choices(pool, k=rng.randint(0, 12)))
        assert search.tokens(text) == _reference_tokens(text), repr(text)


# -- ratings 好差评: comment, reasons and window -------------------------------------------


def rate(
    unit: Unit,
    comment: str = "",
    reasons: str = "",
    window: str = "",
    level: int = 5,
    indexed: bool = True,
) -> Rating:
    r = Rating.create(
        unit=unit,
        level=level,
        bad=level <= 2,
        comment=comment,
        reasons=reasons,
        window=window,
        rated_at=START + dt.timedelta(minutes=next(_numbers)),
    )
    if indexed:
        search.index_ratings([(r.id, r.comment, r.reasons, r.window)])
    return r


def rated(query: str) -> set[int]:
    condition = search.search_condition(query, search.RATINGS)
    return {r.id for r in Rating.select(Rating.id).where(condition)}


def test_ratings_two_character_terms_in_each_field(index: None, both_shapes: None) -> None:
    unit = Unit.create(code="R01", name="市政务服务中心")
    a = rate(unit, comment="排队两个小时，态度也差", reasons="等候时间长", level=1)
    b = rate(unit, comment="服务态度好", window="3号窗口")
    c = rate(unit, reasons="一次办好", window="12号窗口")
    complaint = add("排队太久")  # a complaint is not a rating
    assert rated("排队") == {a.id} and found("排队") == {complaint.id}
    assert rated("态度") == {a.id, b.id}
    assert rated("等候") == {a.id}  # reasons only
    assert rated("窗口") == {b.id, c.id}  # window only
    assert rated("3号") == {b.id}  # a digit beside a lone character: substring
    assert rated("态度 排队") == {a.id}
    assert rated("小时态度") == set()  # a comma lies between them
    assert rated("窗") == {b.id, c.id}
    assert search.count_matching("态度", search.RATINGS) == 2
    assert search.count_matching("态度", search.RATINGS, cap=0) == 1  # at most cap + 1
    assert search.matching_among("态度", [a.id, c.id], search.RATINGS) == {a.id}


def test_ratings_reindex_remove_and_rebuild(index: None) -> None:
    unit = Unit.create(code="R02", name="区行政服务中心")
    a = rate(unit, comment="材料准备不清楚")
    b = rate(unit, comment="材料一次告知", indexed=False)
    assert rated("材料") == {a.id}
    assert search.rebuild(ix=search.RATINGS) == 2
    assert rated("材料") == {a.id, b.id}
    a.comment = "办理很快"
    a.save()
    search.index_ratings([(a.id, a.comment, a.reasons, a.window)])
    assert rated("材料") == {b.id} and rated("很快") == {a.id}
    search.remove_ratings([b.id])
    assert rated("材料") == set()
    assert rated("很快") == {a.id}  # the complaints' index is another one
    assert found("很快") == set()
