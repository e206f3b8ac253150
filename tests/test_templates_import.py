"""``import template FORMAT --out FILE``: header, example row, drop-down lists, notes (issue #4, item 7)."""

# The fixtures `cli` and `office` come from tests/import_support.py and are requested by name,
# which ruff sees as redefinitions of the imported names.
# ruff: noqa: F811

from __future__ import annotations

import openpyxl
import pytest

from supervise.models import Finding, Review
from supervise.registry import get_registry

from .import_support import Opened, cli, office  # noqa: F401

BUILTIN = ("ratings", "hotline", "survey", "findings", "units", "staff", "matters")


def test_every_format_has_a_template(office, tmp_path):
    for name in (*BUILTIN, "example"):
        spec = get_registry().importer(name)
        path = tmp_path / f"{name}.xlsx"
        code, out, err = office("import", "template", name, "--out", str(path), "--json")
        assert code == 0, err
        assert out["file"] == str(path) and out["columns"] == [c.name for c in spec.columns]
        book = openpyxl.load_workbook(path)
        sheet, notes = book.worksheets
        assert sheet.title == spec.title and notes.title == "填写说明"
        rows = list(sheet.iter_rows(values_only=True))
        assert list(rows[0]) == [c.name for c in spec.columns]
        assert list(rows[1]) == [c.example or None for c in spec.columns]
        lists = {str(dv.sqref).split(":")[0]: dv for dv in sheet.data_validations.dataValidation}
        choices = {i: c for i, c in enumerate(spec.columns, start=1) if c.choices}
        assert len(lists) == len(choices)
        for index, column in choices.items():
            rule = lists[f"{openpyxl.utils.get_column_letter(index)}2"]
            assert rule.type == "list" and rule.formula1 == '"' + ",".join(column.choices) + '"'
            assert rule.errorStyle == "warning"
        described = {row[0]: row for row in notes.iter_rows(values_only=True) if row and row[0]}
        for column in spec.columns:
            assert described[column.name][1] == ("必填" if column.required else "选填")
            assert described[column.name][3] == ("、".join(column.choices) or None)


def test_enumerations_offered_by_the_builtin_templates():
    def choices(fmt: str, column: str) -> tuple[str, ...]:
        return next(c.choices for c in get_registry().importer(fmt).columns if c.name == column)

    assert choices("ratings", "评价等级") == (
        "非常满意",
        "满意",
        "基本满意",
        "不满意",
        "非常不满意",
    )
    assert choices("ratings", "评价渠道") == ("窗口", "网上", "掌上", "自助终端", "热线", "短信")
    assert choices("hotline", "诉求类型") == ("咨询", "求助", "投诉", "举报", "建议", "表扬")
    assert choices("findings", "问题类别") == ("态度", "效率", "作风", "纪律", "环境", "其他")
    assert choices("findings", "严重程度") == ("一般", "较重", "严重")
    assert choices("findings", "评议方式") == ("明察", "暗访", "座谈评议", "问卷", "视频巡查")


def test_filled_findings_template_imports_without_its_example(office, tmp_path):
    path = tmp_path / "监督员提交表.xlsx"
    office("import", "template", "findings", "--out", str(path))
    book = openpyxl.load_workbook(path)
    sheet = book.worksheets[0]
    sheet.append(
        [
            "钱监督",
            "2025-09-20",
            "U01",
            "办事指南与实际要求不一致",
            "明察",
            "效率",
            "一般",
            80,
            85,
            82,
        ]
    )
    sheet.append(
        [
            "钱监督",
            "2025-09-20",
            "U01",
            "自助终端故障未挂提示",
            "明察",
            "环境",
            None,
            None,
            None,
            None,
        ]
    )
    book.save(path)
    code, out, err = office("import", "findings", str(path), "--json")
    assert code == 0, err
    assert (out["read"], out["imported"], out["errors"]) == (2, 2, 0)
    with Opened(office.url):
        review = Review.get()
        assert (review.reviewer_name, review.method, review.score_quality) == ("钱监督", "明察", 85)
        assert [f.category for f in review.findings.order_by(Finding.id)] == ["效率", "环境"]


def test_template_only_example_imports_nothing(office, tmp_path):
    path = tmp_path / "r.xlsx"
    office("import", "template", "ratings", "--out", str(path))
    code, out, _ = office("import", "ratings", str(path), "--json")
    assert code == 0 and (out["read"], out["imported"]) == (0, 0)


@pytest.mark.parametrize(
    ("argv", "exit_code"),
    [
        (("import", "template", "ratings"), 2),
        (("import", "template", "ratings", "--out", "x.csv"), 3),
        (("import", "template", "nonsense", "--out", "x.xlsx"), 6),
        (("import", "template"), 2),
    ],
)
def test_template_usage(office, tmp_path, monkeypatch, argv, exit_code):
    monkeypatch.chdir(tmp_path)
    code, _, err = office(*argv)
    assert code == exit_code and len(err.strip().splitlines()) == 1


def test_imports_doc_lists_every_column():
    from pathlib import Path

    doc = (Path(__file__).resolve().parent.parent / "docs" / "IMPORTS.md").read_text(
        encoding="utf-8"
    )
    for name in BUILTIN:
        spec = get_registry().importer(name)
        section = doc.split(f"### `{name}`", 1)[1].split("\n### ", 1)[0]
        for column in spec.columns:
            assert f"| {column.name} | {'yes' if column.required else ''} |" in section, (
                name,
                column.name,
            )
            assert all(choice in section for choice in column.choices)
