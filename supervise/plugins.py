"""Building the plugin manager: specs, entry points, drop-ins, disable list.

:func:`get_plugin_manager` is a factory, not an import side effect; tests
build their own manager.  Loading order (it decides which duplicate wins,
see :mod:`supervise.registry`):

1. entry points of the ``supervise`` group — built-ins (modules under
   ``supervise_plugins.``) first, then third-party ones, each by name;
2. ``*.py`` files of the drop-in folder (argument, else env
   ``SUPERVISE_PLUGINS_DIR``), by file name; files starting with ``_`` or
   ``.`` are skipped.

Names in the disable list (argument, else env
``SUPERVISE_DISABLED_PLUGINS``, comma-separated) are blocked and never
imported.  A plugin that fails to import, fails validation or implements
an unknown ``supervise_*`` hook is logged with its traceback, recorded in
``pm.failures`` and skipped; loading carries on with the others.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import logging
import os
import sys
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pluggy

from . import PROJECT_NAME, hookspecs

logger = logging.getLogger(__name__)

ENTRY_POINT_GROUP = PROJECT_NAME
BUILTIN_PREFIX = "supervise_plugins."
DROPIN_MODULE_PREFIX = "supervise_dropin_"
ENV_PLUGINS_DIR = "SUPERVISE_PLUGINS_DIR"
ENV_DISABLED = "SUPERVISE_DISABLED_PLUGINS"

#: Plugin families in display order (SPEC §4 plus the GUI and records hooks).
FAMILIES: tuple[str, ...] = (
    "imports",
    "exports",
    "escalation rules",
    "accountability rules",
    "circulars",
    "gui",
    "records",
)


@dataclass(frozen=True)
class PluginFailure:
    """A plugin that failed: its name, the stage ('load' or 'hook') and a one-line error."""

    name: str
    stage: str
    error: str


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


class SupervisePluginManager(pluggy.PluginManager):
    """A pluggy manager that remembers where plugins came from and what failed."""

    def __init__(self) -> None:
        super().__init__(PROJECT_NAME)
        self.failures: list[PluginFailure] = []
        self.disabled: list[str] = []
        self.sources: dict[str, str] = {}

    # -- bookkeeping ------------------------------------------------------------------

    def register(self, plugin: Any, name: str | None = None) -> str | None:
        registered = super().register(plugin, name)
        if registered is not None:
            self.sources.setdefault(registered, "local")
        return registered

    def unregister(self, plugin: Any | None = None, name: str | None = None) -> Any | None:
        key = name if name is not None else (self.get_name(plugin) if plugin is not None else None)
        removed = super().unregister(plugin=plugin, name=name)
        if key is not None:
            self.sources.pop(key, None)
        return removed

    def record_failure(self, name: str, stage: str, exc: BaseException | str) -> bool:
        """Record a failure once; returns False when the same failure was already known.

        An exception is logged with its full traceback the first time.
        """
        error = exc if isinstance(exc, str) else _one_line(exc)
        failure = PluginFailure(name, stage, error)
        if failure in self.failures:
            return False
        self.failures.append(failure)
        # exc_info=exc logs the full traceback, as logger.exception would, even
        # when called outside the except block.
        exc_info = exc if isinstance(exc, BaseException) else None
        logger.error("plugin %r failed (%s): %s", name, stage, error, exc_info=exc_info)
        return True

    def check_plugins(self) -> None:
        """Run ``check_pending``; unregister and record each plugin with an unknown hook."""
        while True:
            try:
                self.check_pending()
                return
            except pluggy.PluginValidationError as exc:
                name = self.get_name(exc.plugin)
                if name is None:  # cannot happen with pluggy's own check; never loop
                    self.record_failure(repr(exc.plugin), "load", exc)
                    return
                self.unregister(exc.plugin)
                self.record_failure(name, "load", exc)

    def _register_as(self, plugin: Any, name: str, source: str) -> None:
        try:
            if self.register(plugin, name) is not None:
                self.sources[name] = source
        except Exception as exc:  # validation error or a name already taken
            self.record_failure(name, "load", exc)


# -- loading --------------------------------------------------------------------------


def _disable_list(disabled: Iterable[str] | None) -> list[str]:
    if disabled is None:
        disabled = os.environ.get(ENV_DISABLED, "").split(",")
    names: list[str] = []
    for name in disabled:
        name = name.strip()
        if name and name not in names:
            names.append(name)
    return names


def _load_entry_points(pm: SupervisePluginManager) -> None:
    eps = list(importlib.metadata.entry_points(group=ENTRY_POINT_GROUP))
    eps.sort(key=lambda ep: (not ep.module.startswith(BUILTIN_PREFIX), ep.name))
    for ep in eps:
        if pm.is_blocked(ep.name):
            logger.info("plugin %r is disabled", ep.name)
            continue
        source = "builtin" if ep.module.startswith(BUILTIN_PREFIX) else "entry-point"
        try:
            plugin = ep.load()
        except Exception as exc:
            pm.record_failure(ep.name, "load", exc)
            continue
        pm._register_as(plugin, ep.name, source)


def _load_dropins(pm: SupervisePluginManager, folder: Path) -> None:
    if not folder.is_dir():
        pm.record_failure(str(folder), "load", f"drop-in folder not found: {folder}")
        return
    for path in sorted(folder.glob("*.py")):
        name = path.stem
        if name.startswith(("_", ".")):
            continue
        if pm.is_blocked(name):
            logger.info("drop-in plugin %r is disabled", name)
            continue
        module_name = DROPIN_MODULE_PREFIX + name
        try:
            spec = importlib.util.spec_from_file_location(module_name, path)
            if spec is None or spec.loader is None:
                raise ImportError(f"cannot import {path}")
            module = importlib.util.module_from_spec(spec)
            sys.modules[module_name] = module
            spec.loader.exec_module(module)
        except Exception as exc:
            sys.modules.pop(module_name, None)
            pm.record_failure(name, "load", exc)
            continue
        pm._register_as(module, name, "drop-in")


def get_plugin_manager(
    *,
    load_entry_points: bool = True,
    plugins_dir: str | Path | None = None,
    disabled: Iterable[str] | None = None,
) -> SupervisePluginManager:
    """A new manager with the specs, the entry-point and drop-in plugins, checked."""
    pm = SupervisePluginManager()
    pm.add_hookspecs(hookspecs)
    pm.disabled = _disable_list(disabled)
    for name in pm.disabled:
        pm.set_blocked(name)
    if load_entry_points:
        _load_entry_points(pm)
    folder = plugins_dir if plugins_dir is not None else os.environ.get(ENV_PLUGINS_DIR, "")
    if str(folder).strip():
        _load_dropins(pm, Path(folder).expanduser())
    pm.check_plugins()
    return pm


# -- description ----------------------------------------------------------------------


def family_of(hook_name: str) -> str:
    """The family of a hook, from its name; "other" for a name no rule knows."""
    short = hook_name.removeprefix(PROJECT_NAME + "_")
    if short.startswith("gui_"):
        return "gui"
    for word, family in (
        ("importers", "imports"),
        ("exporters", "exports"),
        ("escalation_rules", "escalation rules"),
        ("accountability_rules", "accountability rules"),
        ("circular", "circulars"),
    ):
        if word in short:
            return family
    if short in ("default_settings", "record_changed"):
        return "records"
    return "other"


def describe_plugins(pm: SupervisePluginManager) -> dict[str, Any]:
    """JSON-ready description of the loaded plugins, their hooks, failures and disabled names."""
    families: dict[str, list[str]] = {family: [] for family in FAMILIES}
    plugins = []
    for name, plugin in pm.list_name_plugin():
        if plugin is None:  # a blocked (disabled) name
            continue
        hooks = sorted(caller.name for caller in pm.get_hookcallers(plugin) or [])
        plugin_families: list[str] = []
        for hook in hooks:
            family = family_of(hook)
            if family not in plugin_families:
                plugin_families.append(family)
            members = families.setdefault(family, [])
            if name not in members:
                members.append(name)
        plugin_families.sort(key=lambda f: FAMILIES.index(f) if f in FAMILIES else len(FAMILIES))
        plugins.append(
            {
                "name": name,
                "source": pm.sources.get(name, "local"),
                "hooks": hooks,
                "families": plugin_families,
            }
        )
    return {
        "plugins": plugins,
        "families": families,
        "failures": [asdict(f) for f in getattr(pm, "failures", [])],
        "disabled": list(getattr(pm, "disabled", [])),
    }
