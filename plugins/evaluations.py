"""Built-in evaluation importers: ``ratings`` 好差评评价明细, ``survey`` 第三方评估结果,
``findings`` 社会监督员提交表 (SPEC §4, §5).  ``hotline`` lives in :mod:`.hotline`.

Every row keeps its source (the format name) and its external id, so that
importing the same file again adds nothing: ratings by 评价编号 (``ON
CONFLICT DO NOTHING`` on the unique (source, external id) index, counted as
duplicates), survey results by agency, period and unit, findings by the
review they belong to (supervisor, date, unit, method).  Rows are written
in bulk on the raw cursor inside the engine's transaction; the engine
writes the one audit entry of the batch.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from typing import Any

from supervise import hookimpl, identity, search, settings
from supervise.bulk import ids_by_key
from supervise.db import database
from supervise.extension import Column, ImporterSpec
from supervise.import_values import (
    as_int,
    parse_bool,
    parse_choice,
    parse_date,
    parse_datetime,
    parse_number,
    parse_period,
    parse_rate,
    text,
)
from supervise.importing import ImportContext
from supervise.models import (
    FINDING_CATEGORIES,
    RATING_CHANNELS,
    RATING_LEVELS,
    REVIEW_METHODS,
    SEVERITIES,
    Finding,
    Rating,
    Review,
    SurveyResult,
    TimelineEvent,
    Unit,
    User,
    now,
)
from supervise.tabular import Row

logger = logging.getLogger(__name__)

UNIT_CODE = Column(
    "单位编码", True, ("单位代码", "被评价单位编码"), "须为系统中已有的单位编码", example="U01"
)
UNKNOWN_UNIT = "单位编码不存在 unknown unit code"
FUTURE = "时间晚于当前时间 lies in the future"

# -- ratings 好差评评价明细 -----------------------------------------------------------

LEVEL_NAMES = tuple(RATING_LEVELS[level] for level in (5, 4, 3, 2, 1))
LEVELS: dict[Any, int] = {
    **{w: lv for lv, w in RATING_LEVELS.items()},
    **{lv: lv for lv in RATING_LEVELS},
    **{str(lv): lv for lv in RATING_LEVELS},
}
BAD_LEVELS = (1, 2)
RATING_CHANNEL_ALIASES = {
    "线上": "网上",
    "网上办事大厅": "网上",
    "PC端": "网上",
    "pc端": "网上",
    "移动端": "掌上",
    "APP": "掌上",
    "app": "掌上",
    "小程序": "掌上",
    "自助机": "自助终端",
    "12345": "热线",
    "电话": "热线",
    "短信评价": "短信",
    "现场": "窗口",
    "评价器": "窗口",
}
RATING_COLUMNS = (
    Column(
        "评价编号",
        True,
        ("评价ID", "评价单号"),
        "好差评系统中的唯一编号，重复导入按它去重",
        example="PJ202610050001",
    ),
    Column("评价时间", True, ("评价日期",), "如 2026-10-05 14:03", example="2026-10-05 14:03"),
    UNIT_CODE,
    Column(
        "评价等级",
        True,
        ("评价结果",),
        "1–5 或 非常满意…非常不满意；1、2（不满意、非常不满意）为差评",
        LEVEL_NAMES,
        "满意",
    ),
    Column(
        "单位名称", False, ("被评价单位",), "仅供核对，不导入", example="市人力资源和社会保障局"
    ),
    Column("服务窗口", False, ("窗口",), example="社保综合窗口"),
    Column("工作人员工号", False, ("工号",), "须为已有工作人员"),
    Column("工作人员姓名", False, ("工作人员",), "仅供核对，不导入"),
    Column("事项编码", False, ("事项代码",), "须为已有事项"),
    Column("事项名称", False, (), "仅供核对，不导入"),
    Column("评价渠道", False, ("渠道",), "默认 窗口", RATING_CHANNELS, "窗口"),
    Column("差评原因", False, ("不满意原因",)),
    Column("评价内容", False, ("评价意见", "留言")),
    Column("评价人", False, ("评价人姓名",)),
    Column("联系电话", False, ("评价人电话", "手机号码")),
    Column("是否实名", False, (), "默认：填了评价人即为实名；实名差评必须回访", ("是", "否")),
)
RATING_FIELDS = (
    "source",
    "batch",
    "external_id",
    "unit",
    "window",
    "staff",
    "matter",
    "channel",
    "level",
    "bad",
    "reasons",
    "comment",
    "identity_sealed",
    "masked_name",
    "masked_phone",
    "real_name",
    "rated_at",
    "status",
    "contact_due_at",
)


def import_ratings(ctx: ImportContext, rows: Iterable[Row], **_: object) -> None:
    """好差评 rows → Rating; a 差评 opens the handling loop at 待核实 (SPEC §2.3)."""
    units, staff, matters = ctx.codes("units"), ctx.codes("staff"), ctx.codes("matters")
    contact_days = int(settings.get("rating.contact_days"))
    calendar = ctx.calendar
    due_by_day: dict[dt.date, dt.datetime] = {}
    horizon = now() + dt.timedelta(minutes=5)
    seen: set[str | None] = set()
    out = ctx.writer(Rating, RATING_FIELDS, conflict=("source", "external_id"))
    seal = identity.sealer()  # one ephemeral key for the batch; the public key only
    batch, error = ctx.batch.id, ctx.error
    for row in rows:
        v = row.cells
        ok = True
        key = text(v["评价编号"])
        if key in seen:
            error(row, "评价编号", "文件内评价编号重复 duplicate id in the file")
            ok = False
        else:
            seen.add(key)
        try:
            rated = parse_datetime(v["评价时间"])
            if rated > horizon:
                error(row, "评价时间", FUTURE)
                ok = False
        except ValueError as exc:
            error(row, "评价时间", str(exc))
            ok = False
        unit = units.get(text(v["单位编码"]) or "")
        if unit is None:
            error(row, "单位编码", UNKNOWN_UNIT)
            ok = False
        level = LEVELS.get(v["评价等级"])
        if level is None:
            error(row, "评价等级", f"评价等级应为 1–5 或 {'/'.join(LEVEL_NAMES)} bad level")
            ok = False
        channel = v.get("评价渠道") or "窗口"
        if channel not in RATING_CHANNELS:
            try:
                channel = parse_choice(channel, RATING_CHANNELS, RATING_CHANNEL_ALIASES)
            except ValueError as exc:
                error(row, "评价渠道", str(exc))
                ok = False
        staff_id = matter_id = None
        if v.get("工作人员工号") is not None:
            staff_id = staff.get(text(v["工作人员工号"]) or "")
            if staff_id is None:
                error(row, "工作人员工号", "工号不存在 unknown staff number")
                ok = False
        if v.get("事项编码") is not None:
            matter_id = matters.get(text(v["事项编码"]) or "")
            if matter_id is None:
                error(row, "事项编码", "事项编码不存在 unknown matter code")
                ok = False
        rater = text(v.get("评价人"))
        real_name = rater is not None
        if v.get("是否实名") is not None:
            try:
                real_name = parse_bool(v["是否实名"], ("实名",), ("匿名",))
            except ValueError as exc:
                error(row, "是否实名", str(exc))
                ok = False
            if real_name and rater is None:
                error(
                    row, "评价人", "实名评价须填写评价人 a real-name rating needs the rater's name"
                )
                ok = False
        if not ok:
            continue
        bad = level in BAD_LEVELS
        due = None
        if bad:
            day = rated.date()
            due = due_by_day.get(day)
            if due is None:
                due = due_by_day[day] = calendar.due_at(day, contact_days)
        out.add(
            (
                "ratings",
                batch,
                key,
                unit,
                text(v.get("服务窗口")) or "",
                staff_id,
                matter_id,
                channel,
                level,
                bad,
                text(v.get("差评原因")) or "",
                text(v.get("评价内容")) or "",
                *_identity(seal, unit, rated, key, rater, text(v.get("联系电话"))),
                real_name,
                rated,
                "待核实" if bad else "无需处理",
                due,
            )
        )
    out.flush()
    ctx.imported += out.inserted
    ctx.duplicates += out.attempted - out.inserted
    if out.inserted and not ctx.stopped:
        _rating_timeline(ctx)
        search.index_ratings_where(Rating.batch == ctx.batch.id)


def _identity(
    seal: identity.Sealer,
    unit: int | None,
    rated: dt.datetime,
    key: str | None,
    rater: str | None,
    phone: str | None,
) -> tuple[str | None, str | None, str | None]:
    if rater is None and phone is None:
        return None, None, None
    cols = identity.rating_columns(
        seal, identity.rating_aad(unit, rated, "ratings", key), rater, phone
    )
    return cols["identity_sealed"], cols["masked_name"], cols["masked_phone"]


def _rating_timeline(ctx: ImportContext) -> None:
    """One 评价 timeline event per imported 差评, in one INSERT … SELECT."""
    t, r, p = TimelineEvent._meta.table_name, Rating._meta.table_name, database.param
    words = " ".join(f"WHEN {level} THEN '{RATING_LEVELS[level]}'" for level in BAD_LEVELS)
    database.execute_sql(
        f'INSERT INTO "{t}" (record_kind, record_id, at, actor, action, status, note) '
        f"SELECT 'rating', id, rated_at, {p}, '评价', status, "
        f"(CASE level {words} END) || '（' || channel || '），差评，' "
        f"|| substr(CAST(contact_due_at AS TEXT), 1, 10) || {p} "
        f'FROM "{r}" WHERE batch_id = {p} AND bad = {p}',
        (ctx.actor.name, f" 前核实联系（导入批次 {ctx.batch.id}）", ctx.batch.id, True),
    )


# -- survey 第三方评估结果 ---------------------------------------------------------


SURVEY_COLUMNS = (
    Column("评估机构", True, ("第三方机构", "评估单位"), example="某某社情民意调查中心"),
    Column(
        "评估期间",
        True,
        ("评估周期",),
        "如 2026年第一季度、2026年3月、2026-01至2026-03、2026年上半年",
        example="2026年第一季度",
    ),
    UNIT_CODE,
    Column("样本量", True, ("有效样本量", "样本数"), "正整数", example="400"),
    Column(
        "满意度", True, ("满意率",), "0–1 的比例、百分数（92.5%）或 0–100 的数", example="92.5%"
    ),
    Column("单位名称", False, (), "仅供核对，不导入"),
    Column("综合得分", False, ("得分",), "0–100"),
    Column("主要问题", False, ("存在问题",)),
)


def import_survey(ctx: ImportContext, rows: Iterable[Row], **_: object) -> None:
    """第三方评估 rows → SurveyResult, keyed by agency, period and unit."""
    units = ctx.codes("units")
    existing = {k for (k,) in SurveyResult.select(SurveyResult.external_id).tuples()}
    seen: set[str | None] = set()
    out = ctx.writer(
        SurveyResult,
        (
            "agency",
            "period_start",
            "period_end",
            "unit",
            "sample_size",
            "satisfaction",
            "score",
            "problems",
            "batch",
            "external_id",
        ),
    )
    for row in rows:
        v, ok = row.cells, True
        agency = text(v["评估机构"])
        code = text(v["单位编码"])
        unit = units.get(code or "")
        if unit is None:
            ctx.error(row, "单位编码", UNKNOWN_UNIT)
            ok = False
        start: dt.date | None
        end: dt.date | None
        try:
            start, end = parse_period(v["评估期间"])
        except ValueError as exc:
            ctx.error(row, "评估期间", str(exc))
            start = end = None
            ok = False
        try:
            sample = as_int(v["样本量"])
            if sample < 1:
                raise ValueError
        except ValueError:
            ctx.error(row, "样本量", "样本量应为正整数 must be a positive whole number")
            ok = False
        try:
            satisfaction = parse_rate(v["满意度"])
        except ValueError as exc:
            ctx.error(row, "满意度", str(exc))
            ok = False
        score = None
        if v.get("综合得分") is not None:
            try:
                score = parse_number(v["综合得分"])
                if not 0 <= score <= 100:
                    raise ValueError
            except ValueError:
                ctx.error(row, "综合得分", "综合得分应为 0–100 must be 0–100")
                ok = False
        key = f"{agency}|{start}|{end}|{code}"
        if start is not None and key in seen:
            ctx.error(
                row,
                "评估期间",
                "文件内同一机构、期间、单位重复 duplicate agency, period and unit in the file",
            )
            ok = False
        seen.add(key)
        if not ok:
            continue
        if key in existing:
            ctx.duplicates += 1
            continue
        out.add(
            (
                agency,
                start,
                end,
                unit,
                sample,
                satisfaction,
                score,
                text(v.get("主要问题")) or "",
                ctx.batch.id,
                key,
            )
        )
    out.flush()
    ctx.imported += out.inserted


# -- findings 社会监督员提交表 -----------------------------------------------------


SCORE_COLUMNS = ("工作态度", "服务品质", "管理水准")
FINDING_COLUMNS = (
    Column(
        "监督员",
        True,
        ("社会监督员", "监督员姓名"),
        "姓名；与系统中的监督员账号同名时，本人可查看",
        example="李四",
    ),
    Column("评议日期", True, ("监督日期",), "如 2026-10-05", example="2026-10-05"),
    UNIT_CODE,
    Column(
        "问题描述",
        True,
        ("发现问题",),
        "一行一条问题；同一监督员、日期、单位、方式的各行合为一次评议",
        example="窗口工作人员上班时间玩手机",
    ),
    Column("评议方式", False, ("监督方式",), "默认 暗访", REVIEW_METHODS, "暗访"),
    Column("问题类别", False, ("类别",), "默认 其他", FINDING_CATEGORIES, "纪律"),
    Column("严重程度", False, (), "默认 一般", SEVERITIES, "一般"),
    *(
        Column(name, False, (), "0–100 的整数；同一次评议只填一次或各行相同")
        for name in SCORE_COLUMNS
    ),
)
REVIEW_FIELDS = (
    "reviewer",
    "reviewer_name",
    "unit",
    "review_date",
    "method",
    "score_attitude",
    "score_quality",
    "score_management",
    "status",
    "source",
    "batch",
    "external_id",
    "created_at",
)


def import_findings(ctx: ImportContext, rows: Iterable[Row], **_: object) -> None:
    """社会监督员 rows → Review (待审核) with one Finding per row."""
    units = ctx.codes("units")
    supervisors = dict(User.select(User.name, User.id).where(User.role == "supervisor").tuples())
    today = now().date()
    reviews: dict[str, dict[str, Any]] = {}
    for row in rows:
        v, ok = row.cells, True
        name, code = text(v["监督员"]), text(v["单位编码"])
        unit = units.get(code or "")
        if unit is None:
            ctx.error(row, "单位编码", UNKNOWN_UNIT)
            ok = False
        try:
            day = parse_date(v["评议日期"])
            if day > today:
                ctx.error(row, "评议日期", FUTURE)
                ok = False
        except ValueError as exc:
            ctx.error(row, "评议日期", str(exc))
            day, ok = None, False
        choices = {}
        for column, allowed, default in (
            ("评议方式", REVIEW_METHODS, "暗访"),
            ("问题类别", FINDING_CATEGORIES, "其他"),
            ("严重程度", SEVERITIES, "一般"),
        ):
            try:
                choices[column] = (
                    parse_choice(v[column], allowed) if v.get(column) is not None else default
                )
            except ValueError as exc:
                ctx.error(row, column, str(exc))
                ok = False
        scores: list[int | None] = []
        for column in SCORE_COLUMNS:
            if v.get(column) is None:
                scores.append(None)
                continue
            try:
                score = as_int(v[column])
                if not 0 <= score <= 100:
                    raise ValueError
                scores.append(score)
            except ValueError:
                ctx.error(row, column, "评分应为 0–100 的整数 scores are whole numbers 0–100")
                scores.append(None)
                ok = False
        if not ok:
            continue
        key = f"{name}|{day}|{code}|{choices['评议方式']}"
        review = reviews.setdefault(
            key,
            {
                "name": name,
                "day": day,
                "unit": unit,
                "method": choices["评议方式"],
                "scores": [None, None, None],
                "findings": [],
                "descriptions": set(),
            },
        )
        description = text(v["问题描述"])
        if description in review["descriptions"]:
            ctx.error(row, "问题描述", "同一次评议中问题重复 duplicate finding in the same review")
            continue
        for i, column in enumerate(SCORE_COLUMNS):
            if scores[i] is not None and review["scores"][i] not in (None, scores[i]):
                ctx.error(
                    row, column, "同一次评议的评分与前面的行不一致 scores differ within one review"
                )
                ok = False
        if not ok:
            continue
        for i, given in enumerate(scores):
            if given is not None:
                review["scores"][i] = given
        review["descriptions"].add(description)
        review["findings"].append((description, choices["问题类别"], choices["严重程度"]))
    _write_reviews(ctx, reviews, supervisors)


def _write_reviews(
    ctx: ImportContext, reviews: dict[str, dict[str, Any]], supervisors: dict[str, int]
) -> None:
    if ctx.stopped or not reviews:
        return
    from supervise.bulk import existing_keys

    stored = existing_keys(Review, "findings", list(reviews))
    for key in stored:
        ctx.duplicates += len(reviews.pop(key)["findings"])
    at = now()
    out = ctx.writer(Review, REVIEW_FIELDS, conflict=("source", "external_id"))
    for key, r in reviews.items():
        out.add(
            (
                supervisors.get(r["name"]),
                r["name"],
                r["unit"],
                r["day"],
                r["method"],
                *r["scores"],
                "待审核",
                "findings",
                ctx.batch.id,
                key,
                at,
            )
        )
    out.flush()
    if ctx.stopped:
        return
    ids = ids_by_key(Review, ctx.batch.id, list(reviews))
    names = dict(Unit.select(Unit.id, Unit.name).tuples())
    findings = ctx.writer(Finding, ("review", "description", "category", "severity"))
    events = ctx.writer(
        TimelineEvent, ("record_kind", "record_id", "at", "actor", "action", "status", "note")
    )
    for key, r in reviews.items():
        review_id = ids.get(key)
        if review_id is None:  # stored meanwhile by another import
            ctx.duplicates += len(r["findings"])
            continue
        findings.extend((review_id, *f) for f in r["findings"])
        ctx.imported += len(r["findings"])
        events.add(
            (
                "review",
                review_id,
                at,
                ctx.actor.name,
                "提交",
                "待审核",
                f"{r['method']}，{names.get(r['unit'], '')}，问题 {len(r['findings'])} 条"
                f"（监督员 {r['name']}，导入批次 {ctx.batch.id}）",
            )
        )
    findings.flush()
    events.flush()


# -- registration ----------------------------------------------------------------


@hookimpl
def supervise_register_importers() -> list[ImporterSpec]:
    return [
        ImporterSpec(
            "ratings",
            "好差评评价明细",
            RATING_COLUMNS,
            import_ratings,
            "政务服务好差评系统导出的评价明细；差评进入核实、整改、回访流程",
        ),
        ImporterSpec(
            "survey",
            "第三方评估结果",
            SURVEY_COLUMNS,
            import_survey,
            "第三方机构对各单位一个评估期间的满意度测评结果",
        ),
        ImporterSpec(
            "findings",
            "社会监督员提交表",
            FINDING_COLUMNS,
            import_findings,
            "社会监督员线下填写的监督评议表，一行一条问题，导入后待审核",
        ),
    ]
