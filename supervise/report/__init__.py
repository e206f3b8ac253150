"""The monthly report 月报 (SPEC §6): figures, workbook and PDF.

    monthly_figures(month, as_of)                  → the figures, one JSON-ready dict
    write_monthly(actor, month, as_of, out_dir)    → [月报-YYYY-MM.xlsx, 月报-YYYY-MM.pdf]
    key_rates(actor, month, as_of)                 → the four rates, for the dashboard

The CLI (``report monthly``), the GUI and the circulars call these same
functions.  docs/REPORT.md defines every figure.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .. import audit, permissions
from ..auth import Actor
from ..db import write_transaction
from ..errors import InvalidInput
from ..models import now
from ..paths import part_file, remove_stale_parts
from ..permissions import LIAISON
from .counts import Counts
from .figures import RATES, Month, exact_rates, half_up, monthly_figures, snapshot
from .pdf import write_pdf
from .workbook import write_workbook

logger = logging.getLogger(__name__)

Progress = Callable[[int, "int | None"], None]


def report_files(out_dir: str | Path, month: str) -> tuple[Path, Path]:
    """Where :func:`write_monthly` puts the workbook and the PDF."""
    folder = Path(out_dir)
    return folder / f"月报-{month}.xlsx", folder / f"月报-{month}.pdf"


def write_monthly(
    actor: Actor,
    month: str,
    as_of: dt.datetime | None,
    out_dir: str | Path,
    progress: Progress | None = None,
    *,
    figures: dict[str, Any] | None = None,
) -> list[Path]:
    """Write the workbook and the PDF of ``month`` into ``out_dir`` (created if
    missing); returns their paths.  ``progress(done, 3)`` follows the three
    steps (figures, workbook, PDF); pass ``figures`` to reuse ones computed
    already.  Each file appears whole or not at all; the run is audited."""
    permissions.require(actor.role, "report", actor.name)
    folder = Path(out_dir)
    if folder.exists() and not folder.is_dir():
        raise InvalidInput(f"输出位置不是目录：{folder}", f"the output is not a folder: {folder}")
    if figures is None:
        figures = monthly_figures(month, as_of)
    if progress is not None:
        progress(1, 3)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InvalidInput(
            f"无法创建输出目录：{folder}",
            f"cannot create the output folder {folder}: {exc.strerror}",
        ) from None
    xlsx, pdf = report_files(folder, figures["月份"])
    for target in (xlsx, pdf):
        remove_stale_parts(target)
    parts = [part_file(p) for p in (xlsx, pdf)]
    try:
        write_workbook(figures, parts[0], actor)
        if progress is not None:
            progress(2, 3)
        write_pdf(figures, parts[1], actor)
        with write_transaction():
            audit.append(
                actor.name,
                "report.monthly",
                "report",
                figures["月份"],
                None,
                {
                    "month": figures["月份"],
                    "as_of": figures["截止时间"],
                    "files": [xlsx.name, pdf.name],
                },
            )
            os.replace(parts[0], xlsx)
            os.replace(parts[1], pdf)
    finally:
        for part in parts:
            part.unlink(missing_ok=True)
    if progress is not None:
        progress(3, 3)
    logger.info("%s wrote the monthly report %s to %s", actor.name, figures["月份"], folder)
    return [xlsx, pdf]


def key_rates(
    actor: Actor, month: str | None = None, as_of: dt.datetime | None = None
) -> dict[str, float | None]:
    """按期办结率, 满意率, 解决率, 好评率 of ``month`` (default this month) as of ``as_of``:
    the office's for roles that may read reports, the own unit's for a liaison."""
    as_of = (as_of or now()).replace(microsecond=0)
    month = month or f"{as_of:%Y-%m}"
    if actor.role == LIAISON:
        unit_id = actor.unit_id
        if unit_id is None:
            return {name: None for name in RATES}
    else:
        permissions.require(actor.role, "report", actor.name)
        unit_id = None
    with snapshot():
        m = Month(month, as_of)
    counts = m.counts.get(unit_id, Counts()) if unit_id is not None else m.total
    rates = exact_rates(counts, None)
    return {name: half_up(rates[name], 4) for name in RATES}


__all__ = [
    "key_rates",
    "monthly_figures",
    "report_files",
    "write_monthly",
    "write_pdf",
    "write_workbook",
]
