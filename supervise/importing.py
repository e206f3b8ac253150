"""The import engine shared by every importer plugin (SPEC §5).

An importer plugin declares its columns and a ``run(ctx=..., rows=...)``
callable that validates each row, reports bad values through
:meth:`ImportContext.error`, and writes the good ones in bulk
(:meth:`ImportContext.writer`).  The engine reads the file
(:mod:`supervise.tabular`), checks what every format shares — cells the
reader refused, required values, the template's example row — and runs the
importer in one write transaction with a new :class:`ImportBatch`.

All or nothing: rows are validated as they stream and written into the
still uncommitted transaction; after the first error (unless
``skip_invalid``) nothing more is written but validation goes on, so the
errors workbook lists every bad value; then the transaction is rolled back,
the workbook is written and exit code 3 follows.  A cancelled import and an
importer that raises are rolled back the same way; a value the database
refuses while the importer writes (PostgreSQL: text over a column's 255
characters) is invalid input, exit 3, not an internal error.  A clean import
commits with one audit entry for the whole batch.
"""

from __future__ import annotations

import hashlib
import logging
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path
from typing import Any

import peewee as pw

from . import audit, settings
from .auth import Actor
from .bulk import BulkInsert
from .db import write_transaction
from .errors import EXIT_INTERNAL, InvalidInput, UserError
from .extension import ImporterSpec
from .import_values import as_int, text
from .models import ImportBatch, Matter, Staff, Unit, now
from .permissions import require
from .tabular import ReadLimits, Row, RowReader
from .workdays import WorkCalendar

logger = logging.getLogger(__name__)

#: Engine settings and their defaults (admins change them in the settings table).
IMPORT_DEFAULTS: dict[str, int] = {"import.max_unzipped_mb": 2048, "import.max_cell_chars": 32_767}
REQUIRED_MISSING = "必填项为空 required value missing"
PROGRESS_EVERY = 2000
_UNSET = object()


@dataclass
class RowError:
    sheet: str
    row: int
    column: str
    value: Any
    reason: str


@dataclass(frozen=True)
class ImportProgress:
    """What a progress display shows: rows read and written, time, and the rows known so far."""

    read: int
    written: int
    elapsed: float
    total: int | None = None

    @property
    def rate(self) -> float:
        return self.read / self.elapsed if self.elapsed > 0 else 0.0


class _Rollback(Exception):
    """Raised inside the transaction to undo an import with errors."""


class Cancelled(InvalidInput):
    def __init__(self) -> None:
        super().__init__("导入已取消，未写入任何数据", "import cancelled; nothing was written")


class ImporterFailed(UserError):
    """An importer plugin raised: nothing was imported (exit 1, traceback in the log)."""

    exit_code = EXIT_INTERNAL


@dataclass
class ImportContext:
    """What an importer's ``run`` gets besides the rows."""

    actor: Actor
    batch: ImportBatch
    spec: ImporterSpec
    skip_invalid: bool = False
    errors: list[RowError] = field(default_factory=list)
    imported: int = 0
    duplicates: int = 0
    read: int = 0
    cancel: Callable[[], bool] = lambda: False
    started: Any = field(default_factory=now)
    _calendar: WorkCalendar | None = None
    _codes: dict[str, dict[str, int]] = field(default_factory=dict)

    def error(self, row: Row, column: str, reason: str, value: Any = _UNSET) -> None:
        """Report one bad value of ``row``; the row is not to be written."""
        shown = row.cells.get(column) if value is _UNSET else value
        self.errors.append(RowError(row.sheet, row.number, column, shown, reason))

    @property
    def stopped(self) -> bool:
        """True once an error means the import will be rolled back: write nothing more."""
        return bool(self.errors) and not self.skip_invalid

    def writer(
        self,
        model: type[pw.Model],
        fields: Sequence[str],
        *,
        conflict: Sequence[str] = (),
        chunk: int | None = None,
        raw: Sequence[str] = (),
    ) -> BulkInsert:
        """A bulk writer into ``model`` that stops writing once the import has failed
        (``raw``: columns that are no model field, see :class:`BulkInsert`)."""
        kwargs = {"chunk": chunk} if chunk else {}
        return BulkInsert(
            model, fields, conflict=conflict, skip=lambda: self.stopped, raw=raw, **kwargs
        )

    @property
    def calendar(self) -> WorkCalendar:
        if self._calendar is None:
            self._calendar = WorkCalendar.from_database()
        return self._calendar

    def codes(self, kind: str) -> dict[str, int]:
        """code → id of ``units``, ``staff`` (by staff number) or ``matters``, read once."""
        if kind not in self._codes:
            model, key = {
                "units": (Unit, Unit.code),
                "staff": (Staff, Staff.number),
                "matters": (Matter, Matter.code),
            }[kind]
            self._codes[kind] = dict(model.select(key, model.id).tuples())
        return self._codes[kind]


