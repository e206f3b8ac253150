"""Where supervise keeps its files: platform folders through platformdirs.

platformdirs is used rather than hand-written paths because it knows the
conventions of Windows (``%LOCALAPPDATA%``), macOS and the XDG variables on
Linux.
"""

from __future__ import annotations

import glob
import logging
import os
import re
import sys
import time
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


# -- temporary files beside an output (exports, reports) ------------------------------------

#: A temporary file older than this is stale even if a process with its id runs (ids are reused).
PART_STALE_AFTER = 24 * 3600


def part_file(target: Path) -> Path:
    """The temporary name this process writes ``target`` under before renaming it into place:
    ``.名称.<pid>.part.xlsx`` beside it (hidden, and named after its writer)."""
    return target.with_name(f".{target.stem}.{os.getpid()}.part{target.suffix}")


def remove_stale_parts(target: Path) -> list[Path]:
    """Remove the temporary files of ``target`` (see :func:`part_file`) whose writer no
    longer runs — left by a run that was killed or lost its power — and return them.
    A file whose writer still runs is left alone unless it is a day old."""
    pattern = re.compile(rf"\.{re.escape(target.stem)}\.(\d+)\.part{re.escape(target.suffix)}")
    removed = []
    for path in target.parent.glob(
        f".{glob.escape(target.stem)}.*.part{glob.escape(target.suffix)}"
    ):
        found = pattern.fullmatch(path.name)
        if found is None or int(found.group(1)) == os.getpid():
            continue
        try:
            fresh = time.time() - path.stat().st_mtime < PART_STALE_AFTER
            if fresh and _running(int(found.group(1))):
                continue
            path.unlink()
        except OSError:  # gone meanwhile, or not ours to remove: leave it
            logger.debug("could not remove %s", path, exc_info=True)
            continue
        logger.info("removed %s, left by an interrupted run", path)
        removed.append(path)
    return removed


def _running(pid: int) -> bool:
    """Whether a process with id ``pid`` runs on this machine."""
    if sys.platform == "win32":  # os.kill(pid, 0) would terminate it on Windows
        import ctypes

        kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
        handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
        if not handle:
            return ctypes.get_last_error() == 5  # access denied: it runs under another user
        try:
            code = ctypes.c_ulong()
            return (
                bool(kernel32.GetExitCodeProcess(handle, ctypes.byref(code))) and code.value == 259
            )
        finally:
            kernel32.CloseHandle(handle)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return True
