"""Streaming xlsx writing for ledgers (台账) and report workbooks.

One :class:`XlsxBook` per file, on openpyxl's write-only mode: rows go to
disk as they are appended, so a million-row ledger needs no more memory
than a hundred-row one.  Every table sheet gets Chinese headers in bold, a
frozen header row, an autofilter over the written range, column widths
from the header and the kind of column, and date/time formats; a cover
sheet (:meth:`XlsxBook.cover`) says who exported what, when and with which
filters.

Text cells are made safe (SPEC §10): characters that XML cannot hold are
dropped, and text beginning with ``= + - @``, a tab or a carriage return
(or their full-width forms, or an Excel error word such as ``#N/A``) gets a
leading apostrophe, so that nothing a citizen typed can run as a formula
when the file is opened in Excel, WPS or LibreOffice, nor after it is
re-saved as CSV.  The apostrophe stays visible: it is the OWASP-recommended
neutralisation and tells the reader the cell was changed.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from .errors import UserError

logger = logging.getLogger(__name__)

#: Kinds of column and their number formats.
TEXT, INT, FLOAT, RATE, DATE, DATETIME = "text", "int", "float", "rate", "date", "datetime"
#: A column of mixed values: text is made safe, a :class:`Fmt` value gets its own format.
GENERAL = "general"
FORMATS = {INT: "0", FLOAT: "0.00", RATE: "0.00%", DATE: "yyyy-mm-dd", DATETIME: "yyyy-mm-dd hh:mm"}
_DEFAULT_WIDTH = {TEXT: 14.0, INT: 9.0, FLOAT: 10.0, RATE: 10.0, DATE: 12.0, DATETIME: 17.0, GENERAL: 14.0}

#: First characters that make a spreadsheet treat text as a formula (SPEC §10).
FORMULA_STARTS = frozenset("=+-@\t\r＝＋－＠")
EXCEL_MAX_ROWS = 1_048_576
MAX_TEXT = 32_767
PROGRESS_EVERY = 5_000

_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_TITLE_FONT = Font(bold=True, size=14)
_WRAP = Alignment(wrap_text=True, vertical="top")

Progress = Callable[[int, "int | None"], None]


class Cancelled(UserError):
    """The user cancelled a long export (GUI cancel button, Ctrl-C)."""

    exit_code = 130


def safe_text(value: object) -> str | None:
    """Text as a cell may hold it: XML-illegal characters dropped, formulas neutralised."""
    if value is None:
        return None
    text = value if isinstance(value, str) else str(value)
    if not text.isprintable():
        text = ILLEGAL_CHARACTERS_RE.sub("", text)
    if text and (text[0] in FORMULA_STARTS or text in ERROR_CODES):
        text = "'" + text
    return text[:MAX_TEXT] if len(text) > MAX_TEXT else text


def display_width(text: str) -> float:
    """Column width units for ``text``: a CJK character is about two Latin ones."""
    return sum(2.0 if ord(ch) > 0x2E7F else 1.1 for ch in text)


@dataclass(frozen=True)
class Fmt:
    """A value for a :data:`GENERAL` column with the number format of ``kind``."""

    value: object
    kind: str


@dataclass(frozen=True)
class Col:
    """One column of a table sheet: its Chinese header, kind and optional width."""

    header: str
    kind: str = TEXT
    width: float | None = None

    def __post_init__(self) -> None:
        if self.kind not in _DEFAULT_WIDTH:
            raise ValueError(f"unknown column kind {self.kind!r}")

    @property
    def column_width(self) -> float:
        base = self.width if self.width is not None else _DEFAULT_WIDTH[self.kind]
        return max(base, display_width(self.header) + 3)  # room for the filter button


#: Cell types whose value needs no conversion: the styled cell is built directly.
_PLAIN_TYPES = {int: "n", float: "n", dt.datetime: "d", dt.date: "d"}


def _style_of(ws: Any, number_format: str) -> Any:
    """The style array of a cell with ``number_format`` (registered with the workbook once)."""
    cell = WriteOnlyCell(ws)
    cell.number_format = number_format
    return cell._style


def _formatted(ws: Any, value: object, number_format: str, style: Any = None) -> Cell:
    """A cell with its number format.  With ``style`` (from :func:`_style_of`) a plain
    int/float/date value skips openpyxl's per-cell type and format checks, which
    are most of the cost of a styled cell."""
    kind = _PLAIN_TYPES.get(type(value)) if style is not None else None
    if kind is not None:
        cell = Cell(ws, 1, 1, None, style)
        cell._value, cell.data_type = value, kind
        return cell
    cell = WriteOnlyCell(ws)
    cell.number_format = number_format
    cell.value = value
    return cell


class TableSheet:
    """A sheet with a header row, written row by row; continues on a new sheet
    named ``名称(2)`` when Excel's row limit is reached."""

    def __init__(self, book: XlsxBook, name: str, columns: Sequence[Col], *, wrap: Sequence[int] = ()) -> None:
        if not columns:
            raise ValueError("a table needs at least one column")
        self.book, self.name, self.columns = book, name, tuple(columns)
        self.rows = 0  # data rows written over all parts
        self._text = [i for i, c in enumerate(self.columns) if c.kind == TEXT]
        self._styled = [(i, FORMATS[c.kind]) for i, c in enumerate(self.columns) if c.kind in FORMATS]
        self._general = [i for i, c in enumerate(self.columns) if c.kind == GENERAL]
        self._wrap = set(wrap)
        self._parts: list[Any] = []
        self._in_part = 0
        self._new_part()

    def _new_part(self) -> None:
        title = self.name if not self._parts else f"{self.name}({len(self._parts) + 1})"
        ws = self.book.workbook.create_sheet(title[:31])
        for i, col in enumerate(self.columns, 1):
            ws.column_dimensions[get_column_letter(i)].width = col.column_width
        ws.freeze_panes = "A2"
        self._style_arrays = {fmt: _style_of(ws, fmt) for _, fmt in self._styled}
        header = []
        for col in self.columns:
            cell = WriteOnlyCell(ws, value=safe_text(col.header))
            cell.font, cell.fill = _HEADER_FONT, _HEADER_FILL
            header.append(cell)
        ws.append(header)
        self._parts.append(ws)
        self._in_part = 0

    def _close_part(self) -> None:
        ws = self._parts[-1]
        last = get_column_letter(len(self.columns))
        ws.auto_filter.ref = f"A1:{last}{self._in_part + 1}"

    def append(self, row: Sequence[Any]) -> None:
        """Write one row of Python values in column order (None leaves a blank)."""
        if self._in_part >= EXCEL_MAX_ROWS - 1:
            self._close_part()
            self._new_part()
        ws = self._parts[-1]
        values = list(row)
        for i in self._text:
            value = values[i]
            if value is not None:
                if value.__class__ is not str or not value.isprintable() or (
                    value and (value[0] in FORMULA_STARTS or value in ERROR_CODES)
                ):
                    value = safe_text(value)
                if i in self._wrap:
                    cell = WriteOnlyCell(ws, value=value)
                    cell.alignment = _WRAP
                    value = cell
                values[i] = value
        styles = self._style_arrays
        for i, number_format in self._styled:
            value = values[i]
            if value is not None:
                values[i] = _formatted(ws, value, number_format, styles[number_format])
        for i in self._general:
            value = values[i]
            if isinstance(value, Fmt):
                values[i] = None if value.value is None else (
                    _formatted(ws, value.value, FORMATS[value.kind]) if value.kind in FORMATS else safe_text(value.value))
            elif isinstance(value, str):
                values[i] = safe_text(value)
        ws.append(values)
        self._in_part += 1
        self.rows += 1

    def extend(
        self,
        rows: Iterable[Sequence[Any]],
        *,
        progress: Progress | None = None,
        total: int | None = None,
        cancel: Callable[[], bool] | None = None,
    ) -> int:
        """Write every row; report progress every few thousand rows and honour ``cancel``."""
        count = 0
        for row in rows:
            self.append(row)
            count += 1
            if count % PROGRESS_EVERY == 0:
                if cancel is not None and cancel():
                    raise Cancelled("已取消导出", "the export was cancelled")
                if progress is not None:
                    progress(count, total)
        if progress is not None:
            progress(count, total)
        return count

    def close(self) -> None:
        self._close_part()


