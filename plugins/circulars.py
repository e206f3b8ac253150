"""Built-in circulars (通报, SPEC §4, §7): 通报批评, 表扬通报 and 月度通报.

Each kind gathers its facts from the records and hands them to the core as
:class:`supervise.circulars.CircularData`; the wording lives in the
templates ``criticism.txt``, ``commendation.txt`` and ``monthly.txt``.
Texts are composed from unit names, matter names, counts, rates and the
office's own case summaries; people named in a case appear as 姓 + 某, and
the identities of the complainants and raters behind every record used are
handed to the core, which removes them even from free text.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter as Tally
from collections.abc import Sequence
from typing import Any

import peewee as pw

from supervise import hookimpl
from supervise import identity as sealed_identity
from supervise.auth import Actor
from supervise.circulars import CircularData
from supervise.doctemplate import chinese_numeral
from supervise.errors import InvalidInput, NotFound
from supervise.extension import CircularSpec
from supervise.models import Complaint, Matter, Rating, Staff, Unit
from supervise.officialdoc import chinese_date
from supervise.services.accountability import AccountabilityService

logger = logging.getLogger(__name__)

#: What a decision does, as the sentence "决定对其……" ends.
FORM_TEXT = {
    "检查": "责令作出书面检查",
    "通报": "予以通报",
    "约谈": "进行约谈",
    "改组": "予以改组",
    "谈话提醒": "进行谈话提醒",
    "批评教育": "予以批评教育",
    "责令检查": "责令作出书面检查",
    "通报批评": "予以通报批评",
    "诫勉": "予以诫勉",
    "组织调整": "予以组织调整",
}
#: Forms that a 通报批评 circular covers when cases are chosen by month.
CIRCULATED_FORMS = ("通报", "通报批评")


# -- helpers ------------------------------------------------------------------------------


def surname_mou(name: str | None) -> str:
    """张三 → 张某, 欧阳娜娜 → 欧阳某 (a public circular names people this way)."""
    if not name:
        return "某"
    compound = ("欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "令狐", "慕容", "尉迟", "公孙")
    head = name[:2] if name[:2] in compound else name[0]
    return head + "某"


def sentence(text: str | None) -> str:
    text = (text or "").strip()
    if text and text[-1] not in "。！？；":
        text += "。"
    return text


def units_summary(names: Sequence[str], word: str = "单位") -> str:
    """市人社局 / 市人社局、市医保局 / 市人社局等3个单位."""
    unique = list(dict.fromkeys(names))
    if len(unique) <= 2:
        return "、".join(unique)
    return f"{unique[0]}等{len(unique)}个{word}"


def month_range(month: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime(month.year, month.month, 1)
    end = dt.datetime(month.year + (month.month == 12), month.month % 12 + 1, 1)
    return start, end


def identities_of_complaints(actor: Actor, where: pw.Expression) -> set[str]:
    """The clear identities the circular must not contain; only an author holding the
    office key can read them (and so write them), otherwise there are none to check."""
    if actor.identity_key is None:
        return set()
    rows = (
        Complaint.select(Complaint.number, Complaint.identity_sealed)
        .where(where & Complaint.identity_sealed.is_null(False))
        .tuples()
    )
    return {
        v
        for number, sealed in rows
        for v in sealed_identity.open_complaint(actor, number, sealed).values()
        if v
    }


def identities_of_ratings(actor: Actor, where: pw.Expression) -> set[str]:
    if actor.identity_key is None:
        return set()
    rows = Rating.select().where(where & Rating.identity_sealed.is_null(False))
    return {v for r in rows for v in sealed_identity.rating_identity(actor, r).values() if v}


def _criticism_cases(
    actor: Actor, month: dt.date | None, cases: Sequence[str]
) -> list[dict[str, Any]]:
    """The decided cases to circulate, as :meth:`AccountabilityService.for_circular` gives
    them: the service alone decides what may be published."""
    service = AccountabilityService(actor)
    if cases:
        ids = []
        for text in cases:
            try:
                ids.append(int(text))
            except ValueError:
                raise InvalidInput(
                    f"问责案件编号应为数字：{text}", f"a case id is a number: {text}"
                ) from None
        return service.for_circular(ids)
    if month is None:
        raise InvalidInput(
            "请用 --case 指定问责案件，或用 --month 指定月份",
            "give the cases with --case, or a month with --month",
        )
    start, end = month_range(month)
    found = service.for_circular(service.circulated_between(start, end, CIRCULATED_FORMS))
    if not found:
        raise InvalidInput(
            f"{month.year}年{month.month}月没有决定通报的问责案件",
            f"no case decided in {month:%Y-%m} with the form 通报/通报批评",
        )
    return found


def _treatment(case: dict[str, Any]) -> str:
    if case["form"] == "政务处分":
        return f"给予{case['sanction'] or ''}政务处分"
    return FORM_TEXT.get(case["form"], f"予以{case['form']}")


def criticism(
    *, actor: Actor, month: dt.date | None = None, cases: Sequence[str] = (), **_: Any
) -> CircularData:
    """通报批评 of decided accountability cases (``--case ID …``, or those decided in ``--month``)."""
    chosen = _criticism_cases(actor, month, cases)
    identities: set[str] = set()
    items = []
    for case in chosen:
        unit = case["unit"]
        who = unit
        if case["target_kind"] == "staff" and case["staff"]:
            who = f"{unit}工作人员{surname_mou(case['staff'])}"
        ids = case["evidence"]
        identities |= (
            identities_of_complaints(actor, Complaint.id.in_(ids["complaint"]))
            if ids["complaint"]
            else set()
        )
        identities |= (
            identities_of_ratings(actor, Rating.id.in_(ids["rating"])) if ids["rating"] else set()
        )
        parts = [f"诉求工单{len(ids['complaint'])}件"] if ids["complaint"] else []
        parts += [f"好差评{len(ids['rating'])}条"] if ids["rating"] else []
        decided = (
            dt.datetime.fromisoformat(case["decided_at"]).date() if case["decided_at"] else None
        )
        items.append(
            {
                "单位": unit,
                "对象": who,
                "问题类型": case["kind"],
                "事实": sentence(case["reason"]),
                "证据": f"涉及{'、'.join(parts)}。" if parts else "",
                "处理": _treatment(case),
                "依据": sentence(case["basis"]),
                "决定日期": chinese_date(decided) if decided else "",
            }
        )
    # the units' complainants as well: a summary written by hand may name any of them
    codes = list({c["unit_code"] for c in chosen})
    identities |= identities_of_complaints(
        actor, Complaint.unit.in_(Unit.select(Unit.id).where(Unit.code.in_(codes)))
    )
    kinds = list(dict.fromkeys(c["kind"] for c in chosen))
    return CircularData(
        values={
            "单位概括": units_summary([c["unit"] for c in chosen]),
            "问题概括": "、".join(kinds),
            "件数": str(len(chosen)),
        },
        lists={"案件列表": items},
        identities=identities,
        subject="cases " + ",".join(str(c["id"]) for c in chosen),
    )


# -- 表扬通报 ---------------------------------------------------------------------------------


def _praise_complaints(month: dt.date | None, cases: Sequence[str]) -> list[Complaint]:
    if cases:
        found = []
        for number in cases:
            c = Complaint.get_or_none(Complaint.number == number.strip().upper())
            if c is None:
                raise NotFound(f"工单不存在：{number}", f"complaint not found: {number}")
            if c.category != "表扬" or c.unit_id is None:
                raise InvalidInput(
                    f"工单 {number} 不是针对某单位的表扬（类别：{c.category}）",
                    f"complaint {number} is not a praise of a unit ({c.category})",
                )
            found.append(c)
        return found
    if month is None:
        raise InvalidInput(
            "请用 --month 指定月份，或用 --case 指定表扬工单",
            "give a month with --month, or praise complaints with --case",
        )
    start, end = month_range(month)
    return list(
        Complaint.select()
        .where(
            (Complaint.category == "表扬")
            & Complaint.unit.is_null(False)
            & (Complaint.received_at >= start)
            & (Complaint.received_at < end)
        )
        .order_by(Complaint.received_at, Complaint.id)
    )


def _praise_items(praises: list[Complaint]) -> list[dict[str, str]]:
    by_unit: dict[int, list[Complaint]] = {}
    for c in praises:
        by_unit.setdefault(c.unit_id, []).append(c)
    names = dict(Unit.select(Unit.id, Unit.name).where(Unit.id.in_(list(by_unit))).tuples())
    matter_ids = {c.matter_id for c in praises if c.matter_id}
    matters = (
        dict(Matter.select(Matter.id, Matter.name).where(Matter.id.in_(matter_ids)).tuples())
        if matter_ids
        else {}
    )
    staff_ids = {c.staff_id for c in praises if c.staff_id}
    staff = (
        dict(Staff.select(Staff.id, Staff.name).where(Staff.id.in_(staff_ids)).tuples())
        if staff_ids
        else {}
    )
    items = []
    for unit_id, group in sorted(by_unit.items(), key=lambda kv: (-len(kv[1]), names[kv[0]])):
        top = [
            m for m, _ in Tally(matters[c.matter_id] for c in group if c.matter_id).most_common(3)
        ]
        people = list(dict.fromkeys(surname_mou(staff[c.staff_id]) for c in group if c.staff_id))[
            :5
        ]
        items.append(
            {
                "单位": names[unit_id],
                "件数": str(len(group)),
                "事项": f"，涉及“{'”“'.join(top)}”等事项" if top else "",
                "人员": f"，受到表扬的工作人员有{'、'.join(people)}" if people else "",
            }
        )
    return items


def _rating_items(month: dt.date, min_ratings: int, top_n: int) -> list[dict[str, str]]:
    start, end = month_range(month)
    good = pw.fn.SUM(pw.Case(None, [(Rating.level >= 4, 1)], 0))
    bad = pw.fn.SUM(pw.Case(None, [(Rating.bad == True, 1)], 0))  # noqa: E712 (peewee expression)
    rows = (
        Rating.select(Rating.unit, pw.fn.COUNT(Rating.id), good, bad)
        .where((Rating.rated_at >= start) & (Rating.rated_at < end))
        .group_by(Rating.unit)
        .having(pw.fn.COUNT(Rating.id) >= min_ratings)
        .tuples()
    )
    ranked = sorted(
        ((int(g) / n, n, int(b), u) for u, n, g, b in rows),
        key=lambda r: (-r[0], r[2], -r[1], r[3]),
    )
    names = dict(Unit.select(Unit.id, Unit.name).tuples())
    return [
        {"单位": names[u], "评价量": str(n), "好评率": f"{rate * 100:.1f}%", "差评数": str(b)}
        for rate, n, b, u in ranked[:top_n]
    ]


def commendation(
    *, actor: Actor | None = None, month: dt.date | None = None, cases: Sequence[str] = (), **_: Any
) -> CircularData:
    """表扬通报: the units the public praised (表扬 complaints) and, by month, the best 好评率."""
    from supervise import settings

    praises = _praise_complaints(month, cases)
    praise_items = _praise_items(praises)
    rating_items = (
        _rating_items(
            month,
            int(settings.get("circulars.min_ratings", 30)),
            int(settings.get("circulars.top_n", 3)),
        )
        if month is not None and not cases
        else []
    )
    if not praise_items and not rating_items:
        raise InvalidInput(
            "所选期间没有可表扬的单位（无表扬工单，也无达到评价量的单位）",
            "nothing to commend in the period (no praise, no unit with enough ratings)",
        )
    numbers = iter(chinese_numeral(i) for i in range(1, 3))
    units = [i["单位"] for i in praise_items] + [i["单位"] for i in rating_items]
    return CircularData(
        values={
            "单位概括": units_summary(units),
            "期间": f"{month.year}年{month.month}月" if month is not None and not cases else "近期",
            "表扬件数": str(len(praises)),
            "表扬单位数": str(len(praise_items)),
            "表扬节号": next(numbers) if praise_items else "",
            "好评节号": next(numbers) if rating_items else "",
        },
        lists={"表扬列表": praise_items, "好评列表": rating_items},
        identities=identities_of_complaints(actor, Complaint.id.in_([c.id for c in praises]))
        if praises and actor is not None
        else set(),
        subject=f"praise {len(praises)}, ratings {len(rating_items)}",
    )


# -- 月度通报 ---------------------------------------------------------------------------------


def percent(rate: float | None) -> str:
    """0.98765 → 98.77%; no data → 无数据."""
    return "无数据" if rate is None else f"{rate * 100:.2f}%"


def points(value: float | None) -> str:
    return "无数据" if value is None else f"{value:.2f}"


def _change(delta: float | None) -> str:
    if delta is None:
        return ""
    if abs(delta) < 0.005:
        return "，与上月持平"
    return f"，较上月{'提高' if delta > 0 else '下降'}{abs(delta):.2f}分"


def _ranked(rows: list[dict[str, Any]]) -> list[dict[str, str]]:
    return [
        {
            "名次": str(r.get("排名") or ""),
            "单位": str(r.get("单位名称") or ""),
            "综合得分": points(r.get("综合得分")),
            "按期办结率": percent(r.get("按期办结率")),
            "满意率": percent(r.get("满意率")),
            "解决率": percent(r.get("解决率")),
            "好评率": percent(r.get("好评率")),
            "名次变化": (
                ""
                if r.get("名次变化") in (None, 0)
                else f"，较上月{'上升' if r['名次变化'] > 0 else '下降'}{abs(r['名次变化'])}位"
            ),
        }
        for r in rows
    ]


def monthly(
    *, month: dt.date | None = None, as_of: dt.datetime | None = None, **_: Any
) -> CircularData:
    """月度通报 from the monthly report's figures: totals, ranking, 红黑榜, 流动红旗, hotspots."""
    if month is None:
        raise InvalidInput(
            "月度通报需要 --month YYYY-MM", "the monthly circular needs --month YYYY-MM"
        )
    from supervise.report import monthly_figures

    figures = monthly_figures(f"{month:%Y-%m}", as_of)
    total = figures.get("total", {})
    boards = figures.get("红黑榜", {})
    red, black = _ranked(boards.get("红榜", [])), _ranked(boards.get("黑榜", []))
    flags = [f["单位名称"] for f in figures.get("流动红旗", [])]
    hot = figures.get("hotspots", {}).get("事项", {}).get("最多", [])[:5]
    hot_items = [
        {
            "事项": str(h["名称"]),
            "单位": str(h.get("单位名称") or ""),
            "受理量": str(h["受理量"]),
            "增长": (
                "与上月持平"
                if h["增长量"] == 0
                else f"{'增加' if h['增长量'] > 0 else '减少'}{abs(h['增长量'])}件"
            ),
        }
        for h in hot
    ]
    return CircularData(
        values={
            "受理量": str(total.get("受理量", 0)),
            "按期办结率": percent(total.get("按期办结率")),
            "满意率": percent(total.get("满意率")),
            "解决率": percent(total.get("解决率")),
            "评价量": str(total.get("评价量", 0)),
            "好评率": percent(total.get("好评率")),
            "差评数": str(total.get("差评数", 0)),
            "差评整改率": percent(total.get("差评整改率")),
            "综合得分": points(total.get("综合得分")),
            "得分变化": _change(total.get("得分变化")),
            "单位数": str(len(figures.get("ranking", []))),
            "流动红旗": "、".join(flags),
            "红榜数": str(len(red)),
            "黑榜数": str(len(black)),
        },
        lists={"红榜": red, "黑榜": black, "热点事项": hot_items},
        subject=f"month {month:%Y-%m}",
    )


# -- hooks -----------------------------------------------------------------------------------


@hookimpl
def supervise_register_circulars() -> list[CircularSpec]:
    return [
        CircularSpec(
            "criticism",
            "通报批评",
            "criticism.txt",
            criticism,
            "已决定的问责案件（--case ID …，或 --month 当月决定通报的案件）",
        ),
        CircularSpec(
            "commendation",
            "表扬通报",
            "commendation.txt",
            commendation,
            "群众表扬的单位与好评率居前的单位（--month，或 --case 表扬工单号 …）",
        ),
        CircularSpec(
            "monthly",
            "月度通报",
            "monthly.txt",
            monthly,
            "当月效能监督情况、综合排名、红黑榜、流动红旗与热点（--month，可加 --as-of）",
        ),
    ]


@hookimpl
def supervise_default_settings() -> dict[str, object]:
    return {
        "circulars.addressee": "各区县政务服务中心，市直各有关单位",
        "circulars.templates_dir": "",
        "circulars.min_ratings": 30,
        "circulars.top_n": 3,
    }
