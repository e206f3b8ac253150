"""Reading import files: xlsx and csv, header row found by its names (SPEC §5).

xlsx is read with python-calamine (Rust) when it is installed: about ten
times faster than openpyxl, holding one sheet at a time in Rust
memory (about 1.1 GB for a million 16-column rows); openpyxl's read-only
mode, which streams in constant memory but slowly, is the fallback.
``docs/IMPORTS.md`` has the measurements.  Before either opens a file, the
zip directory is checked: a workbook whose parts would unpack to more than
``limits.max_unzipped_bytes`` is refused (a zip bomb cannot exhaust memory).

csv is streamed as UTF-8 (with or without BOM) or GB18030, whichever decodes
the whole file (checked first, in one pass over the bytes).  Header names
match after NFKC normalisation and trimming, so full-width letters and stray
spaces in a hand-made sheet do not matter; title rows above the header are
skipped, and so are blank rows.  Every sheet that has a header row is read,
in workbook order, except the template's notes sheet (``填写说明``).  A cell
of a vertically merged range gets the range's value, so a unit code merged
over several rows counts for each of them.
"""

from __future__ import annotations

import codecs
import csv
import logging
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import InvalidInput
from .extension import Column
from .import_values import parse_datetime  # noqa: F401  (re-exported for importers)

logger = logging.getLogger(__name__)

HEADER_SCAN_ROWS = 20
CSV_ENCODINGS = ("utf-8-sig", "gb18030")
NOTES_SHEETS = frozenset({"填写说明"})
MAX_CELL_CHARS = 32_767  # Excel's own limit for one cell
MAX_UNZIPPED_BYTES = 2048 * 1024 * 1024
TOO_LONG = "单元格内容过长（超过 {n} 字） cell longer than {n} characters"


@dataclass(frozen=True)
class ReadLimits:
    """Guards against hostile files: unpacked workbook size and cell length."""

    max_unzipped_bytes: int = MAX_UNZIPPED_BYTES
    max_cell_chars: int = MAX_CELL_CHARS


def norm(value: Any) -> Any:
    """NFKC-normalise and trim text; turn integral floats into ints."""
    if isinstance(value, str):
        return unicodedata.normalize("NFKC", value).strip()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


class Row(Mapping[str, Any]):
    """One data row: its sheet, its 1-based row number, and its values by column name.

    A mapping of column name to value (None when empty), so an importer may
    use ``row["评价编号"]`` or ``row.get("评价渠道")``.  ``problems`` holds the
    (column, reason) pairs the reader itself found, such as an over-long cell.
    """

    __slots__ = ("sheet", "number", "cells", "problems")

    def __init__(
        self,
        sheet: str,
        number: int,
        values: dict[str, Any],
        problems: list[tuple[str, str]] | None = None,
    ) -> None:
        self.sheet, self.number, self.cells, self.problems = sheet, number, values, problems

    def __getitem__(self, key: str) -> Any:
        return self.cells[key]

    def get(self, key: str, default: Any = None) -> Any:
        return self.cells.get(key, default)

    def __iter__(self) -> Iterator[str]:
        return iter(self.cells)

    def __len__(self) -> int:
        return len(self.cells)

    def __repr__(self) -> str:
        return f"Row({self.sheet!r}, {self.number}, {self.cells!r})"


# -- raw rows of each kind of file ----------------------------------------------------


