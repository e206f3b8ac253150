"""Long work off the Tk thread (STYLE 9).

:class:`Worker` runs a function in its own thread and hands back a
:class:`Job`.  The function gets the job and reports through it
(``job.progress(n, total)``, ``job.cancelled``); everything it reports, and
its result or error, goes into a :class:`queue.Queue` that the Tk thread
drains with ``after()`` — only the Tk thread ever touches a widget.

Each job opens its own database connection and closes it at the end: peewee
keeps one connection per thread, and a SQLite connection must not be shared
between threads.  The Tk thread's connection is left alone.

Errors: a :class:`~supervise.errors.UserError` is handed to ``on_error`` (by
default shown as its one line); anything else is logged with its traceback
and shown as a short notice.
"""

from __future__ import annotations

import itertools
import logging
import queue
import sys
import threading
import time
import tkinter as tk
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..db import database
from ..errors import UserError

logger = logging.getLogger(__name__)

POLL_MS = 25
#: For a short while after a job is submitted the queue is looked at sooner: a list page is
#: read in a few milliseconds and need not wait for the next regular look.
QUICK_POLL_MS, QUICK_PERIOD_S = 5, 0.1
#: At most this long is spent draining the queue per tick, so the window stays live.
DRAIN_BUDGET_S = 0.02
#: The interpreter's thread switch interval once a worker exists (Python's default is 5 ms).
#: The Tk thread lets go of the GIL in every Tcl call and waits for it again afterwards; while a
#: worker computes in Python (an import, the report's PDF) each wait lasted up to the interval,
#: so one redraw of a progress bar took tens of milliseconds.  ``bench --only gui`` measures it.
SWITCH_INTERVAL_S = 0.001
#: A worker thread waits this long for another job before it ends.
IDLE_THREAD_S = 30.0


class JobCancelled(Exception):
    """Raised by :meth:`Job.check` inside the worker when the user cancelled."""


@dataclass
class Job:
    """One piece of work: its cancel flag and what it reported last."""

    id: int
    name: str
    _queue: queue.Queue[tuple[str, int, Any]] = field(repr=False)
    _cancel: threading.Event = field(default_factory=threading.Event, repr=False)
    done: bool = False
    value: float = 0.0
    total: float | None = None
    result: Any = None
    error: BaseException | None = None
    started: float = field(default_factory=time.monotonic)

    # -- called from the worker thread ---------------------------------------------

    def progress(self, value: float, total: float | None = None, text: str = "") -> None:
        """Report progress (thread-safe); the Tk side keeps only the latest report per tick."""
        self._queue.put(("progress", self.id, (value, total, text)))

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def check(self) -> None:
        """Raise :class:`JobCancelled` when the user asked to cancel."""
        if self._cancel.is_set():
            raise JobCancelled()

    # -- called from the Tk thread ------------------------------------------------------

    def cancel(self) -> None:
        self._cancel.set()


@dataclass
class _Handlers:
    on_done: Callable[[Any], None] | None
    on_error: Callable[[BaseException], object] | None
    on_progress: Callable[[float, float | None, str], None] | None
    on_cancelled: Callable[[], object] | None
    fn: Callable[[Job], Any] | None = None  # kept so that it is released on the Tk thread


def _run(
    results: queue.Queue[tuple[str, int, Any]],
    job: Job,
    box: list[Callable[[Job], Any]],
    use_database: bool,
) -> None:
    """Run one job in the calling (worker) thread and put its outcome into ``results``."""
    outcome: tuple[str, Any]
    try:
        if use_database and database.obj is not None:
            database.obj.connect(reuse_if_open=True)  # this thread's own connection
        fn = box.pop()
        try:
            outcome = ("done", fn(job))
        finally:
            del fn
    except JobCancelled:
        outcome = ("cancelled", None)
    except UserError as exc:
        outcome = ("cancelled" if job.cancelled else "error", exc.with_traceback(None))
    except BaseException as exc:  # logged here with the traceback, reported on the Tk thread
        logger.exception("background job %s failed", job.name)
        outcome = ("error", exc.with_traceback(None))
    finally:
        if use_database and database.obj is not None:
            try:
                if not database.obj.is_closed():
                    database.obj.close()
            except Exception:  # closing a broken connection must not hide the outcome
                logger.exception("closing the worker's database connection failed")
    results.put((outcome[0], job.id, outcome[1]))


_Task = tuple["queue.Queue[tuple[str, int, Any]]", Job, list[Callable[[Job], Any]], bool]


class _Threads:
    """Worker threads that wait for the next job once theirs is done.

    Handing a job to a waiting thread is a queue put; starting a thread makes
    the caller wait until the new thread runs, which took the Tk thread tens
    of milliseconds while other jobs computed (``bench --only gui``).  A
    thread waits ``IDLE_THREAD_S`` for another job, then ends.  It holds no
    reference to the worker or to any widget, so nothing of Tk is ever
    released in it.
    """

    def __init__(self) -> None:
        self._tasks: queue.SimpleQueue[_Task | None] = queue.SimpleQueue()
        self._idle = 0
        self._lock = threading.Lock()

    def run(self, task: _Task, name: str) -> None:
        with self._lock:
            if self._idle:
                self._idle -= 1
                self._tasks.put(task)
                return
        threading.Thread(target=self._serve, args=(task,), name=name, daemon=True).start()

    def _serve(self, task: _Task | None) -> None:
        while task is not None:
            _run(*task)
            task = None  # let go of the finished job before waiting
            with self._lock:
                self._idle += 1
            try:
                task = self._tasks.get(timeout=IDLE_THREAD_S)
            except queue.Empty:
                with self._lock:
                    try:  # a job handed over just as the wait ended
                        task = self._tasks.get_nowait()
                    except queue.Empty:
                        self._idle -= 1

    def stop_idle(self) -> None:
        """End the threads that wait for a job (those running end after theirs)."""
        with self._lock:
            for _ in range(self._idle):
                self._tasks.put(None)
            self._idle = 0


