"""Commands whose features arrive with later milestones.

They are listed in ``--help`` so the command line of SPEC §8 is complete;
until their feature lands each prints one clear line and exits with 2.
"""

from __future__ import annotations

import argparse
import logging
import sys

from ..errors import EXIT_USAGE
from .main import App

logger = logging.getLogger(__name__)

PENDING = {
    "export": "导出台账 export NAME --out FILE",
    "escalate": "督办规则 run escalation rules",
    "accountability": "问责 accountability propose|decide|list",
    "circular": "通报 circular KIND --out FILE",
    "report": "月报 report monthly --month YYYY-MM --out DIR",
    "gui": "桌面程序 the desktop app",
}


def _pending(args: argparse.Namespace, app: App) -> int:
    print(
        f"supervise: 此版本尚未提供“{args.command}”功能 / '{args.command}' is not yet available in this version",
        file=sys.stderr,
    )
    return EXIT_USAGE


def register(sub: argparse._SubParsersAction) -> None:
    for name, help_text in PENDING.items():
        p = sub.add_parser(name, help=help_text + "（尚未提供 not yet available）")
        p.add_argument("rest", nargs=argparse.REMAINDER)
        p.set_defaults(run=_pending, database=False)
