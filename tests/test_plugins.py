"""The plugin loader, the registry facade, and the every-hook meta-test.

Each test builds its own manager.  Unit tests use
``get_plugin_manager(load_entry_points=False)`` and register small plugin
classes; the entry-point tests need the example plugin installed::

    pip install ./tests/plugins/supervise_example

The built-in ``reference`` entry point is never relied on (it may not
import yet); tests filter by plugin name.
"""

from __future__ import annotations

import csv
import inspect
import re
import textwrap
from pathlib import Path

import pytest

from supervise import hookimpl
from supervise.errors import NotFound
from supervise.extension import (
    CircularSpec,
    Column,
    ExporterSpec,
    ImporterSpec,
    MenuAction,
    RuleSpec,
    ViewSpec,
)
from supervise.plugins import (
    FAMILIES,
    PluginFailure,
    describe_plugins,
    family_of,
    get_plugin_manager,
)
from supervise.registry import Registry, get_registry, set_registry

ROOT = Path(__file__).resolve().parent.parent
TESTS = ROOT / "tests"
PLUGINS_DOC = ROOT / "docs" / "PLUGINS.md"


def manager(**plugins: object):
    pm = get_plugin_manager(load_entry_points=False)
    for name, plugin in plugins.items():
        pm.register(plugin, name=name)
    return pm


def importer(name: str) -> ImporterSpec:
    return ImporterSpec(name, name, (Column("编号", True),), run=len)


def failures_of(pm, name: str) -> list[PluginFailure]:
    return [f for f in pm.failures if f.name == name]


def write_plugin(folder: Path, stem: str, body: str) -> Path:
    path = folder / f"{stem}.py"
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return path


DROPIN_IMPORTER = """
    from supervise import hookimpl
    from supervise.extension import Column, ImporterSpec

    @hookimpl
    def supervise_register_importers():
        return [ImporterSpec("{name}", "drop-in", (Column("编号", True),), run=len)]
"""


class Importers:
    def __init__(self, *names: str) -> None:
        self.names = names

    @hookimpl
    def supervise_register_importers(self):
        return [importer(n) for n in self.names]


# -- loading ----------------------------------------------------------------------------


def test_entry_point_loads_the_example_plugin(tmp_path: Path) -> None:
    pm = get_plugin_manager()
    assert pm.has_plugin("example"), (
        f"example plugin not loaded ({failures_of(pm, 'example')}); "
        "run: pip install ./tests/plugins/supervise_example"
    )
    assert pm.sources["example"] == "entry-point"
    assert not failures_of(pm, "example")
    registry = Registry(pm)
    assert registry.importer("example").run([{"单位编码": "A01"}, {"单位编码": "A02"}]) == 2
    assert "example_rule" in [r.name for r in registry.escalation_rules()]
    assert registry.default_settings()["example.threshold"] == 3


def test_example_plugin_every_hook(tmp_path: Path) -> None:
    import supervise_example

    registry = Registry(manager(example=supervise_example))

    spec = registry.importer("example")
    assert [c.name for c in spec.columns] == ["单位编码", "备注"]
    assert spec.run([{"单位编码": "A01"}, {"单位编码": "A02", "备注": "x"}]) == 2

    (exporter,) = registry.exporters()
    assert exporter.name == "example_csv"  # run through the core in tests/test_cli_documents.py
    out = supervise_example.write_csv([{"单位": "甲", "件数": 2}], tmp_path / "out.csv")
    with out.open(encoding="utf-8") as handle:
        assert list(csv.DictReader(handle)) == [{"单位": "甲", "件数": "2"}]

    (rule,) = registry.escalation_rules()
    assert (rule.name, rule.kind) == ("example_rule", "escalation")
    assert supervise_example.at_least({"TS1": 5, "TS2": 1, "TS3": 3}, **rule.parameters) == [
        "TS1",
        "TS3",
    ]
    (case_rule,) = registry.accountability_rules()
    assert supervise_example.more_than({"A01": 3, "A02": 1}, **case_rule.parameters) == ["A01"]

    (circular,) = registry.circulars()
    assert (circular.name, circular.template) == ("example_circular", "criticism.txt")

    (action,) = registry.menu_actions()
    assert action.callback() == "你好" and action.roles == ("admin",)
    (view,) = registry.views()
    assert view.factory("parent").parent == "parent"

    assert registry.default_settings() == {"example.threshold": 3}
    registry.notify_changed("complaint.assign", "complaint", "7", "admin")
    assert supervise_example.CHANGES[-1] == ("complaint.assign", "complaint", "7", "admin")
    assert registry.circular_font("仿宋") is None
    assert not registry.pm.failures


