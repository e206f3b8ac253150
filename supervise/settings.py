"""Settings: JSON values in the database over defaults from code and plugins.

The core's defaults are below; plugins add theirs through the
``supervise_default_settings`` hook.  A stored value always wins.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from .models import Setting

logger = logging.getLogger(__name__)

CORE_DEFAULTS: dict[str, Any] = {
    # complaint 交办单 card colours → working days (SPEC §2.1)
    "complaint.card_days": {"蓝": 0, "黄": 3, "红": 10},
    "complaint.max_extensions": 1,
    # 好差评 handling limits in working days (SPEC §2.3)
    "rating.contact_days": 1,
    "rating.rectify_simple_days": 5,
    "rating.rectify_complex_days": 15,
    # monthly report weights (SPEC §6)
    "report.weights": {"按期办结率": 0.3, "解决率": 0.3, "满意率": 0.3, "好评率": 0.1},
    "report.survey_weight": 0.0,
    # circular header (SPEC §7)
    "circular.organ": "某某市政务服务效能监督办公室",
    "circular.prefix": "效监通",
    "circular.cc": [],
    "circular.printer": "某某市政务服务效能监督办公室",
    "fonts.paths": {},
    # identities of closed cases are purged this many days after closing (supervise.retention)
    "identity.retention_days": 365,
    "plugins.dir": "",
}


def defaults() -> dict[str, Any]:
    merged = dict(CORE_DEFAULTS)
    try:
        from .registry import get_registry

        merged.update(get_registry().default_settings())
    except Exception:  # a plugin failure is reported by the registry itself
        logger.exception("plugin defaults unavailable")
    return merged


def get(key: str, default: Any = None) -> Any:
    row = Setting.get_or_none(Setting.key == key)
    if row is not None:
        return json.loads(row.value)
    if key in CORE_DEFAULTS:
        return CORE_DEFAULTS[key]
    return defaults().get(key, default)


def all_settings() -> dict[str, Any]:
    values = defaults()
    for row in Setting.select():
        if not row.key.startswith("audit."):
            values[row.key] = json.loads(row.value)
    return values
