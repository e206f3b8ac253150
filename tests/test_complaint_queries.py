"""ComplaintQueries.page() and total(): the fast paths give exactly what the plain query gives.

The page of a keyword search looks at the newest ids first, in growing
windows; the total of a keyword alone is counted in the index.  Both are
checked against a brute-force answer computed in Python over every row, with
tiny windows so that every branch (first window, a wider one, falling back to
the plain query, running out of rows) is taken, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import random

import pytest

from supervise import search
from supervise.auth import actor_of
from supervise.models import Complaint, Unit, User, now
from supervise.services.complaint_queries import ComplaintFilter, ComplaintQueries

from .conftest import make_user

pytestmark = pytest.mark.storage

START = dt.datetime(2026, 3, 1, 8, 0)
WORDS = ("社保", "推诿", "窗口", "收费", "公积金", "态度", "材料")
STATUSES = ("登记", "已交办", "已办结")


@pytest.fixture
def office(admin):
    """400 complaints over 4 units: a busy one, two middling, one nearly empty."""
    rng = random.Random(7)
    units = [Unit.create(code=f"U{i}", name=f"单位{i}") for i in range(4)]
    weights = (70, 15, 14, 1)
    rows = []
    for n in range(400):
        words = rng.sample(WORDS, rng.randint(1, 3))
        status = rng.choice(STATUSES)
        rows.append(
            {
                "number": f"TS{n:07d}",
                "receipt_code": f"R{n:011d}",
                "channel": "网站",
                "category": "投诉",
                "title": "",
                "content": "，".join(words) + "的问题",
                "unit": rng.choices(units, weights)[0].id,
                # out of id order now and then, as imported older cases are
                "received_at": START
                + dt.timedelta(minutes=n if rng.random() < 0.8 else rng.randrange(400)),
                "status": status,
                # 超期 or not: due before or after the real now
                "due_at": now() + dt.timedelta(days=rng.choice((-3, 3)))
                if status == "已交办"
                else None,
            }
        )
    Complaint.insert_many(rows).execute()
    search.index_complaints(
        Complaint.select(
            Complaint.id, Complaint.title, Complaint.content, Complaint.reply_text
        ).tuples()
    )
    return ComplaintQueries(admin)


def brute_force(f: ComplaintFilter, unit_id: int | None = None) -> list[int]:
    rows = list(Complaint.select())
    keep = [
        c
        for c in rows
        if (not f.search or all(t in c.content for t in f.search.split()))
        and (unit_id is None or c.unit_id == unit_id)
        and (not f.status or c.status == f.status)
        and (not f.overdue or (c.status == "已交办" and c.due_at < now()))
    ]
    keep.sort(key=lambda c: (c.received_at, c.id), reverse=True)
    return [c.id for c in keep]


CASES = [
    {"search": "社保"},
    {"search": "公积金"},
    {"search": "态度 材料"},
    {"search": "社保", "unit": "U0"},
    {"search": "推诿", "unit": "U1"},
    {"search": "收费", "unit": "U3"},
    {"search": "窗口", "status": "登记"},
    {"search": "材料", "status": "已办结", "unit": "U2"},
    {"search": "没有"},
    {"unit": "U0"},
    {"status": "已交办"},
    {"overdue": True},
    {"overdue": True, "search": "社保"},
    {"overdue": True, "unit": "U1"},
]


@pytest.mark.parametrize("window", [(4, 32), (512, 4096)])  # tiny windows: every branch runs
@pytest.mark.parametrize("case", CASES, ids=lambda c: "+".join(f"{k}={v}" for k, v in c.items()))
def test_page_and_total_match_brute_force(office, case, window, monkeypatch) -> None:
    monkeypatch.setattr(search, "WINDOW", window[0])
    monkeypatch.setattr(search, "MAX_WINDOW", window[1])
    unit_id = Unit.get(Unit.code == case["unit"]).id if "unit" in case else None
    for limit, offset in ((20, 0), (7, 5), (50, 30)):
        f = ComplaintFilter(**case, limit=limit, offset=offset)
        expect = brute_force(f, unit_id)
        assert [c.id for c in office.page(f)] == expect[offset : offset + limit]
        assert office.total(f) == len(expect)
        listed = office.list(f)
        assert listed["total"] == len(expect)
        assert [i["number"] for i in listed["items"]] == [
            Complaint.get_by_id(i).number for i in expect[offset : offset + limit]
        ]


def test_page_rows_hold_the_summary_fields(office) -> None:
    (row,) = office.page(ComplaintFilter(search="社保", limit=1))
    full = Complaint.get_by_id(row.id)
    assert (row.number, row.status, row.unit_id, row.received_at) == (
        full.number,
        full.status,
        full.unit_id,
        full.received_at,
    )


def test_lone_character_search_takes_the_plain_query(office) -> None:
    f = ComplaintFilter(search="社", limit=20)
    expect = [
        c.id
        for c in sorted(
            (c for c in Complaint.select() if "社" in c.content),
            key=lambda c: (c.received_at, c.id),
            reverse=True,
        )
    ]
    assert [c.id for c in office.page(f)] == expect[:20]
    assert office.total(f) == len(expect)


def test_liaison_total_stays_in_their_unit(office) -> None:
    make_user("lly", "liaison", "U1")
    liaison = ComplaintQueries(actor_of(User.get(User.name == "lly")))
    f = ComplaintFilter(search="社保")
    unit_id = Unit.get(Unit.code == "U1").id
    expect = brute_force(f, unit_id)
    assert liaison.total(f) == len(expect)
    assert [c.id for c in liaison.page(f)] == expect[:20]
