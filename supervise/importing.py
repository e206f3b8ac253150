"""The import engine shared by every importer plugin (SPEC §5).

An importer plugin declares its columns and a ``run(ctx=..., rows=...)``
callable that validates each row, reports bad values through
:meth:`ImportContext.error`, and writes the good ones.  The engine runs it in
one write transaction with a new :class:`ImportBatch`: when any error was
reported and ``skip_invalid`` is off, the whole transaction is rolled back
(nothing imported), an errors workbook is written and exit code 3 follows.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import audit
from .auth import Actor
from .db import write_transaction
from .errors import InvalidInput
from .extension import ImporterSpec
from .models import ImportBatch, now
from .permissions import require
from .tabular import Row, read_rows

logger = logging.getLogger(__name__)


@dataclass
class RowError:
    sheet: str
    row: int
    column: str
    value: Any
    reason: str


class _Rollback(Exception):
    """Raised inside the transaction to undo an import with errors."""


class Cancelled(InvalidInput):
    def __init__(self) -> None:
        super().__init__("导入已取消，未写入任何数据", "import cancelled; nothing was written")


@dataclass
class ImportContext:
    """What an importer's ``run`` gets besides the rows."""

    actor: Actor
    batch: ImportBatch
    spec: ImporterSpec
    errors: list[RowError] = field(default_factory=list)
    imported: int = 0
    duplicates: int = 0
    read: int = 0
    cancel: Callable[[], bool] = lambda: False

    def error(self, row: Row, column: str, reason: str) -> None:
        """Report one bad value of ``row``; the row is not to be written."""
        self.errors.append(RowError(row.sheet, row.number, column, row.values.get(column), reason))


@dataclass
class ImportResult:
    batch: int | None
    imported: int
    duplicates: int
    errors: list[RowError]
    errors_file: str | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "batch": self.batch,
            "imported": self.imported,
            "duplicates": self.duplicates,
            "errors": len(self.errors),
            "errors_file": self.errors_file,
        }


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _counting(rows: Iterator[Row], ctx: ImportContext, progress: Callable[[int], None] | None) -> Iterator[Row]:
    for row in rows:
        if ctx.cancel():
            raise Cancelled()
        ctx.read += 1
        if progress and ctx.read % 1000 == 0:
            progress(ctx.read)
        yield row


def run_import(
    actor: Actor,
    spec: ImporterSpec,
    path: str | Path,
    *,
    skip_invalid: bool = False,
    errors_out: str | Path | None = None,
    progress: Callable[[int], None] | None = None,
    cancel: Callable[[], bool] | None = None,
) -> ImportResult:
    """Import ``path`` with ``spec``; all or nothing unless ``skip_invalid``."""
    require(actor.role, "import", actor.name)
    path = Path(path)
    rows = read_rows(path, spec.columns)
    errors_path = Path(errors_out) if errors_out else path.with_name(path.stem + ".errors.xlsx")
    ctx: ImportContext | None = None
    try:
        with write_transaction():
            batch = ImportBatch.create(
                format=spec.name, filename=path.name, sha256=_sha256(path), user=actor.user_id
            )
            ctx = ImportContext(actor=actor, batch=batch, spec=spec, cancel=cancel or (lambda: False))
            spec.run(ctx=ctx, rows=_counting(rows, ctx, progress))
            if ctx.errors and not skip_invalid:
                raise _Rollback()
            batch.rows, batch.imported, batch.duplicates = ctx.read, ctx.imported, ctx.duplicates
            batch.errors, batch.finished_at, batch.state = len(ctx.errors), now(), "完成"
            batch.save()
            audit.append(actor.name, f"import.{spec.name}", "import_batch", batch.id, None, ImportResult(
                batch.id, ctx.imported, ctx.duplicates, ctx.errors, None).as_dict() | {"file": path.name})
    except _Rollback:
        assert ctx is not None
        write_errors(ctx.errors, errors_path)
        raise InvalidInput(
            f"导入失败：{len(ctx.errors)} 处错误，未导入任何数据；错误明细见 {errors_path}",
            f"import failed: {len(ctx.errors)} errors, nothing imported; see {errors_path}",
        ) from None
    errors_file = None
    if ctx.errors:
        write_errors(ctx.errors, errors_path)
        errors_file = str(errors_path)
    return ImportResult(ctx.batch.id, ctx.imported, ctx.duplicates, ctx.errors, errors_file)


def write_errors(errors: list[RowError], path: Path) -> None:
    """The errors workbook: one line per bad value (written atomically)."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("错误明细")
    sheet.append(["工作表", "行号", "列", "值", "原因"])
    for e in errors:
        value = "" if e.value is None else str(e.value)
        if value[:1] in ("=", "+", "-", "@", "\t", "\r"):
            value = "'" + value
        sheet.append([e.sheet, e.row, e.column, value, e.reason])
    tmp = path.with_name(path.name + ".part")
    book.save(tmp)
    tmp.replace(path)


class ProgressLine:
    """A one-line CLI progress display: rows read, elapsed, rate."""

    def __init__(self, label: str, enabled: bool = True) -> None:
        self.label, self.enabled, self.start = label, enabled and sys.stderr.isatty(), time.monotonic()

    def __call__(self, count: int) -> None:
        if self.enabled:
            elapsed = time.monotonic() - self.start
            rate = count / elapsed if elapsed else 0.0
            sys.stderr.write(f"\r{self.label}: {count:,} 行 rows, {elapsed:5.1f} s, {rate:,.0f} 行/秒 rows/s")
            sys.stderr.flush()

    def done(self) -> None:
        if self.enabled:
            sys.stderr.write("\n")


def as_int(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return int(str(value).strip())


__all__ = ["ImportContext", "ImportResult", "RowError", "run_import", "write_errors", "as_int", "dt"]
