"""The bench at about 1 % of the city (10,000 complaints), as a CI tripwire.

Every suite of ``python -m bench`` (records, ratings, report, imports, rules) runs on
a generated office in a temporary database, each figure beside its raw
baseline measured in the same run on the same rows.  The test fails only
when a figure's ratio (supervise ÷ baseline) exceeds ``REGRESSION_FACTOR``
(3) times its budget: absolute times depend on the machine and are never
asserted.  Runs on SQLite and on PostgreSQL.  Also here: the generator is
deterministic, and ``python -m bench`` prints every figure in its table, its
JSON and its scaling table.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from bench import Context, imports, rules
from bench.__main__ import SUITES, main
from bench.generate import Spec, build
from bench.report import regressions
from supervise.db import close_database, open_database

pytestmark = pytest.mark.storage

COMPLAINTS = 10_000  # 1 % of the city

#: the keys each suite must report (records and rules add per-filter detail figures)
KEYS = {
    "records": {
        "records.search.page",
        "records.search.count",
        "records.register",
        "records.list.page",
    },
    "ratings": {
        "ratings.list.page",
        "ratings.search.page",
        "ratings.search.count",
        "ratings.list.deep",
    },
    "report": {"report.ledger", "report.ledger.memory", "report.figures", "report.files"},
    "imports": set(imports.BUDGETS),
    "rules": set(rules.BUDGETS),
}


@pytest.fixture
def bench_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Generated files and databases go to a temporary folder, never bench/.cache."""
    folder = tmp_path / "bench-cache"
    monkeypatch.setenv("SUPERVISE_BENCH_CACHE", str(folder))
    monkeypatch.setenv("BENCH_LEDGER_DAYS", "1")
    return folder


def test_every_suite_within_ratio_budgets(db_url: str, bench_cache: Path) -> None:
    spec = Spec(COMPLAINTS, seed=11)
    office = build(db_url, spec)
    assert office.complaints == COMPLAINTS and len(office.units) == 300
    assert sum(n for _, n in office.units) == COMPLAINTS
    assert office.ratings == 10 * COMPLAINTS and office.history > 0
    engine = "sqlite" if db_url.startswith("sqlite") else "postgresql"
    assert list(SUITES) == [
        "records",
        "ratings",
        "report",
        "gui",
        "imports",
        "rules",
    ]  # rules last: it rewrites
    open_database(db_url)
    figures = []
    try:
        ctx = Context(db_url, engine, spec, office, repeats=3, registrations=60)
        for name, run in SUITES.items():
            if name not in KEYS:
                continue  # gui: a real window, its tripwire is tests/gui/test_bench_gui.py
            got = run(ctx)
            assert KEYS[name] <= {f.key for f in got}, name
            figures += got
    finally:
        close_database()
    for f in figures:  # a memory growth (MiB in the ms columns) may be 0
        assert f.value_ms >= 0 if f.key.endswith(".memory") else f.value_ms > 0, f.key
        assert f.baseline_ms > 0 and f.peak_mib > 0, f.key
    imported = {f.key: f.detail for f in figures if f.key.startswith("imports.")}
    assert imported["imports.ratings.xlsx"]["rows"] == spec.import_rows["ratings.xlsx"]
    assert imported["imports.hotline.xlsx"]["rows"] == spec.import_rows["hotline.xlsx"]
    searched = next(f for f in figures if f.key == "ratings.search.page").detail["cases"]
    assert all(rows > 0 for case, (_, rows) in searched.items() if "+" not in case), (
        searched
    )  # every term is found
    assert not (message := regressions(figures)), message


