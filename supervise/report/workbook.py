"""The monthly report workbook (月报.xlsx): sheets 汇总, 排名, 单位明细, 热点 and
趋势, written from :func:`supervise.report.monthly_figures` with the streaming
writer of :mod:`supervise.xlsx` (so the same formula neutralisation applies
to unit and matter names)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from ..auth import Actor
from ..models import CATEGORIES, ESCALATION_LEVELS, now
from ..permissions import ROLE_NAMES
from ..xlsx import FLOAT, GENERAL, INT, RATE, TEXT, Col, Fmt, XlsxBook
from .figures import FORMS, RATES, SURVEY

logger = logging.getLogger(__name__)

#: (figure, kind, one-line definition) for the summary sheet, in order.
SUMMARY = [
    ("受理量", INT, "本月受理的诉求件数（含各类别）"),
    ("应办结量", INT, "办理期限在本月、截至统计时已到期或已反馈的工单（不含不予受理、并单）"),
    ("按期办结量", INT, "其中在期限内反馈的件数"),
    ("按期办结率", RATE, "按期办结量 ÷ 应办结量"),
    ("回访量", INT, "本月进行的回访次数（重办工单每次回访各计一次）"),
    ("满意率", RATE, "回访结果为满意或基本满意的比例"),
    ("解决率", RATE, "回访认定已解决的比例"),
    ("评价量", INT, "本月收到的好差评评价数"),
    ("好评率", RATE, "非常满意、满意（5–4 级）评价的比例"),
    ("差评数", INT, "不满意、非常不满意（2–1 级）评价数"),
    ("差评整改率", RATE, "本月差评中截至统计时已办结的比例"),
    (SURVEY, RATE, "覆盖本月的最新第三方评估满意度（合计按样本量加权）"),
    ("督办量", INT, "本月发起的督办（预警、催办、督办、挂牌督办、约谈提醒）"),
    ("问责量", INT, "本月作出的问责决定（含不予问责）"),
    ("综合得分", FLOAT, "四率加权 × 100，无数据的率不计、其余按权重重新归一"),
]


def _rank_label(row: dict[str, Any], red: set[str], black: set[str]) -> str | None:
    code = row["单位编码"]
    return "红榜" if code in red else ("黑榜" if code in black else None)


def write_workbook(figures: dict[str, Any], path: str | Path, actor: Actor | None = None) -> Path:
    """Write the monthly workbook for ``figures`` to ``path``; returns the path."""
    with XlsxBook(path, cover=False) as book:
        _summary(book, figures, actor)
        _ranking(book, figures)
        _detail(book, figures)
        _hotspots(book, figures)
        _trend(book, figures)
        return book.save()


def _summary(book: XlsxBook, f: dict[str, Any], actor: Actor | None) -> None:
    sheet = book.table(
        "汇总", [Col("项目", TEXT, 18), Col("数值", GENERAL, 22), Col("说明", TEXT, 70)]
    )
    total = f["total"]
    sheet.append(["报告月份", f["月份"], "政务服务效能监督月报"])
    sheet.append(["统计截止时间", f["截止时间"], "各项数字均按此时间之前的记录计算"])
    if actor is not None:
        sheet.append(["制表人", f"{actor.name}（{ROLE_NAMES.get(actor.role, actor.role)}）", None])
    sheet.append(["生成时间", f"{now():%Y-%m-%d %H:%M:%S}", None])
    weights = "，".join(f"{k} {v:g}" for k, v in f["权重"].items())
    sheet.append(["评分权重", weights, "设置项 report.weights、report.survey_weight"])
    for name, kind, note in SUMMARY:
        sheet.append([name, Fmt(total[name], kind), note])
    for category in CATEGORIES:
        sheet.append([f"受理量·{category}", Fmt(total["受理量分类"][category], INT), None])
    sheet.append(["上月受理量", Fmt(total["上月受理量"], INT), None])
    sheet.append(["上月综合得分", Fmt(total["上月综合得分"], FLOAT), None])
    sheet.append(["得分变化", Fmt(total["得分变化"], FLOAT), "本月综合得分 − 上月综合得分"])
    flags = "、".join(r["单位名称"] for r in f["流动红旗"]) or "（无排名单位）"
    sheet.append(["流动红旗", flags, "综合得分第一名"])
    for label, rows in (("红榜", f["红黑榜"]["红榜"]), ("黑榜", f["红黑榜"]["黑榜"])):
        for i, r in enumerate(rows, 1):
            sheet.append(
                [f"{label}{i}", r["单位名称"], f"第 {r['排名']} 名，综合得分 {r['综合得分']:.2f}"]
            )


def _ranking(book: XlsxBook, f: dict[str, Any]) -> None:
    columns = [
        Col("排名", INT),
        Col("单位编码", TEXT, 10),
        Col("单位名称", TEXT, 28),
        Col("单位类型", TEXT, 8),
        Col("综合得分", FLOAT),
        *(Col(name, RATE) for name in (*RATES, SURVEY)),
        Col("上月排名", INT),
        Col("名次变化", INT),
        Col("上月综合得分", FLOAT),
        Col("得分变化", FLOAT),
        Col("榜单", TEXT, 6),
        Col("流动红旗", TEXT, 8),
    ]
    sheet = book.table("排名", columns)
    red = {r["单位编码"] for r in f["红黑榜"]["红榜"]}
    black = {r["单位编码"] for r in f["红黑榜"]["黑榜"]}
    flags = {r["单位编码"] for r in f["流动红旗"]}
    for r in f["ranking"]:
        sheet.append(
            [
                r["排名"],
                r["单位编码"],
                r["单位名称"],
                r["单位类型"],
                r["综合得分"],
                *(r[name] for name in (*RATES, SURVEY)),
                r["上月排名"],
                r["名次变化"],
                r["上月综合得分"],
                r["得分变化"],
                _rank_label(r, red, black),
                "流动红旗" if r["单位编码"] in flags else None,
            ]
        )
    for r in f["units"]:
        if r["排名"] is None:
            sheet.append(
                [
                    None,
                    r["单位编码"],
                    r["单位名称"],
                    r["单位类型"],
                    None,
                    *([None] * 9),
                    "不参与排名",
                    None,
                ]
            )


DETAIL = [
    ("受理量", INT),
    *((f"受理量·{c}", INT) for c in CATEGORIES),
    ("上月受理量", INT),
    ("应办结量", INT),
    ("按期办结量", INT),
    ("按期办结率", RATE),
    ("回访量", INT),
    ("满意量", INT),
    ("满意率", RATE),
    ("解决量", INT),
    ("解决率", RATE),
    ("评价量", INT),
    ("好评量", INT),
    ("好评率", RATE),
    ("差评数", INT),
    ("差评办结数", INT),
    ("差评整改率", RATE),
    (SURVEY, RATE),
    ("督办量", INT),
    *((f"督办·{level}", INT) for level in ESCALATION_LEVELS),
    ("问责量", INT),
    ("问责形式", TEXT),
    ("综合得分", FLOAT),
    ("排名", INT),
]


def _detail_values(r: dict[str, Any]) -> list[Any]:
    values: list[Any] = []
    for name, _ in DETAIL:
        if name.startswith("受理量·"):
            values.append(r["受理量分类"][name.split("·")[1]])
        elif name.startswith("督办·"):
            values.append(r["督办"][name.split("·")[1]])
        elif name == "问责形式":
            values.append("、".join(f"{k} {r['问责'][k]}" for k in FORMS if r["问责"][k]) or None)
        else:
            values.append(r.get(name))
    return values


def _detail(book: XlsxBook, f: dict[str, Any]) -> None:
    columns = [
        Col("单位编码", TEXT, 10),
        Col("单位名称", TEXT, 28),
        Col("单位类型", TEXT, 8),
        *(Col(name, kind, 18 if name == "问责形式" else None) for name, kind in DETAIL),
    ]
    sheet = book.table("单位明细", columns)
    for r in f["units"]:
        sheet.append([r["单位编码"], r["单位名称"], r["单位类型"], *_detail_values(r)])
    sheet.append([None, "合计", None, *_detail_values({**f["total"], "排名": None})])


def _hotspots(book: XlsxBook, f: dict[str, Any]) -> None:
    columns = [
        Col("维度", TEXT, 8),
        Col("榜单", TEXT, 10),
        Col("名次", INT),
        Col("编码", TEXT, 10),
        Col("名称", TEXT, 30),
        Col("所属单位", TEXT, 22),
        Col("受理量", INT),
        Col("上月受理量", INT),
        Col("增长量", INT),
        Col("增长率", RATE),
        Col("法定时限", INT),
        Col("承诺时限", INT),
        Col("未达压缩目标", TEXT, 8),
    ]
    sheet = book.table("热点", columns)
    h = f["hotspots"]
    for dimension in ("事项", "类别", "单位"):
        for board in ("最多", "增长最快"):
            for i, item in enumerate(h[dimension][board], 1):
                sheet.append(
                    _hot_row(dimension, "受理最多" if board == "最多" else "增长最快", i, item)
                )
    for i, item in enumerate(h["承诺时限未达标事项"], 1):
        sheet.append(_hot_row("事项", "承诺时限超25%", i, item))


def _hot_row(dimension: str, board: str, i: int, item: dict[str, Any]) -> list[Any]:
    late = item.get("未达压缩目标")
    return [
        dimension,
        board,
        i,
        item["编码"],
        item["名称"],
        item.get("单位名称"),
        item["受理量"],
        item["上月受理量"],
        item["增长量"],
        item["增长率"],
        item.get("法定时限"),
        item.get("承诺时限"),
        None if late is None else ("是" if late else "否"),
    ]


def _trend(book: XlsxBook, f: dict[str, Any]) -> None:
    keys = [k for k in f["trend"][0] if k != "月份"] if f["trend"] else []
    kinds = {k: (RATE if k.endswith("率") else FLOAT if k == "综合得分" else INT) for k in keys}
    sheet = book.table("趋势", [Col("月份", TEXT, 10), *(Col(k, kinds[k]) for k in keys)])
    for row in f["trend"]:
        sheet.append([row["月份"], *(row[k] for k in keys)])


__all__ = ["write_workbook"]