def test_dropin_folder_argument_and_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_plugin(tmp_path, "mydrop", DROPIN_IMPORTER.format(name="dropped"))
    write_plugin(tmp_path, "_private", "raise RuntimeError('never imported')")
    by_argument = get_plugin_manager(load_entry_points=False, plugins_dir=tmp_path)
    monkeypatch.setenv("SUPERVISE_PLUGINS_DIR", str(tmp_path))
    by_env = get_plugin_manager(load_entry_points=False)
    for pm in (by_argument, by_env):
        assert pm.sources["mydrop"] == "drop-in"
        assert Registry(pm).importer("dropped").name == "dropped"
        assert pm.failures == []


def test_dropin_that_raises_on_import_is_recorded(tmp_path: Path) -> None:
    write_plugin(tmp_path, "broken", "raise RuntimeError('boom at import')")
    write_plugin(tmp_path, "fine", DROPIN_IMPORTER.format(name="fine"))
    pm = get_plugin_manager(load_entry_points=False, plugins_dir=tmp_path)
    assert failures_of(pm, "broken") == [
        PluginFailure("broken", "load", "RuntimeError: boom at import")
    ]
    assert not pm.has_plugin("broken")
    assert [i.name for i in Registry(pm).importers()] == ["fine"]


def test_missing_dropin_folder_is_a_failure_not_a_crash(tmp_path: Path) -> None:
    pm = get_plugin_manager(load_entry_points=False, plugins_dir=tmp_path / "nope")
    assert [f.stage for f in pm.failures] == ["load"]


def test_unknown_hook_unregisters_the_plugin(tmp_path: Path) -> None:
    write_plugin(
        tmp_path,
        "nonsense",
        """
        from supervise import hookimpl

        @hookimpl
        def supervise_nonsense():
            return 1

        @hookimpl
        def supervise_register_importers():
            return []
        """,
    )
    write_plugin(tmp_path, "fine", DROPIN_IMPORTER.format(name="fine"))
    pm = get_plugin_manager(load_entry_points=False, plugins_dir=tmp_path)
    (failure,) = pm.failures
    assert failure.name == "nonsense" and "supervise_nonsense" in failure.error
    assert not pm.has_plugin("nonsense") and "nonsense" not in pm.sources
    assert pm.has_plugin("fine")
    assert [p["name"] for p in describe_plugins(pm)["plugins"]] == ["fine"]


def test_hook_with_wrong_arguments_fails_at_load(tmp_path: Path) -> None:
    class WrongArgs:
        @hookimpl
        def supervise_circular_font(self, colour):
            return None

    pm = manager()
    pm._register_as(WrongArgs(), "wrong", "local")
    assert [f.stage for f in failures_of(pm, "wrong")] == ["load"]
    assert not pm.has_plugin("wrong")


def test_disable_list_argument(tmp_path: Path) -> None:
    write_plugin(tmp_path, "off", "raise RuntimeError('a disabled plugin is never imported')")
    write_plugin(tmp_path, "on", DROPIN_IMPORTER.format(name="on"))
    pm = get_plugin_manager(load_entry_points=False, plugins_dir=tmp_path, disabled=["off"])
    assert pm.disabled == ["off"] and pm.failures == []
    assert not pm.has_plugin("off") and pm.has_plugin("on")
    assert pm.register(Importers("late"), name="off") is None  # stays blocked
    assert describe_plugins(pm)["disabled"] == ["off"]


def test_disable_list_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_plugin(tmp_path, "one", DROPIN_IMPORTER.format(name="one"))
    write_plugin(tmp_path, "two", DROPIN_IMPORTER.format(name="two"))
    write_plugin(tmp_path, "three", DROPIN_IMPORTER.format(name="three"))
    monkeypatch.setenv("SUPERVISE_DISABLED_PLUGINS", " one, two ,,example")
    pm = get_plugin_manager(plugins_dir=tmp_path)
    assert pm.disabled == ["one", "two", "example"]
    assert not pm.has_plugin("example")  # an entry point is disabled the same way
    assert [i.name for i in Registry(pm).importers() if i.name in ("one", "two", "three")] == [
        "three"
    ]


