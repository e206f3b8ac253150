"""Figures and the table that shows them.

A :class:`Figure` is one measured number: its value through supervise, its
baseline (the raw driver doing the same work in the same run), their ratio,
the issue's target for the value, the ratio budget that CI holds it to, and
the process's peak memory when it was taken.  :func:`table` prints them as
text; :func:`as_json` as one JSON object with the Chinese figure names.
"""

from __future__ import annotations

import json
import logging
import resource
import sys
import unicodedata
from dataclasses import dataclass, field
from typing import Any

logger = logging.getLogger(__name__)

REGRESSION_FACTOR = 3.0  # CI fails when a ratio exceeds its budget this many times


def peak_mib() -> float:
    """The process's peak resident memory so far, in MiB (Linux reports KiB, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


@dataclass
class Figure:
    key: str  # stable id, e.g. "records.search.page"
    name: str  # the Chinese name shown and used in --json
    value_ms: float
    baseline_ms: float
    target_ms: float | None  # the target for the value; None: shown for information
    ratio_budget: float  # the ratio we expect at most; CI fails past REGRESSION_FACTOR times it
    peak_mib: float = field(default_factory=peak_mib)
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def ratio(self) -> float:
        return self.value_ms / self.baseline_ms if self.baseline_ms > 0 else float("inf")

    @property
    def passed(self) -> bool | None:
        return None if self.target_ms is None else self.value_ms <= self.target_ms

    @property
    def regressed(self) -> bool:
        """True when the ratio is more than REGRESSION_FACTOR times its budget."""
        return self.ratio > REGRESSION_FACTOR * self.ratio_budget

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "指标": self.name,
            "value_ms": round(self.value_ms, 3),
            "baseline_ms": round(self.baseline_ms, 3),
            "ratio": round(self.ratio, 2),
            "target_ms": self.target_ms,
            "passed": self.passed,
            "结果": {True: "达标", False: "未达标", None: "—"}[self.passed],
            "ratio_budget": self.ratio_budget,
            "regressed": self.regressed,
            "peak_mib": round(self.peak_mib, 1),
            "detail": self.detail,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Figure:
        """The figure back from :meth:`as_dict` (the JSON of a run)."""
        return cls(
            data["key"],
            data["指标"],
            data["value_ms"],
            data["baseline_ms"],
            data["target_ms"],
            data["ratio_budget"],
            peak_mib=data["peak_mib"],
            detail=data["detail"],
        )


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int, right: bool = False) -> str:
    gap = " " * max(0, width - _width(text))
    return gap + text if right else text + gap


def _ms(value: float) -> str:
    return f"{value:.3f}" if value < 1 else f"{value:.2f}" if value < 100 else f"{value:.0f}"


def _target(value: float) -> str:
    return f"{value:g}" if value == int(value) else _ms(value)


def table(figures: list[Figure], header: list[str] | None = None) -> str:
    """The figures as an aligned text table, CJK-width aware."""
    heads = [
        "figure 指标",
        "value ms",
        "baseline ms",
        "ratio",
        "target ms",
        "pass/fail",
        "peak MiB",
    ]
    rows = []
    for f in figures:
        verdict = {True: "PASS 达标", False: "FAIL 未达标", None: "—"}[f.passed]
        if f.regressed:
            verdict += " (ratio >3× budget)"
        rows.append(
            [
                f.name,
                _ms(f.value_ms),
                _ms(f.baseline_ms),
                f"{f.ratio:.1f}×",
                "—" if f.target_ms is None else f"< {_target(f.target_ms)}",
                verdict,
                f"{f.peak_mib:.0f}",
            ]
        )
    widths = [max(_width(r[i]) for r in [heads, *rows]) for i in range(len(heads))]
    right = {1, 2, 3, 6}
    lines = list(header or [])
    lines.append(
        "  ".join(
            _pad(h, w, i in right) for i, (h, w) in enumerate(zip(heads, widths, strict=True))
        )
    )
    lines.append("  ".join("-" * w for w in widths))
    for r in rows:
        lines.append(
            "  ".join(
                _pad(c, w, i in right) for i, (c, w) in enumerate(zip(r, widths, strict=True))
            )
        )
    return "\n".join(lines)


def as_json(figures: list[Figure], meta: dict[str, Any]) -> str:
    return json.dumps({**meta, "figures": [f.as_dict() for f in figures]}, ensure_ascii=False)


def regressions(figures: list[Figure]) -> str:
    """ "" when every ratio is within ``REGRESSION_FACTOR`` × its budget, else what regressed
    and the table (the message of the CI tripwires)."""
    regressed = [f for f in figures if f.regressed]
    if not regressed:
        return ""
    return (
        f"ratio above {REGRESSION_FACTOR:g}× budget: "
        + ", ".join(f"{f.key} {f.ratio:.1f}× (budget {f.ratio_budget:g}×)" for f in regressed)
        + "\n"
        + table(figures)
    )
