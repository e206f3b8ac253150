"""The records bench (issue #3) at a tiny scale, as a CI tripwire.

5,000 generated complaints in a temporary database, every records figure
measured with its raw baseline in the same run.  The test fails only when a
figure's ratio (supervise ÷ raw driver, same rows, same run) exceeds
``REGRESSION_FACTOR`` (3) times its budget in ``bench.records.BUDGETS``:
absolute times depend on the machine and are never asserted.  Runs on
SQLite and on PostgreSQL.
"""

from __future__ import annotations

import pytest

from bench import Context, records
from bench.generate import Spec, build
from bench.report import regressions
from supervise.db import close_database, open_database

pytestmark = pytest.mark.storage

COMPLAINTS = 5000


def test_records_figures_within_ratio_budgets(db_url: str) -> None:
    spec = Spec(COMPLAINTS, seed=11)
    office = build(db_url, spec)
    assert office.complaints == COMPLAINTS
    assert sum(n for _, n in office.units) == COMPLAINTS and len(office.units) == 300
    engine = "sqlite" if db_url.startswith("sqlite") else "postgresql"
    open_database(db_url)
    try:
        figures = records.run(Context(db_url, engine, spec, office, repeats=3, registrations=60))
    finally:
        close_database()
    keys = {f.key for f in figures}
    assert {
        "records.search.page",
        "records.search.count",
        "records.register",
        "records.list.page",
    } <= keys
    for f in figures:
        assert f.value_ms > 0 and f.baseline_ms > 0 and f.peak_mib > 0
    assert not (message := regressions(figures)), message


def test_generation_is_deterministic(tmp_path) -> None:
    spec = Spec(1200, seed=5)
    first = build(f"sqlite:///{tmp_path}/a.db", spec)
    second = build(f"sqlite:///{tmp_path}/b.db", spec)
    assert first.units == second.units
    import sqlite3

    def rows(path: str) -> list[tuple]:
        with sqlite3.connect(path) as conn:
            return conn.execute(
                "SELECT number, receipt_code, unit_id, matter_id, status, content, received_at, due_at"
                " FROM complaint ORDER BY id"
            ).fetchall()

    a, b = rows(f"{tmp_path}/a.db"), rows(f"{tmp_path}/b.db")
    assert a == b and len(a) == 1200
    statuses = {r[4] for r in a}
    assert {"已办结", "已交办"} <= statuses  # most closed, some still open
    assert sum(r[4] == "已办结" for r in a) > len(a) / 2


def test_ratings_figures_within_ratio_budgets(db_url: str) -> None:
    """The ratings suite (issue #7) at 2,000 complaints and 20,000 ratings, as a CI tripwire."""
    from bench import ratings

    spec = Spec(2000, seed=13, ratings=20_000)
    office = build(db_url, spec)
    assert office.ratings == 20_000 and sum(n for _, n in office.rating_units) == 20_000
    engine = "sqlite" if db_url.startswith("sqlite") else "postgresql"
    open_database(db_url)
    try:
        figures = ratings.run(Context(db_url, engine, spec, office, repeats=5))
    finally:
        close_database()
    keys = {f.key for f in figures}
    assert {"ratings.list.page", "ratings.search.page", "ratings.search.count", "ratings.list.deep"} <= keys
    for f in figures:
        assert f.value_ms > 0 and f.baseline_ms > 0
    searched = next(f for f in figures if f.key == "ratings.search.page").detail["cases"]
    assert all(rows > 0 for case, (_, rows) in searched.items() if "+" not in case), searched  # every term is found
    assert not (message := regressions(figures)), message
