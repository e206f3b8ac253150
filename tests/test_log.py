"""The app's logging (supervise/log.py): warnings reach stderr as one line."""

from __future__ import annotations

import io
import logging
import sys

from supervise import log


def test_warnings_go_to_the_stderr_of_the_moment(monkeypatch):
    """A caller that runs ``main`` in process swaps stderr between calls (tests do); the handler
    made by the first call must not keep writing to that call's stream, closed by then."""
    app = logging.getLogger("supervise")
    monkeypatch.setattr(log, "_configured", False)
    monkeypatch.setattr(app, "handlers", [])
    monkeypatch.setattr(app, "propagate", app.propagate)
    monkeypatch.setattr(app, "level", app.level)
    first = io.StringIO()
    monkeypatch.setattr(sys, "stderr", first)
    log.setup_logging()
    first.close()
    later = io.StringIO()
    monkeypatch.setattr(sys, "stderr", later)
    logging.getLogger("supervise.somewhere").warning("第二次 %s", "second call")
    logging.getLogger("supervise.somewhere").info("not on stderr")
    for handler in app.handlers:
        handler.close()
    assert later.getvalue() == "supervise: 第二次 second call\n"
