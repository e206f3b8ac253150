"""The desktop application (tkinter/ttk) — a thin layer over the services.

Nothing in the domain imports this package; the command ``supervise gui``
(and ``supervise-gui``) imports it lazily.  Start with
:func:`supervise.gui.app.run`.  Modules:

- :mod:`.app` — root window, login, main window, menus, shortcuts
- :mod:`.fonts`, :mod:`.common`, :mod:`.state` — font, theme, dialogs, local state
- :mod:`.worker` — threads, queue and ``after()`` polling for long work
- :mod:`.dashboard`, :mod:`.charts`, :mod:`.lists`, :mod:`.queries` — 工作台 and lists
- :mod:`.records`, :mod:`.records_more`, :mod:`.dialogs` — record windows and forms
- :mod:`.import_dialog`, :mod:`.documents` — import, export, circulars, report
- :mod:`.supervisor`, :mod:`.plugins_page`, :mod:`.settings_page` — the other pages
- :mod:`.screenshots` — ``python -m supervise.gui.screenshots OUTDIR``
"""

from __future__ import annotations

import logging

logger = logging.getLogger(__name__)
