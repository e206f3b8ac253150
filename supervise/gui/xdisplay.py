"""An X display for Tk where there is none: a private Xvfb.

Used by the GUI tests (``tests/gui/conftest.py``), the screenshots script
(:mod:`supervise.gui.screenshots`) and the desktop bench (``bench/gui.py``).
:func:`start_xvfb` starts one on a free display number (``Xvfb -displayfd``)
and points ``DISPLAY`` at it; :func:`display` does so only when ``DISPLAY``
is unset, and stops it again at the end.  On Linux the server is asked to end
with its parent, so a killed run leaves no Xvfb behind.  Debian: ``xvfb``.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

from ..errors import UserError

logger = logging.getLogger(__name__)

SCREEN = "1600x1000x24"


def _die_with_parent() -> None:
    """In the child: ask Linux to end it when its parent dies (a killed test run leaves no Xvfb)."""
    try:
        import ctypes
        import signal

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def start_xvfb(screen: str = SCREEN) -> subprocess.Popen[bytes]:
    """Start Xvfb on a free display (``-displayfd``) and point ``DISPLAY`` at it."""
    read, write = os.pipe()
    proc = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write), "-screen", "0", screen, "-nolisten", "tcp"],
        pass_fds=(write,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
    )
    os.close(write)
    number = b""
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and not number.endswith(b"\n"):
        chunk = os.read(read, 16)
        if not chunk:
            break
        number += chunk
    os.close(read)
    if not number.strip():
        proc.kill()
        raise RuntimeError("Xvfb did not report its display number")
    os.environ["DISPLAY"] = f":{number.decode().strip()}"
    return proc


def stop_xvfb(proc: subprocess.Popen[bytes]) -> None:
    """Stop a server :func:`start_xvfb` started and forget its ``DISPLAY``."""
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)
    os.environ.pop("DISPLAY", None)


@contextmanager
def display(screen: str = SCREEN) -> Iterator[str]:
    """The display given in ``DISPLAY``, else a private Xvfb for the block.

    Raises :class:`~supervise.errors.UserError` when there is neither.
    """
    if os.environ.get("DISPLAY"):
        yield os.environ["DISPLAY"]
        return
    if shutil.which("Xvfb") is None:
        raise UserError(
            "没有 DISPLAY，也没有 Xvfb（apt-get install xvfb）",
            "no display: DISPLAY is unset and Xvfb is not installed (apt-get install xvfb)",
        )
    proc = start_xvfb(screen)
    try:
        yield os.environ["DISPLAY"]
    finally:
        stop_xvfb(proc)


__all__ = ["display", "start_xvfb", "stop_xvfb"]
