"""Where supervise keeps its files: platform folders through platformdirs.

platformdirs is used rather than hand-written paths because it knows the
conventions of Windows (``%LOCALAPPDATA%``), macOS and the XDG variables on
Linux.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import platformdirs

logger = logging.getLogger(__name__)

APP_NAME = "supervise"


def data_dir() -> Path:
    """The user data folder (created on first use)."""
    path = Path(os.environ.get("SUPERVISE_HOME") or platformdirs.user_data_dir(APP_NAME, False))
    path.mkdir(parents=True, exist_ok=True)
    return path


def log_dir() -> Path:
    path = Path(os.environ.get("SUPERVISE_HOME") or platformdirs.user_log_dir(APP_NAME, False))
    path.mkdir(parents=True, exist_ok=True)
    return path


def default_db_url() -> str:
    """The embedded SQLite database in the user data folder."""
    return "sqlite:///" + str(data_dir() / "supervise.db")
