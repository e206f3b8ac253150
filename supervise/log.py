"""Logging for the app's own loggers, set up once.

Everything goes to a rotating log file in the platform log folder (with
tracebacks); warnings and worse also go to stderr as one line.
"""

from __future__ import annotations

import logging
import logging.handlers
import sys
from typing import Any

from .paths import log_dir

logger = logging.getLogger(__name__)

_configured = False


class _Stderr(logging.StreamHandler):
    """A stream handler on ``sys.stderr`` as it is when a record comes, not as it was when the
    handler was made: in-process callers of ``main`` (tests) swap stderr between calls, and a
    stream kept from the first call may be closed by then."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, value: object) -> None:
        pass  # always the current sys.stderr


class _OneLine(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return f"supervise: {record.getMessage()}"


def setup_logging(verbose: bool = False) -> str | None:
    """Attach the handlers to the ``supervise`` logger; return the log file."""
    global _configured
    app = logging.getLogger("supervise")
    if _configured:
        return None
    _configured = True
    app.setLevel(logging.DEBUG if verbose else logging.INFO)
    app.propagate = False
    path = None
    try:
        path = str(log_dir() / "supervise.log")
        handler = logging.handlers.RotatingFileHandler(
            path, maxBytes=5_000_000, backupCount=3, encoding="utf-8"
        )
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        app.addHandler(handler)
    except OSError:
        path = None
    console = _Stderr()
    console.setLevel(logging.DEBUG if verbose else logging.WARNING)
    console.setFormatter(_OneLine())
    app.addHandler(console)
    return path
