"""Paged lists (supervise.gui.lists): keyword search, paging, sorting, opening a record."""

from __future__ import annotations

import math

import pytest

from supervise import search
from supervise.auth import actor_of
from supervise.gui.records import ComplaintWindow
from supervise.gui.records_more import RatingWindow
from supervise.models import Complaint, Rating, Unit, User
from supervise.services.complaint_queries import ComplaintFilter, ComplaintQueries

from .conftest import pump, settle


@pytest.fixture
def shown(root):
    root.deiconify()
    yield root
    root.withdraw()


def test_complaint_search_and_paging(login, shown):
    app = login("jiwei01")
    view = app.main.show_view("complaints")
    settle(app)
    total = Complaint.select().count()
    assert view.total == total and len(view.items) == 50
    assert view.page_label.cget("text") == f"第 1/{math.ceil(total / 50)} 页，共 {total:,} 条"
    first = [i["number"] for i in view.items]

    view.next_button.invoke()
    settle(app)
    assert view.page == 1 and [i["number"] for i in view.items] != first
    assert view.prev_button.instate(["!disabled"])
    view.last_button.invoke()
    settle(app)
    assert len(view.items) == total - (view.pages - 1) * 50 and view.next_button.instate(
        ["disabled"]
    )

    actor = actor_of(User.get(User.name == "jiwei01"))
    expected = ComplaintQueries(actor).list(ComplaintFilter(search="营业执照", limit=500))
    assert 0 < expected["total"] < total
    view.search_entry.focus_force()
    view.search_entry.insert(0, "营业执照")
    view.search_entry.event_generate("<KeyRelease>", keysym="g")
    pump(app.root, lambda: view._search_after is None and not view.loading)
    settle(app)
    assert view.page == 0 and view.total == expected["total"]
    assert [i["number"] for i in view.items] == [i["number"] for i in expected["items"][:50]]


