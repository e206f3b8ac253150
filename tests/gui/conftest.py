"""A real Tk under Xvfb for the GUI tests (STYLE 11).

When ``DISPLAY`` is unset, one Xvfb server is started for the session
(``Xvfb -displayfd``, so it picks a free display number) and stopped at the
end; without Xvfb the GUI tests skip, saying so.  Each module gets one
withdrawn root; tests build the app into it and the fixture clears it again.
Message boxes are off (``common.INTERACTIVE = False``); what would have been
shown is in ``common.MESSAGES``.

GUI tests run on SQLite: a demo office (one month, ``supervise.demo``) is
generated once per session and copied for each test that wants it.
"""

from __future__ import annotations

import dataclasses
import gc
import os
import shutil
import time
import tkinter as tk
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from supervise import demo, identity, migrations
from supervise.auth import SYSTEM
from supervise.db import close_database, database, open_database
from supervise.gui import common
from supervise.gui.xdisplay import start_xvfb, stop_xvfb
from supervise.registry import set_registry

PASSWORD = demo.PASSWORD


@pytest.fixture(scope="session")
def xdisplay() -> Iterator[str]:
    """A display for Tk: the one given, or a private Xvfb."""
    if os.environ.get("DISPLAY"):
        yield os.environ["DISPLAY"]
        return
    if shutil.which("Xvfb") is None:
        pytest.skip(
            "GUI tests need a display: DISPLAY is unset and Xvfb is not installed (apt-get install xvfb)"
        )
    proc = start_xvfb()
    try:
        yield os.environ["DISPLAY"]
    finally:
        stop_xvfb(proc)


@pytest.fixture(scope="module")
def root(xdisplay: str) -> Iterator[tk.Tk]:
    """One withdrawn root per module."""
    common.INTERACTIVE = False
    window = tk.Tk()
    window.withdraw()
    yield window
    window.destroy()
    common.INTERACTIVE = True


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo office database (one month), made once per session."""
    folder = tmp_path_factory.mktemp("demo")
    path = folder / "demo.db"
    open_database(f"sqlite:///{path}")
    migrations.upgrade()
    # as `supervise demo` does: the new office key opened with its recovery key, so the demo's
    # admin and staff users are granted it
    key = identity.open_with_recovery(identity.take_new_recovery_key() or "")
    demo.generate(dataclasses.replace(SYSTEM, identity_key=key), months=1, seed=7)
    database.obj.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    close_database()
    return path


@pytest.fixture
def demo_db(demo_template: Path, tmp_path: Path) -> Iterator[str]:
    """A fresh copy of the demo database, open; yields its URL."""
    path = tmp_path / "office.db"
    shutil.copyfile(demo_template, path)
    url = f"sqlite:///{path}"
    open_database(url)
    set_registry(None)
    yield url
    close_database()


@pytest.fixture(autouse=True)
def _messages() -> Iterator[None]:
    common.MESSAGES.clear()
    yield
    common.MESSAGES.clear()


def pump(root: tk.Misc, until: Callable[[], bool] | None = None, timeout: float = 15.0) -> None:
    """Run the event loop until ``until()`` holds (or just once); fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        # a short real mainloop, not update(): as in the app, a Tcl call that another thread
        # makes (a Tk variable finalised by its garbage collection) is then carried out here
        root.after(5, root.quit)
        root.mainloop()
        if until is None or until():
            return
        if time.monotonic() > deadline:
            raise AssertionError("the GUI did not reach the expected state in time")


def clear(root: tk.Tk) -> None:
    """Remove everything an app built into the module's root."""
    for child in root.winfo_children():
        child.destroy()
    root.configure(menu="")
    for sequence in root.bind():
        root.unbind(sequence)
    root.update()
    gc.collect()  # destroyed widget trees are cycles: collect their Tk variables on this thread


@pytest.fixture
def login(root: tk.Tk, demo_db: str) -> Iterator[Callable[..., object]]:
    """``login(user)`` → a :class:`SuperviseApp` logged in on the demo database, first page loaded."""
    from supervise.gui.app import SuperviseApp

    apps: list[SuperviseApp] = []

    def do(user: str, password: str = PASSWORD) -> SuperviseApp:
        app = SuperviseApp(root, demo_db, testing=True)
        apps.append(app)
        assert app.login_view is not None
        app.login_view.user_var.set(user)
        app.login_view.password_var.set(password)
        app.login_view.login_button.invoke()
        assert app.main is not None, app.login_view.message.cget("text")
        settle(app)
        return app

    yield do
    for app in apps:
        settle(app)
        app.worker.close()
    clear(root)


def settle(app: object) -> None:
    """Wait until the app's worker has delivered everything it was asked for."""
    worker = app.worker  # type: ignore[attr-defined]
    pump(worker.widget, lambda: not worker.busy and worker.queue.empty())
    worker.widget.update()
