"""Screenshots of the main screens: ``python -m supervise.gui.screenshots OUTDIR [--db URL]``.

Without ``--db`` a demo office (``supervise.demo``, two months) is made in a
temporary folder.  Without ``DISPLAY`` a private Xvfb is started (Debian
``xvfb``).  Windows are captured with Pillow's ``ImageGrab`` on the X
display (the wheels on PyPI include XCB support), so no ``xwd`` or
ImageMagick is needed.  Writes ``login.png``, ``dashboard.png``,
``complaints.png``, ``complaint.png``, ``import.png``, ``liaison.png`` and
``supervisor.png`` into OUTDIR (``docs/screenshots/`` in the repository).
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import sys
import tempfile
import time
import tkinter as tk
from pathlib import Path
from typing import Any

from .xdisplay import start_xvfb, stop_xvfb

logger = logging.getLogger(__name__)

SIZE = (1360, 860)


def settle(root: tk.Misc, worker: object | None = None, seconds: float = 0.3) -> None:
    """Let the window draw and the background jobs finish."""
    deadline = time.monotonic() + 60
    while worker is not None and getattr(worker, "busy", False) and time.monotonic() < deadline:
        root.after(10, root.quit)
        root.mainloop()
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        root.after(10, root.quit)
        root.mainloop()


def grab(window: tk.Misc, path: Path) -> Path:
    """Capture ``window`` with its menu bar (the whole toplevel frame) into a PNG."""
    from PIL import ImageGrab

    window.update_idletasks()
    top = window.winfo_toplevel()
    x, y = top.winfo_rootx(), top.winfo_rooty()
    # without a window manager the geometry's +X+Y is the frame's corner, above the menu bar
    frame_y = int(top.geometry().replace("-", "+").split("+")[2])
    menu_height = y - frame_y if 0 <= frame_y < y else 0
    box = (x, y - menu_height, x + top.winfo_width(), y + top.winfo_height())
    image = ImageGrab.grab(bbox=box, xdisplay=os.environ.get("DISPLAY"))
    image.save(path)
    logger.info("wrote %s", path)
    return path


def _demo_database(folder: Path) -> str:
    from .. import demo, migrations
    from ..auth import SYSTEM
    from ..db import close_database, open_database

    url = f"sqlite:///{folder / 'demo.db'}"
    open_database(url)
    migrations.upgrade()
    demo.generate(SYSTEM, months=2, seed=2026)
    try:  # escalations and proposals make the dashboard's second row worth a look
        from ..rules import EscalationEngine, ProposalEngine
    except ImportError:
        pass
    else:
        EscalationEngine(SYSTEM).run()
        ProposalEngine(SYSTEM).run()
    close_database()
    return url


def _login(root: tk.Tk, url: str, user: str, password: str) -> Any:
    from .app import SuperviseApp

    app = SuperviseApp(root, url, user, testing=True)
    assert app.login_view is not None
    app.login_view.password_var.set(password)
    app.login_view.attempt()
    if app.main is None:
        raise RuntimeError(f"cannot log in as {user}: {app.login_view.message.cget('text')}")
    settle(root, app.worker, 0.6)
    return app


def _clear(root: tk.Tk, app: Any) -> None:
    app.worker.close()
    for child in root.winfo_children():
        child.destroy()
    root.configure({"menu": ""})
    for sequence in root.bind():
        root.unbind(sequence)


def take(out: Path, url: str, password: str = "demo-2026") -> list[Path]:
    """Log in as each role and capture the main screens; returns the files written."""
    from . import common
    from .app import SuperviseApp

    common.INTERACTIVE = False
    out.mkdir(parents=True, exist_ok=True)
    root = tk.Tk(className="supervise")
    root.geometry(f"{SIZE[0]}x{SIZE[1]}+0+0")
    files = []
    try:
        app: Any = SuperviseApp(root, url, "jiwei01", testing=True)
        settle(root)
        files.append(grab(root, out / "login.png"))
        _clear(root, app)

        app = _login(root, url, "jiwei01", password)
        main: Any = app.main
        files.append(grab(root, out / "dashboard.png"))
        view = main.show_view("complaints")
        settle(root, app.worker)
        files.append(grab(root, out / "complaints.png"))
        number = next(
            (i["number"] for i in view.items if i["status"] == "已反馈"), view.items[0]["number"]
        )
        window = main.open_record("complaint", number)
        window.geometry(f"980x720+{SIZE[0] // 2 - 490}+40")
        settle(root)
        files.append(grab(window, out / "complaint.png"))
        window.destroy()
        sample = out / ".units-sample.csv"
        sample.write_text(
            "单位编码,单位名称,上级单位编码,类型\n"
            + "".join(f"Z{i:03d},示例街道便民服务中心{i:03d},,乡镇街道\n" for i in range(1, 41)),
            encoding="utf-8",
        )
        dialog = main.import_data()
        dialog.select_format("units")
        dialog.file_var.set(str(sample))
        dialog.preview()
        dialog.geometry("+120+60")
        settle(root, app.worker)
        files.append(grab(dialog, out / "import.png"))
        dialog.destroy()
        sample.unlink()
        _clear(root, app)

        app = _login(root, url, "lly_U01", password)
        files.append(grab(root, out / "liaison.png"))
        _clear(root, app)

        app = _login(root, url, "jdy01", password)
        submit = app.main.views["submit"]
        submit.unit.set(submit.unit.cget("values")[0])
        submit.method.set("暗访")
        submit.description.insert("1.0", "窗口工作人员午休时段提前离岗，群众等候二十分钟无人受理")
        settle(root)
        files.append(grab(root, out / "supervisor.png"))
        _clear(root, app)
    finally:
        root.destroy()
    return files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m supervise.gui.screenshots",
        description="截取主要界面 / screenshots of the main screens",
    )
    parser.add_argument("outdir", help="输出目录 output folder, e.g. docs/screenshots")
    parser.add_argument("--db", help="数据库地址 database URL (default: a fresh demo office)")
    parser.add_argument(
        "--password", default="demo-2026", help="演示用户密码 the demo users' password"
    )
    args = parser.parse_args(argv)
    try:
        import PIL.ImageGrab  # noqa: F401
    except ImportError:
        print("screenshots: 需要 Pillow（pip install pillow）/ Pillow is required", file=sys.stderr)
        return 1
    xvfb = None
    if not os.environ.get("DISPLAY"):
        if shutil.which("Xvfb") is None:
            print(
                "screenshots: 没有 DISPLAY，也没有 Xvfb（apt-get install xvfb）/ no display",
                file=sys.stderr,
            )
            return 1
        xvfb = start_xvfb()
    home = tempfile.mkdtemp(prefix="supervise-shots-")
    os.environ.setdefault("SUPERVISE_HOME", home)  # leave the user's own window state alone
    try:
        url = args.db or _demo_database(Path(home))
        for path in take(Path(args.outdir), url, args.password):
            print(path)
    finally:
        from ..db import close_database

        close_database()
        if xvfb is not None:
            stop_xvfb(xvfb)
        shutil.rmtree(home, ignore_errors=True)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