def test_sorting_by_a_heading_and_opening_by_double_click(login, shown):
    app = login("jiwei01")
    view = app.main.show_view("complaints")
    settle(app)
    command = view.tree.heading("number", "command")
    view.tree.tk.call(command)  # what a click on the heading runs
    settle(app)
    assert (view.sort, view.desc) == ("number", False)
    assert view.tree.heading("number", "text").endswith("▲")
    numbers = [i["number"] for i in view.items]
    assert (
        numbers == sorted(numbers)
        and numbers[0]
        == Complaint.select(Complaint.number).order_by(Complaint.number).first().number
    )
    view.tree.tk.call(command)
    settle(app)
    assert view.desc and [i["number"] for i in view.items][0] > numbers[0]

    pump(app.root)
    first = view.tree.get_children()[0]
    view.tree.see(first)
    pump(app.root)
    x, y, _w, h = view.tree.bbox(first, "number")
    for _ in range(2):  # two quick clicks make Tk's double-click
        view.tree.event_generate("<ButtonPress-1>", x=x + 5, y=y + h // 2)
        view.tree.event_generate("<ButtonRelease-1>", x=x + 5, y=y + h // 2)
    pump(app.root)
    window = app.main.records[("complaint", view.items[0]["number"])]
    assert isinstance(window, ComplaintWindow) and window.data["number"] == view.items[0]["number"]


def test_filters_and_bad_dates(login):
    app = login("jiwei01")
    view = app.main.show_view("complaints")
    settle(app)
    view.from_var.set("2026-13-01")
    view.refresh()
    assert "起始日期应为 YYYY-MM-DD" in view.filter_message.cget("text")
    view.from_var.set("")
    view.status_var.set("已办结")
    view.category_var.set("投诉")
    view.refresh()
    settle(app)
    expected = (
        Complaint.select()
        .where((Complaint.status == "已办结") & (Complaint.category == "投诉"))
        .count()
    )
    assert view.total == expected and all(
        i["status"] == "已办结" and i["category"] == "投诉" for i in view.items
    )
    view.status_var.set("全部")
    view.category_var.set("全部")
    view.overdue_var.set(True)
    view.refresh()
    settle(app)
    assert view.items and all(i["overdue"] for i in view.items)
    assert all("alert" in view.tree.item(iid, "tags") for iid in view.tree.get_children())


def test_liaison_ratings_are_their_units_and_open_with_enter(login):
    app = login("lly_U02")
    view = app.main.show_view("ratings")
    settle(app)
    unit = Unit.get(Unit.code == "U02")
    assert view.title == "本单位好差评"
    assert view.total == Rating.select().where(Rating.unit == unit.id).count()
    assert {i["unit"] for i in view.items} == {unit.name}
    view.status_var.set("待处理")
    view.refresh()
    settle(app)
    assert all(i["status"] in ("待核实", "待整改", "待回访") for i in view.items)
    if view.items:
        view.tree.selection_set(view.tree.get_children()[0])
        view.open_selected()
        window = app.main.records[("rating", str(view.items[0]["id"]))]
        assert isinstance(window, RatingWindow) and window.data["rater"] is None


def test_page_size_and_review_escalation_accountability_lists(login):
    app = login("admin")
    view = app.main.show_view("complaints")
    settle(app)
    view.size_var.set("200")
    view._size_changed()
    settle(app)
    assert len(view.items) == min(200, view.total)
    for name in ("reviews", "escalations", "accountability"):
        page = app.main.show_view(name)
        settle(app)
        assert page.error == "" and page.total is not None


def test_rating_search_pages_without_counting_every_match(login, shown, monkeypatch):
    from supervise.gui import queries

    app = login("jiwei01")
    view = app.main.show_view("ratings")
    settle(app)
    exact = view.total
    word = "窗"
    matches = (
        Rating.select()
        .where(
            Rating.comment.contains(word)
            | Rating.reasons.contains(word)
            | Rating.window.contains(word)
        )
        .count()
    )
    assert matches > 50, "the demo ratings name their windows"
    monkeypatch.setattr(queries, "COUNT_CAP", 3)
    view.search_entry.focus_force()
    view.search_entry.insert(0, word)
    view.search_entry.event_generate("<KeyRelease>", keysym="c")
    pump(app.root, lambda: view._search_after is None and not view.loading)
    settle(app)
    assert view.total == 4 and view.page_label.cget("text") == "第 1 页，共 3+ 条"
    assert view.last_button.instate(["disabled"]) and view.next_button.instate(["!disabled"])
    view.next_button.invoke()
    settle(app)
    assert view.page == 1 and view.page_label.cget("text").startswith("第 2 页")
    view.search_var.set("")
    view.refresh()
    settle(app)
    assert view.total == exact  # without a search the pager shows the exact total again


def test_a_search_that_fits_on_one_page_is_not_counted_again(login):
    app = login("jiwei01")
    view = app.main.show_view("ratings")
    settle(app)
    counts = []
    query = view.query

    def watched(actor, f, sort, desc, limit, offset, count):
        counts.append(count)
        return query(actor, f, sort, desc, limit, offset, count)

    view.query = watched
    r = Rating.select().first()
    Rating.update(comment="独一无二的评价内容").where(Rating.id == r.id).execute()
    search.index_ratings(
        [(r.id, "独一无二的评价内容", r.reasons, r.window)]
    )  # the services keep the index
    view.search_var.set("独一无二")
    view.refresh()
    settle(app)
    assert [item["id"] for item in view.items] == [r.id] and view.total == 1
    assert counts == [False]  # one read of the page, no second scan to count
    assert view.page_label.cget("text") == "第 1/1 页，共 1 条"


def test_rating_keyword_search_with_filters(login, shown):
    """A two-character word of the comments (the ratings' bigram index) with the 仅差评 and unit filters."""
    app = login("jiwei01")
    view = app.main.show_view("ratings")
    settle(app)
    bad = (
        Rating.select()
        .where(Rating.bad == True)  # noqa: E712
        .order_by(Rating.rated_at.desc(), Rating.id.desc())
        .first()
    )
    unit = Unit.get_by_id(bad.unit_id)
    word = "等候"
    Rating.update(reasons="等候时间长").where(Rating.id == bad.id).execute()
    search.index_ratings([(bad.id, bad.comment, "等候时间长", bad.window)])
    expected = [
        r.id
        for r in Rating.select(Rating.id)
        .where(
            (
                Rating.comment.contains(word)
                | Rating.reasons.contains(word)
                | Rating.window.contains(word)
            )
            & (Rating.bad == True)  # noqa: E712
            & (Rating.unit == unit.id)
        )
        .order_by(Rating.rated_at.desc(), Rating.id.desc())
    ]
    assert bad.id in expected
    view.bad_var.set(True)
    view.set_unit(unit.code)
    view.search_var.set(word)
    view.refresh()
    settle(app)
    assert [item["id"] for item in view.items] == expected[: view.page_size]
    assert view.total == len(expected) and all(item["bad"] for item in view.items)
