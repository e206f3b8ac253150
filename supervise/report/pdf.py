"""The monthly report PDF (月报.pdf): the same figures as the workbook, laid out
on A4 with reportlab's own graphics — horizontal bars for the ranking and
lines for the six-month trend — in an embedded CJK TrueType font found by
:func:`supervise.fonts.find_font` (黑体 for headings and charts, 仿宋 for text),
so that the text extracts as Chinese."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from reportlab.graphics.charts.barcharts import HorizontalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.charts.linecharts import HorizontalLineChart
from reportlab.graphics.shapes import Drawing, String
from reportlab.graphics.widgets.markers import makeMarker
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from ..auth import Actor
from ..fonts import find_font
from ..models import CATEGORIES, now
from ..permissions import ROLE_NAMES
from .figures import RATES

logger = logging.getLogger(__name__)

WIDTH = A4[0] - 36 * mm  # the text block
RED, BLACK_LIST = colors.HexColor("#C00000"), colors.HexColor("#404040")
LINE_COLORS = [colors.HexColor(c) for c in ("#1F77B4", "#2CA02C", "#FF7F0E", "#9467BD", "#C00000")]
MISSING = "—"


def pct(value: float | None) -> str:
    return MISSING if value is None else f"{value * 100:.2f}%"


def num(value: float | int | None, places: int = 2) -> str:
    if value is None:
        return MISSING
    return f"{value:,}" if isinstance(value, int) else f"{value:.{places}f}"


def signed(value: float | int | None, places: int = 2) -> str:
    if value is None:
        return MISSING
    return f"{value:+d}" if isinstance(value, int) else f"{value:+.{places}f}"


class Styles:
    def __init__(self) -> None:
        self.hei = find_font("黑体").name
        self.song = find_font("仿宋").name
        self.title = ParagraphStyle(
            "title", fontName=self.hei, fontSize=18, leading=26, alignment=1, spaceAfter=4
        )
        self.meta = ParagraphStyle(
            "meta",
            fontName=self.song,
            fontSize=9,
            leading=13,
            alignment=1,
            textColor=colors.HexColor("#555555"),
            spaceAfter=8,
        )
        self.h1 = ParagraphStyle(
            "h1", fontName=self.hei, fontSize=13, leading=20, spaceBefore=10, spaceAfter=4
        )
        self.body = ParagraphStyle(
            "body",
            fontName=self.song,
            fontSize=10.5,
            leading=17,
            firstLineIndent=21,
            wordWrap="CJK",
        )
        self.cell = ParagraphStyle(
            "cell", fontName=self.song, fontSize=8, leading=10, wordWrap="CJK"
        )

    def table(
        self,
        rows: list[list[Any]],
        widths: list[float],
        *,
        left: tuple[int, ...] = (0, 1),
        header_color: Any = None,
    ) -> Table:
        """A grid with a shaded header; columns in ``left`` are text, the others numbers."""
        data = [
            [Paragraph(str(v), self.cell) if isinstance(v, str) and len(v) > 12 else v for v in row]
            for row in rows
        ]
        table = Table(data, colWidths=widths, repeatRows=1)
        table.setStyle(
            TableStyle(
                [
                    ("FONTNAME", (0, 0), (-1, -1), self.song),
                    ("FONTNAME", (0, 0), (-1, 0), self.hei),
                    ("FONTSIZE", (0, 0), (-1, -1), 8),
                    ("LEADING", (0, 0), (-1, -1), 10),
                    ("BACKGROUND", (0, 0), (-1, 0), header_color or colors.HexColor("#DDEBF7")),
                    ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#999999")),
                    ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                    ("ALIGN", (0, 1), (-1, -1), "RIGHT"),
                    *(("ALIGN", (i, 1), (i, -1), "LEFT") for i in left),
                ]
            )
        )
        return table


def write_pdf(figures: dict[str, Any], path: str | Path, actor: Actor | None = None) -> Path:
    """Write the monthly report PDF for ``figures`` to ``path``; returns the path."""
    path = Path(path)
    s = Styles()
    year, month = figures["月份"].split("-")
    title = f"{year}年{int(month)}月政务服务效能监督月报"
    doc = SimpleDocTemplate(
        str(path),
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
        title=title,
        author=actor.name if actor else "supervise",
        subject="政务服务效能监督月报",
        creator="supervise",
    )
    who = f"　制表：{actor.name}（{ROLE_NAMES.get(actor.role, actor.role)}）" if actor else ""
    story: list[Any] = [
        Paragraph(title, s.title),
        Paragraph(
            f"统计截止：{figures['截止时间'][:16]}{who}　生成：{now():%Y-%m-%d %H:%M}", s.meta
        ),
        Paragraph("一、总体情况", s.h1),
        Paragraph(_overview(figures), s.body),
        _summary_table(s, figures),
        Paragraph("二、流动红旗与红黑榜", s.h1),
        Paragraph(_flags(figures), s.body),
        *_boards(s, figures),
        *_ranking(s, figures),
        Paragraph("四、热点", s.h1),
        *_hotspots(s, figures),
        Paragraph("五、近六个月趋势", s.h1),
        KeepTogether([*_trend_chart(s, figures), _trend_table(s, figures)]),
        Paragraph("附：指标口径", s.h1),
        Paragraph(
            "受理量为本月受理的诉求件数；按期办结率为办理期限在本月、截至统计时已到期或已反馈的工单中按期反馈的比例；"
            "满意率、解决率以本月回访为基数；好评率为 5–4 级评价占本月评价的比例；差评整改率为本月差评中截至统计时已办结的比例；"
            "综合得分为各率按设置权重加权后乘以 100，无数据的率不计入并按其余权重重新归一。详细口径见 docs/REPORT.md。",
            s.body,
        ),
    ]
    doc.build(story, onFirstPage=_page_number(s), onLaterPages=_page_number(s))
    return path


def _page_number(s: Styles) -> Any:
    def draw(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont(s.song, 9)
        canvas.drawCentredString(A4[0] / 2, 10 * mm, f"— {doc.page} —")
        canvas.restoreState()

    return draw


def _overview(f: dict[str, Any]) -> str:
    t = f["total"]
    kinds = "、".join(f"{k} {t['受理量分类'][k]} 件" for k in CATEGORIES if t["受理量分类"][k])
    escalations = "、".join(f"{k} {n} 件" for k, n in t["督办"].items() if n)
    cases = "、".join(f"{k} {n} 件" for k, n in t["问责"].items() if n)
    change = (
        f"（上月 {num(t['上月综合得分'])}，变化 {signed(t['得分变化'])}）"
        if t["上月综合得分"] is not None
        else ""
    )
    return (
        f"本月共受理诉求 {t['受理量']:,} 件（上月 {t['上月受理量']:,} 件）"
        + (f"，其中{kinds}" if kinds else "")
        + f"。应办结 {t['应办结量']:,} 件，按期办结 {t['按期办结量']:,} 件，按期办结率 {pct(t['按期办结率'])}；"
        f"回访 {t['回访量']:,} 次，满意率 {pct(t['满意率'])}，解决率 {pct(t['解决率'])}；"
        f"收到好差评 {t['评价量']:,} 条，好评率 {pct(t['好评率'])}，差评 {t['差评数']:,} 条，差评整改率 {pct(t['差评整改率'])}。"
        f"发起督办 {t['督办量']:,} 件"
        + (f"（{escalations}）" if escalations else "")
        + f"，作出问责决定 {t['问责量']:,} 件"
        + (f"（{cases}）" if cases else "")
        + f"。全市综合得分 {num(t['综合得分'])}{change}。"
    )


def _summary_table(s: Styles, f: dict[str, Any]) -> Table:
    t = f["total"]
    rows = [
        [
            "受理量",
            "按期办结率",
            "满意率",
            "解决率",
            "好评率",
            "差评整改率",
            "第三方满意度",
            "综合得分",
        ],
        [
            num(t["受理量"]),
            pct(t["按期办结率"]),
            pct(t["满意率"]),
            pct(t["解决率"]),
            pct(t["好评率"]),
            pct(t["差评整改率"]),
            pct(t["第三方满意度"]),
            num(t["综合得分"]),
        ],
    ]
    return s.table(rows, [WIDTH / 8] * 8, left=())


def _flags(f: dict[str, Any]) -> str:
    if not f["流动红旗"]:
        return "本月没有可参与排名的单位。"
    names = "、".join(r["单位名称"] for r in f["流动红旗"])
    return (
        f"本月综合得分第一名 {names}（{num(f['流动红旗'][0]['综合得分'])} 分）获得流动红旗。"
        f"参与排名单位 {len(f['ranking'])} 个，红榜、黑榜各列前五名和后五名（单位不足十个时按半数分列）。"
    )


def _boards(s: Styles, f: dict[str, Any]) -> list[Any]:
    out = []
    for label, color in (("红榜", RED), ("黑榜", BLACK_LIST)):
        rows = [[label, "名次", "单位", "综合得分", "名次变化"]]
        rows += [
            ["", r["排名"], r["单位名称"], num(r["综合得分"]), signed(r["名次变化"])]
            for r in f["红黑榜"][label]
        ]
        if len(rows) > 1:
            table = s.table(
                rows,
                [14 * mm, 14 * mm, WIDTH - 72 * mm, 22 * mm, 22 * mm],
                left=(0, 2),
                header_color=colors.HexColor("#F8D7DA")
                if color is RED
                else colors.HexColor("#D9D9D9"),
            )
            out += [table, Spacer(1, 4 * mm)]
    return out


#: Units per bar chart: a chart of 40 bars fits one A4 page (300 units: 8 charts).
BARS_PER_CHART = 40


def _bars(s: Styles, part: list[dict[str, Any]], title: str) -> Drawing:
    """One horizontal bar chart of the scores of ``part`` (best at the top)."""
    height = max(60, 14 * len(part)) + 30
    d = Drawing(WIDTH, height)
    chart = HorizontalBarChart()
    chart.x, chart.y, chart.width, chart.height = 150, 15, WIDTH - 190, height - 25
    chart.data = [[r["综合得分"] for r in reversed(part)]]
    chart.categoryAxis.categoryNames = [
        f"{r['排名']}. {r['单位名称']}"[:18] for r in reversed(part)
    ]
    chart.categoryAxis.labels.fontName = s.song
    chart.categoryAxis.labels.fontSize = 7
    chart.categoryAxis.labels.boxAnchor = "e"
    chart.valueAxis.valueMin, chart.valueAxis.valueMax = 0, 100
    chart.valueAxis.valueStep = 20
    chart.valueAxis.labels.fontName = s.song
    chart.valueAxis.labels.fontSize = 7
    chart.bars[0].fillColor = colors.HexColor("#4472C4")
    chart.barLabelFormat = "%.2f"
    chart.barLabels.fontName = s.song
    chart.barLabels.fontSize = 6
    chart.barLabels.boxAnchor = "w"
    chart.barLabels.dx = 2
    d.add(chart)
    d.add(String(WIDTH / 2, height - 8, title, fontName=s.hei, fontSize=9, textAnchor="middle"))
    return d


def _ranking(s: Styles, f: dict[str, Any]) -> list[Any]:
    ranking, heading = f["ranking"], Paragraph("三、综合得分排名", s.h1)
    if not ranking:
        return [heading, Paragraph("本月没有可参与排名的单位。", s.body)]
    parts = [ranking[i : i + BARS_PER_CHART] for i in range(0, len(ranking), BARS_PER_CHART)]
    charts = [
        _bars(
            s,
            part,
            "各单位综合得分"
            if len(parts) == 1
            else f"各单位综合得分（第 {i + 1}/{len(parts)} 组）",
        )
        for i, part in enumerate(parts)
    ]
    rows = [["名次", "单位", "得分", *RATES, "名次变化", "得分变化"]]
    rows += [
        [
            r["排名"],
            r["单位名称"],
            num(r["综合得分"]),
            *(pct(r[k]) for k in RATES),
            signed(r["名次变化"]),
            signed(r["得分变化"]),
        ]
        for r in ranking
    ]
    widths = [10 * mm, WIDTH - 130 * mm, 14 * mm, *([17 * mm] * 4), 14 * mm, 14 * mm]
    return [
        KeepTogether([heading, charts[0]]),
        *charts[1:],
        Spacer(1, 3 * mm),
        s.table(rows, widths, left=(1,)),
    ]


def _hotspots(s: Styles, f: dict[str, Any]) -> list[Any]:
    h, out = f["hotspots"], []
    for dimension, label in (("事项", "事项"), ("类别", "诉求类别"), ("单位", "单位")):
        for board, words in (("最多", "受理量最多的"), ("增长最快", "受理量增长最快的")):
            items = h[dimension][board]
            if not items:
                continue
            out.append(Paragraph(f"{words}{label}", s.body))
            rows: list[list[Any]] = [["名次", "名称", "受理量", "上月", "增长量", "增长率"]]
            rows += [
                [
                    i,
                    item["名称"] + ("（承诺时限未达标）" if item.get("未达压缩目标") else ""),
                    num(item["受理量"]),
                    num(item["上月受理量"]),
                    signed(item["增长量"]),
                    pct(item["增长率"]),
                ]
                for i, item in enumerate(items, 1)
            ]
            out += [
                s.table(rows, [12 * mm, WIDTH - 92 * mm, *([20 * mm] * 4)], left=(1,)),
                Spacer(1, 3 * mm),
            ]
    late = h["承诺时限未达标事项"]
    text = (
        f"承诺时限超过法定时限 25% 的事项 {len(late)} 项（未达到压缩 75% 的目标）"
        + (
            "："
            + "、".join(
                f"{m['名称']}（法定 {m['法定时限']} 日、承诺 {m['承诺时限']} 日）"
                for m in late[:20]
            )
            + ("等" if len(late) > 20 else "")
            if late
            else ""
        )
        + "。"
    )
    out.append(Paragraph(text, s.body))
    return out


def _trend_chart(s: Styles, f: dict[str, Any]) -> list[Any]:
    trend = f["trend"]
    names = [*RATES, "综合得分"]
    if all(r[n] is None for r in trend for n in names):
        return [Paragraph("近六个月暂无可计算的比率。", s.body)]
    d = Drawing(WIDTH, 190)
    chart = HorizontalLineChart()
    chart.x, chart.y, chart.width, chart.height = 40, 40, WIDTH - 150, 130
    chart.data = [
        [(r[n] * 100 if n in RATES else r[n]) if r[n] is not None else None for r in trend]
        for n in names
    ]
    chart.categoryAxis.categoryNames = [r["月份"] for r in trend]
    chart.categoryAxis.labels.fontName = s.song
    chart.categoryAxis.labels.fontSize = 7
    values = [v for series in chart.data for v in series if v is not None]
    low = max(0, (int(min(values)) - 5) // 10 * 10) if values else 0
    chart.valueAxis.valueMin, chart.valueAxis.valueMax = low, 100
    chart.valueAxis.valueStep = 20 if low < 40 else 10
    chart.valueAxis.labels.fontName = s.song
    chart.valueAxis.labels.fontSize = 7
    for i, color in enumerate(LINE_COLORS[: len(names)]):
        points = sum(v is not None for v in chart.data[i])
        chart.lines[i].strokeColor = color if points >= 2 else None  # one point: a marker, no line
        chart.lines[i].strokeWidth = 1.5
        chart.lines[i].symbol = makeMarker(
            "FilledCircle", size=3, fillColor=color, strokeColor=color
        )
    d.add(chart)
    legend = Legend()
    legend.x, legend.y = WIDTH - 100, 160
    legend.fontName, legend.fontSize = s.song, 8
    legend.columnMaximum, legend.alignment = len(names), "right"
    legend.colorNamePairs = list(
        zip(LINE_COLORS, [f"{n}（%）" if n in RATES else n for n in names], strict=False)
    )
    d.add(legend)
    d.add(
        String(
            WIDTH / 2 - 50,
            180,
            "近六个月各率与综合得分",
            fontName=s.hei,
            fontSize=9,
            textAnchor="middle",
        )
    )
    return [d]


def _trend_table(s: Styles, f: dict[str, Any]) -> Table:
    rows = [["月份", "受理量", *RATES, "差评数", "综合得分"]]
    rows += [
        [
            r["月份"],
            num(r["受理量"]),
            *(pct(r[k]) for k in RATES),
            num(r["差评数"]),
            num(r["综合得分"]),
        ]
        for r in f["trend"]
    ]
    return s.table(rows, [WIDTH / 8] * 8, left=(0,))


__all__ = ["write_pdf"]
