"""Administration commands: init, demo, users, reference data, calendar,
settings, plugins, audit, backup and restore."""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import logging
import os
import sys

from .. import audit, backup, identity, migrations
from ..auth import Actor
from ..errors import InvalidInput, UsageError
from ..models import User
from ..services.reference import ReferenceService
from .main import App, integer, json_flag

logger = logging.getLogger(__name__)


def parse_date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(
            f"日期格式应为 YYYY-MM-DD：{text}", f"dates are YYYY-MM-DD: {text}"
        ) from None


def _password_for(name: str) -> str:
    password = os.environ.get("SUPERVISE_PASSWORD")
    if password is None:
        if not sys.stdin or not sys.stdin.isatty():
            raise InvalidInput(
                "请用 SUPERVISE_PASSWORD 提供新用户的密码",
                "give the new user's password in SUPERVISE_PASSWORD",
            )
        import getpass

        password = getpass.getpass(f"{name} 的新密码 / new password: ")
    return password


# -- init and demo -------------------------------------------------------------


def _recovery_lines(recovery: str | None) -> list[str]:
    """The recovery key of a newly made office key: shown here once, never stored in clear."""
    if recovery is None:
        return []
    return [
        "身份信息恢复密钥 identity recovery key (仅显示一次，请抄写并妥善保管 shown once: keep it on paper):",
        f"  {recovery}",
    ]


def _system_with_key(app: App, recovery: str | None) -> Actor:
    """The system actor holding the office key (so the first users are granted it): the key
    just made, or on a database made earlier the one opened by ``SUPERVISE_RECOVERY_KEY``."""
    system = app.system()
    recovery = recovery or os.environ.get("SUPERVISE_RECOVERY_KEY")
    if not recovery:
        return system
    return dataclasses.replace(system, identity_key=identity.open_with_recovery(recovery))


def cmd_init(args: argparse.Namespace, app: App) -> int:
    applied = migrations.upgrade()
    recovery = identity.take_new_recovery_key()
    created = None
    if args.admin:
        if User.get_or_none(User.name == args.admin) is None:
            if User.select().where(User.role == "admin").exists():
                app.actor()  # adding a further admin needs an admin login
                ReferenceService(app.actor()).add_user(
                    args.admin, "admin", _password_for(args.admin)
                )
            else:
                ReferenceService(_system_with_key(app, recovery)).add_user(
                    args.admin, "admin", _password_for(args.admin)
                )
            created = args.admin
    version = migrations.current_version()
    lines = [*(f"已升级 applied: {a}" for a in applied), f"数据库版本 schema version: {version}"]
    if created:
        lines.append(f"已创建管理员 admin created: {created}")
    lines += _recovery_lines(recovery)
    app.emit(
        {
            "version": version,
            "applied": applied,
            "admin_created": created,
            "recovery_key": recovery,
        },
        lines,
    )
    return 0


def cmd_demo(args: argparse.Namespace, app: App) -> int:
    from .. import demo

    migrations.upgrade()
    recovery = identity.take_new_recovery_key()
    actor = _system_with_key(app, recovery) if not User.select().exists() else app.actor()
    summary = demo.generate(actor, seed=args.seed, months=args.months, progress=not app.json)
    summary["recovery_key"] = recovery
    lines = [f"{k}: {v}" for k, v in summary["counts"].items()] + _recovery_lines(recovery)
    lines.append("演示用户 demo users (密码 password):")
    lines += [
        f"  {u['name']:<14} {u['role']:<10} {u['unit'] or '':<8} {u['password']}"
        for u in summary["users"]
    ]
    app.emit(summary, lines)
    return 0


# -- users and reference data ----------------------------------------------------


def cmd_user_add(args: argparse.Namespace, app: App) -> int:
    service = ReferenceService(app.actor())
    user = service.add_user(args.name, args.role, _password_for(args.name), args.unit)
    app.emit(
        {"name": user.name, "role": user.role, "unit": args.unit},
        f"已添加用户 user added: {user.name} ({user.role})",
    )
    return 0


def cmd_user_list(args: argparse.Namespace, app: App) -> int:
    users = ReferenceService(app.actor()).list_users()
    app.emit(
        {"total": len(users), "items": users},
        [f"{u['name']:<16} {u['role']:<10} {u['unit'] or ''}" for u in users],
    )
    return 0


