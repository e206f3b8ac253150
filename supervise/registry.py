"""The typed facade over the plugin hooks — the only module that touches ``pm.hook``.

Core, CLI and GUI ask ``registry.importers()``, ``registry.circular_font()``
and so on.  Collection hooks are called implementation by implementation:
a plugin that raises, returns the wrong type or repeats a name already
given by an earlier plugin is recorded in ``pm.failures`` (stage ``hook``,
once) and skipped, while the other plugins still answer.  Results come in
registration order (see :mod:`supervise.plugins`), so on a duplicate name
the built-in wins over a third-party or drop-in plugin.

Hook wrappers (``hookwrapper=True``/``wrapper=True``) are not called by the
registry; supervise hooks have no use for them.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from .errors import NotFound
from .extension import (
    CircularSpec,
    ExporterSpec,
    ImporterSpec,
    MenuAction,
    RuleSpec,
    ViewSpec,
)
from .plugins import SupervisePluginManager, get_plugin_manager

logger = logging.getLogger(__name__)

T = TypeVar("T")


class Registry:
    """What the loaded plugins provide, asked hook by hook with failures isolated."""

    def __init__(self, pm: SupervisePluginManager) -> None:
        self.pm = pm

    # -- calling implementations one by one ----------------------------------------

    def _impls(self, hook_name: str, *, call_order: bool = False) -> list[Any]:
        """The hook's implementations, in registration order or in pluggy's call order."""
        impls = [
            impl
            for impl in getattr(self.pm.hook, hook_name).get_hookimpls()
            if not (impl.hookwrapper or impl.wrapper)
        ]
        if call_order:  # pluggy calls the last registered (and tryfirst) first
            return list(reversed(impls))
        names = [name for name, _ in self.pm.list_name_plugin()]
        return sorted(impls, key=lambda impl: names.index(impl.plugin_name))

    def _call(self, impl: Any, hook_name: str, kwargs: dict[str, Any]) -> tuple[bool, Any]:
        """Call one implementation with the arguments it asks for; (ok, result)."""
        try:
            return True, impl.function(**{arg: kwargs[arg] for arg in impl.argnames})
        except Exception as exc:
            self._fail(impl.plugin_name, hook_name, exc)
            return False, None

    def _fail(self, plugin_name: str, hook_name: str, problem: BaseException | str) -> None:
        if isinstance(problem, BaseException):
            error = f"{hook_name}: {type(problem).__name__}: {problem}".splitlines()[0]
            if self.pm.record_failure(plugin_name, "hook", error):
                logger.error("plugin %r raised in %s", plugin_name, hook_name, exc_info=problem)
        else:
            self.pm.record_failure(plugin_name, "hook", f"{hook_name}: {problem}")

    def _collect(
        self,
        hook_name: str,
        kind: type[T],
        check: Callable[[T], str | None] | None = None,
        key: Callable[[T], object] = lambda item: item.name,  # type: ignore[attr-defined]
    ) -> list[T]:
        """Flatten the lists of every implementation, skipping bad items and duplicates."""
        found: dict[object, T] = {}
        owner: dict[object, str] = {}
        for impl in self._impls(hook_name):
            ok, result = self._call(impl, hook_name, {})
            if not ok or result is None:
                continue
            if not isinstance(result, list | tuple):
                self._fail(
                    impl.plugin_name,
                    hook_name,
                    f"returned {type(result).__name__}, expected a list",
                )
                continue
            for item in result:
                problem = None
                if not isinstance(item, kind):
                    problem = f"returned {type(item).__name__}, expected {kind.__name__}"
                elif check is not None:
                    problem = check(item)
                if problem is None and key(item) in found:
                    problem = f"duplicate {key(item)!r} (already given by plugin {owner[key(item)]!r}); ignored"
                if problem is not None:
                    self._fail(impl.plugin_name, hook_name, problem)
                    continue
                found[key(item)] = item
                owner[key(item)] = impl.plugin_name
        return list(found.values())

    @staticmethod
    def _kind_is(kind: str) -> Callable[[RuleSpec], str | None]:
        def check(rule: RuleSpec) -> str | None:
            return (
                None
                if rule.kind == kind
                else f"rule {rule.name!r} has kind {rule.kind!r}, expected {kind!r}"
            )

        return check

    @staticmethod
    def _find(items: list[T], name: str, zh: str, en: str) -> T:
        for item in items:
            if item.name == name:  # type: ignore[attr-defined]
                return item
        known = ", ".join(item.name for item in items) or "—"  # type: ignore[attr-defined]
        raise NotFound(
            f"没有名为“{name}”的{zh}（可用：{known}）", f"no {en} named {name!r} (known: {known})"
        )

    # -- imports and exports -------------------------------------------------------

    def importers(self) -> list[ImporterSpec]:
        """Every import format the plugins provide."""
        return self._collect("supervise_register_importers", ImporterSpec)

    def importer(self, name: str) -> ImporterSpec:
        """The import format called ``name``; NotFound when no plugin provides it."""
        return self._find(self.importers(), name, "导入格式", "import format")

    def exporters(self) -> list[ExporterSpec]:
        """Every export the plugins provide."""
        return self._collect("supervise_register_exporters", ExporterSpec)

    def exporter(self, name: str) -> ExporterSpec:
        """The export called ``name``; NotFound when no plugin provides it."""
        return self._find(self.exporters(), name, "导出", "export")

    # -- rules -----------------------------------------------------------------------

    def escalation_rules(self) -> list[RuleSpec]:
        """Every escalation rule (督办规则) the plugins provide."""
        return self._collect(
            "supervise_register_escalation_rules", RuleSpec, self._kind_is("escalation")
        )

    def accountability_rules(self) -> list[RuleSpec]:
        """Every accountability rule (问责规则) the plugins provide."""
        return self._collect(
            "supervise_register_accountability_rules", RuleSpec, self._kind_is("accountability")
        )

    # -- documents -------------------------------------------------------------------

    def circulars(self) -> list[CircularSpec]:
        """Every kind of circular (通报) the plugins provide."""
        return self._collect("supervise_register_circulars", CircularSpec)

    def circular(self, name: str) -> CircularSpec:
        """The circular kind called ``name``; NotFound when no plugin provides it."""
        return self._find(self.circulars(), name, "通报类型", "circular kind")

    def circular_font(self, role: str) -> str | None:
        """A font file for the text role; the first non-None answer in pluggy's order wins."""
        hook_name = "supervise_circular_font"
        for impl in self._impls(hook_name, call_order=True):
            ok, result = self._call(impl, hook_name, {"role": role})
            if ok and result is not None:
                if isinstance(result, str):
                    return result
                self._fail(
                    impl.plugin_name, hook_name, f"returned {type(result).__name__}, expected str"
                )
        return None

    # -- GUI -------------------------------------------------------------------------

    def menu_actions(self) -> list[MenuAction]:
        """Every menu entry the plugins add; a repeated (menu, label) pair is ignored."""
        return self._collect(
            "supervise_gui_menu_actions", MenuAction, key=lambda action: (action.menu, action.label)
        )

    def views(self) -> list[ViewSpec]:
        """Every view the plugins add."""
        return self._collect("supervise_gui_views", ViewSpec)

    # -- records and settings --------------------------------------------------------

    def default_settings(self) -> dict[str, object]:
        """The plugins' setting defaults merged; a key repeated by a later plugin is ignored."""
        merged: dict[str, object] = {}
        owner: dict[str, str] = {}
        hook_name = "supervise_default_settings"
        for impl in self._impls(hook_name):
            ok, result = self._call(impl, hook_name, {})
            if not ok or result is None:
                continue
            if not isinstance(result, dict):
                self._fail(
                    impl.plugin_name,
                    hook_name,
                    f"returned {type(result).__name__}, expected a dict",
                )
                continue
            for key, value in result.items():
                if key in merged:
                    self._fail(
                        impl.plugin_name,
                        hook_name,
                        f"duplicate setting {key!r} (already given by plugin {owner[key]!r}); ignored",
                    )
                    continue
                merged[key] = value
                owner[key] = impl.plugin_name
        return merged

    def notify_changed(self, action: str, table: str, record_id: str | None, actor: str) -> None:
        """Tell every plugin about a committed change; a raising plugin is recorded and skipped."""
        kwargs = {"action": action, "table": table, "record_id": record_id, "actor": actor}
        for impl in self._impls("supervise_record_changed"):
            self._call(impl, "supervise_record_changed", kwargs)

    # -- all at once -----------------------------------------------------------------

    def load_all(self) -> None:
        """Ask every collection hook once, so that failures show on the plugin page."""
        self.importers()
        self.exporters()
        self.escalation_rules()
        self.accountability_rules()
        self.circulars()
        self.menu_actions()
        self.views()
        self.default_settings()


# -- the process-wide default -------------------------------------------------------------

_default: Registry | None = None
_lock = threading.Lock()


def get_registry() -> Registry:
    """The process-wide registry, built with :func:`get_plugin_manager` on first use."""
    global _default
    with _lock:
        if _default is None:
            _default = Registry(get_plugin_manager())
        return _default


def set_registry(registry: Registry | None) -> None:
    """Replace the process-wide registry (tests); None builds a fresh one on next use."""
    global _default
    with _lock:
        _default = registry


def use_plugins_dir_setting() -> None:
    """Honour the drop-in folder saved in settings ("plugins.dir") for this process.

    ``SUPERVISE_PLUGINS_DIR`` wins when set.  Call with the database open and
    its schema in place (after log-in); the registry is rebuilt on next use.
    """
    import os

    from . import settings

    folder = settings.get("plugins.dir")
    if folder and not os.environ.get("SUPERVISE_PLUGINS_DIR"):
        os.environ["SUPERVISE_PLUGINS_DIR"] = folder
        set_registry(None)