@dataclass
class ImportResult:
    batch: int | None
    imported: int
    duplicates: int
    errors: list[RowError]
    errors_file: str | None
    read: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "batch": self.batch,
            "read": self.read,
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


def read_limits() -> ReadLimits:
    """The reader's guards from settings (``import.max_unzipped_mb``, ``import.max_cell_chars``)."""
    mb = as_int(settings.get("import.max_unzipped_mb", IMPORT_DEFAULTS["import.max_unzipped_mb"]))
    chars = as_int(settings.get("import.max_cell_chars", IMPORT_DEFAULTS["import.max_cell_chars"]))
    return ReadLimits(max_unzipped_bytes=mb * 1024 * 1024, max_cell_chars=chars)


def _checked_rows(
    reader: RowReader,
    ctx: ImportContext,
    progress: Callable[[ImportProgress], None] | None,
    start: float,
) -> Iterator[Row]:
    """The rows an importer sees: cancel checked, reader problems, required values and the example row handled."""
    required = [c.name for c in ctx.spec.columns if c.required]
    get_required = (
        itemgetter(*required)
        if len(required) > 1
        else (lambda values: (values[required[0]],))
        if required
        else (lambda values: ())
    )
    example = {c.name: c.example for c in ctx.spec.columns if c.example}
    first_example = next(iter(example.items()), None)
    cancel = ctx.cancel
    for row in reader:
        if cancel():
            raise Cancelled()
        ctx.read += 1
        if progress is not None and ctx.read % PROGRESS_EVERY == 0:
            progress(ImportProgress(ctx.read, ctx.imported, time.monotonic() - start, reader.total))
        if row.problems:
            for column, reason in row.problems:
                ctx.error(row, column, reason)
            continue
        values = row.cells
        if None in get_required(values):  # the header holds every required column
            for name in required:
                if values[name] is None:
                    ctx.error(row, name, REQUIRED_MISSING)
            continue
        if (
            first_example
            and text(values.get(first_example[0])) == first_example[1]
            and all(text(values.get(k)) == v for k, v in example.items())
        ):
            ctx.read -= 1  # the template's example row is not data
            continue
        yield row


def run_import(
    actor: Actor,
    spec: ImporterSpec,
    path: str | Path,
    *,
    skip_invalid: bool = False,
    errors_out: str | Path | None = None,
    progress: Callable[[ImportProgress], None] | None = None,
    cancel: Callable[[], bool] | None = None,
) -> ImportResult:
    """Import ``path`` with ``spec``; all or nothing unless ``skip_invalid``.

    ``progress`` is called every few thousand rows and once at the end with
    an :class:`ImportProgress`; ``cancel`` is asked before each row and, when
    it returns True, the import stops and leaves nothing behind
    (:class:`Cancelled`).  Both may be called from a worker thread.
    """
    require(actor.role, "import", actor.name)
    path = Path(path)
    reader = RowReader(path, spec.columns, read_limits())
    errors_path = Path(errors_out) if errors_out else path.with_name(path.stem + ".errors.xlsx")
    ctx: ImportContext | None = None
    start = time.monotonic()
    try:
        with write_transaction():
            batch = ImportBatch.create(
                format=spec.name, filename=path.name, sha256=_sha256(path), user=actor.user_id
            )
            ctx = ImportContext(
                actor=actor,
                batch=batch,
                spec=spec,
                skip_invalid=skip_invalid,
                cancel=cancel or (lambda: False),
            )
            _run(spec, ctx, _checked_rows(reader, ctx, progress, start))
            if ctx.stopped:
                raise _Rollback()
            batch.rows, batch.imported, batch.duplicates = ctx.read, ctx.imported, ctx.duplicates
            batch.errors, batch.finished_at, batch.state = len(ctx.errors), now(), "完成"
            batch.save()
            summary = ImportResult(
                batch.id, ctx.imported, ctx.duplicates, ctx.errors, None, ctx.read
            ).as_dict()
            audit.append(
                actor.name,
                f"import.{spec.name}",
                "import_batch",
                batch.id,
                None,
                summary | {"file": path.name, "sha256": batch.sha256},
            )
    except _Rollback:
        assert ctx is not None
        write_errors(ctx.errors, errors_path)
        raise InvalidInput(
            f"导入失败：{len(ctx.errors)} 处错误，未导入任何数据；错误明细见 {errors_path}",
            f"import failed: {len(ctx.errors)} errors, nothing imported; see {errors_path}",
        ) from None
    if progress is not None:
        progress(ImportProgress(ctx.read, ctx.imported, time.monotonic() - start, reader.total))
    _notify(f"import.{spec.name}", ctx.batch.id, actor.name)
    errors_file = None
    if ctx.errors:
        write_errors(ctx.errors, errors_path)
        errors_file = str(errors_path)
    logger.info(
        "import %s of %s: %d read, %d imported, %d duplicates, %d errors in %.1f s",
        spec.name,
        path.name,
        ctx.read,
        ctx.imported,
        ctx.duplicates,
        len(ctx.errors),
        time.monotonic() - start,
    )
    return ImportResult(
        ctx.batch.id, ctx.imported, ctx.duplicates, ctx.errors, errors_file, ctx.read
    )