class Worker:
    """Starts jobs in threads and delivers their reports on the Tk thread."""

    def __init__(self, widget: tk.Misc, *, poll_ms: int = POLL_MS) -> None:
        self.widget = widget
        self.poll_ms = poll_ms
        self.queue: queue.Queue[tuple[str, int, Any]] = queue.Queue()
        self.jobs: dict[int, Job] = {}
        self._handlers: dict[int, _Handlers] = {}
        self._ids = itertools.count(1)
        self._after: str | None = None
        self._closed = False
        self._threads = _Threads()
        self._quick_until = self._after_at = 0.0
        if sys.getswitchinterval() > SWITCH_INTERVAL_S:  # see SWITCH_INTERVAL_S
            sys.setswitchinterval(SWITCH_INTERVAL_S)

    # -- starting ---------------------------------------------------------------------

    def submit(
        self,
        fn: Callable[[Job], Any],
        *,
        name: str = "job",
        on_done: Callable[[Any], None] | None = None,
        on_error: Callable[[BaseException], object] | None = None,
        on_progress: Callable[[float, float | None, str], None] | None = None,
        on_cancelled: Callable[[], object] | None = None,
        use_database: bool = True,
    ) -> Job:
        """Run ``fn(job)`` in a worker thread; handlers are called on the Tk thread.

        The Tk side keeps ``fn`` until the outcome is delivered and the thread
        lets go of it before reporting, so whatever ``fn`` holds (a view, a
        Tk variable) is released on the Tk thread, never on the worker's.
        """
        job = Job(next(self._ids), name, self.queue)
        self.jobs[job.id] = job
        self._handlers[job.id] = _Handlers(on_done, on_error, on_progress, on_cancelled, fn)
        self._threads.run((self.queue, job, [fn], use_database), f"supervise-worker-{job.id}")
        self._schedule(submitted=True)
        return job

    # -- draining on the Tk thread -------------------------------------------------------

    def _schedule(self, submitted: bool = False) -> None:
        if self._closed:
            return
        now = time.monotonic()
        if submitted:
            self._quick_until = now + QUICK_PERIOD_S
            if self._after is not None and self._after_at - now > QUICK_POLL_MS / 1000:
                self.widget.after_cancel(self._after)  # a regular look is due later: look sooner
                self._after = None
        if self._after is None:
            delay = min(self.poll_ms, QUICK_POLL_MS) if now < self._quick_until else self.poll_ms
            self._after_at = now + delay / 1000
            self._after = self.widget.after(delay, self._poll)

    def _poll(self) -> None:
        self._after = None
        deadline = time.monotonic() + DRAIN_BUDGET_S
        latest: dict[int, tuple[float, float | None, str]] = {}
        while time.monotonic() < deadline:
            try:
                kind, job_id, payload = self.queue.get_nowait()
            except queue.Empty:
                break
            if kind == "progress":
                latest[job_id] = payload
                continue
            if job_id in latest:  # deliver the last progress before the outcome
                self._progress(job_id, latest.pop(job_id))
            self._finish(kind, job_id, payload)
        for job_id, payload in latest.items():
            self._progress(job_id, payload)
        if self.jobs or not self.queue.empty():
            self._schedule()

    def _progress(self, job_id: int, payload: tuple[float, float | None, str]) -> None:
        job = self.jobs.get(job_id)
        if job is None:
            return
        job.value, total, text = payload
        if total is not None:
            job.total = total
        handler = self._handlers[job_id].on_progress
        if handler is not None:
            self._call(handler, job.value, job.total, text)

    def _finish(self, kind: str, job_id: int, payload: Any) -> None:
        job = self.jobs.pop(job_id, None)
        handlers = self._handlers.pop(job_id, None)
        if job is None or handlers is None:
            return
        job.done = True
        if kind == "done":
            job.result = payload
            if handlers.on_done is not None:
                self._call(handlers.on_done, payload)
        elif kind == "cancelled":
            if handlers.on_cancelled is not None:
                self._call(handlers.on_cancelled)
        else:
            job.error = payload
            handler = handlers.on_error or self._default_error
            self._call(handler, payload)

    def _call(self, handler: Callable[..., Any], *args: Any) -> None:
        try:
            handler(*args)
        except Exception as exc:  # a handler's bug must not stop the polling
            self.widget._root().report_callback_exception(  # type: ignore[attr-defined]  # Misc._root is untyped
                type(exc), exc, exc.__traceback__
            )

    def _default_error(self, exc: BaseException) -> None:
        from .common import report_error

        report_error(self.widget, exc)

    # -- state ---------------------------------------------------------------------------

    @property
    def busy(self) -> bool:
        return bool(self.jobs)

    def cancel_all(self) -> None:
        for job in self.jobs.values():
            job.cancel()

    def close(self) -> None:
        """Cancel what runs and stop polling (the window is going away)."""
        self.cancel_all()
        self._threads.stop_idle()
        self._closed = True
        if self._after is not None:
            try:
                self.widget.after_cancel(self._after)
            except tk.TclError:
                pass
            self._after = None


__all__ = ["Job", "JobCancelled", "Worker", "POLL_MS"]
