"""``gui`` / ``supervise-gui``: the desktop app (SPEC §9).

tkinter is imported only here, lazily, so that the command line works on a
machine without Tk or without a display.  The GUI opens the database named
by ``--db``/``SUPERVISE_DB`` itself, on its login form, so that a wrong
address is reported there rather than before the window opens.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys

from ..errors import EXIT_INTERNAL
from .main import App

logger = logging.getLogger(__name__)


def cmd_gui(args: argparse.Namespace, app: App) -> int:
    try:
        import tkinter
    except ImportError:
        print(
            "supervise: 未安装 Tk，无法启动图形界面 / Tk is not installed: the desktop app cannot start",
            file=sys.stderr,
        )
        return EXIT_INTERNAL
    from ..gui.app import run

    try:
        return run(args.db or os.environ.get("SUPERVISE_DB"), args.gui_user or args.user)
    except tkinter.TclError as exc:
        logger.error("cannot start the desktop app: %s", exc)
        print(
            f"supervise: 无法打开图形界面（{exc}）/ cannot open the window: {exc}", file=sys.stderr
        )
        return EXIT_INTERNAL


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("gui", help="桌面程序 the desktop app")
    p.add_argument(
        "--user", dest="gui_user", help="预填用户名 user name to prefill on the login form"
    )
    p.set_defaults(run=cmd_gui, database=False)
