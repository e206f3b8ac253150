"""Circular templates: plain text with ``${占位符}`` that an office may reword.

A template is a UTF-8 text file in sections::

    # a comment line
    [标题]
    关于对${单位概括}${问题概括}问题的通报
    [主送]
    ${主送机关}
    [正文]
    为……现将有关情况通报如下。
    一、基本情况
    ${案件列表}
    [条目:案件列表]
    （${序号}）${单位}……

``[标题]`` may hold two or more lines: they become the title's lines as
written (otherwise a long title is split automatically).  Each non-blank
line of ``[正文]`` is one paragraph.  A line that holds nothing but
``${名称}`` of a list expands into the list's items, each written with the
``[条目:名称]`` section (one paragraph per line of that section); an empty
list writes the section ``[无:名称]`` if the template has one, else nothing.
A line starting ``?{名称}`` is written only when the list or value 名称 is
not empty (``?{好评列表}二、好评率较高的单位``).

Substitution is :class:`string.Template` with Chinese (Unicode) names and no
expressions, attribute access or code: a template can only place the values
it is given, so an edited template cannot run anything.  An unknown
placeholder or a malformed ``$`` is an error naming the template and the line;
``$$`` writes a literal ``$``.
"""

from __future__ import annotations

import logging
import re
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from .errors import InvalidInput

logger = logging.getLogger(__name__)

SECTIONS = ("标题", "主送", "正文")
_SECTION = re.compile(r"^\[(标题|主送|正文|条目:[^\]]+|无:[^\]]+)\]\s*$")
_ALONE = re.compile(r"^\s*\$\{([^}]+)\}\s*$")
_WHEN = re.compile(r"^\?\{([^}]+)\}\s*")


class _Template(string.Template):
    """``${名称}`` with any Unicode word characters as names."""

    idpattern = r"[^\W\d]\w*"
    flags = re.UNICODE


@dataclass
class DocTemplate:
    name: str
    sections: dict[str, list[str]] = field(
        default_factory=dict
    )  # section → lines (with line numbers)
    line_numbers: dict[str, list[int]] = field(default_factory=dict)

    def placeholders(self) -> set[str]:
        """Every placeholder name the template uses."""
        names: set[str] = set()
        for lines in self.sections.values():
            for line in lines:
                for m in _Template.pattern.finditer(line):
                    name = m.group("named") or m.group("braced")
                    if name:
                        names.add(name)
        return names


@dataclass
class Filled:
    title: list[str]
    addressee: str
    paragraphs: list[str]


def parse(text: str, name: str) -> DocTemplate:
    """Read a template's sections; an unknown or missing section is an error."""
    tpl = DocTemplate(name)
    current: str | None = None
    for number, raw in enumerate(text.lstrip("\ufeff").splitlines(), 1):
        line = raw.rstrip()
        if line.lstrip().startswith("#"):
            continue
        m = _SECTION.match(line.strip())
        if m:
            current = m.group(1)
            if current in tpl.sections:
                raise _error(
                    name, number, f"节 [{current}] 重复", f"section [{current}] appears twice"
                )
            tpl.sections[current], tpl.line_numbers[current] = [], []
            continue
        if line.strip().startswith("[") and line.strip().endswith("]"):
            raise _error(
                name, number, f"未知的节 {line.strip()}", f"unknown section {line.strip()}"
            )
        if not line.strip():
            continue
        if current is None:
            raise _error(name, number, "节名之前有文字", "text before the first [section]")
        tpl.sections[current].append(line.strip())
        tpl.line_numbers[current].append(number)
    for section in SECTIONS:
        if not tpl.sections.get(section):
            raise _error(
                name, 0, f"缺少节 [{section}]", f"the section [{section}] is missing or empty"
            )
    return tpl


def _error(name: str, line: int, zh: str, en: str) -> InvalidInput:
    where = f"第 {line} 行" if line else ""
    return InvalidInput(
        f"通报模板 {name} {where}{zh}",
        f"circular template {name}" + (f" line {line}" if line else "") + f": {en}",
    )


def _sub(tpl: DocTemplate, section: str, index: int, line: str, values: Mapping[str, str]) -> str:
    try:
        return _Template(line).substitute(values)
    except KeyError as exc:
        known = "、".join(sorted(values)) or "—"
        raise _error(
            tpl.name,
            tpl.line_numbers[section][index],
            f"未知的占位符 ${{{exc.args[0]}}}（可用：{known}）",
            f"unknown placeholder ${{{exc.args[0]}}}",
        ) from None
    except ValueError:
        raise _error(
            tpl.name,
            tpl.line_numbers[section][index],
            "“$”用法有误（写作 ${名称}，字面 $ 写作 $$）",
            "malformed $ (write ${name}; a literal $ is $$)",
        ) from None


def fill(
    tpl: DocTemplate, values: Mapping[str, str], lists: Mapping[str, Sequence[Mapping[str, str]]]
) -> Filled:
    """Fill the template: ``values`` everywhere, ``lists`` through their ``[条目:…]`` sections."""
    values = {k: str(v) for k, v in values.items()}
    for list_name in lists:
        if list_name in values:
            raise ValueError(f"{list_name!r} is both a value and a list")

    def lines(section: str) -> list[str]:
        out = []
        for i, line in enumerate(tpl.sections[section]):
            when = _WHEN.match(line)
            if when:
                key = when.group(1)
                if key not in values and key not in lists:
                    raise _error(
                        tpl.name,
                        tpl.line_numbers[section][i],
                        f"未知的条件 ?{{{key}}}",
                        f"unknown condition ?{{{key}}}",
                    )
                if not (values.get(key) or lists.get(key)):
                    continue
                line = line[when.end() :]
            alone = _ALONE.match(line)
            if alone and alone.group(1) in lists:
                out += _items(tpl, alone.group(1), lists[alone.group(1)], values)
            else:
                out.append(_sub(tpl, section, i, line, values))
        return [line for line in out if line.strip()]

    return Filled(lines("标题"), "".join(lines("主送")), lines("正文"))


def _items(
    tpl: DocTemplate, name: str, items: Sequence[Mapping[str, str]], values: Mapping[str, str]
) -> list[str]:
    if not items:
        section = f"无:{name}"
        if section not in tpl.sections:
            return []
        return [_sub(tpl, section, i, line, values) for i, line in enumerate(tpl.sections[section])]
    section = f"条目:{name}"
    if section not in tpl.sections:
        raise _error(
            tpl.name,
            0,
            f"缺少列表 {name} 的节 [条目:{name}]",
            f"no [条目:{name}] section for the list {name}",
        )
    out = []
    for number, item in enumerate(items, 1):
        merged = {
            **values,
            "序号": str(number),
            "中文序号": chinese_numeral(number),
            **{k: str(v) for k, v in item.items()},
        }
        out += [_sub(tpl, section, i, line, merged) for i, line in enumerate(tpl.sections[section])]
    return out


def chinese_numeral(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 20 → 二十, 99 → 九十九 (for （一） and 一、)."""
    digits = "零一二三四五六七八九"
    if not 0 < n < 100:
        return str(n)
    tens, ones = divmod(n, 10)
    head = "" if tens == 0 else ("十" if tens == 1 else digits[tens] + "十")
    return head + (digits[ones] if ones else "")


__all__ = ["DocTemplate", "Filled", "chinese_numeral", "fill", "parse"]
