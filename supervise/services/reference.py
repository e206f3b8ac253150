"""Reference data and administration: users, units, staff, matters,
calendar overrides and settings."""

from __future__ import annotations

import datetime as dt
import json
import logging
from typing import Any

import peewee as pw

from .. import identity
from .. import settings as settings_mod
from ..auth import hash_password, validate_password
from ..errors import InvalidInput, NotFound
from ..models import ROLES, UNIT_KINDS, CalendarOverride, Matter, Setting, Staff, Unit, User
from ..permissions import LIAISON, allowed
from .base import Service

logger = logging.getLogger(__name__)


def _text(value: str | None, zh: str, en: str) -> str:
    value = (value or "").strip()
    if not value:
        raise InvalidInput(f"{zh}不能为空", f"{en} is required")
    return value


def get_unit(code: str) -> Unit:
    unit = Unit.get_or_none(Unit.code == code)
    if unit is None:
        raise NotFound(f"单位编码不存在：{code}", f"unknown unit code: {code}")
    return unit


def get_staff(number: str) -> Staff:
    staff = Staff.get_or_none(Staff.number == number)
    if staff is None:
        raise NotFound(f"工号不存在：{number}", f"unknown staff number: {number}")
    return staff


def get_matter(code: str) -> Matter:
    matter = Matter.get_or_none(Matter.code == code)
    if matter is None:
        raise NotFound(f"事项编码不存在：{code}", f"unknown matter code: {code}")
    return matter


class ReferenceService(Service):
    """Users, units, staff, matters, calendar overrides, settings."""

    def add_user(self, name: str, role: str, password: str, unit_code: str | None = None) -> User:
        name = _text(name, "用户名", "user name")
        if role not in ROLES:
            raise InvalidInput(
                f"角色无效：{role}", f"unknown role: {role} (one of {', '.join(ROLES)})"
            )
        if role == LIAISON and not unit_code:
            raise InvalidInput(
                "单位联络员必须指定单位（--unit）", "a liaison needs a unit (--unit)"
            )
        validate_password(password)
        with self.change("user.add"):
            unit = get_unit(unit_code) if unit_code else None
            if User.get_or_none(User.name == name):
                raise InvalidInput(f"用户已存在：{name}", f"user already exists: {name}")
            user = User.create(
                name=name, role=role, unit=unit, password_hash=hash_password(password)
            )
            granted = False
            if allowed(role, "identity.view"):
                identity.create_user_key(user, password)
                if (
                    self.actor.identity_key is not None
                ):  # an admin/staff holding the key grants it at once
                    identity.grant(self.actor.identity_key, user, self.actor.name)
                    granted = True
            self.audit(
                "user.add",
                "user",
                user.id,
                None,
                {"name": name, "role": role, "unit": unit_code, "identity_key": granted},
            )
            return user

    def list_users(self) -> list[dict[str, Any]]:
        self.require("user.list")
        query = User.select(User, Unit).join(Unit, pw.JOIN.LEFT_OUTER)
        return [
            {
                "name": u.name,
                "role": u.role,
                "unit": u.unit.code if u.unit_id else None,
                "active": u.active,
                "locked_until": u.locked_until.isoformat() if u.locked_until else None,
            }
            for u in query.order_by(User.name)
        ]

    def add_unit(self, code: str, name: str, parent: str | None = None, kind: str = "部门") -> Unit:
        code, name = _text(code, "单位编码", "unit code"), _text(name, "单位名称", "unit name")
        if kind not in UNIT_KINDS:
            raise InvalidInput(
                f"单位类型无效：{kind}", f"unknown unit kind: {kind} ({'/'.join(UNIT_KINDS)})"
            )
        with self.change("unit.add"):
            parent_unit = get_unit(parent) if parent else None
            if Unit.get_or_none(Unit.code == code):
                raise InvalidInput(f"单位编码已存在：{code}", f"unit code already exists: {code}")
            return self.create(
                Unit, "unit.add", code=code, name=name, parent=parent_unit, kind=kind
            )

    def add_staff(self, number: str, name: str, unit_code: str, post: str = "") -> Staff:
        number, name = _text(number, "工号", "staff number"), _text(name, "姓名", "name")
        with self.change("staff.add"):
            unit = get_unit(unit_code)
            if Staff.get_or_none(Staff.number == number):
                raise InvalidInput(
                    f"工号已存在：{number}", f"staff number already exists: {number}"
                )
            return self.create(Staff, "staff.add", number=number, name=name, unit=unit, post=post)

    def add_matter(
        self, code: str, name: str, unit_code: str, legal: int, promised: int | None = None
    ) -> Matter:
        code, name = _text(code, "事项编码", "matter code"), _text(name, "事项名称", "matter name")
        if legal < 1 or (promised is not None and not 0 < promised <= legal):
            raise InvalidInput(
                "时限无效：法定时限 ≥ 1，承诺时限在 1 与法定时限之间",
                "bad time limit: legal ≥ 1 and 1 ≤ promised ≤ legal",
            )
        with self.change("matter.add"):
            unit = get_unit(unit_code)
            if Matter.get_or_none(Matter.code == code):
                raise InvalidInput(f"事项编码已存在：{code}", f"matter code already exists: {code}")
            return self.create(
                Matter,
                "matter.add",
                code=code,
                name=name,
                unit=unit,
                legal_days=legal,
                promised_days=promised,
            )

    def set_calendar(self, day: dt.date, kind: str, note: str = "") -> CalendarOverride:
        if kind not in ("holiday", "workday"):
            raise InvalidInput(
                f"类型应为 holiday 或 workday：{kind}", f"kind must be holiday or workday: {kind}"
            )
        with self.change("calendar.set"):
            existing = CalendarOverride.get_or_none(CalendarOverride.day == day)
            if existing is None:
                return self.create(CalendarOverride, "calendar.set", day=day, kind=kind, note=note)
            return self.update(existing, "calendar.set", kind=kind, note=note)

    def set_setting(self, key: str, value: Any) -> None:
        if key.startswith("audit."):
            raise InvalidInput(f"不可修改的设置：{key}", f"setting cannot be changed: {key}")
        known = settings_mod.defaults()
        if key not in known:
            raise NotFound(f"未知设置：{key}", f"unknown setting: {key}")
        if type(known[key]) is not type(value) and not (
            isinstance(known[key], float | int) and isinstance(value, float | int)
        ):
            raise InvalidInput(
                f"设置 {key} 的值类型应为 {type(known[key]).__name__}",
                f"setting {key} takes a {type(known[key]).__name__}",
            )
        text = json.dumps(value, ensure_ascii=False)
        with self.change("settings.change"):
            row = Setting.get_or_none(Setting.key == key)
            if row is None:
                self.create(Setting, "settings.change", key=key, value=text)
            else:
                self.update(row, "settings.change", value=text)
