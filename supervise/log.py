"""Logging for the app's own loggers, set up once.

Everything goes to a rotating log file in the platform log folder (with
tracebacks); warnings and worse also go to stderr as one line.
"""

from __future__ import annotations

import logging
import logging.handlers
import sys

from .paths import log_dir

logger = logging.getLogger(__name__)

_configured = False


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
    console = logging.StreamHandler(sys.stderr)
    console.setLevel(logging.DEBUG if verbose else logging.WARNING)
    console.setFormatter(_OneLine())
    app.addHandler(console)
    return path
