"""The ``report`` bench suite (issue #6) at a tiny scale: it runs, prints every
figure, and its warm figures come from the monthly summaries.  Absolute
times and the ratios of a tiny office are not asserted (the summary path's
cost is fixed, the baseline's grows with the rows).  SQLite only; about 13 s
(the PDF dominates), so it runs with ``SUPERVISE_LONG_TESTS=1``."""

from __future__ import annotations

import datetime as dt
import os

import pytest

from bench import Context, documents
from bench.generate import Spec, build
from bench.report import table
from supervise.db import close_database, open_database
from supervise.report import monthly_figures, summary
from supervise.report.figures import snapshot
from supervise.report.summary import MonthCounts

COMPLAINTS = 1500
pytestmark = pytest.mark.skipif(
    os.environ.get("SUPERVISE_LONG_TESTS") != "1", reason="long: set SUPERVISE_LONG_TESTS=1"
)


def test_report_suite_prints_its_figures(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path}/bench.db"
    spec = Spec(COMPLAINTS, seed=7)
    office = build(url, spec)
    monkeypatch.setenv("BENCH_LEDGER_DAYS", "1")
    open_database(url)
    try:
        figures = documents.run(Context(url, "sqlite", spec, office, repeats=1))
        as_of = dt.datetime.fromisoformat(spec.as_of)
        with snapshot():
            start = dt.datetime.strptime(spec.month, "%Y-%m")
            assert (
                MonthCounts(spec.month, start, dt.datetime(2026, 11, 1), as_of).source == "summary"
            )
        warm = monthly_figures(spec.month, as_of)
        summary.enabled = False
        try:
            assert monthly_figures(spec.month, as_of) == warm
        finally:
            summary.enabled = True
    finally:
        close_database()
    assert [f.key for f in figures] == [
        "report.ledger",
        "report.ledger.memory",
        "report.figures",
        "report.figures.first",
        "report.files",
    ]
    assert all(
        f.value_ms > 0 and f.baseline_ms > 0 for f in figures if f.key != "report.ledger.memory"
    )
    assert warm["total"]["评价量"] == 3 * COMPLAINTS and warm["total"]["回访量"] > 0
    text = table(figures)
    assert "月报指标" in text and "台账导出" in text and ("PASS" in text or "FAIL" in text)
