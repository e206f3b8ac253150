"""Entry point: parse, open the database, log in, run, map errors to exit codes.

Each command module exposes ``register(sub)`` which adds its parsers with
``set_defaults(run=handler, login=True|False)``; a handler takes
``(args, app)`` and returns an exit code or None.
"""

from __future__ import annotations

import argparse
import getpass
import json
import logging
import os
import sqlite3
import sys
from typing import Any

import peewee

from .. import __version__
from ..auth import SYSTEM, Actor, login
from ..db import busy_error, close_database, is_busy, open_database
from ..errors import EXIT_INTERNAL, EXIT_USAGE, NotPermitted, UserError
from ..log import setup_logging
from ..registry import use_plugins_dir_setting

logger = logging.getLogger(__name__)


class Parser(argparse.ArgumentParser):
    """argparse with one bilingual error line and exit code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"supervise: 用法错误 / usage error: {message}\n")


class App:
    """What a command handler needs: arguments, database, actor, output."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.json = bool(getattr(args, "json", False))
        self._actor: Actor | None = None

    def open(self) -> None:
        open_database(self.args.db)

    def actor(self) -> Actor:
        """The logged-in user (``--user``/``SUPERVISE_USER``, password from
        ``SUPERVISE_PASSWORD`` or a prompt)."""
        if self._actor is None:
            name = self.args.user or os.environ.get("SUPERVISE_USER")
            if not name:
                raise NotPermitted(
                    "请用 --user 或 SUPERVISE_USER 指定用户",
                    "no user given: use --user or SUPERVISE_USER",
                )
            password = os.environ.get("SUPERVISE_PASSWORD")
            if password is None:
                if not sys.stdin or not sys.stdin.isatty():
                    raise NotPermitted(
                        "未提供密码（SUPERVISE_PASSWORD）", "no password given (SUPERVISE_PASSWORD)"
                    )
                password = getpass.getpass(f"{name} 的密码 / password: ")
            self._actor = login(name, password)
            use_plugins_dir_setting()
        return self._actor

    def system(self) -> Actor:
        return SYSTEM

    def emit(self, data: dict[str, Any], text: str | list[str] | None = None) -> None:
        """Print ``data`` as one JSON object with ``--json``, else ``text``."""
        if self.json:
            print(json.dumps(data, ensure_ascii=False, default=str))
        elif text is not None:
            print(text if isinstance(text, str) else "\n".join(text))


INT_MIN, INT_MAX = -(2**31), 2**31 - 1  # PostgreSQL's integer; SQLite holds 64 bits


def integer(text: str) -> int:
    """``type=`` of every integer argument: an id, count or limit that a database column and
    query can hold.  Beyond it SQLite's driver overflows and PostgreSQL refuses the value, which
    would end in an internal error; argparse makes this a usage error (exit 2)."""
    value = int(text)
    if not INT_MIN <= value <= INT_MAX:
        raise argparse.ArgumentTypeError(
            f"整数超出范围 {INT_MIN}–{INT_MAX}：{text} / integer out of range: {text}"
        )
    return value


def json_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="以 JSON 输出 / print one JSON object")


def build_parser() -> Parser:
    from . import (
        admin,
        circulars,
        complaints,
        data,
        documents,
        gui_cmd,
        keys,
        ratings_reviews,
        rules,
    )

    parser = Parser(
        prog="supervise",
        description="政务服务效能监督 — supervision of government services",
    )
    parser.add_argument("--version", action="version", version=f"supervise {__version__}")
    parser.add_argument(
        "--db", help="数据库地址 database URL (sqlite:///file.db, postgresql://…); env SUPERVISE_DB"
    )
    parser.add_argument("--user", help="用户名 user name; env SUPERVISE_USER")
    parser.add_argument("-v", "--verbose", action="store_true", help="详细日志 verbose log")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    sub.required = True
    admin.register(sub)
    keys.register(sub)
    data.register(sub)
    complaints.register(sub)
    ratings_reviews.register(sub)
    rules.register(sub)
    circulars.register(sub)
    documents.register(sub)
    gui_cmd.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    log_file = setup_logging(args.verbose)
    app = App(args)
    try:
        if getattr(args, "database", True):
            app.open()
        code = args.run(args, app)
        return int(code or 0)
    except UserError as exc:
        print(f"supervise: {exc.line()}", file=sys.stderr)
        return exc.exit_code
    except (peewee.OperationalError, sqlite3.OperationalError) as exc:
        if is_busy(exc):  # another writer held SQLite's lock past the busy timeout
            logger.info("database busy: %s", exc)
            busy = busy_error()
            print(f"supervise: {busy.line()}", file=sys.stderr)
            return busy.exit_code
        logger.exception("database error")
        print(
            f"supervise: 数据库错误 / database error: {str(exc).splitlines()[0]}", file=sys.stderr
        )
        return EXIT_INTERNAL
    except KeyboardInterrupt:
        print("supervise: 已取消 / cancelled", file=sys.stderr)
        return 130
    except Exception:
        logger.exception("internal error")
        where = f"（详见 / see {log_file}）" if log_file else ""
        print(f"supervise: 内部错误 / internal error{where}", file=sys.stderr)
        return EXIT_INTERNAL
    finally:
        close_database()


def gui_main() -> int:
    """``supervise-gui``: the desktop app."""
    return main(["gui", *sys.argv[1:]])


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
