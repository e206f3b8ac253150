"""The worker (supervise.gui.worker): threads, queue drained by after(), progress, cancel,
errors, each job's own database connection, and a window that keeps ticking."""

from __future__ import annotations

import logging
import threading
import time

import pytest

from supervise import migrations
from supervise.db import close_database, open_database
from supervise.errors import InvalidInput
from supervise.gui import common
from supervise.gui.worker import Job, Worker

from .conftest import pump


@pytest.fixture
def worker(root):
    w = Worker(root)
    yield w
    pump(root, lambda: not w.busy)
    w.close()


def test_result_and_progress_arrive_on_the_tk_thread(root, worker):
    seen: dict[str, object] = {}
    progress: list[float] = []

    def work(job: Job) -> int:
        seen["worker"] = threading.current_thread()
        for i in range(1, 2001):
            job.progress(i, 2000)
        return 42

    def done(value: int) -> None:
        seen["done"], seen["thread"] = value, threading.current_thread()

    job = worker.submit(work, on_done=done, on_progress=lambda v, t, _x: progress.append(v))
    pump(root, lambda: job.done)
    assert seen["done"] == 42 and seen["thread"] is threading.main_thread()
    assert seen["worker"] is not threading.main_thread()
    assert progress[-1] == 2000 and len(progress) < 2000  # reports are coalesced per tick
    assert job.value == 2000 and job.total == 2000 and not worker.busy


def test_cancel_stops_the_job(root, worker):
    outcome: list[str] = []

    def work(job: Job) -> None:
        while True:
            job.check()
            time.sleep(0.005)

    job = worker.submit(
        work,
        on_done=lambda _v: outcome.append("done"),
        on_cancelled=lambda: outcome.append("cancelled"),
    )
    pump(root)
    job.cancel()
    pump(root, lambda: job.done)
    assert outcome == ["cancelled"]


def test_user_errors_and_internal_errors(root, worker, caplog):
    errors: list[BaseException] = []
    with caplog.at_level(logging.ERROR, logger="supervise.gui.worker"):
        job = worker.submit(
            lambda _job: (_ for _ in ()).throw(InvalidInput("值无效", "bad value")),
            on_error=errors.append,
        )
        pump(root, lambda: job.done)
        assert isinstance(errors[0], InvalidInput) and not caplog.records
        job = worker.submit(lambda _job: 1 / 0)  # the default handler shows a short notice
        pump(root, lambda: job.done)
    assert caplog.records and caplog.records[0].exc_info is not None
    assert common.MESSAGES[-1] == ("error", common.error_text(ZeroDivisionError()))


def test_each_job_has_its_own_connection_and_closes_it(root, worker, tmp_path, monkeypatch):
    db = open_database(f"sqlite:///{tmp_path}/w.db")
    migrations.upgrade()
    try:
        main_conn = db.connection()
        seen: dict[str, object] = {}
        close = db.close

        def spy_close() -> bool:
            seen["closed_in"] = threading.current_thread()
            return close()

        monkeypatch.setattr(db, "close", spy_close)

        def work(_job: Job) -> int:
            seen["conn"], seen["thread"] = db.connection(), threading.current_thread()
            return db.execute_sql("SELECT COUNT(*) FROM unit").fetchone()[0]

        job = worker.submit(work)
        pump(root, lambda: job.done)
        assert job.result == 0 and seen["conn"] is not main_conn
        assert seen["closed_in"] is seen["thread"]  # the worker closed its own connection
        assert db.connection() is main_conn and not db.is_closed()
    finally:
        close_database()


def test_the_window_keeps_ticking_while_a_job_computes(root, worker):
    ticks: list[float] = []

    def tick() -> None:
        ticks.append(time.monotonic())
        if job is None or not job.done:
            root.after(10, tick)

    def work(_job: Job) -> int:
        total, end = 0, time.monotonic() + 0.8
        while time.monotonic() < end:
            total += sum(range(1000))
        return total

    job = None
    job = worker.submit(work)
    tick()
    pump(root, lambda: job.done)
    gaps = [b - a for a, b in zip(ticks, ticks[1:], strict=False)]
    assert len(ticks) > 20 and max(gaps) < 0.1, max(gaps)


def test_a_finished_jobs_thread_takes_the_next_job_and_ends_at_close(root, worker):
    """Handing a job to a waiting thread does not make the Tk thread wait for a thread to start."""
    ran: list[threading.Thread] = []
    first = worker.submit(lambda _job: ran.append(threading.current_thread()), use_database=False)
    pump(root, lambda: first.done and worker._threads._idle == 1)
    count = threading.active_count()
    second = worker.submit(lambda _job: ran.append(threading.current_thread()), use_database=False)
    pump(root, lambda: second.done)
    assert ran[0] is ran[1] and threading.active_count() == count
    pump(root, lambda: worker._threads._idle == 1)
    worker.close()
    ran[0].join(timeout=5)
    assert not ran[0].is_alive()  # the waiting thread ended with the worker


def test_a_failing_handler_is_reported_through_the_root_and_polling_goes_on(root, monkeypatch):
    """A handler's bug on a worker bound to a frame (not the root) reaches Tk's error report."""
    import tkinter as tk

    reported: list[BaseException] = []
    monkeypatch.setattr(
        root, "report_callback_exception", lambda _t, exc, _tb: reported.append(exc), raising=False
    )
    frame = tk.Frame(root)
    worker = Worker(frame)
    try:
        first = worker.submit(lambda _job: 1, on_done=lambda _v: 1 / 0)
        pump(root, lambda: first.done and bool(reported))
        assert len(reported) == 1 and isinstance(reported[0], ZeroDivisionError)
        second = worker.submit(lambda _job: 2)
        pump(root, lambda: second.done)
        assert second.done and len(reported) == 1
    finally:
        pump(root, lambda: not worker.busy)
        worker.close()
        frame.destroy()
