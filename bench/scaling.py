"""How each figure grows with the data: the same figures at several scales.

``python -m bench --scaling`` (10 %, 30 % and 100 %) or ``--scale 0.1,0.3,1.0``
runs the whole bench once per scale, each in its own process (so that each
run's peak memory is its own), and sets the values side by side.

For each figure the **growth** is its value at the largest scale over its
value at the smallest, and the **exponent** how that compares with the
data's growth: ``log(value growth) / log(data growth)``, 0 for a cost that
does not depend on the size of the office, 1 for a cost proportional to it.
An indexed look-up (a list page, a search's first page, one registration)
should stay flat; a full pass (a count, a report, an import of a file that
grows with the office) should grow at most linearly.  The verdict says
whether the figure grows as expected; a figure above its expectation is a
query plan or an algorithm that will hurt a larger office first.
"""

from __future__ import annotations

import logging
import math
from typing import Any

from .report import _pad, _width

logger = logging.getLogger(__name__)

SCALING = (0.1, 0.3, 1.0)
#: figures that look rows up through an index: their cost should not grow with the office
FLAT = (
    "records.search.page",
    "records.list.page",
    "records.register",
    "ratings.list.page",
    "ratings.search.page",
)
FLAT_EXPONENT = 0.5  # at most ×3.2 over a tenfold office still reads as "flat" here
LINEAR_EXPONENT = 1.2  # timing noise on a shared machine; above it the growth is superlinear


def expected(key: str) -> str:
    return "flat" if key.startswith(FLAT) else "linear"


def grow(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per figure key seen in every run: values by scale, growth, exponent, verdict."""
    runs = sorted(runs, key=lambda r: r["complaints"])
    if len(runs) < 2:
        return []
    data = runs[-1]["complaints"] / runs[0]["complaints"]
    by_run = [{f["key"]: f for f in r["figures"]} for r in runs]
    rows = []
    for key, last in by_run[-1].items():
        if not all(key in figures for figures in by_run):
            continue
        values = [figures[key]["value_ms"] for figures in by_run]
        first = values[0]
        growth = values[-1] / first if first > 0 else math.inf
        exponent = (
            math.log(growth) / math.log(data) if growth > 0 and math.isfinite(growth) else math.inf
        )
        kind = expected(key)
        limit = FLAT_EXPONENT if kind == "flat" else LINEAR_EXPONENT
        rows.append(
            {
                "key": key,
                "指标": last["指标"],
                "values": {str(r["scale"]): v for r, v in zip(runs, values, strict=True)},
                "growth": round(growth, 2),
                "data_growth": round(data, 2),
                "exponent": round(exponent, 2),
                "expected": kind,
                "as_expected": exponent <= limit,
            }
        )
    return rows


def _ms(value: float) -> str:
    return f"{value:.3f}" if value < 1 else f"{value:.2f}" if value < 100 else f"{value:.0f}"


def table(runs: list[dict[str, Any]], rows: list[dict[str, Any]]) -> str:
    """The growth rows as an aligned text table, one value column per scale."""
    runs = sorted(runs, key=lambda r: r["complaints"])
    heads = [
        "figure 指标",
        *(f"{r['complaints']:,} ms" for r in runs),
        "growth",
        "exponent",
        "expected",
        "verdict",
    ]
    body = []
    for row in rows:
        verdict = "OK 符合" if row["as_expected"] else "WORSE 超出"
        body.append(
            [
                row["指标"],
                *(_ms(v) for v in row["values"].values()),
                f"{row['growth']:.1f}×",
                f"{row['exponent']:.2f}",
                {"flat": "flat 平", "linear": "≤ linear 线性"}[row["expected"]],
                verdict,
            ]
        )
    widths = [max(_width(r[i]) for r in [heads, *body]) for i in range(len(heads))]
    right = set(range(1, len(runs) + 3))
    lines = [f"scaling 规模增长 — data ×{rows[0]['data_growth'] if rows else 1:g}"]
    for r in [heads, ["-" * w for w in widths], *body]:
        cells = [_pad(c, w, i in right) for i, (c, w) in enumerate(zip(r, widths, strict=True))]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


__all__ = ["SCALING", "expected", "grow", "table"]
