"""插件: loaded plugins with their hooks, failures with the reason, and disabled names.

The same description as ``supervise plugins`` (:func:`describe_plugins`),
after asking every collection hook once so that a plugin that fails only
when called shows here too.
"""

from __future__ import annotations

import logging
import tkinter as tk
from tkinter import ttk
from typing import Any

from ..plugins import ENV_DISABLED, ENV_PLUGINS_DIR, describe_plugins
from ..registry import get_registry
from .context import ViewContext

logger = logging.getLogger(__name__)

SOURCES = {"builtin": "内置", "entry-point": "已安装", "drop-in": "插件目录", "local": "本地"}
FAMILIES = {
    "imports": "导入",
    "exports": "导出",
    "escalation rules": "督办规则",
    "accountability rules": "问责规则",
    "circulars": "通报",
    "gui": "界面",
    "records": "记录与设置",
    "other": "其他",
}
STAGES = {"load": "加载", "hook": "调用"}


def plugin_description() -> dict[str, Any]:
    registry = get_registry()
    registry.load_all()
    return describe_plugins(registry.pm)


class PluginsView(ttk.Frame):
    title = "插件"

    def __init__(self, parent: tk.Misc, ctx: ViewContext) -> None:
        super().__init__(parent, padding=10)
        self.ctx = ctx
        head = ttk.Frame(self)
        head.pack(fill="x")
        ttk.Label(head, text="插件", style="Title.TLabel").pack(side="left")
        ttk.Button(head, text="刷新", command=self.refresh).pack(side="right")
        ttk.Label(
            self,
            text=f"插件目录由环境变量 {ENV_PLUGINS_DIR} 指定，停用名单由 {ENV_DISABLED} 指定；修改后重新启动生效。",
            style="Muted.TLabel",
        ).pack(anchor="w", pady=(2, 6))
        ttk.Label(self, text="已加载", style="Muted.TLabel").pack(anchor="w")
        self.loaded = self._tree(
            ("name", "source", "families", "hooks"),
            (("名称", 140), ("来源", 80), ("类别", 200), ("实现的钩子", 560)),
            10,
        )
        ttk.Label(self, text="加载或调用失败", style="Muted.TLabel").pack(anchor="w", pady=(8, 0))
        self.failed = self._tree(
            ("name", "stage", "error"), (("名称", 160), ("阶段", 60), ("原因", 760)), 5
        )
        self.failed.tag_configure("alert", foreground="#c0392b")
        ttk.Label(self, text="已停用", style="Muted.TLabel").pack(anchor="w", pady=(8, 0))
        self.disabled = ttk.Label(self, text="—")
        self.disabled.pack(anchor="w")
        self.data: dict[str, Any] = {}
        self.refresh()

    def _tree(
        self, keys: tuple[str, ...], heads: tuple[tuple[str, int], ...], height: int
    ) -> ttk.Treeview:
        tree = ttk.Treeview(self, columns=keys, show="headings", height=height)
        for key, (title, width) in zip(keys, heads, strict=True):
            tree.heading(key, text=title, anchor="w")
            tree.column(key, width=width, stretch=key in ("hooks", "error"))
        tree.pack(fill="both", expand=True)
        return tree

    def refresh(self) -> None:
        self.data = data = plugin_description()
        self.loaded.delete(*self.loaded.get_children())
        for p in data["plugins"]:
            families = "、".join(FAMILIES.get(f, f) for f in p["families"])
            hooks = ", ".join(h.removeprefix("supervise_") for h in p["hooks"])
            self.loaded.insert(
                "",
                "end",
                values=(p["name"], SOURCES.get(p["source"], p["source"]), families, hooks),
            )
        self.failed.delete(*self.failed.get_children())
        for f in data["failures"]:
            self.failed.insert(
                "",
                "end",
                values=(f["name"], STAGES.get(f["stage"], f["stage"]), f["error"]),
                tags=("alert",),
            )
        self.disabled.configure(text="、".join(data["disabled"]) or "—")


__all__ = ["PluginsView", "plugin_description"]
