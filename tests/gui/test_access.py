"""The GUI side of the access matrix (issues #7, #8 item 4).

For every role, what the window offers — navigation, menu entries, record
windows and their buttons, identity boxes — must follow the permission table
the command line and the services use (:mod:`supervise.permissions`).
"""

from __future__ import annotations

import json

import pytest

from supervise.gui.app import PAGES
from supervise.models import (
    AccountabilityCase,
    Complaint,
    Escalation,
    Rating,
    Review,
    Unit,
    User,
    now,
)
from supervise.permissions import ADMIN, LIAISON, ROLE_NAMES, STAFF, SUPERVISOR, VIEWER, allowed

from ..conftest import sealed_rating
from .conftest import settle

USERS = {
    ADMIN: "admin",
    STAFF: "jiwei01",
    LIAISON: "lly_U01",
    SUPERVISOR: "jdy01",
    VIEWER: "leader",
}

#: the File menu entries and the permission each needs
MENU_PERMISSIONS = {
    "新建工单…": "complaint.add",
    "录入好差评…": "rating.add",
    "导入数据…": "import",
    "导出台账…": "export",
    "印发通报…": "circular",
    "生成月报…": "report",
}

#: every step button of a record window and the permission behind it
BUTTON_PERMISSIONS = {
    "complaint": {
        "交办": "complaint.handle",
        "改派": "complaint.handle",
        "不予受理": "complaint.handle",
        "并单": "complaint.handle",
        "批准延期": "complaint.handle",
        "不予批准延期": "complaint.handle",
        "回访": "complaint.handle",
        "办结": "complaint.handle",
        "反馈": "complaint.answer",
        "退回": "complaint.answer",
        "申请延期": "complaint.answer",
    },
    "rating": {"核实": "rating.handle", "整改": "rating.handle", "回访": "complaint.handle"},
    "review": {"采纳": "review.decide", "不予采纳": "review.decide", "添加附件": "review.submit"},
    "accountability": {"作出决定": "accountability.decide", "不予问责": "accountability.decide"},
    "escalation": {"打开督办对象": "accountability.read", "运行督办规则": "escalate"},
}
READERS = {
    "complaint": "complaint.read",
    "rating": "rating.read",
    "review": "review.read",
    "accountability": "accountability.read",
    "escalation": "accountability.read",
}


def test_the_matrix_covers_every_role():
    assert set(USERS) == set(ROLE_NAMES)


def _records(role: str) -> dict[str, object]:
    """One record of each kind that this role would see if it may read the kind (a liaison: unit U01)."""
    unit = Unit.get(Unit.code == "U01")
    complaint = (
        Complaint.select()
        .where(
            (Complaint.unit == unit.id)
            & (Complaint.status == "已交办")
            & (Complaint.anonymous == False)  # noqa: E712
            & Complaint.identity_sealed.is_null(False)
        )
        .first()
    )
    rating = (
        Rating.select()
        .where((Rating.unit == unit.id) & (Rating.status == "待核实") & (Rating.real_name == True))  # noqa: E712
        .first()
    )
    if rating is None:  # make one: a real-name 差评 of U01 waiting for verification
        rated = now()
        rating = Rating.create(
            unit=unit,
            level=1,
            bad=True,
            **sealed_rating(unit.id, rated, "张先生", "13900001111"),
            real_name=True,
            rated_at=rated,
            status="待核实",
        )
    review = Review.select().where(Review.status == "待审核")
    if role == SUPERVISOR:
        review = review.where(Review.reviewer == User.get(User.name == USERS[role]).id)
    at = now().replace(microsecond=0)
    escalation = Escalation.create(
        rule="access_matrix",
        target_kind="complaint",
        target_id=complaint.id,
        level="催办",
        reason="超期",
        raised_at=at,
        updated_at=at,
    )
    case = AccountabilityCase.create(
        rule="access_matrix",
        target_kind="unit",
        unit=unit,
        failure_kind="慢作为",
        evidence=json.dumps([{"kind": "complaint", "id": complaint.id}]),
        evidence_key=f"access-{role}",
        reason="超期",
        proposed_at=at,
    )
    found = review.first()
    return {
        "complaint": complaint.number,
        "rating": rating.id,
        "review": found.id if found else None,
        "escalation": escalation.id,
        "accountability": case.id,
    }


@pytest.mark.parametrize("role", sorted(ROLE_NAMES))
def test_window_offers_exactly_what_the_role_may_do(login, role):
    records = _records(role)
    app = login(USERS[role])
    main = app.main

    # navigation: a page is listed only for roles that may read what it shows
    for page in main.all_pages:
        if page.reader:
            assert allowed(role, page.reader), (role, page.name)
    for page in PAGES:
        if page.reader and role not in page.roles:  # reachable through links exactly when readable
            assert (main.show_view(page.name) is not None) == allowed(role, page.reader), (
                role,
                page.name,
            )
            settle(app)

    # the rule runs on the 督办 and 问责 lists
    for name, label, permission in (
        ("escalations", "运行督办规则", "escalate"),
        ("accountability", "生成问责建议", "accountability.propose"),
    ):
        view = main.show_view(name)
        settle(app)
        if view is not None:
            shown = [w.cget("text") for w in view.actions.winfo_children()]
            assert (label in shown) == allowed(role, permission), (role, label)

    # the File menu
    labels = set(main.menu_labels("文件"))
    for label, permission in MENU_PERMISSIONS.items():
        assert (label in labels) == allowed(role, permission), (role, label)
    assert "修改密码…" in labels, (
        role
    )  # every role changes its own password (a held key is rewrapped)

    # the settings page's identity tab (retention purge and keys): only where the page is offered
    if any(page.name == "settings" for page in main.all_pages):
        purge = main.show_view("settings").identity.purge_button
        settle(app)
        assert ("disabled" not in purge.state()) == allowed(role, "retention.purge"), role

    # record windows: opened only when readable; every button backed by a permission of this role
    for kind, key in records.items():
        if key is None:
            continue
        window = main.open_record(kind, key)
        assert (window is not None) == allowed(role, READERS[kind]), (role, kind)
        if window is None:
            continue
        for label in window.buttons:
            permission = BUTTON_PERMISSIONS[kind][label]
            assert allowed(role, permission), (role, kind, label)
        if kind in (
            "complaint",
            "rating",
        ):  # identities: only for roles allowed, masked until the click
            person = window.data["complainant" if kind == "complaint" else "rater"]
            shown = window.identity.winfo_manager() == "pack"
            assert shown == (person is not None) == allowed(role, "identity.view"), (role, kind)
            if shown:
                masked = window.identity_label.cget("text")
                assert "*" in masked and window.unmask_button.winfo_manager() == "pack"
        window.destroy()

    if (
        role == STAFF
    ):  # the check above is not vacuous: staff get the steps of an assigned case and a 差评
        complaint = main.open_record("complaint", records["complaint"])
        assert {"反馈", "退回", "并单"} <= set(complaint.buttons)
        assert list(main.open_record("rating", records["rating"]).buttons) == ["核实"]
        assert set(main.open_record("accountability", records["accountability"]).buttons) == {
            "作出决定",
            "不予问责",
        }
        assert set(main.open_record("escalation", records["escalation"]).buttons) == {
            "打开督办对象",
            "运行督办规则",
        }
