"""What every view is given: the logged-in actor, the worker, and the main window's services."""

from __future__ import annotations

import logging
import tkinter as tk
from dataclasses import dataclass
from typing import Any, Protocol

from ..auth import Actor
from ..permissions import allowed
from .worker import Worker

logger = logging.getLogger(__name__)


class Navigator(Protocol):
    """What the main window offers to views (see :class:`supervise.gui.app.MainWindow`)."""

    def show_view(self, name: str, **filters: Any) -> Any: ...

    def open_record(self, kind: str, key: object) -> Any: ...

    def changed(self, kind: str) -> None: ...


@dataclass
class ViewContext:
    root: tk.Tk
    actor: Actor
    worker: Worker
    nav: Navigator
    testing: bool = False

    def can(self, action: str) -> bool:
        """Whether the logged-in role may do ``action`` (SPEC §1 table)."""
        return allowed(self.actor.role, action)


__all__ = ["Navigator", "ViewContext"]