def _run(spec: ImporterSpec, ctx: ImportContext, rows: Iterator[Row]) -> None:
    """Call the importer; a plain count returned by a simple plugin counts as imported rows."""
    try:
        result = spec.run(ctx=ctx, rows=rows)
    except (UserError, _Rollback):
        raise
    except pw.DataError as exc:  # the database refused a value (PostgreSQL: a name over 255)
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        logger.info("importer %r: a value refused by the database: %s", spec.name, reason)
        raise InvalidInput(
            f"文件中有数据库无法保存的值，未导入任何数据：{reason}",
            f"a value in the file cannot be stored; nothing imported: {reason}",
        ) from exc
    except Exception as exc:
        logger.exception("importer %r failed", spec.name)
        raise ImporterFailed(
            f"导入格式“{spec.name}”的插件出错，未导入任何数据：{type(exc).__name__}: {exc}".splitlines()[
                0
            ],
            f"the importer plugin of {spec.name!r} failed; nothing imported: {type(exc).__name__}: {exc}".splitlines()[
                0
            ],
        ) from exc
    if (
        isinstance(result, int)
        and not isinstance(result, bool)
        and not (ctx.imported or ctx.duplicates)
    ):
        ctx.imported = result


def _notify(action: str, batch_id: int, actor: str) -> None:
    from .registry import get_registry

    get_registry().notify_changed(action, "import_batch", str(batch_id), actor)


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
    """The CLI progress display: a bar when the row count is known, rows read/written, elapsed, rate."""

    WIDTH = 24

    def __init__(self, label: str, enabled: bool = True, stream: Any = None) -> None:
        self.stream = stream or sys.stderr
        self.label, self.enabled = label, enabled and self.stream.isatty()
        self.shown = False

    def __call__(self, p: ImportProgress) -> None:
        if not self.enabled:
            return
        self.stream.write("\r" + self.render(p))
        self.stream.flush()
        self.shown = True

    def render(self, p: ImportProgress) -> str:
        bar = ""
        if p.total:
            done = min(p.read / p.total, 1.0)
            filled = int(done * self.WIDTH)
            bar = f"[{'#' * filled}{'.' * (self.WIDTH - filled)}] {done:4.0%} "
        return (
            f"{self.label}: {bar}读 read {p.read:,} / 写 written {p.written:,} 行, "
            f"{p.elapsed:5.1f} s, {p.rate:,.0f} 行/秒 rows/s"
        )

    def done(self) -> None:
        if self.shown:
            self.stream.write("\n")
            self.stream.flush()


__all__ = [
    "Cancelled",
    "ImportContext",
    "ImportProgress",
    "ImportResult",
    "ImporterFailed",
    "ProgressLine",
    "RowError",
    "as_int",
    "run_import",
    "write_errors",
]
