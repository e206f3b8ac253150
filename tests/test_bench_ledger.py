"""The ledger figure of issue #6 at a tiny scale, as a CI tripwire.

4,000 generated complaints in a temporary database; ``export complaints`` of
the whole month against a bare openpyxl write-only loop over the ledger's own
SELECT (bench/documents.py), timed turn about in the same run.  Unlike the
records tripwire, the ledger is held to its target itself — at least 85% of
the bare loop's speed — because the ratio of two writers over the same rows
does not depend on the machine; the openpyxl-based writer this replaced
measured 42% and would fail here.  Runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import pytest

from bench import Context, documents
from bench.generate import Spec, build
from bench.report import table
from supervise.db import close_database, open_database
from supervise.registry import set_registry

pytestmark = pytest.mark.storage

COMPLAINTS = 4000


def test_ledger_export_keeps_up_with_a_bare_openpyxl_loop(db_url: str, tmp_path) -> None:
    spec = Spec(COMPLAINTS, seed=11)
    office = build(db_url, spec)
    engine = "sqlite" if db_url.startswith("sqlite") else "postgresql"
    set_registry(None)  # the exporters of the installed entry points
    open_database(db_url)
    ctx = Context(db_url, engine, spec, office, repeats=3)
    raw = ctx.raw()
    try:
        speed, memory = documents.ledger_figures(ctx, raw, tmp_path, days=31)
    finally:
        raw.close()
        close_database()
        set_registry(None)
    print("\n" + table([speed, memory]))
    assert speed.detail["rows"] == COMPLAINTS
    assert speed.ratio <= 1 / documents.LEDGER_SPEED, table([speed, memory])
    assert memory.value_ms < documents.MEMORY_BUDGET_MIB, table([speed, memory])