def test_generation_is_deterministic(tmp_path: Path) -> None:
    spec = Spec(1200, seed=5)
    first = build(f"sqlite:///{tmp_path}/a.db", spec)
    second = build(f"sqlite:///{tmp_path}/b.db", spec)
    assert first.units == second.units
    assert first.history == second.history == 12 * spec.history > 0
    assert first.ratings == second.ratings == 10 * 1200

    def rows(path: str, sql: str) -> list[tuple]:
        with sqlite3.connect(path) as conn:
            return conn.execute(sql).fetchall()

    complaints = (
        "SELECT id, number, receipt_code, unit_id, matter_id, status, content, received_at, due_at"
        " FROM complaint ORDER BY id"
    )
    ratings = "SELECT id, unit_id, level, rated_at, status, closed_at, reasons, comment FROM rating ORDER BY id"
    a, b = rows(f"{tmp_path}/a.db", complaints), rows(f"{tmp_path}/b.db", complaints)
    assert a == b and len(a) == 1200 + first.history
    rated = rows(f"{tmp_path}/a.db", ratings)
    assert rated == rows(f"{tmp_path}/b.db", ratings)
    assert [r[0] for r in rated] == list(range(1, len(rated) + 1))
    assert all(r[6] and r[7] for r in rated if r[2] <= 2)  # every 差评 has reasons and a comment
    with_text = sum(bool(r[6] or r[7]) for r in rated)
    assert 0 < with_text < len(rated)
    assert rows(f"{tmp_path}/a.db", "SELECT COUNT(*) FROM rating_fts")[0][0] == with_text  # indexed
    month = [r for r in a if r[0] <= 1200]
    assert all(r[7].startswith("2026-10") for r in month)
    assert all("2025-10" <= r[7] < "2026-10" for r in a[1200:])  # the twelve months before
    statuses = {r[5] for r in month}
    assert {"已办结", "已交办"} <= statuses  # most closed, some still open
    assert sum(r[5] == "已办结" for r in month) > len(month) / 2
    other = build(f"sqlite:///{tmp_path}/c.db", Spec(1200, seed=6))
    assert rows(f"{tmp_path}/c.db", complaints) != a and other.complaints == 1200


def test_import_files_are_deterministic() -> None:
    from bench import gen_files

    spec = Spec(1000, seed=5)
    first = list(gen_files.rating_rows(spec, 300, "PJ"))
    assert first == list(gen_files.rating_rows(spec, 300, "PJ"))
    assert first != list(gen_files.rating_rows(Spec(1000, seed=6), 300, "PJ"))
    hotline = list(gen_files.hotline_rows(spec, 200))
    assert hotline == list(gen_files.hotline_rows(spec, 200))
    assert len({r[0] for r in hotline}) == 200 and all(len(r) == 19 for r in hotline)


def test_bench_prints_every_figure_in_table_and_json(
    bench_cache: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    saved = tmp_path / "bench.json"
    chosen = [name for name in SUITES if name in KEYS]  # gui: tests/gui/test_bench_gui.py
    code = main(
        ["--complaints", "2000", "--repeats", "1", "--save", str(saved)]
        + [arg for name in chosen for arg in ("--only", name)]
    )
    out = capsys.readouterr().out
    assert code == 0
    result = json.loads(saved.read_text(encoding="utf-8"))
    assert result["complaints"] == 2000 and result["suites"] == chosen
    keys = {f["key"] for f in result["figures"]}
    for suite, wanted in KEYS.items():
        assert wanted <= keys, suite
    for f in result["figures"]:
        assert f["指标"] in out  # every figure has its line in the table
        assert {"value_ms", "baseline_ms", "ratio", "target_ms", "passed", "peak_mib"} <= set(f)
    for column in ("value ms", "baseline ms", "ratio", "target ms", "pass/fail", "peak MiB"):
        assert column in out
    assert "load" in out.splitlines()[1]


def test_scaling_table_and_json(bench_cache: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["--scale", "0.001,0.002", "--only", "records", "--repeats", "1", "--json"])
    assert code == 0
    result = json.loads(capsys.readouterr().out)
    assert [r["complaints"] for r in result["runs"]] == [1000, 2000]
    rows = {r["key"]: r for r in result["scaling"]}
    assert KEYS["records"] <= set(rows)
    page = rows["records.search.page"]
    assert page["expected"] == "flat" and page["data_growth"] == 2.0
    assert set(page["values"]) == {"0.001", "0.002"}
    assert rows["records.search.count"]["expected"] == "linear"
    code = main(["--scale", "0.001,0.002", "--only", "records", "--repeats", "1"])
    text = capsys.readouterr().out
    assert code == 0 and "scaling 规模增长" in text and "1,000 ms" in text and "2,000 ms" in text


def test_bad_scale_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["--scale", "2"])
    assert exc.value.code == 2
    assert "usage error" in capsys.readouterr().err
    assert main(["--complaints", "10"]) == 2
