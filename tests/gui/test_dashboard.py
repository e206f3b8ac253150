"""The dashboard (supervise.gui.dashboard, .charts): counts, rules and report figures,
'—' while a module is missing, and every number opening its list."""

from __future__ import annotations

import pytest

from supervise.gui import dashboard as dash
from supervise.gui import queries
from supervise.models import Complaint, Unit, now

from .conftest import settle


def test_counts_match_the_lists_they_open(login):
    app = login("jiwei01")
    board = app.main.views["dashboard"]
    overdue = int(board.cards["已超期"].text.replace(",", ""))
    assert (
        overdue
        == Complaint.select()
        .where((Complaint.status == "已交办") & (Complaint.due_at < now()))
        .count()
    )
    board.cards["已超期"].click()
    settle(app)
    view = app.main.views["complaints"]
    assert app.main.current == "complaints" and view.overdue_var.get() and view.total == overdue
    board = app.main.show_view("dashboard")
    board.cards["差评待处理"].click()
    settle(app)
    ratings = app.main.views["ratings"]
    assert ratings.status_var.get() == "待处理" and ratings.total == int(
        board.cards["差评待处理"].text.replace(",", "")
    )


def test_rules_and_report_figures_or_a_dash(login, monkeypatch):
    app = login("admin")
    board = app.main.views["dashboard"]
    rules = dash._optional("rules", "dashboard_counts")
    if rules is not None:
        expected = rules(as_of=now())["escalations"]
        assert {level: board.cards[level].text for level in expected} == {
            k: f"{v:,}" for k, v in expected.items()
        }
    if dash._optional("report", "key_rates") is not None:
        assert board.rates is not None
        for name in dash.RATE_NAMES:
            value = board.rates[name]
            assert board.cards[name].text == (f"{value:.1%}" if value is not None else dash.MISSING)
    monkeypatch.setattr(dash, "_optional", lambda module, name: None)
    board.refresh()
    settle(app)
    for key in ("预警", "挂牌督办", "待决定问责", "按期办结率", "好评率"):
        assert (
            board.cards[key].text == dash.MISSING
            and board.cards[key].tooltip.text == dash.MISSING_TIP
        )
    board.cards["预警"].click()  # a dash opens nothing
    assert app.main.current == "dashboard"
    assert board.levels.message == dash.MISSING_TIP


def test_charts_draw_and_click_through(login):
    app = login("jiwei01")
    board = app.main.views["dashboard"]
    assert len(board.per_day.bars) == 30 and board.by_unit.bars
    code, name, count = queries.open_by_unit(app.main.actor, 8)[0]
    assert (
        board.by_unit.bars[0].key,
        board.by_unit.bars[0].label,
        board.by_unit.bars[0].value,
    ) == (code, name, count)
    board.by_unit.on_click(code)
    settle(app)
    view = app.main.views["complaints"]
    assert view.unit_code() == code and view.total == count
    assert (
        view.total
        == Complaint.select()
        .where(
            (Complaint.unit == Unit.get(Unit.code == code).id)
            & Complaint.status.in_(("登记", "已交办", "已反馈", "已回访"))
        )
        .count()
    )


@pytest.mark.parametrize("value,text", [(1234, "1,234"), (0.8567, "85.7%"), (None, "—")])
def test_card_text(root, value, text):
    card = dash.Card(root, "测试")
    card.set(value)
    assert card.text == text
    card.destroy()
