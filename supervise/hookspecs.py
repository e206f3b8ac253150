"""Every hook a supervise plugin can implement — the one specification module.

Plugins implement these with :data:`supervise.hookimpl` (module-level
functions or methods, named exactly as below).  An implementation may take
only the arguments it needs; hooks only ever gain arguments.  The values the
hooks return are the frozen dataclasses of :mod:`supervise.extension`.

Core code never calls ``pm.hook`` directly: it asks
:class:`supervise.registry.Registry`, which calls collection hooks
implementation by implementation so that one failing plugin cannot silence
the others.  ``docs/PLUGINS.md`` has one section per hook.
"""

from __future__ import annotations

import logging

import pluggy

from . import PROJECT_NAME
from .extension import CircularSpec, ExporterSpec, ImporterSpec, MenuAction, RuleSpec, ViewSpec

logger = logging.getLogger(__name__)

hookspec = pluggy.HookspecMarker(PROJECT_NAME)


# -- records -------------------------------------------------------------------------


@hookspec
def supervise_default_settings() -> dict[str, object]:
    """Return this plugin's setting defaults, e.g. rule thresholds.

    Keys are namespaced ``"plugin.key"`` (``{"hotspot.min_count": 5}``);
    values are JSON-ready.  A value stored in the database always wins; a
    key already given by an earlier plugin is reported and ignored.
    """


@hookspec
def supervise_record_changed(action: str, table: str, record_id: str | None, actor: str) -> None:
    """Be told about a committed change; the return value is ignored.

    Called after the transaction of a service-layer change has committed,
    with the audited action (a permission name such as
    ``"complaint.assign"``), the table name, the record's id as text (None
    for bulk changes) and the acting user's name.  Must be quick and must not write to the database through
    the same transaction (there is none any more).
    """


# -- imports -------------------------------------------------------------------------


@hookspec
def supervise_register_importers() -> list[ImporterSpec]:
    """Return the import formats (导入) this plugin provides, as ImporterSpec values."""


# -- exports -------------------------------------------------------------------------


@hookspec
def supervise_register_exporters() -> list[ExporterSpec]:
    """Return the Excel exports (导出 ledgers, workbooks) this plugin provides."""


# -- rules ---------------------------------------------------------------------------


@hookspec
def supervise_register_escalation_rules() -> list[RuleSpec]:
    """Return escalation rules (督办规则), each a RuleSpec with kind ``"escalation"``."""


@hookspec
def supervise_register_accountability_rules() -> list[RuleSpec]:
    """Return accountability rules (问责规则), each a RuleSpec with kind ``"accountability"``."""


# -- documents -----------------------------------------------------------------------


@hookspec
def supervise_register_circulars() -> list[CircularSpec]:
    """Return the kinds of PDF circular (通报) this plugin provides."""


@hookspec(firstresult=True)
def supervise_circular_font(role: str) -> str | None:
    """Return the path of a TrueType font file for a circular text role, or None.

    ``role`` is one of ``"仿宋"``, ``"小标宋"``, ``"黑体"``, ``"楷体"``.
    Stops at the first non-None result (the last registered plugin is asked
    first, as in pluggy); when every plugin answers None the core falls back
    to configured paths and system fonts (SPEC §7).
    """


# -- GUI -----------------------------------------------------------------------------


@hookspec
def supervise_gui_menu_actions() -> list[MenuAction]:
    """Return menu entries to add to the desktop app, each a MenuAction."""


@hookspec
def supervise_gui_views() -> list[ViewSpec]:
    """Return views (pages) to add to the desktop app, each a ViewSpec."""
