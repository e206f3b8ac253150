"""Passwords and log-in.

Passwords are hashed with scrypt from the standard library (memory-hard,
16 MiB per hash with n=2**14, r=8) and compared in constant time; no extra
dependency is needed.  Five wrong passwords in a row lock an account for 15
minutes; every lock and failed log-in is audited.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import logging
import os
from dataclasses import dataclass, field, replace

from . import audit
from .db import write_transaction
from .errors import InvalidInput, NotPermitted
from .models import User, now

logger = logging.getLogger(__name__)

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
MAX_FAILURES = 5
LOCK_MINUTES = 15
MIN_PASSWORD = 8


@dataclass(frozen=True)
class Actor:
    """Who is acting: a logged-in user, or the system itself."""

    name: str
    role: str
    user_id: int | None = None
    unit_id: int | None = None
    # the office identity key this user holds, unwrapped at log-in (memory only; supervise.identity)
    identity_key: bytes | None = field(default=None, repr=False, compare=False)


SYSTEM = Actor(name="system", role="admin")


def hash_password(password: str) -> str:
    salt = os.urandom(16)
    digest = hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=32
    )
    b64 = base64.b64encode
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${b64(salt).decode()}${b64(digest).decode()}"


def check_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    expect = base64.b64decode(digest)
    got = hashlib.scrypt(
        password.encode("utf-8"),
        salt=base64.b64decode(salt),
        n=int(n),
        r=int(r),
        p=int(p),
        dklen=len(expect),
    )
    return hmac.compare_digest(got, expect)


def validate_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(
            f"密码至少 {MIN_PASSWORD} 位", f"a password needs at least {MIN_PASSWORD} characters"
        )


def actor_of(user: User) -> Actor:
    return Actor(name=user.name, role=user.role, user_id=user.id, unit_id=user.unit_id)


def login(name: str, password: str) -> Actor:
    """Check the password; count failures and lock after five."""
    denied = NotPermitted("用户名或密码错误", "wrong user name or password")
    granted: User | None = None
    with write_transaction():
        user = User.get_or_none(User.name == name)
        if user is None or not user.active:
            check_password(password, hash_password("timing-equaliser"))
            raise denied
        moment = now()
        if user.locked_until and user.locked_until > moment:
            raise NotPermitted(
                f"账户已锁定至 {user.locked_until:%H:%M}",
                f"account locked until {user.locked_until:%H:%M}",
            )
        if check_password(password, user.password_hash):
            if user.failed_logins or user.locked_until:  # an expired lock is cleared too
                User.update(failed_logins=0, locked_until=None).where(User.id == user.id).execute()
            granted = user
        else:
            failures = user.failed_logins + 1
            locked = (
                moment + dt.timedelta(minutes=LOCK_MINUTES) if failures >= MAX_FAILURES else None
            )
            User.update(failed_logins=0 if locked else failures, locked_until=locked).where(
                User.id == user.id
            ).execute()
            audit.append(
                name,
                "user.lock" if locked else "user.login_failed",
                "user",
                user.id,
                None,
                {"failures": failures, "locked_until": locked},
            )
    if granted is not None:  # the key is unwrapped (a second scrypt) once the write lock is let go
        return with_key(actor_of(granted), granted, password)
    # the failure is committed before the error leaves
    raise denied


def with_key(actor: Actor, user: User, password: str) -> Actor:
    """``actor`` holding the office identity key, when the user was granted it."""
    from . import identity, permissions

    if not permissions.allowed(user.role, "identity.view"):
        return actor
    return replace(actor, identity_key=identity.unlock(user, password))


def change_password(actor: Actor, old: str, new: str) -> Actor:
    """A user changes their own password; their identity key is rewrapped (access kept)."""
    from . import identity

    validate_password(new)
    with write_transaction():
        user = User.get_or_none(User.id == actor.user_id)
        if user is None or not check_password(old, user.password_hash):
            raise NotPermitted("原密码错误", "wrong current password")
        User.update(password_hash=hash_password(new), version=User.version + 1).where(
            User.id == user.id
        ).execute()
        if identity.IdentityKey.select().where(identity.IdentityKey.user == user.id).exists():
            identity.rewrap(user, old, new)
        audit.append(actor.name, "user.password", "user", user.id, None, {"changed": True})
    return with_key(actor_of(user), user, new)