# -- the registry -------------------------------------------------------------------------


def test_hook_that_raises_is_isolated() -> None:
    class Raises:
        @hookimpl
        def supervise_register_exporters(self):
            raise ValueError("exporter exploded")

    class Works:
        @hookimpl
        def supervise_register_exporters(self):
            return [ExporterSpec("ledger", "台账", run=list)]

    pm = manager(bad=Raises(), good=Works())
    registry = Registry(pm)
    assert [e.name for e in registry.exporters()] == ["ledger"]
    assert [e.name for e in registry.exporters()] == ["ledger"]
    (failure,) = pm.failures  # recorded once although asked twice
    assert (failure.name, failure.stage) == ("bad", "hook")
    assert "supervise_register_exporters" in failure.error and "exporter exploded" in failure.error
    with pytest.raises(NotFound):
        registry.exporter("missing")


def test_duplicate_names_first_registered_wins() -> None:
    pm = manager(first=Importers("same", "a"), second=Importers("same", "b"))
    registry = Registry(pm)
    assert [i.name for i in registry.importers()] == ["same", "a", "b"]
    (failure,) = pm.failures
    assert failure.name == "second" and "duplicate 'same'" in failure.error
    with pytest.raises(NotFound) as raised:
        registry.importer("nope")
    assert "nope" in raised.value.en and "same" in raised.value.en


def test_wrong_return_types_and_rule_kinds_are_failures() -> None:
    class Wrong:
        @hookimpl
        def supervise_register_escalation_rules(self):
            return [
                RuleSpec("ok", "好", "escalation", run=len),
                RuleSpec("misfiled", "错", "accountability", run=len),
                "not a rule",
            ]

        @hookimpl
        def supervise_register_accountability_rules(self):
            return RuleSpec("single", "单个", "accountability", run=len)  # not a list

        @hookimpl
        def supervise_register_circulars(self):
            return [CircularSpec("praise", "表扬通报", "praise.txt", run=len)]

    pm = manager(wrong=Wrong())
    registry = Registry(pm)
    assert [r.name for r in registry.escalation_rules()] == ["ok"]
    assert registry.accountability_rules() == []
    assert [c.name for c in registry.circulars()] == ["praise"]
    assert registry.circular("praise").template == "praise.txt"
    errors = [f.error for f in failures_of(pm, "wrong")]
    assert len(errors) == 3
    assert any("misfiled" in e for e in errors) and any("expected a list" in e for e in errors)


def test_circular_font_first_non_none_wins() -> None:
    class Font:
        def __init__(self, path: str | None) -> None:
            self.path = path

        @hookimpl
        def supervise_circular_font(self, role):
            return self.path and f"{self.path}/{role}.ttf"

    class Broken:
        @hookimpl
        def supervise_circular_font(self, role):
            raise OSError("font folder gone")

    # pluggy asks the last registered first: none → broken (skipped) → second
    pm = manager(first=Font("/first"), second=Font("/second"), broken=Broken(), none=Font(None))
    registry = Registry(pm)
    assert registry.circular_font("仿宋") == "/second/仿宋.ttf"
    assert [f.name for f in pm.failures] == ["broken"]
    pm.unregister(name="broken")
    assert registry.circular_font("黑体") == pm.hook.supervise_circular_font(role="黑体")
    assert Registry(manager(none=Font(None))).circular_font("楷体") is None


def test_gui_menu_actions_and_views() -> None:
    class Gui:
        @hookimpl
        def supervise_gui_menu_actions(self):
            return [
                MenuAction("工具", "刷新", callback=lambda: "refreshed"),
                MenuAction("工具", "刷新", callback=lambda: "again"),
            ]

        @hookimpl
        def supervise_gui_views(self):
            return [ViewSpec("dash", "概览", factory=dict, roles=("viewer",))]

    pm = manager(gui=Gui())
    registry = Registry(pm)
    (action,) = registry.menu_actions()
    assert action.callback() == "refreshed" and action.roles == ("admin", "staff")
    (view,) = registry.views()
    assert view.roles == ("viewer",) and view.factory(a=1) == {"a": 1}
    assert "duplicate ('工具', '刷新')" in pm.failures[0].error


