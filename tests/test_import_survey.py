"""``import survey``: 第三方评估结果 → survey results, one per agency, period and unit (SPEC §5, §6)."""

# The fixtures `cli` and `office` come from tests/import_support.py and are requested by name,
# which ruff sees as redefinitions of the imported names.
# ruff: noqa: F811

from __future__ import annotations

import datetime as dt

from supervise.models import SurveyResult

from .import_support import Opened, cli, counts, error_rows, office, write_csv, write_xlsx  # noqa: F401

HEADER = [
    "评估机构",
    "评估期间",
    "单位编码",
    "单位名称",
    "样本量",
    "满意度",
    "综合得分",
    "主要问题",
]
ROWS = [
    [
        "某某社情民意调查中心",
        "2025年第三季度",
        "U01",
        "市人社局",
        400,
        "92.5%",
        88.6,
        "窗口等候时间偏长",
    ],
    ["某某社情民意调查中心", "2025年第三季度", "U02", "市医保局", 380.0, 0.871, None, None],
    ["某某社情民意调查中心", "2025年9月", "U01", None, "120", 95, 90, None],
    ["省评估院", "2025-07至2025-09", "U0101", None, 60, "88", None, "材料要求不一"],
    ["省评估院", "2025年上半年", "U01", None, 500, "90%", None, None],
]


def test_survey_results(office, tmp_path):
    path = write_xlsx(tmp_path / "survey.xlsx", HEADER, ROWS, title="2025年第三方满意度测评结果")
    code, out, err = office("import", "survey", str(path), "--json")
    assert code == 0, err
    assert (out["imported"], out["errors"]) == (5, 0)
    with Opened(office.url):
        got = {(s.agency, s.unit.code, s.period_start): s for s in SurveyResult.select()}
        q3 = got[("某某社情民意调查中心", "U01", dt.date(2025, 7, 1))]
        assert (q3.period_end, q3.sample_size, q3.satisfaction, q3.score, q3.problems) == (
            dt.date(2025, 9, 30),
            400,
            0.925,
            88.6,
            "窗口等候时间偏长",
        )
        assert got[("某某社情民意调查中心", "U02", dt.date(2025, 7, 1))].satisfaction == 0.871
        month = got[("某某社情民意调查中心", "U01", dt.date(2025, 9, 1))]
        assert (month.period_end, month.satisfaction, month.sample_size) == (
            dt.date(2025, 9, 30),
            0.95,
            120,
        )
        assert got[("省评估院", "U0101", dt.date(2025, 7, 1))].satisfaction == 0.88
        half = got[("省评估院", "U01", dt.date(2025, 1, 1))]
        assert half.period_end == dt.date(2025, 6, 30) and half.batch_id == out["batch"]
        assert all(0 <= s.satisfaction <= 1 for s in got.values())
    code, out, _ = office("import", "survey", str(path), "--json")
    assert (out["imported"], out["duplicates"]) == (0, 5)


def test_survey_errors(office, tmp_path):
    rows = [
        ["机构甲", "2025年第五季度", "U01", 0, "120%", "101"],
        ["机构甲", "2025年第三季度", "U09", "很多", "0.9", None],
        ["机构甲", "2025年第三季度", "U01", 10, "0.9", None],
        ["机构甲", "2025-07至2025-09", "U01", 10, "0.8", None],
    ]
    path = write_csv(
        tmp_path / "s.csv",
        ["评估机构", "评估期间", "单位编码", "样本量", "满意度", "综合得分"],
        rows,
    )
    before = counts(office.url)
    code, _, err = office("import", "survey", str(path))
    assert code == 3
    assert counts(office.url) == before
    assert [(r[1], r[2]) for r in error_rows(tmp_path / "s.errors.xlsx")] == [
        (2, "评估期间"),
        (2, "样本量"),
        (2, "满意度"),
        (2, "综合得分"),
        (3, "单位编码"),
        (3, "样本量"),
        (5, "评估期间"),  # the same agency, period and unit as row 4
    ]
