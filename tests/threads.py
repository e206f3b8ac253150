"""Writers on their own connections, for the concurrency tests."""

from __future__ import annotations

import threading
from collections.abc import Callable

from supervise.db import database


def on_own_connections(work: Callable[[int], None], n: int = 2, timeout: float = 600) -> None:
    """Run ``work(0)`` … ``work(n - 1)`` at once, each in a thread with its own database
    connection; fail with every error a thread raised."""
    errors: list[BaseException] = []

    def run(i: int) -> None:
        database.connect(reuse_if_open=True)  # this thread's own connection
        try:
            work(i)
        except BaseException as exc:  # reported by the calling thread
            errors.append(exc)
        finally:
            database.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=timeout)
    assert not errors, errors
