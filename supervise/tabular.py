"""Reading import files: xlsx and csv, header row found by its names (SPEC §5).

xlsx is streamed with openpyxl in read-only mode (constant memory, every
sheet in order).  csv is read as UTF-8 (with or without BOM) and falls back
to GB18030, which is a superset of GBK and GB2312.  Header names match after
NFKC normalisation and trimming, so full-width letters and stray spaces in a
hand-made sheet do not matter; title rows above the header are skipped, and
so are blank rows.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import InvalidInput
from .extension import Column

logger = logging.getLogger(__name__)

HEADER_SCAN_ROWS = 20
CSV_ENCODINGS = ("utf-8-sig", "gb18030")


def norm(value: Any) -> Any:
    """NFKC-normalise and trim text; turn integral floats into ints."""
    if isinstance(value, str):
        return unicodedata.normalize("NFKC", value).strip()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


@dataclass
class Row:
    sheet: str
    number: int  # 1-based row number as a spreadsheet shows it
    values: dict[str, Any]


def _raw_rows(path: Path) -> Iterator[tuple[str, int, list[Any]]]:
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        yield from _xlsx_rows(path)
    elif suffix in (".csv", ".txt"):
        yield from _csv_rows(path)
    else:
        raise InvalidInput(f"不支持的文件类型：{path.name}（应为 .xlsx 或 .csv）", f"unsupported file type: {path.name} (use .xlsx or .csv)")


def _xlsx_rows(path: Path) -> Iterator[tuple[str, int, list[Any]]]:
    import openpyxl

    if not zipfile.is_zipfile(path):
        raise InvalidInput(f"不是有效的 xlsx 文件：{path.name}", f"not a valid xlsx file: {path.name}")
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for damaged files
        raise InvalidInput(f"无法读取 xlsx 文件：{path.name}", f"cannot read xlsx file {path.name}: {exc}") from None
    try:
        for sheet in book.worksheets:
            for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
                yield sheet.title, number, list(values)
    finally:
        book.close()


def _csv_rows(path: Path) -> Iterator[tuple[str, int, list[Any]]]:
    data = path.read_bytes()
    for encoding in CSV_ENCODINGS:
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise InvalidInput(f"无法识别文件编码：{path.name}（应为 UTF-8 或 GB18030）", f"unknown text encoding in {path.name} (use UTF-8 or GB18030)")
    if "\x00" in text:
        raise InvalidInput(f"文件含有二进制内容：{path.name}", f"binary content in {path.name}")
    for number, values in enumerate(csv.reader(io.StringIO(text, newline="")), start=1):
        yield path.stem, number, values


def _key(value: Any) -> str:
    return str(norm(value)) if value is not None else ""


def read_rows(path: str | Path, columns: Iterable[Column]) -> Iterator[Row]:
    """Yield the data rows of every sheet that has a header row.

    A sheet's header is the first row within the first rows that holds every
    required column name (or an alias).  Raises :class:`InvalidInput` when no
    sheet has one, naming the missing columns.
    """
    path = Path(path)
    if not path.is_file():
        raise InvalidInput(f"文件不存在：{path}", f"file not found: {path}")
    columns = tuple(columns)
    names = {}
    for col in columns:
        for alias in (col.name, *col.aliases):
            names[_key(alias)] = col.name
    required = {c.name for c in columns if c.required}
    header: dict[int, str] | None = None
    current = None
    best_missing: set[str] = set(required)
    found_any = False
    for sheet, number, values in _raw_rows(path):
        if sheet != current:
            current, header = sheet, None
        if header is None:
            if number > HEADER_SCAN_ROWS:
                continue
            mapping = {i: names[_key(v)] for i, v in enumerate(values) if _key(v) in names}
            missing = required - set(mapping.values())
            if not missing:
                header, found_any = mapping, True
            elif len(missing) < len(best_missing):
                best_missing = missing
            continue
        cells = {header[i]: norm(v) for i, v in enumerate(values) if i in header}
        if all(v is None or v == "" for v in cells.values()):
            continue
        yield Row(sheet, number, {k: (None if v == "" else v) for k, v in cells.items()})
    if not found_any:
        raise InvalidInput(
            f"未找到表头，缺少列：{'、'.join(sorted(best_missing))}",
            f"no header row found; missing columns: {', '.join(sorted(best_missing))}",
        )


# -- value parsing shared by the importers --------------------------------------

_DATE_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y年%m月%d日 %H时%M分%S秒",
    "%Y年%m月%d日 %H时%M分",
    "%Y年%m月%d日%H时%M分",
    "%Y-%m-%d",
    "%Y/%m/%d",
    "%Y年%m月%d日",
)


def parse_datetime(value: Any) -> dt.datetime:
    """Excel date cells and the date strings of SPEC §5; ValueError otherwise."""
    if isinstance(value, dt.datetime):
        return value.replace(microsecond=0)
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time())
    text = str(value).strip()
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt)
        except ValueError:
            continue
    raise ValueError("日期时间格式无法识别 unrecognised date")