class XlsxBook:
    """A write-only workbook; sheets appear in the order they are created.

    With ``cover`` the first sheet is a cover (封面), filled by :meth:`cover`
    at any time — typically last, when the number of rows is known.
    """

    def __init__(self, path: str | Path, *, cover: bool = True) -> None:
        self.path = Path(path)
        self.workbook = Workbook(write_only=True)
        self._tables: list[TableSheet] = []
        self._cover = self.workbook.create_sheet("封面") if cover else None

    def cover(self, title: str, items: Sequence[tuple[str, object]]) -> None:
        """Fill the cover: the title, then one ``label | value`` line per item."""
        ws = self._cover
        if ws is None:
            raise RuntimeError("this workbook was opened without a cover sheet")
        ws.column_dimensions["A"].width = 18
        ws.column_dimensions["B"].width = 70
        head = WriteOnlyCell(ws, value=safe_text(title))
        head.font = _TITLE_FONT
        ws.append([head])
        ws.append([])
        for label, value in items:
            label_cell = WriteOnlyCell(ws, value=safe_text(label))
            label_cell.font = _HEADER_FONT
            ws.append([label_cell, self._cover_value(ws, value)])
        self._cover = None

    @staticmethod
    def _cover_value(ws: Any, value: object) -> object:
        if isinstance(value, dt.datetime | dt.date):
            cell = WriteOnlyCell(ws)
            cell.number_format = FORMATS[DATETIME if isinstance(value, dt.datetime) else DATE]
            cell.value = value
            cell.alignment = Alignment(horizontal="left")
            return cell
        if isinstance(value, int | float) and not isinstance(value, bool):
            return value
        return safe_text("" if value is None else value)

    def table(self, name: str, columns: Sequence[Col], *, wrap: Sequence[int] = ()) -> TableSheet:
        """A new table sheet with its header row written."""
        sheet = TableSheet(self, name, columns, wrap=wrap)
        self._tables.append(sheet)
        return sheet

    def save(self) -> Path:
        for sheet in self._tables:
            sheet.close()
        self.workbook.save(self.path)
        return self.path

    def discard(self) -> None:
        """Give up an unsaved workbook: close its sheet streams and remove their temporary files."""
        for ws in self.workbook.worksheets:
            try:
                if not ws.closed:
                    ws.close()
                if ws._writer is not None:
                    ws._writer.cleanup()
            except Exception:  # best effort: the export is failing anyway
                logger.debug("could not discard sheet %s", ws.title, exc_info=True)

    def __enter__(self) -> XlsxBook:
        return self

    def __exit__(self, kind: object, error: object, tb: object) -> None:
        if error is not None:
            self.discard()


__all__ = [
    "Cancelled",
    "Col",
    "DATE",
    "DATETIME",
    "FLOAT",
    "FORMATS",
    "FORMULA_STARTS",
    "Fmt",
    "GENERAL",
    "INT",
    "Progress",
    "RATE",
    "TEXT",
    "TableSheet",
    "XlsxBook",
    "display_width",
    "safe_text",
]
