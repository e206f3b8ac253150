"""supervise — 政务服务效能监督 desktop application.

Plugins implement hooks with :data:`hookimpl`::

    from supervise import hookimpl

    @hookimpl
    def supervise_register_importers():
        return [...]
"""

from __future__ import annotations

import pluggy

__version__ = "0.1.0"

PROJECT_NAME = "supervise"
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)

__all__ = ["PROJECT_NAME", "__version__", "hookimpl"]
