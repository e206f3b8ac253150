"""The rules bench (issue #5) at a tiny scale, as a CI tripwire.

3,000 generated complaints, every one put back unanswered; the first
``escalate``, the re-run at the same instant and ``accountability propose``
measured with their raw baselines.  The suite itself fails when the re-run
changes anything or a second propose repeats evidence; this test fails when a
ratio exceeds ``REGRESSION_FACTOR`` times its budget in ``bench.rules.BUDGETS``
(absolute times are never asserted).  Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import pytest

from bench import Context, rules
from bench.generate import Spec, build
from bench.report import REGRESSION_FACTOR, table
from supervise.db import close_database, open_database
from supervise.models import AccountabilityCase, Escalation

pytestmark = pytest.mark.storage

COMPLAINTS = 3000


def test_rules_figures_within_ratio_budgets(db_url: str) -> None:
    spec = Spec(COMPLAINTS, seed=7)
    office = build(db_url, spec)
    engine = "sqlite" if db_url.startswith("sqlite") else "postgresql"
    open_database(db_url)
    try:
        figures = rules.run(Context(db_url, engine, spec, office, repeats=1))
        escalations = Escalation.select().where(Escalation.state == "open").count()
        cases = AccountabilityCase.select().count()
    finally:
        close_database()
    by_key = {f.key: f for f in figures}
    assert set(by_key) == set(rules.BUDGETS)
    first = by_key["rules.escalate.first"].detail
    # every complaint of the month is open (the history keeps its own few open cases); about 96 % past due
    assert COMPLAINTS <= first["open"] < COMPLAINTS + office.history
    assert 0.9 * COMPLAINTS < first["overdue"] <= first["open"]
    assert first["raised"] == escalations > 2 * 0.9 * COMPLAINTS  # 超期催办 and 超期督办 each
    assert first["by_rule"]["超期催办"] == first["overdue"]
    assert by_key["rules.escalate.rerun"].detail == {
        "raised": 0,
        "resolved": 0,
        "open": escalations,
    }
    assert 0 < by_key["rules.propose"].detail["proposed"] == cases
    for f in figures:
        assert f.value_ms > 0 and f.baseline_ms > 0
    regressed = [f for f in figures if f.regressed]
    assert not regressed, (
        f"ratio above {REGRESSION_FACTOR:g}× budget: "
        + ", ".join(f"{f.key} {f.ratio:.1f}× (budget {f.ratio_budget:g}×)" for f in regressed)
        + "\n"
        + table(figures)
    )