def cmd_unit_add(args: argparse.Namespace, app: App) -> int:
    unit = ReferenceService(app.actor()).add_unit(args.code, args.name, args.parent, args.kind)
    app.emit(
        {"id": unit.id, "code": unit.code, "name": unit.name},
        f"已添加单位 unit added: {unit.code} {unit.name}",
    )
    return 0


def cmd_staff_add(args: argparse.Namespace, app: App) -> int:
    staff = ReferenceService(app.actor()).add_staff(args.number, args.name, args.unit, args.post)
    app.emit(
        {"id": staff.id, "number": staff.number},
        f"已添加工作人员 staff added: {staff.number} {staff.name}",
    )
    return 0


def cmd_matter_add(args: argparse.Namespace, app: App) -> int:
    m = ReferenceService(app.actor()).add_matter(
        args.code, args.name, args.unit, args.legal, args.promised
    )
    app.emit({"id": m.id, "code": m.code}, f"已添加事项 matter added: {m.code} {m.name}")
    return 0


# -- calendar and settings ---------------------------------------------------------


def cmd_workdays_add(args: argparse.Namespace, app: App) -> int:
    from ..workdays import WorkCalendar

    calendar = WorkCalendar.from_database()
    due = calendar.add(parse_date(args.date), args.n)
    app.emit(
        {
            "date": args.date,
            "n": args.n,
            "due": due.isoformat(),
            "fallback_years": sorted(calendar.fallback_years),
        },
        due.isoformat(),
    )
    return 0


def cmd_calendar_set(args: argparse.Namespace, app: App) -> int:
    day = parse_date(args.date)
    ReferenceService(app.actor()).set_calendar(day, args.kind, args.note)
    app.emit({"date": day.isoformat(), "kind": args.kind}, f"已设置 set: {day} {args.kind}")
    return 0


def cmd_settings(args: argparse.Namespace, app: App) -> int:
    from .. import settings

    actor = app.actor()
    if args.key is None:
        values = settings.all_settings()
        app.emit(
            values,
            [f"{k} = {json.dumps(v, ensure_ascii=False)}" for k, v in sorted(values.items())],
        )
        return 0
    if args.value is None:
        value = settings.get(args.key)
        app.emit({args.key: value}, json.dumps(value, ensure_ascii=False))
        return 0
    try:
        value = json.loads(args.value)
    except json.JSONDecodeError:
        value = args.value
    ReferenceService(actor).set_setting(args.key, value)
    app.emit({args.key: value}, f"已保存 saved: {args.key}")
    return 0


# -- plugins, audit, backup ----------------------------------------------------------


def cmd_plugins(args: argparse.Namespace, app: App) -> int:
    from ..plugins import describe_plugins
    from ..registry import get_registry

    registry = get_registry()
    registry.load_all()
    data = describe_plugins(registry.pm)
    lines = []
    for family, names in data["families"].items():
        lines.append(f"{family}: {', '.join(names) if names else '—'}")
    for p in data["plugins"]:
        lines.append(f"  {p['name']} [{p['source']}] {', '.join(p['hooks'])}")
    for f in data["failures"]:
        lines.append(f"失败 FAILED {f['name']} ({f['stage']}): {f['error']}")
    for name in data["disabled"]:
        lines.append(f"已停用 disabled: {name}")
    app.emit(data, lines)
    return 0


def cmd_audit_verify(args: argparse.Namespace, app: App) -> int:
    ReferenceService(app.actor()).require("audit.verify")
    result = audit.verify()
    if result.ok:
        app.emit(result.as_dict(), f"审计链完整 audit chain intact: {result.checked} 条 entries")
        return 0
    app.emit(result.as_dict())
    print(
        f"supervise: 审计链在第 {result.bad_id} 条断开：{result.reason} / audit chain broken at entry {result.bad_id}",
        file=sys.stderr,
    )
    return 1


def cmd_backup(args: argparse.Namespace, app: App) -> int:
    info = backup.backup(app.actor(), args.file)
    app.emit(info, f"已备份 backed up to {info['file']} ({info['bytes']} bytes)")
    return 0


