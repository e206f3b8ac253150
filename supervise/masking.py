"""Masking of complainant and rater identities (SPEC §1, §10).

Only ``admin`` and ``staff`` may see an identity unmasked, and only on
purpose; everything else shows these masked forms.
"""

from __future__ import annotations

import logging

logger = logging.getLogger(__name__)


def mask_name(name: str | None) -> str | None:
    """张三 → 张*, 欧阳娜娜 → 欧***."""
    if not name:
        return name
    return name[0] + "*" * max(1, len(name) - 1)


def mask_phone(phone: str | None) -> str | None:
    """13812341234 → 138****1234; short numbers keep only their last two digits."""
    if not phone:
        return phone
    if len(phone) >= 11:
        return phone[:3] + "****" + phone[-4:]
    return "*" * max(1, len(phone) - 2) + phone[-2:]


def mask_id_no(id_no: str | None) -> str | None:
    """110101199001011234 → 110101********1234."""
    if not id_no:
        return id_no
    if len(id_no) >= 15:
        return id_no[:6] + "*" * (len(id_no) - 10) + id_no[-4:]
    return "*" * len(id_no)
