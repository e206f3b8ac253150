"""What the bench generator makes, and the key its cache is kept under.

:class:`Spec` holds every value the generated rows follow from (the
complaints of the measured month, the seed, the month, the snapshot time,
the history); :attr:`Spec.key` names the cache entry, and changes with
:data:`GENERATOR_VERSION` and with the schema (:func:`schema_tag`), so an
entry is never reused for rows or a schema it was not made with.
:class:`Office` is what the figures learn about the generated rows; it is
kept beside the cache entry as JSON.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from supervise import migrations
from supervise.models import ALL_MODELS
from supervise.report import summary

logger = logging.getLogger(__name__)

GENERATOR_VERSION = 4  # bump when the rows change, so that old caches are not reused
FULL_SCALE = 1_000_000
CACHE_DIR = Path(__file__).resolve().parent / ".cache"  # unless SUPERVISE_BENCH_CACHE names another
DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/supervise_bench"


@dataclass(frozen=True)
class Spec:
    """What to generate; every row follows from these values."""

    complaints: int
    seed: int = 2026
    month: str = "2026-10"  # the month the complaints are received in
    as_of: str = "2026-11-05 18:00:00"  # statuses are as of this moment
    history_months: int = 12  # months of older complaints before ``month``
    history_share: float = 0.25  # all those months together hold this share of ``complaints``

    @property
    def history(self) -> int:
        """Complaints of each history month."""
        if not self.history_months:
            return 0
        return round(self.complaints * self.history_share / self.history_months)

    @property
    def import_rows(self) -> dict[str, int]:
        """Rows of each generated import file (:mod:`bench.gen_files`)."""
        return {
            "ratings.xlsx": self.complaints,
            "ratings.csv": max(200, self.complaints // 5),
            "hotline.xlsx": max(100, self.complaints // 10),
        }

    @classmethod
    def at_scale(cls, scale: float, seed: int = 2026) -> Spec:
        return cls(complaints=max(1, round(FULL_SCALE * scale)), seed=seed)

    @property
    def key(self) -> str:
        # short: it names PostgreSQL databases, whose names stop at 63 bytes
        shape = (self.month, self.as_of, self.history_months, self.history_share)
        digest = hashlib.sha256(f"{shape}-{GENERATOR_VERSION}-{schema_tag()}".encode()).hexdigest()
        return f"c{self.complaints}_s{self.seed}_v{GENERATOR_VERSION}_{digest[:10]}"


def schema_tag() -> str:
    """The schema version and a digest of every table's columns and indexes and of the
    report's counting triggers (both engines' text).

    Part of the cache key: a new migration, column, index or trigger makes a
    new cache entry instead of measuring an out-of-date database.
    """
    shape: list[Any] = [
        (m._meta.table_name, sorted(m._meta.fields), [list(i) for i in m._meta.indexes])
        for m in ALL_MODELS
    ]
    shape += [
        summary.triggers(table, engine) for table in summary.WATCHED for engine in (True, False)
    ]
    digest = hashlib.sha256(repr(shape).encode()).hexdigest()[:8]
    return f"{migrations.LATEST}-{digest}"


@dataclass
class Office:
    """What the figures need to know about the generated rows."""

    units: list[tuple[str, int]]  # (code, complaints) busiest first
    matters: int
    staff: int
    complaints: int  # of the measured month; ``units`` counts these
    month: str
    timings: dict[str, float] = field(default_factory=dict)
    history: int = 0  # complaints of the months before
    ratings: int = 0

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> Office:
        data = json.loads(text)
        data["units"] = [tuple(u) for u in data["units"]]
        return cls(**data)


def history_months(spec: Spec) -> list[str]:
    """The ``spec.history_months`` months before ``spec.month``, oldest first."""
    year, month = map(int, spec.month.split("-"))
    out = []
    for back in range(spec.history_months, 0, -1):
        y, m = divmod(year * 12 + month - 1 - back, 12)
        out.append(f"{y:04d}-{m + 1:02d}")
    return out
