"""``import list`` and ``import undo BATCH``: a batch is listed, undone by staff, audited (issue #4, item 4)."""

# The fixtures `cli` and `office` come from tests/import_support.py and are requested by name,
# which ruff sees as redefinitions of the imported names.
# ruff: noqa: F811

from __future__ import annotations

import datetime as dt
import json

from supervise.models import (
    AuditEntry,
    Complaint,
    Escalation,
    Finding,
    ImportBatch,
    Rating,
    Review,
    TimelineEvent,
)
from supervise.search import search_condition
from supervise.services.ratings import RatingService

from .conftest import PASSWORD, make_user
from .import_support import Opened, cli, counts, office, write_xlsx  # noqa: F401
from .test_import_findings import HEADER as FINDINGS_HEADER
from .test_import_findings import ROWS as FINDINGS_ROWS
from .test_import_hotline import HEADER as HOTLINE_HEADER
from .test_import_hotline import ORDERS
from .test_import_ratings import HEADER as RATINGS_HEADER
from .test_import_ratings import ROWS as RATINGS_ROWS


def _as(cli, monkeypatch, name, role, unit=None):
    with Opened(cli.url):
        make_user(name, role, unit)
    monkeypatch.setenv("SUPERVISE_USER", name)
    monkeypatch.setenv("SUPERVISE_PASSWORD", PASSWORD)


def test_list_and_undo_everything_a_batch_brought(office, tmp_path, monkeypatch):
    hotline = write_xlsx(tmp_path / "h.xlsx", HOTLINE_HEADER, ORDERS)
    ratings = write_xlsx(tmp_path / "r.xlsx", RATINGS_HEADER, RATINGS_ROWS)
    findings = write_xlsx(tmp_path / "f.xlsx", FINDINGS_HEADER, FINDINGS_ROWS)
    before = counts(office.url)
    batches = {
        name: office("import", name, str(path), "--json")[1]["batch"]
        for name, path in (("hotline", hotline), ("ratings", ratings), ("findings", findings))
    }
    with Opened(office.url):
        c = Complaint.get(Complaint.external_id == "GD250902")
        Escalation.create(
            rule="超期催办",
            target_kind="complaint",
            target_id=c.id,
            level="催办",
            reason="超期",
            raised_at=dt.datetime(2025, 10, 13),
            updated_at=dt.datetime(2025, 10, 13),
        )
    _as(office, monkeypatch, "jw", "staff")
    code, listed, _ = office("import", "list", "--json")
    assert code == 0 and listed["total"] == 6  # units, staff, matters and the three above
    top = listed["items"][0]
    assert (top["batch"], top["format"], top["state"], top["imported"], top["user"]) == (
        batches["findings"],
        "findings",
        "完成",
        4,
        "admin",
    )
    assert office("import", "list", "--format", "ratings", "--json")[1]["total"] == 1

    code, out, err = office("import", "undo", str(batches["hotline"]), "--json")
    assert code == 0, err
    assert out["state"] == "已撤销" and out["removed"]["complaint"] == 7
    assert out["removed"]["complaint_timeline"] == 22
    with Opened(office.url):
        assert Complaint.select().count() == 0 and Escalation.select().count() == 0
        assert not TimelineEvent.select().where(TimelineEvent.record_kind == "complaint").exists()
        assert Complaint.select().where(search_condition("推诿")).count() == 0
        batch = ImportBatch.get_by_id(batches["hotline"])
        assert (batch.state, batch.version) == ("已撤销", 2)
        entry = AuditEntry.select().where(AuditEntry.action == "import.undo").get()
        assert entry.actor == "jw" and entry.record_id == str(batch.id)
        assert json.loads(entry.after)["removed"]["complaint"] == 7
    assert office("import", "undo", str(batches["ratings"]))[0] == 0
    assert office("import", "undo", str(batches["findings"]))[0] == 0
    after = counts(office.url)
    for table in ("complaint", "rating", "review", "finding", "timeline_event", "survey_result"):
        assert after[table] == before[table] == 0
    # undone means gone: the same files import again in full
    assert office("import", "hotline", str(hotline), "--json")[1]["imported"] == 7
    code, _, err = office("import", "undo", str(batches["hotline"]))
    assert code == 3 and "已撤销" in err


def test_undo_refused_after_work_and_for_reference_data(office, tmp_path):
    ratings = write_xlsx(tmp_path / "r.xlsx", RATINGS_HEADER, RATINGS_ROWS)
    batch = office("import", "ratings", str(ratings), "--json")[1]["batch"]
    with Opened(office.url):
        rating = Rating.get(Rating.external_id == "PJ0002")
        RatingService(make_user("jw", "staff")).verify(
            rating.id, "不属实", at=dt.datetime(2025, 10, 9, 9, 0)
        )
    before = counts(office.url)
    code, _, err = office("import", "undo", str(batch))
    assert code == 3 and "1 条记录在导入后被处理过" in err
    assert counts(office.url) == before
    with Opened(office.url):
        units_batch = ImportBatch.get(ImportBatch.format == "units").id
    code, _, err = office("import", "undo", str(units_batch))
    assert code == 3 and "基础数据" in err
    assert office("import", "undo", "999")[0] == 6
    assert office("import", "undo", "abc")[0] == 2


def test_adopted_findings_block_undo(office, tmp_path):
    findings = write_xlsx(tmp_path / "f.xlsx", FINDINGS_HEADER, FINDINGS_ROWS)
    batch = office("import", "findings", str(findings), "--json")[1]["batch"]
    with Opened(office.url):
        from supervise.services.reviews import ReviewService

        review = Review.get(Review.reviewer_name == "周监督")
        ReviewService(make_user("jw", "staff")).adopt(review.id, to_complaint=True)
        assert Finding.select().where(Finding.complaint.is_null(False)).count() == 1
    assert office("import", "undo", str(batch))[0] == 3


def test_who_may_list_and_undo(office, tmp_path, monkeypatch):
    batch = office(
        "import",
        "ratings",
        str(write_xlsx(tmp_path / "r.xlsx", RATINGS_HEADER, RATINGS_ROWS)),
        "--json",
    )[1]["batch"]
    for name, role, unit in (
        ("ll", "liaison", "U01"),
        ("sv", "supervisor", None),
        ("vw", "viewer", None),
    ):
        _as(office, monkeypatch, name, role, unit)
        assert office("import", "list")[0] == 4
        assert office("import", "undo", str(batch))[0] == 4
        assert office("import", "ratings", str(tmp_path / "r.xlsx"))[0] == 4
    _as(office, monkeypatch, "jw", "staff")
    assert office("import", "undo", str(batch))[0] == 0
