"""Blank template workbooks, one per import format (``import template FORMAT --out FILE``).

The first sheet has the header row (required columns marked), one example
row in grey italics, and a drop-down list (data validation) on every column
that has ``choices`` — 评价等级, 评价渠道, 问题类别, 严重程度 … — which warns
about other values instead of refusing them, since aliases (the digits 1–5
for a level, 求决 for 求助) are accepted too.  The sheet ``填写说明``
explains every column; the reader never reads it as data.  A row identical
to the example row is skipped by the import, so a filled template may keep
it.  Social supervisors fill the ``findings`` template offline.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from .errors import InvalidInput
from .extension import ImporterSpec
from .tabular import NOTES_SHEETS

logger = logging.getLogger(__name__)

NOTES_SHEET = next(iter(NOTES_SHEETS))
VALIDATED_ROWS = 5000
_BAD_SHEET_CHARS = str.maketrans({c: "_" for c in "[]:*?/\\"})


def _column_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index)


def write_template(spec: ImporterSpec, path: str | Path) -> Path:
    """Write the template workbook of ``spec`` to ``path`` (an .xlsx file)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    path = Path(path)
    if path.suffix.lower() != ".xlsx":
        raise InvalidInput(
            f"模板文件应以 .xlsx 结尾：{path.name}",
            f"the template file must end in .xlsx: {path.name}",
        )
    book = Workbook()
    sheet = book.active
    sheet.title = (spec.title or spec.name).translate(_BAD_SHEET_CHARS)[:31]
    required_fill = PatternFill("solid", fgColor="FDE9D9")
    optional_fill = PatternFill("solid", fgColor="EEF3FA")
    for index, column in enumerate(spec.columns, start=1):
        cell = sheet.cell(row=1, column=index, value=column.name)
        cell.font = Font(bold=True, color="C00000" if column.required else "1F3864")
        cell.fill = required_fill if column.required else optional_fill
        cell.alignment = Alignment(horizontal="center")
        example = sheet.cell(row=2, column=index, value=column.example or None)
        example.font = Font(italic=True, color="808080")
        example.number_format = "@"  # keep codes and dates as typed text
        letter = _column_letter(index)
        sheet.column_dimensions[letter].width = max(
            12, min(40, max(2.2 * len(column.name), 1.8 * len(column.example)) + 4)
        )
        if column.choices:
            formula = '"' + ",".join(column.choices) + '"'
            if len(formula) > 257:  # Excel's limit for an inline list
                raise InvalidInput(
                    f"列“{column.name}”的可选值过多", f"too many choices for column {column.name}"
                )
            rule = DataValidation(
                type="list",
                formula1=formula,
                allow_blank=True,
                errorStyle="warning",
                showErrorMessage=True,
                errorTitle=column.name,
                error=f"可选值：{'、'.join(column.choices)}",
                promptTitle=column.name,
                prompt=(column.help or "请选择")[:255],
                showInputMessage=True,
            )
            rule.add(f"{letter}2:{letter}{VALIDATED_ROWS}")
            sheet.add_data_validation(rule)
    sheet.freeze_panes = "A2"
    _notes(book.create_sheet(NOTES_SHEET), spec)
    tmp = path.with_name(path.name + ".part")
    book.save(tmp)
    tmp.replace(path)
    return path


def _notes(sheet: Any, spec: ImporterSpec) -> None:
    from openpyxl.styles import Alignment, Font

    sheet.append([f"{spec.title}（{spec.name}）导入模板 填写说明"])
    sheet["A1"].font = Font(bold=True, size=14)
    if spec.description:
        sheet.append([spec.description])
    sheet.append([])
    sheet.append(["列", "是否必填", "也可写作", "可选值", "说明", "示例"])
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    for column in spec.columns:
        sheet.append(
            [
                column.name,
                "必填" if column.required else "选填",
                "、".join(column.aliases) or None,
                "、".join(column.choices) or None,
                column.help or None,
                column.example or None,
            ]
        )
    sheet.append([])
    for line in (
        "1. 第 1 行为表头（红色为必填列），第 2 行为示例：与示例完全相同的行导入时跳过，可保留或删除。",
        "2. 表头上方可以有标题行；列的顺序不限；空行跳过；全角字母、首尾空格不影响。",
        "3. 时间可写 2026-10-05 14:03、2026/10/5 14:03、2026年10月5日 14时03分，或 Excel 日期单元格。",
        "4. 任一单元格有错则整个文件都不导入，并生成错误明细工作簿（工作表、行号、列、值、原因）；"
        "加 --skip-invalid 只导入正确的行。",
        "5. 同一文件重复导入不会重复添加（按来源与编号去重）；一次导入可按批次撤销。",
    ):
        sheet.append([line])
    widths = {"A": 16, "B": 10, "C": 22, "D": 36, "E": 60, "F": 24}
    for letter, width in widths.items():
        sheet.column_dimensions[letter].width = width
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")


__all__ = ["write_template", "NOTES_SHEET"]
