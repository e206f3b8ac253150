"""This desktop's own GUI state: window geometry, last user, interface font.

Kept as a small JSON file in the user data folder
(:func:`supervise.paths.data_dir`), not in the database: it belongs to the
machine and the person at it, not to the office.  A damaged file is ignored.
"""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from typing import Any

from ..paths import data_dir

logger = logging.getLogger(__name__)

FILE_NAME = "gui.json"
GEOMETRY = re.compile(r"^\d{3,5}x\d{3,5}([+-]-?\d+[+-]-?\d+)?$")


def path() -> Path:
    return data_dir() / FILE_NAME


def load() -> dict[str, Any]:
    try:
        data = json.loads(path().read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError):
        logger.warning("ignoring the damaged GUI state file %s", path())
        return {}
    return data if isinstance(data, dict) else {}


def update(**values: Any) -> dict[str, Any]:
    """Merge ``values`` into the file (None removes a key); written atomically."""
    data = load()
    for key, value in values.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    target = path()
    tmp = target.with_name(target.name + ".part")
    try:
        tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
        tmp.replace(target)
    except OSError:
        logger.warning("cannot write the GUI state file %s", target, exc_info=True)
    return data


def valid_geometry(text: object) -> bool:
    return isinstance(text, str) and bool(GEOMETRY.match(text))


__all__ = ["load", "path", "update", "valid_geometry"]
