"""The XML of an xlsx package, written as text: the fixed parts (content
types, relationships, workbook, styles, document properties), the head and
tail of a worksheet, and one cell at a time (SpreadsheetML, ECMA-376 part 1).

Cells are written the way openpyxl writes them, so a file reads back with the
same values: text as inline strings (``t="inlineStr"``, ``xml:space`` kept
when it starts or ends with white space), numbers as ``%.16g``, booleans as
``t="b"``, dates and date-times as Excel serial numbers (1900 date system)
with a date style.  The style ids below index ``cellXfs`` in :data:`STYLES`.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections.abc import Sequence
from xml.sax.saxutils import quoteattr

from openpyxl.utils import get_column_letter

logger = logging.getLogger(__name__)

# -- styles (cellXfs indices) --------------------------------------------------------------

PLAIN, HEADER, TITLE, LABEL = 0, 1, 2, 3
NUM_INT, NUM_FLOAT, NUM_RATE, NUM_DATE, NUM_DATETIME = 4, 5, 6, 7, 8
WRAP, LEFT_DATE, LEFT_DATETIME = 9, 10, 11

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_DECL = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_FONT = (
    '<sz val="{}"/><color theme="1"/><name val="Calibri"/><family val="2"/><scheme val="minor"/>'
)

STYLES = (
    f'{_DECL}<styleSheet xmlns="{_MAIN}">'
    '<numFmts count="2"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/>'
    '<numFmt numFmtId="165" formatCode="yyyy-mm-dd hh:mm"/></numFmts>'
    f'<fonts count="3"><font>{_FONT.format(11)}</font><font><b/>{_FONT.format(11)}</font>'
    f"<font><b/>{_FONT.format(14)}</font></fonts>"
    '<fills count="3"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill>'
    '<fill><patternFill patternType="solid"><fgColor rgb="FFDDEBF7"/><bgColor indexed="64"/></patternFill></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="12">'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="2" borderId="0" xfId="0" applyFont="1" applyFill="1"/>'
    '<xf numFmtId="0" fontId="2" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    '<xf numFmtId="1" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="2" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="10" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0" applyAlignment="1">'
    '<alignment vertical="top" wrapText="1"/></xf>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1" applyAlignment="1">'
    '<alignment horizontal="left"/></xf>'
    '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1" applyAlignment="1">'
    '<alignment horizontal="left"/></xf>'
    "</cellXfs>"
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    '<dxfs count="0"/><tableStyles count="0" defaultTableStyle="TableStyleMedium9" defaultPivotStyle="PivotStyleLight16"/>'
    "</styleSheet>"
)

# -- package parts -------------------------------------------------------------------------


def content_types(sheets: int) -> str:
    over = "".join(
        f'<Override PartName="/xl/worksheets/sheet{i}.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        for i in range(1, sheets + 1)
    )
    return (
        f'{_DECL}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/styles.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
        '<Override PartName="/docProps/core.xml" '
        'ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
        '<Override PartName="/docProps/app.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/>'
        f"{over}</Types>"
    )


ROOT_RELS = (
    f'{_DECL}<Relationships xmlns="{_PKG_REL}">'
    f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/'
    'core-properties" Target="docProps/core.xml"/>'
    f'<Relationship Id="rId3" Type="{_REL}/extended-properties" Target="docProps/app.xml"/>'
    "</Relationships>"
)

APP = (
    f'{_DECL}<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
    "<Application>supervise</Application></Properties>"
)


def core(created: dt.datetime) -> str:
    stamp = created.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return (
        f"{_DECL}<cp:coreProperties "
        'xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        "<dc:creator>supervise</dc:creator>"
        f'<dcterms:created xsi:type="dcterms:W3CDTF">{stamp}</dcterms:created>'
        f'<dcterms:modified xsi:type="dcterms:W3CDTF">{stamp}</dcterms:modified>'
        "</cp:coreProperties>"
    )


def workbook(titles: Sequence[str], filters: Sequence[str | None]) -> str:
    """The workbook part: one ``<sheet>`` per title; ``filters[i]`` is sheet i's
    autofilter range (``A1:F10``) or None, named ``_xlnm._FilterDatabase`` as Excel does."""
    sheets = "".join(
        f'<sheet name={quoteattr(t)} sheetId="{i}" r:id="rId{i}"/>' for i, t in enumerate(titles, 1)
    )
    names = "".join(
        f'<definedName name="_xlnm._FilterDatabase" localSheetId="{i}" hidden="1">'
        f"{escape(sheet_ref(titles[i], ref))}</definedName>"
        for i, ref in enumerate(filters)
        if ref
    )
    return (
        f'{_DECL}<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><workbookPr/>'
        '<bookViews><workbookView activeTab="0"/></bookViews>'
        f"<sheets>{sheets}</sheets>{f'<definedNames>{names}</definedNames>' if names else ''}"
        '<calcPr calcId="124519" fullCalcOnLoad="1"/></workbook>'
    )


def sheet_ref(title: str, ref: str) -> str:
    """``'名称'!$A$1:$F$10``: an absolute range on a named sheet."""
    first, last = ref.split(":")
    return "'{}'!{}:{}".format(title.replace("'", "''"), *(_absolute(x) for x in (first, last)))


def _absolute(cell: str) -> str:
    digits = next(i for i, ch in enumerate(cell) if ch.isdigit())
    return f"${cell[:digits]}${cell[digits:]}"


def workbook_rels(sheets: int) -> str:
    rels = "".join(
        f'<Relationship Id="rId{i}" Type="{_REL}/worksheet" Target="worksheets/sheet{i}.xml"/>'
        for i in range(1, sheets + 1)
    )
    return (
        f'{_DECL}<Relationships xmlns="{_PKG_REL}">{rels}'
        f'<Relationship Id="rId{sheets + 1}" Type="{_REL}/styles" Target="styles.xml"/></Relationships>'
    )


def sheet_head(widths: Sequence[float], *, frozen: bool, selected: bool) -> str:
    """Everything of a worksheet before its first row: view (header row frozen), widths."""
    tab = ' tabSelected="1"' if selected else ""
    pane = (
        (
            '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
            '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/>'
        )
        if frozen
        else ""
    )
    cols = "".join(
        f'<col min="{i}" max="{i}" width="{w:g}" customWidth="1"/>' for i, w in enumerate(widths, 1)
    )
    return (
        f'{_DECL}<worksheet xmlns="{_MAIN}" xmlns:r="{_REL}">'
        f'<sheetViews><sheetView workbookViewId="0"{tab}>{pane}</sheetView></sheetViews>'
        f'<sheetFormatPr defaultRowHeight="15"/>{f"<cols>{cols}</cols>" if cols else ""}<sheetData>'
    )


def sheet_tail(autofilter: str | None) -> str:
    return (
        "</sheetData>"
        + (f'<autoFilter ref="{autofilter}"/>' if autofilter else "")
        + "</worksheet>"
    )


def column_letters(count: int) -> list[str]:
    return [get_column_letter(i) for i in range(1, count + 1)]


# -- cells ---------------------------------------------------------------------------------

_EPOCH = dt.date(1899, 12, 30).toordinal()


def escape(text: str) -> str:
    """Text for element content: ``& < >`` as entities (what ElementTree writes)."""
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    return text


def text_cell(ref: str, text: str, style: int = PLAIN) -> str:
    """An inline-string cell of ``text``, which must already be safe (see ``xlsx.safe_text``)."""
    if "&" in text or "<" in text or ">" in text:
        text = escape(text)
    s = f' s="{style}"' if style else ""
    if text[0] in " \t\n\r" or text[-1] in " \t\n\r" or text != text.strip():
        return f'<c r="{ref}"{s} t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'
    return f'<c r="{ref}"{s} t="inlineStr"><is><t>{text}</t></is></c>'


def number(value: object) -> str | None:
    """``value`` as openpyxl writes a number; None for NaN and infinities (an empty cell)."""
    if value.__class__ is int:
        return str(value) if -(10**15) < value < 10**15 else "%.16g" % value  # noqa: UP031 - openpyxl's format
    number = float(value)  # type: ignore[arg-type]
    if math.isnan(number) or math.isinf(number):
        return None
    return "%.16g" % number  # noqa: UP031 - openpyxl's format (it converts to float too)


def serial(value: dt.date) -> float | int:
    """Excel's serial number of a date or date-time (1900 system, as openpyxl's ``to_excel``)."""
    days = value.toordinal() - _EPOCH
    if 0 < days <= 60:  # Excel's phantom 1900-02-29
        days -= 1
    if isinstance(value, dt.datetime):
        return (
            days
            + (value.hour * 3600 + value.minute * 60 + value.second + value.microsecond / 10**6)
            / 86400
        )
    return days


__all__ = [
    "APP",
    "HEADER",
    "LABEL",
    "LEFT_DATE",
    "LEFT_DATETIME",
    "NUM_DATE",
    "NUM_DATETIME",
    "NUM_FLOAT",
    "NUM_INT",
    "NUM_RATE",
    "PLAIN",
    "ROOT_RELS",
    "STYLES",
    "TITLE",
    "WRAP",
    "column_letters",
    "content_types",
    "core",
    "escape",
    "number",
    "serial",
    "sheet_head",
    "sheet_ref",
    "sheet_tail",
    "text_cell",
    "workbook",
    "workbook_rels",
]