def cmd_restore(args: argparse.Namespace, app: App) -> int:
    info = backup.restore(app.actor(), args.file)
    recovery = identity.take_new_recovery_key()  # an older backup upgraded by migration 8
    info["recovery_key"] = recovery
    app.emit(
        info,
        [
            f"已恢复 restored from {args.file}; schema version {info['version']}",
            *_recovery_lines(recovery),
        ],
    )
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("init", help="创建或升级数据库 create or upgrade the schema")
    p.add_argument("--admin", help="首个管理员 first admin user (password: SUPERVISE_PASSWORD)")
    json_flag(p)
    p.set_defaults(run=cmd_init)

    p = sub.add_parser("demo", help="生成演示数据 fill the database with demo data")
    p.add_argument("--seed", type=integer, default=2026)
    p.add_argument("--months", type=integer, default=6, help="months of history (default 6)")
    json_flag(p)
    p.set_defaults(run=cmd_demo)

    user = sub.add_parser("user", help="用户 users").add_subparsers(
        dest="action", metavar="ACTION", required=True
    )
    p = user.add_parser("add", help="添加用户 add a user (password: SUPERVISE_PASSWORD or prompt)")
    p.add_argument("name")
    p.add_argument(
        "--role", required=True, choices=["admin", "staff", "liaison", "supervisor", "viewer"]
    )
    p.add_argument("--unit", help="单位编码 unit code (liaison)")
    json_flag(p)
    p.set_defaults(run=cmd_user_add)
    p = user.add_parser("list", help="用户列表 list users")
    json_flag(p)
    p.set_defaults(run=cmd_user_list)
    from .keys import register_user

    register_user(user)

    p = sub.add_parser("unit", help="单位 units").add_subparsers(
        dest="action", metavar="ACTION", required=True
    )
    p = p.add_parser("add", help="添加单位 add a unit")
    p.add_argument("code")
    p.add_argument("name")
    p.add_argument("--parent")
    p.add_argument("--kind", default="部门", help="区县/部门/窗口/乡镇街道")
    json_flag(p)
    p.set_defaults(run=cmd_unit_add)

    p = sub.add_parser("staff", help="工作人员 staff").add_subparsers(
        dest="action", metavar="ACTION", required=True
    )
    p = p.add_parser("add", help="添加工作人员 add a staff member")
    p.add_argument("number")
    p.add_argument("name")
    p.add_argument("--unit", required=True)
    p.add_argument("--post", default="")
    json_flag(p)
    p.set_defaults(run=cmd_staff_add)

    p = sub.add_parser("matter", help="政务服务事项 matters").add_subparsers(
        dest="action", metavar="ACTION", required=True
    )
    p = p.add_parser("add", help="添加事项 add a matter")
    p.add_argument("code")
    p.add_argument("name")
    p.add_argument("--unit", required=True)
    p.add_argument("--legal", type=integer, required=True, help="法定时限（工作日） legal limit")
    p.add_argument("--promised", type=integer, help="承诺时限（工作日） promised limit")
    json_flag(p)
    p.set_defaults(run=cmd_matter_add)

    p = sub.add_parser("workdays", help="工作日计算 working days").add_subparsers(
        dest="action", metavar="ACTION", required=True
    )
    p = p.add_parser("add", help="DATE 之后第 N 个工作日 the N-th working day after DATE")
    p.add_argument("date")
    p.add_argument("n", type=integer)
    json_flag(p)
    p.set_defaults(run=cmd_workdays_add)

    p = sub.add_parser("calendar", help="本地日历调整 local calendar overrides").add_subparsers(
        dest="action", metavar="ACTION", required=True
    )
    p = p.add_parser("set", help="设为节假日或工作日 mark a date")
    p.add_argument("date")
    p.add_argument("kind", choices=["holiday", "workday"])
    p.add_argument("--note", default="")
    json_flag(p)
    p.set_defaults(run=cmd_calendar_set)

    p = sub.add_parser("settings", help="设置 show or change settings")
    p.add_argument("key", nargs="?")
    p.add_argument("value", nargs="?", help="JSON value")
    json_flag(p)
    p.set_defaults(run=cmd_settings)

    p = sub.add_parser("plugins", help="插件 loaded plugins, hooks and failures")
    json_flag(p)
    p.set_defaults(run=cmd_plugins, database=False)

    p = sub.add_parser("audit", help="审计 audit log").add_subparsers(
        dest="action", metavar="ACTION", required=True
    )
    p = p.add_parser("verify", help="校验审计链 check the audit chain")
    json_flag(p)
    p.set_defaults(run=cmd_audit_verify)

    p = sub.add_parser("backup", help="在线备份 consistent online copy")
    p.add_argument("file")
    json_flag(p)
    p.set_defaults(run=cmd_backup)
    p = sub.add_parser("restore", help="从备份恢复 restore a backup")
    p.add_argument("file")
    json_flag(p)
    p.set_defaults(run=cmd_restore)


__all__ = ["register", "parse_date", "UsageError"]
