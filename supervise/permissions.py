"""Who may do what (SPEC §1): one table of actions and the roles allowed.

The service layer asks :func:`require` before every change and before every
read that shows more than the public track view.  Scope rules (a liaison only
sees their own unit, a supervisor only their own submissions) are applied by
the record services on top of this table.
"""

from __future__ import annotations

import logging

from .errors import NotPermitted

logger = logging.getLogger(__name__)

ADMIN = "admin"
STAFF = "staff"
LIAISON = "liaison"
SUPERVISOR = "supervisor"
VIEWER = "viewer"

ROLE_NAMES = {
    ADMIN: "系统管理员",
    STAFF: "纪检监察/效能监督干部",
    LIAISON: "单位联络员",
    SUPERVISOR: "社会监督员",
    VIEWER: "领导/查阅",
}

_OFFICE = frozenset({ADMIN, STAFF})
_ALL = frozenset(ROLE_NAMES)

PERMISSIONS: dict[str, frozenset[str]] = {
    # system
    "user.add": frozenset({ADMIN}),
    "user.list": frozenset({ADMIN}),
    "settings.change": frozenset({ADMIN}),
    "calendar.set": frozenset({ADMIN}),
    "plugins.manage": frozenset({ADMIN}),
    "audit.verify": _OFFICE,
    "backup": frozenset({ADMIN}),
    "restore": frozenset({ADMIN}),
    "demo": frozenset({ADMIN}),
    # reference data
    "unit.add": _OFFICE,
    "staff.add": _OFFICE,
    "matter.add": _OFFICE,
    "reference.read": _ALL,
    # records
    "complaint.add": _OFFICE,
    "complaint.handle": _OFFICE,
    "complaint.answer": frozenset({ADMIN, STAFF, LIAISON}),
    "complaint.read": frozenset({ADMIN, STAFF, LIAISON, VIEWER}),
    "identity.view": _OFFICE,
    "keys.status": _OFFICE,
    "keys.grant": _OFFICE,
    "keys.recover": _OFFICE,
    "retention.purge": frozenset({ADMIN}),
    "rating.add": _OFFICE,
    "rating.handle": frozenset({ADMIN, STAFF, LIAISON}),
    "rating.read": frozenset({ADMIN, STAFF, LIAISON, VIEWER}),
    "review.submit": frozenset({ADMIN, STAFF, SUPERVISOR}),
    "review.decide": _OFFICE,
    "review.read": frozenset({ADMIN, STAFF, SUPERVISOR, VIEWER}),
    "import": _OFFICE,
    "export": frozenset({ADMIN, STAFF, VIEWER}),
    "export.unmask": _OFFICE,
    # rules and documents
    "escalate": _OFFICE,
    "accountability.propose": _OFFICE,
    "accountability.decide": frozenset({STAFF}),
    "accountability.read": frozenset({ADMIN, STAFF, VIEWER}),
    "circular": _OFFICE,
    "report": frozenset({ADMIN, STAFF, VIEWER}),
}


def allowed(role: str, action: str) -> bool:
    return role in PERMISSIONS.get(action, frozenset())


def require(role: str, action: str, who: str = "") -> None:
    """Raise :class:`NotPermitted` unless ``role`` may do ``action``."""
    if action not in PERMISSIONS:
        raise KeyError(f"unknown permission {action!r}")
    if not allowed(role, action):
        raise NotPermitted(
            f"无权执行此操作（{action}，角色 {ROLE_NAMES.get(role, role)}）",
            f"not permitted: {action} for role {role}" + (f" ({who})" if who else ""),
        )