def test_default_settings_merge_and_record_changed() -> None:
    seen: list[tuple] = []

    class Settings:
        def __init__(self, values: dict) -> None:
            self.values = values

        @hookimpl
        def supervise_default_settings(self):
            return self.values

    class Listener:
        @hookimpl
        def supervise_record_changed(self, table, record_id):  # opts into two arguments
            seen.append((table, record_id))

    class Deaf:
        @hookimpl
        def supervise_record_changed(self, action):
            raise RuntimeError("listener down")

    pm = manager(
        a=Settings({"hotspot.min": 5}),
        b=Settings({"hotspot.min": 9, "b.x": 1}),
        deaf=Deaf(),
        listener=Listener(),
    )
    registry = Registry(pm)
    assert registry.default_settings() == {"hotspot.min": 5, "b.x": 1}
    registry.notify_changed("unit.add", "unit", "A01", "admin")
    assert seen == [("unit", "A01")]
    assert {(f.name, f.stage) for f in pm.failures} == {("b", "hook"), ("deaf", "hook")}


def test_get_and_set_registry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    mine = Registry(manager(x=Importers("x")))
    set_registry(mine)
    try:
        assert get_registry() is mine
        set_registry(None)
        write_plugin(tmp_path, "fresh", DROPIN_IMPORTER.format(name="fresh"))
        monkeypatch.setenv("SUPERVISE_PLUGINS_DIR", str(tmp_path))
        fresh = get_registry()
        assert fresh is not mine and fresh is get_registry()
        assert fresh.pm.sources["fresh"] == "drop-in"
    finally:
        set_registry(None)


def test_describe_plugins_shape(tmp_path: Path) -> None:
    import supervise_example

    write_plugin(tmp_path, "broken", "raise ImportError('missing dependency')")
    pm = get_plugin_manager(load_entry_points=False, plugins_dir=tmp_path, disabled=["off"])
    pm.register(supervise_example, name="example")
    pm.register(Importers("x"), name="imp")
    data = describe_plugins(pm)
    assert set(data) == {"plugins", "families", "failures", "disabled"}
    assert list(data["families"]) == list(FAMILIES)
    by_name = {p["name"]: p for p in data["plugins"]}
    assert by_name["imp"] == {
        "name": "imp",
        "source": "local",
        "hooks": ["supervise_register_importers"],
        "families": ["imports"],
    }
    assert by_name["example"]["families"] == list(FAMILIES)
    assert len(by_name["example"]["hooks"]) == len(_spec_hooks(pm))
    assert data["families"]["imports"] == ["example", "imp"]
    assert data["families"]["gui"] == ["example"]
    assert data["failures"] == [
        {"name": "broken", "stage": "load", "error": "ImportError: missing dependency"}
    ]
    assert data["disabled"] == ["off"]
    assert family_of("supervise_something_new") == "other"


# -- meta-test: every hook is tested and documented ------------------------------------------


def _spec_hooks(pm) -> list[str]:
    return sorted(
        name
        for name, caller in vars(pm.hook).items()
        if name.startswith("supervise_") and caller.has_spec()
    )


def test_every_hook_is_tested_and_documented() -> None:
    # A hook counts as tested when its name occurs in some tests/test_*.py
    # source.  This function names no hook itself (it walks pm.hook), and its
    # own source is cut out of this file before searching, so a hook can never
    # be "tested" merely by this walk.  The example plugin under tests/plugins/
    # is not searched either: it implements every hook by design.
    pm = get_plugin_manager(load_entry_points=False)
    own = inspect.getsource(test_every_hook_is_tested_and_documented)
    sources = [
        p.read_text(encoding="utf-8").replace(own, "") for p in sorted(TESTS.glob("test_*.py"))
    ]
    doc = PLUGINS_DOC.read_text(encoding="utf-8")
    hooks = _spec_hooks(pm)
    assert hooks, "no supervise_ hooks found"
    untested = [h for h in hooks if not any(h in text for text in sources)]
    undocumented = [
        h for h in hooks if not re.search(rf"^#+ .*`{re.escape(h)}", doc, flags=re.MULTILINE)
    ]
    no_family = [h for h in hooks if family_of(h) not in FAMILIES]
    assert untested == [], f"hooks without a test under tests/: {untested}"
    assert undocumented == [], f"hooks without a section in docs/PLUGINS.md: {undocumented}"
    assert no_family == [], f"hooks that family_of() cannot place: {no_family}"
