"""Identity keys and retention: ``keys status|grant|recover``, ``user passwd``,
``retention purge`` (issue #8 items 6 and 8; docs/SECURITY.md)."""

from __future__ import annotations

import argparse
import dataclasses
import logging
import os
import sys

from .. import permissions, retention
from ..auth import change_password
from ..errors import InvalidInput
from ..services import keys
from .main import App, json_flag

logger = logging.getLogger(__name__)


def _secret(env: str, prompt: str, zh: str, en: str) -> str:
    value = os.environ.get(env)
    if value is None:
        if not sys.stdin or not sys.stdin.isatty():
            raise InvalidInput(f"请用 {env} 提供{zh}", f"give the {en} in {env}")
        import getpass

        value = getpass.getpass(prompt)
    return value


def cmd_keys_status(args: argparse.Namespace, app: App) -> int:
    data = keys.status(app.actor())
    lines = [
        f"机构密钥 office key: {data['office_key'] or '无 none'}",
        f"本人持有 you hold it: {'是 yes' if data['you_hold_key'] else '否 no'}",
        "持有人 holders:",
    ] + [f"  {h['name']:<14} {h['role']:<8} 授权人 by {h['granted_by']}" for h in data["holders"]]
    app.emit(data, lines)
    return 0


def cmd_keys_grant(args: argparse.Namespace, app: App) -> int:
    user = keys.grant(app.actor(), args.name)
    app.emit({"granted": user.name}, f"已授权 granted the identity key to {user.name}")
    return 0


def cmd_keys_recover(args: argparse.Namespace, app: App) -> int:
    actor = app.actor()
    permissions.require(actor.role, "keys.recover", actor.name)
    text = _secret(
        "SUPERVISE_RECOVERY_KEY", "恢复密钥 / recovery key: ", "恢复密钥", "recovery key"
    )
    keys.recover(actor, text)
    app.emit(
        {"granted": actor.name},
        f"已用恢复密钥恢复 {actor.name} 的身份解密权限 access restored with the recovery key",
    )
    return 0


def cmd_user_passwd(args: argparse.Namespace, app: App) -> int:
    actor = app.actor()
    old = os.environ.get("SUPERVISE_PASSWORD") or ""
    new = _secret("SUPERVISE_NEW_PASSWORD", "新密码 / new password: ", "新密码", "new password")
    updated = change_password(dataclasses.replace(actor), old, new)
    app.emit(
        {"name": updated.name, "holds_key": updated.identity_key is not None},
        f"已修改密码 password changed for {updated.name}",
    )
    return 0


def cmd_retention_purge(args: argparse.Namespace, app: App) -> int:
    from .rules import _as_of

    result = retention.purge(app.actor(), _as_of(args))
    app.emit(
        result,
        f"已清除身份信息 identities purged: 工单 complaints {result['complaints']}，"
        f"评价 ratings {result['ratings']}（{result['retention_days']} 天前办结 closed before "
        f"{result['cutoff']}）",
    )
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    keys = sub.add_parser("keys", help="身份信息密钥 identity keys").add_subparsers(
        dest="action", metavar="ACTION", required=True
    )
    p = keys.add_parser("status", help="密钥与持有人 the office key and who holds it")
    json_flag(p)
    p.set_defaults(run=cmd_keys_status)
    p = keys.add_parser("grant", help="授权用户查看身份信息 give USER the identity key")
    p.add_argument("name", metavar="USER")
    json_flag(p)
    p.set_defaults(run=cmd_keys_grant)
    p = keys.add_parser(
        "recover",
        help="用恢复密钥恢复 restore access with the recovery key (SUPERVISE_RECOVERY_KEY)",
    )
    json_flag(p)
    p.set_defaults(run=cmd_keys_recover)

    p = sub.add_parser("retention", help="身份信息保存期限 identity retention").add_subparsers(
        dest="action", metavar="ACTION", required=True
    )
    p = p.add_parser(
        "purge", help="清除超过保存期限的已办结案件身份信息 purge identities of closed cases"
    )
    p.add_argument(
        "--as-of", dest="as_of", metavar="DT", help="以此时间计算 the instant to count from"
    )
    json_flag(p)
    p.set_defaults(run=cmd_retention_purge)


def register_user(user: argparse._SubParsersAction) -> None:
    p = user.add_parser(
        "passwd", help="修改本人密码 change your password (SUPERVISE_NEW_PASSWORD or prompt)"
    )
    json_flag(p)
    p.set_defaults(run=cmd_user_passwd)
