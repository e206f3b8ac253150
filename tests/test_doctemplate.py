"""Circular templates (supervise.doctemplate): sections, placeholders, lists, conditions, errors."""

from __future__ import annotations

import pytest

from supervise.doctemplate import chinese_numeral, fill, parse
from supervise.errors import InvalidInput

TEMPLATE = """\
# 注释行
[标题]
关于${单位}的
通报
[主送]
${主送机关}
[正文]
费用 $$100，${单位}：
?{列表}以下为清单：
${列表}
?{备注}备注：${备注}
[条目:列表]
（${中文序号}）${名称}，第${序号}项。
[无:列表]
无清单。
"""


def test_fill_sections_lists_and_conditions() -> None:
    tpl = parse(TEMPLATE, "t.txt")
    assert tpl.placeholders() == {"单位", "主送机关", "列表", "中文序号", "名称", "序号", "备注"}
    filled = fill(
        tpl,
        {"单位": "市人社局", "主送机关": "各单位", "备注": ""},
        {"列表": [{"名称": "甲"}, {"名称": "乙"}]},
    )
    assert filled.title == ["关于市人社局的", "通报"] and filled.addressee == "各单位"
    assert filled.paragraphs == [
        "费用 $100，市人社局：",
        "以下为清单：",
        "（一）甲，第1项。",
        "（二）乙，第2项。",
    ]
    empty = fill(tpl, {"单位": "甲", "主送机关": "乙", "备注": "有"}, {"列表": []})
    assert empty.paragraphs == ["费用 $100，甲：", "无清单。", "备注：有"]


@pytest.mark.parametrize(
    "text, message",
    [
        ("[标题]\n甲\n[正文]\n乙\n", "[主送]"),
        ("甲\n[标题]\n甲\n[主送]\n乙\n[正文]\n丙\n", "第 1 行"),
        ("[标题]\n甲\n[标题]\n乙\n", "重复"),
        ("[标题]\n甲\n[附件]\n乙\n", "未知的节"),
    ],
)
def test_bad_templates(text: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message.replace("[", r"\[").replace("]", r"\]")):
        parse(text, "bad.txt")


@pytest.mark.parametrize(
    "line, message",
    [
        ("${不存在}", "未知的占位符"),
        ("${__class__.__mro__}", "用法有误"),
        ("${单位!r}", "用法有误"),
        ("费用 $ 100", "用法有误"),
        ("?{未知}文字", "未知的条件"),
    ],
)
def test_bad_placeholders_name_the_line(line: str, message: str) -> None:
    tpl = parse(f"[标题]\n标题\n[主送]\n甲\n[正文]\n{line}\n", "t.txt")
    with pytest.raises(InvalidInput, match=message) as raised:
        fill(tpl, {"单位": "x"}, {})
    assert "第 6 行" in raised.value.zh


def test_list_without_item_section_is_an_error() -> None:
    tpl = parse("[标题]\n标题\n[主送]\n甲\n[正文]\n${列表}\n", "t.txt")
    with pytest.raises(InvalidInput, match="条目:列表"):
        fill(tpl, {}, {"列表": [{"a": "b"}]})


def test_chinese_numerals() -> None:
    assert [chinese_numeral(n) for n in (1, 9, 10, 11, 20, 35, 99, 100)] == [
        "一",
        "九",
        "十",
        "十一",
        "二十",
        "三十五",
        "九十九",
        "100",
    ]
