"""Streaming xlsx writing for ledgers (台账) and report workbooks.

One :class:`XlsxBook` per file.  Rows are turned into worksheet XML as they
are appended and compressed at once into an anonymous temporary file
(:mod:`supervise.zipwrite`); :meth:`XlsxBook.save` then writes the package
(:mod:`supervise.xlsx_parts`), so a million-row ledger needs no more memory
than a hundred-row one.  Every table sheet gets Chinese headers in bold, a
frozen header row, an autofilter over the written range, column widths
from the header and the kind of column, and date/time formats; a cover
sheet (:meth:`XlsxBook.cover`) says who exported what, when and with which
filters.

The file reads back (openpyxl, calamine, Excel, WPS, LibreOffice) with the
values openpyxl's write-only mode gave before this writer replaced it, at
several times its speed: openpyxl builds and serialises three XML element
objects per cell, this writer one string per row with the style ids worked
out once per column (docs/REPORT.md, "Ledger speed").

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
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from openpyxl.cell.cell import ERROR_CODES

from . import xlsx_parts as parts
from .errors import UserError
from .zipwrite import Deflated, ZipOut

logger = logging.getLogger(__name__)

#: Kinds of column and their number formats.
TEXT, INT, FLOAT, RATE, DATE, DATETIME = "text", "int", "float", "rate", "date", "datetime"
#: A column of mixed values: text is made safe, a :class:`Fmt` value gets its own format.
GENERAL = "general"
FORMATS = {INT: "0", FLOAT: "0.00", RATE: "0.00%", DATE: "yyyy-mm-dd", DATETIME: "yyyy-mm-dd hh:mm"}
_DEFAULT_WIDTH = {
    TEXT: 14.0,
    INT: 9.0,
    FLOAT: 10.0,
    RATE: 10.0,
    DATE: 12.0,
    DATETIME: 17.0,
    GENERAL: 14.0,
}

#: First characters that make a spreadsheet treat text as a formula (SPEC §10).
FORMULA_STARTS = frozenset("=+-@\t\r＝＋－＠")
EXCEL_MAX_ROWS = 1_048_576
MAX_TEXT = 32_767
PROGRESS_EVERY = 5_000

#: Characters XML 1.0 cannot hold (C0 controls but tab/LF/CR, lone surrogates, U+FFFE/U+FFFF):
#: openpyxl's set plus the two it lets through to a failure when the file is saved.
ILLEGAL_CHARACTERS_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_ERROR_WORDS = frozenset(ERROR_CODES)
_RISKY = FORMULA_STARTS | {"#"}  # first characters that need a closer look

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
    if text and (text[0] in FORMULA_STARTS or text in _ERROR_WORDS):
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


_NUMBER_STYLE = {
    INT: parts.NUM_INT,
    FLOAT: parts.NUM_FLOAT,
    RATE: parts.NUM_RATE,
    DATE: parts.NUM_DATE,
    DATETIME: parts.NUM_DATETIME,
}
#: How a column's cells are written: text, number (with a style), date (with a style), or by value.
_AS_TEXT, _AS_NUMBER, _AS_DATE, _AS_GENERAL = 0, 1, 2, 3
_KIND_PLAN = {
    TEXT: _AS_TEXT,
    INT: _AS_NUMBER,
    FLOAT: _AS_NUMBER,
    RATE: _AS_NUMBER,
    DATE: _AS_DATE,
    DATETIME: _AS_DATE,
    GENERAL: _AS_GENERAL,
}
_ROWS_PER_WRITE = 500
_BAD_TITLE = str.maketrans({ch: "_" for ch in "[]:*?/\\"})


def _number_cell(ref: str, value: Any, style: int) -> str | None:
    """A number (or boolean) cell; None when there is nothing to write (NaN)."""
    s = f' s="{style}"' if style else ""
    if value.__class__ is bool:
        return f'<c r="{ref}"{s} t="b"><v>{int(value)}</v></c>'
    text = parts.number(value)
    return None if text is None else f'<c r="{ref}"{s} t="n"><v>{text}</v></c>'


def _date_cell(ref: str, value: dt.date, style: int) -> str:
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        raise ValueError("Excel has no time zones: convert the date-time to local time first")
    return f'<c r="{ref}" s="{style}" t="n"><v>{parts.serial(value):.16g}</v></c>'


def _cell(ref: str, value: object, style: int = parts.PLAIN) -> str | None:
    """Any value as openpyxl would type it: text made safe, numbers, dates with ``style`` or a date style."""
    if value is None:
        return None
    if isinstance(value, Fmt):
        if value.value is None:
            return None
        return _cell(ref, value.value, _NUMBER_STYLE.get(value.kind, parts.PLAIN))
    if isinstance(value, dt.date):
        if style == parts.PLAIN:
            style = parts.NUM_DATETIME if isinstance(value, dt.datetime) else parts.NUM_DATE
        return _date_cell(ref, value, style)
    if isinstance(value, int | float | Decimal):
        return _number_cell(ref, value, style)
    text = safe_text(value)
    return parts.text_cell(ref, text, style) if text else None


class _Part:
    """One worksheet of the package: its title, and its XML compressed as it is written
    (a table) or held as text (the small cover)."""

    def __init__(self, title: str) -> None:
        self.title = title
        self.data: Deflated | None = None
        self.xml: str | None = None
        self.autofilter: str | None = None


class TableSheet:
    """A sheet with a header row, written row by row; continues on a new sheet
    named ``名称(2)`` when Excel's row limit is reached.

    Each row becomes one ``<row>`` element of text, written with the style ids
    worked out once per column (see :mod:`supervise.xlsx_parts`) and compressed
    as it goes, so memory stays flat however many rows are written."""

    def __init__(
        self, book: XlsxBook, name: str, columns: Sequence[Col], *, wrap: Sequence[int] = ()
    ) -> None:
        if not columns:
            raise ValueError("a table needs at least one column")
        self.book, self.name, self.columns = book, name, tuple(columns)
        self.rows = 0  # data rows written over all parts
        wrapped = set(wrap)
        self._plan = [
            (
                i,
                _KIND_PLAN[c.kind],
                parts.WRAP
                if i in wrapped and c.kind in (TEXT, GENERAL)
                else _NUMBER_STYLE.get(c.kind, parts.PLAIN),
            )
            for i, c in enumerate(self.columns)
        ]
        self._letters = parts.column_letters(len(self.columns))
        self._parts: list[_Part] = []
        self._in_part = 0
        self._buffer: list[str] = []
        self._new_part()

    def _new_part(self) -> None:
        title = self.name if not self._parts else f"{self.name}({len(self._parts) + 1})"
        part = self.book._add_part(title)
        part.data = Deflated()
        self._parts.append(part)
        self._in_part = 0
        self._buffer = [
            parts.sheet_head(
                [c.column_width for c in self.columns],
                frozen=True,
                selected=len(self.book._parts) == 1,
            )
        ]
        header = "".join(
            parts.text_cell(f"{letter}1", safe_text(col.header) or " ", parts.HEADER)
            for letter, col in zip(self._letters, self.columns, strict=True)
        )
        self._buffer.append(f'<row r="1">{header}</row>')

    def _flush(self) -> None:
        if self._buffer:
            data = self._parts[-1].data
            assert data is not None
            data.write("".join(self._buffer).encode("utf-8"))
            self._buffer = []

    def _close_part(self) -> None:
        part = self._parts[-1]
        if part.data is None or part.data.finished:
            return
        part.autofilter = f"A1:{self._letters[-1]}{self._in_part + 1}"
        self._buffer.append(parts.sheet_tail(part.autofilter))
        self._flush()
        part.data.finish()

    def append(self, row: Sequence[Any]) -> None:
        """Write one row of Python values in column order (None leaves a blank)."""
        if self._in_part >= EXCEL_MAX_ROWS - 1:
            self._close_part()
            self._new_part()
        elif self._parts[-1].data.finished:  # type: ignore[union-attr]
            raise RuntimeError(f"table {self.name!r} is closed")
        self._in_part += 1
        rs = str(self._in_part + 1)
        letters = self._letters
        cells: list[str] = []
        add = cells.append
        for i, how, style in self._plan:
            value = row[i]
            if value is None:
                continue
            if how == _AS_TEXT:
                if (
                    value.__class__ is not str
                    or not value.isprintable()
                    or value[:1] in _RISKY
                    or (len(value) > MAX_TEXT)
                ):
                    value = safe_text(value)
                if value:
                    add(parts.text_cell(letters[i] + rs, value, style))
            elif how == _AS_NUMBER and value.__class__ in (int, float):
                text = parts.number(value)
                if text is not None:
                    add(f'<c r="{letters[i]}{rs}" s="{style}" t="n"><v>{text}</v></c>')
            elif how == _AS_DATE and (
                value.__class__ is dt.date
                or (value.__class__ is dt.datetime and value.tzinfo is None)
            ):
                add(
                    f'<c r="{letters[i]}{rs}" s="{style}" t="n"><v>{parts.serial(value):.16g}</v></c>'
                )
            else:
                cell = _cell(letters[i] + rs, value, style)
                if cell is not None:
                    add(cell)
        self._buffer.append(f'<row r="{rs}">{"".join(cells)}</row>')
        if len(self._buffer) >= _ROWS_PER_WRITE:
            self._flush()
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
        append = self.append
        for row in rows:
            append(row)
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
    """A streamed workbook; sheets appear in the order they are created.

    With ``cover`` the first sheet is a cover (封面), filled by :meth:`cover`
    at any time — typically last, when the number of rows is known.  Nothing
    is written at ``path`` before :meth:`save`; table rows wait, compressed,
    in anonymous temporary files.
    """

    def __init__(self, path: str | Path, *, cover: bool = True) -> None:
        self.path = Path(path)
        self._parts: list[_Part] = []
        self._tables: list[TableSheet] = []
        self._cover = self._add_part("封面") if cover else None
        if self._cover is not None:
            self._cover.xml = parts.sheet_head([], frozen=False, selected=True) + parts.sheet_tail(
                None
            )

    def _add_part(self, title: str) -> _Part:
        title = title.translate(_BAD_TITLE)[:31] or "Sheet"
        taken = {p.title.casefold() for p in self._parts}
        base, n = title, 1
        while title.casefold() in taken:
            n += 1
            title = f"{base[: 31 - len(str(n)) - 2]}({n})"
        part = _Part(title)
        self._parts.append(part)
        return part

    def cover(self, title: str, items: Sequence[tuple[str, object]]) -> None:
        """Fill the cover: the title, then one ``label | value`` line per item."""
        part = self._cover
        if part is None:
            raise RuntimeError("this workbook was opened without a cover sheet")
        rows = [f'<row r="1">{_cell("A1", title, parts.TITLE) or ""}</row>']
        for n, (label, value) in enumerate(items, 3):
            rows.append(
                f'<row r="{n}">{_cell(f"A{n}", label, parts.LABEL) or ""}'
                f"{self._cover_value(f'B{n}', value) or ''}</row>"
            )
        part.xml = (
            parts.sheet_head([18, 70], frozen=False, selected=True)
            + "".join(rows)
            + parts.sheet_tail(None)
        )
        self._cover = None

    @staticmethod
    def _cover_value(ref: str, value: object) -> str | None:
        if isinstance(value, dt.datetime):
            return _date_cell(ref, value, parts.LEFT_DATETIME)
        if isinstance(value, dt.date):
            return _date_cell(ref, value, parts.LEFT_DATE)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return _number_cell(ref, value, parts.PLAIN)
        return _cell(ref, "" if value is None else str(value))

    def table(self, name: str, columns: Sequence[Col], *, wrap: Sequence[int] = ()) -> TableSheet:
        """A new table sheet with its header row written."""
        sheet = TableSheet(self, name, columns, wrap=wrap)
        self._tables.append(sheet)
        return sheet

    def save(self) -> Path:
        """Write the package at ``path`` (every table closed first); returns the path."""
        try:
            for sheet in self._tables:
                sheet.close()
            titles = [p.title for p in self._parts]
            with open(self.path, "wb") as stream:
                out = ZipOut(stream)
                out.add("[Content_Types].xml", parts.content_types(len(titles)))
                out.add("_rels/.rels", parts.ROOT_RELS)
                out.add("docProps/app.xml", parts.APP)
                out.add("docProps/core.xml", parts.core(dt.datetime.now().astimezone()))
                out.add(
                    "xl/workbook.xml", parts.workbook(titles, [p.autofilter for p in self._parts])
                )
                out.add("xl/_rels/workbook.xml.rels", parts.workbook_rels(len(titles)))
                out.add("xl/styles.xml", parts.STYLES)
                for i, part in enumerate(self._parts, 1):
                    if part.data is not None:
                        out.add_deflated(f"xl/worksheets/sheet{i}.xml", part.data)
                    else:
                        out.add(f"xl/worksheets/sheet{i}.xml", part.xml or "")
                out.close()
        finally:
            self.discard()
        return self.path

    def discard(self) -> None:
        """Give up the sheets' temporary data (after a save, or when the export fails)."""
        for part in self._parts:
            if part.data is not None:
                part.data.close()

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