class Table:
    """The raw rows of one file, sheet by sheet; ``total`` counts the rows of the sheets opened so far."""

    def __init__(self, path: Path, limits: ReadLimits) -> None:
        self.path, self.limits = path, limits
        self.total: int | None = None

    def raw_rows(self) -> Iterator[tuple[str, int, list[Any]]]:
        suffix = self.path.suffix.lower()
        if suffix in (".xlsx", ".xlsm"):
            check_zip(self.path, self.limits)
            try:
                import python_calamine  # noqa: F401
            except ImportError:
                yield from self._openpyxl_rows()
            else:
                yield from self._calamine_rows()
        elif suffix in (".csv", ".txt"):
            yield from self._csv_rows()
        else:
            raise InvalidInput(
                f"不支持的文件类型：{self.path.name}（应为 .xlsx 或 .csv）",
                f"unsupported file type: {self.path.name} (use .xlsx or .csv)",
            )

    def _calamine_rows(self) -> Iterator[tuple[str, int, list[Any]]]:
        from python_calamine import CalamineWorkbook

        try:
            book = CalamineWorkbook.from_path(str(self.path))
        except Exception as exc:  # calamine raises its own kinds for damaged files
            raise _unreadable(self.path, exc) from None
        try:
            self.total = 0
            for name in book.sheet_names:
                if name.strip() in NOTES_SHEETS:
                    continue
                try:
                    sheet = book.get_sheet_by_name(name)
                except Exception as exc:
                    raise _unreadable(self.path, exc) from None
                if sheet.start is None:  # an empty sheet (iterating it would panic)
                    continue
                self.total += sheet.height
                start_col = sheet.start[1] if sheet.start else 0
                fill = _merged_fill(sheet.merged_cell_ranges or [], start_col)
                # iter_rows begins at the sheet's first row, so the index is the row number.
                for number, values in enumerate(sheet.iter_rows(), start=1):
                    if fill and number in fill.rows:
                        fill.apply(number, values)
                    yield name, number, values
                del sheet
        finally:
            book.close()

    def _openpyxl_rows(self) -> Iterator[tuple[str, int, list[Any]]]:
        import openpyxl

        try:
            book = openpyxl.load_workbook(self.path, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds for damaged files
            raise _unreadable(self.path, exc) from None
        try:
            self.total = 0
            for sheet in book.worksheets:
                if sheet.title.strip() in NOTES_SHEETS:
                    continue
                self.total += sheet.max_row or 0  # from the sheet's dimension tag
                for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
                    yield sheet.title, number, list(values)
        finally:
            book.close()

    def _csv_rows(self) -> Iterator[tuple[str, int, list[Any]]]:
        encoding = detect_encoding(self.path)
        csv.field_size_limit(max(self.limits.max_cell_chars * 4 + 1, 131_072))
        with self.path.open(encoding=encoding, newline="") as handle:
            try:
                for number, values in enumerate(csv.reader(handle), start=1):
                    yield self.path.stem, number, values
            except csv.Error as exc:
                raise InvalidInput(
                    f"CSV 文件格式错误：{self.path.name}（{exc}）",
                    f"malformed csv file {self.path.name}: {exc}",
                ) from None


def _unreadable(path: Path, exc: BaseException) -> InvalidInput:
    logger.info("cannot read %s: %r", path, exc)
    return InvalidInput(
        f"无法读取 xlsx 文件：{path.name}（文件损坏或不是 Excel 工作簿）",
        f"cannot read xlsx file {path.name}: damaged or not an Excel workbook",
    )


class _MergedFill:
    """Copies the top-left value of vertically merged ranges into the cells below it."""

    def __init__(self, ranges: list[tuple[int, int, int, int]]) -> None:
        self.ranges = (
            ranges  # (first row, last row, first col, last col): 1-based rows, 0-based cols
        )
        self.rows = {r for first, last, _, _ in ranges for r in range(first, last + 1)}
        self.values: dict[int, Any] = {}

    def apply(self, number: int, values: list[Any]) -> None:
        for index, (first, last, c0, c1) in enumerate(self.ranges):
            if not first <= number <= last:
                continue
            if number == first:
                self.values[index] = values[c0] if c0 < len(values) else None
                continue
            value = self.values.get(index)
            for col in range(c0, min(c1 + 1, len(values))):
                if values[col] in (None, ""):
                    values[col] = value


def _merged_fill(
    ranges: Iterable[tuple[tuple[int, int], tuple[int, int]]], start_col: int
) -> _MergedFill | None:
    vertical = [
        (r0 + 1, r1 + 1, c0 - start_col, c1 - start_col)
        for (r0, c0), (r1, c1) in ranges
        if r1 > r0 and c0 >= start_col
    ]
    return _MergedFill(vertical) if vertical else None


def check_zip(path: Path, limits: ReadLimits) -> None:
    """Refuse what is not a workbook, or would unpack beyond the limit, before opening it."""
    if not zipfile.is_zipfile(path):
        raise InvalidInput(
            f"不是有效的 xlsx 文件：{path.name}（可能是改了扩展名的其他文件）",
            f"not a valid xlsx file: {path.name} (perhaps another file renamed)",
        )
    try:
        with zipfile.ZipFile(path) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise _unreadable(path, exc) from None
    names = {e.filename for e in entries}
    if "xl/workbook.xml" not in names:
        raise InvalidInput(
            f"不是 Excel 工作簿：{path.name}（压缩包中没有 xl/workbook.xml）",
            f"not an Excel workbook: {path.name} (no xl/workbook.xml inside)",
        )
    unpacked = sum(e.file_size for e in entries)
    if unpacked > limits.max_unzipped_bytes:
        raise InvalidInput(
            f"工作簿解压后过大：{unpacked // 2**20} MB，超过上限 {limits.max_unzipped_bytes // 2**20} MB"
            "（设置 import.max_unzipped_mb）",
            f"the workbook would unpack to {unpacked // 2**20} MB, over the limit of "
            f"{limits.max_unzipped_bytes // 2**20} MB (setting import.max_unzipped_mb)",
        )


def detect_encoding(path: Path) -> str:
    """UTF-8 (BOM or not) or GB18030: the first that decodes every byte of the file."""
    for encoding in CSV_ENCODINGS:
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            with path.open("rb") as handle:
                for chunk in iter(lambda: handle.read(1 << 20), b""):
                    if "\x00" in decoder.decode(chunk):
                        raise InvalidInput(
                            f"文件含有二进制内容：{path.name}", f"binary content in {path.name}"
                        )
                decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        return encoding
    raise InvalidInput(
        f"无法识别文件编码：{path.name}（应为 UTF-8 或 GB18030）",
        f"unknown text encoding in {path.name} (use UTF-8 or GB18030)",
    )


# -- header detection and data rows ---------------------------------------------------


def _key(value: Any) -> str:
    return str(norm(value)) if value is not None else ""


class RowReader:
    """The data rows of a file for the given columns; see :func:`read_rows`."""

    def __init__(
        self, path: str | Path, columns: Iterable[Column], limits: ReadLimits | None = None
    ) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise InvalidInput(f"文件不存在：{self.path}", f"file not found: {self.path}")
        self.columns = tuple(columns)
        self.table = Table(self.path, limits or ReadLimits())

    @property
    def total(self) -> int | None:
        return self.table.total

    def __iter__(self) -> Iterator[Row]:
        names: dict[str, str] = {}
        for col in self.columns:
            for alias in (col.name, *col.aliases):
                names.setdefault(_key(alias), col.name)
        required = {c.name for c in self.columns if c.required}
        max_chars = self.table.limits.max_cell_chars
        normalize = unicodedata.normalize
        need = 0
        header: list[tuple[int, str]] | None = None
        current = None
        best_missing: set[str] = set(required)
        found_any = False
        for sheet, number, values in self.table.raw_rows():
            if sheet != current:
                current, header = sheet, None
            if header is None:
                if number <= HEADER_SCAN_ROWS:
                    header = _header(values, names, required)
                    if header is not None:
                        found_any = True
                        need = header[-1][0] + 1
                    else:
                        missing = required - {names[k] for v in values if (k := _key(v)) in names}
                        if len(missing) < len(best_missing):
                            best_missing = missing
                continue
            if len(values) < need:
                values = [*values, *([None] * (need - len(values)))]
            cells: dict[str, Any] = {}
            problems = None
            blank = True
            for index, name in header:
                value = values[index]
                kind = value.__class__
                if kind is str:
                    if not value.isascii():  # NFKC leaves ASCII as it is
                        value = normalize("NFKC", value)
                    value = value.strip()
                    if not value:
                        value = None
                    else:
                        blank = False
                        if len(value) > max_chars:
                            problems = (problems or []) + [(name, TOO_LONG.format(n=max_chars))]
                            value = value[:50] + "…"
                elif value is not None:
                    blank = False
                    if kind is float and value.is_integer():
                        value = int(value)
                cells[name] = value
            if not blank:
                yield Row(sheet, number, cells, problems)
        if not found_any:
            raise InvalidInput(
                f"未找到表头，缺少列：{'、'.join(sorted(best_missing))}",
                f"no header row found; missing columns: {', '.join(sorted(best_missing))}",
            )


def _header(
    values: list[Any], names: Mapping[str, str], required: set[str]
) -> list[tuple[int, str]] | None:
    """The (index, column) pairs of a header row, or None when a required name is missing."""
    mapping: dict[str, int] = {}
    for index, value in enumerate(values):
        name = names.get(_key(value))
        if name is not None and name not in mapping:
            mapping[name] = index
    if required - mapping.keys():
        return None
    return sorted(((i, n) for n, i in mapping.items()), key=lambda pair: pair[0])


def read_rows(
    path: str | Path, columns: Iterable[Column], limits: ReadLimits | None = None
) -> Iterator[Row]:
    """Yield the data rows of every sheet that has a header row.

    A sheet's header is the first row within the first 20 rows that holds
    every required column name (or an alias).  Raises :class:`InvalidInput`
    when no sheet has one, naming the missing columns, and for files that
    cannot be read.
    """
    return iter(RowReader(path, columns, limits))


__all__ = [
    "Row",
    "RowReader",
    "ReadLimits",
    "read_rows",
    "norm",
    "check_zip",
    "detect_encoding",
    "parse_datetime",
]
