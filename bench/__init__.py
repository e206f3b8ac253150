"""The bench suite: figures of the issues measured on a generated city-scale office.

``python -m bench`` builds (or reuses) a deterministic database
(:mod:`bench.generate`), measures every suite on a fresh copy of it and prints
one table (:mod:`bench.report`).  A suite is a module with
``run(ctx: Context) -> list[Figure]``, listed in ``bench.__main__.SUITES``;
:mod:`bench.records` (issue #3) and :mod:`bench.rules` (issue #5) among them.

Every figure is timed twice in the same run: through supervise (the value)
and with the raw driver doing the same work on the same rows (the baseline).
Their ratio is what CI watches (``tests/test_bench_quick.py``), because a
ratio does not depend on how fast the machine is; the absolute value is
compared with the issue's target.
"""

from __future__ import annotations

import logging
import sqlite3
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # bench.generate also runs as a script: not imported here
    from .generate import Office, Spec

logger = logging.getLogger(__name__)


@dataclass
class Context:
    """The database a suite measures and what is known about its rows."""

    url: str  # peewee URL of the work copy, already opened by the runner
    engine: str  # "sqlite" | "postgresql"
    spec: Spec
    office: Office
    repeats: int = 3  # timings per case; the case's median is kept
    registrations: int = 200  # complaints registered for the registration figure

    def raw(self) -> Any:
        """A raw DB-API connection to the same database, set up like supervise's."""
        if self.engine == "sqlite":
            from supervise.db import SQLITE_PRAGMAS

            conn = sqlite3.connect(
                self.url.removeprefix("sqlite:///"), isolation_level=None, timeout=15
            )
            for key, value in SQLITE_PRAGMAS.items():
                conn.execute(f"PRAGMA {key} = {value}")
            return conn
        import psycopg2

        conn = psycopg2.connect(self.url, options="-c jit=off")  # as supervise.db opens it
        conn.autocommit = True
        return conn


def timed(fn: Callable[[], Any]) -> float:
    """Seconds one call of ``fn`` takes (wall clock, high resolution)."""
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def paired(fn: Callable[[], Any], baseline: Callable[[], Any], repeats: int) -> tuple[float, float]:
    """Median seconds of ``fn`` and of ``baseline``, timed turn about after one warm-up each.

    Taking turns puts both under the same load (other processes, caches), so
    their ratio holds even on a busy machine.
    """
    fn()
    baseline()
    ours, raw = [], []
    for _ in range(repeats):
        ours.append(timed(fn))
        raw.append(timed(baseline))
    return statistics.median(ours), statistics.median(raw)


__all__ = ["Context", "timed", "paired"]
