"""Who holds the office identity key: grant, recover, status (docs/SECURITY.md).

The CLI (``supervise keys``) and the settings page both call these; each
change is audited.
"""

from __future__ import annotations

import logging
from typing import Any

from .. import audit, identity, permissions
from ..auth import Actor
from ..db import write_transaction
from ..errors import NotFound
from ..models import User

logger = logging.getLogger(__name__)


def status(actor: Actor) -> dict[str, Any]:
    permissions.require(actor.role, "keys.status", actor.name)
    data = identity.status()
    data["you_hold_key"] = actor.identity_key is not None
    return data


def grant(actor: Actor, name: str) -> User:
    """Give user ``name`` the office key (the actor must hold it)."""
    permissions.require(actor.role, "keys.grant", actor.name)
    key = identity.require_key(actor)
    with write_transaction():
        user = User.get_or_none(User.name == name)
        if user is None:
            raise NotFound(f"用户不存在：{name}", f"no such user: {name}")
        identity.grant(key, user, actor.name)
        audit.append(actor.name, "keys.grant", "user", user.id, None, {"name": user.name})
    return user


def recover(actor: Actor, recovery_text: str) -> Actor:
    """Grant the actor's own user the office key opened with the recovery key; the actor holding it."""
    permissions.require(actor.role, "keys.recover", actor.name)
    key = identity.open_with_recovery(recovery_text)
    with write_transaction():
        user = User.get_by_id(actor.user_id)
        identity.grant(key, user, f"{actor.name}（恢复密钥 recovery）")
        audit.append(actor.name, "keys.recover", "user", user.id, None, {"name": user.name})
    from dataclasses import replace

    return replace(actor, identity_key=key)
