"""Complainant and rater identities at rest (issue #8 item 6; docs/SECURITY.md).

An identity (name, phone, ID number) is never stored in clear.  It is sealed
to the office's public key: an X25519 exchange with an ephemeral key, HKDF-SHA256
for the AES-256-GCM key, and the record's kind and immutable key (complaint
number; rating unit, time and source id) as associated data, so a sealed
identity moved onto another record no longer opens.  Sealing needs only the
public key, so registration, imports and migrations need no secret.

The office's private key is stored only wrapped:

* per allowed user (``identity.view``: admin, staff): sealed to that user's
  own X25519 key, whose private half is wrapped under a key derived from the
  user's password (scrypt).  Log-in unwraps both into the :class:`Actor`
  (memory only); a password change rewraps the user's key.
* once under the recovery key, printed when the office key is made (``init``,
  ``demo``, or migration 8) and kept on paper by the office.

Every path that reads an identity in clear goes through :func:`open_identity`.
Lists and roles without the right see the masked forms stored beside the
sealed value (张*, 138****1234).
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import secrets
from collections.abc import Mapping
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from . import permissions
from .errors import InvalidInput, NotPermitted
from .masking import mask_id_no, mask_name, mask_phone
from .models import IdentityKey, User, now

logger = logging.getLogger(__name__)

VERSION = "v1"
COMPLAINT_FIELDS = ("name", "phone", "id_no")
RATING_FIELDS = ("name", "phone")
_RAW = serialization.Encoding.Raw
_new_recovery: list[str] = []


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"))


def _public_bytes(key: X25519PublicKey) -> bytes:
    return key.public_bytes(_RAW, serialization.PublicFormat.Raw)


def _private_bytes(key: X25519PrivateKey) -> bytes:
    return key.private_bytes(_RAW, serialization.PrivateFormat.Raw, serialization.NoEncryption())


def _hkdf(secret: bytes, salt: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=SHA256(), length=32, salt=salt, info=info).derive(secret)


def fingerprint(public: bytes) -> str:
    return hashlib.sha256(public).hexdigest()[:16]


# -- sealing (public key only) ----------------------------------------------------


class Sealer:
    """Seals values to one public key; one ephemeral key per sealer (a record, or an import batch)."""

    def __init__(self, public: bytes) -> None:
        ephemeral = X25519PrivateKey.generate()
        self.public = public
        self.ephemeral = _public_bytes(ephemeral.public_key())
        self._shared = ephemeral.exchange(X25519PublicKey.from_public_bytes(public))

    def seal(self, aad: str, data: bytes) -> str:
        nonce = os.urandom(12)
        key = _hkdf(
            self._shared,
            self.ephemeral + self.public,
            b"supervise identity " + VERSION.encode() + nonce,
        )
        ct = AESGCM(key).encrypt(nonce, data, aad.encode("utf-8"))
        return f"{VERSION}:{_b64(self.ephemeral + nonce + ct)}"


class Opener:
    """Opens sealed values with one private key; remembers the exchange per ephemeral key
    (an import batch shares one), so opening a ledger's rows stays cheap."""

    def __init__(self, private: bytes) -> None:
        self._key = X25519PrivateKey.from_private_bytes(private)
        self.public = _public_bytes(self._key.public_key())
        self._shared: dict[bytes, bytes] = {}

    def open(self, aad: str, sealed: str) -> bytes:
        """Raises ``InvalidTag`` for a wrong key or a value moved from another record."""
        version, _, body = sealed.partition(":")
        if version != VERSION:
            raise ValueError(f"unknown sealed format {version!r}")
        raw = _unb64(body)
        ephemeral, nonce, ct = raw[:32], raw[32:44], raw[44:]
        shared = self._shared.get(ephemeral)
        if shared is None:
            if len(self._shared) > 4096:
                self._shared.clear()
            shared = self._shared[ephemeral] = self._key.exchange(
                X25519PublicKey.from_public_bytes(ephemeral)
            )
        key = _hkdf(
            shared, ephemeral + self.public, b"supervise identity " + VERSION.encode() + nonce
        )
        return AESGCM(key).decrypt(nonce, ct, aad.encode("utf-8"))


_openers: dict[bytes, Opener] = {}


def opener(private: bytes) -> Opener:
    """The (cached) opener of one private key."""
    found = _openers.get(private)
    if found is None:
        if len(_openers) > 16:
            _openers.clear()
        found = _openers[private] = Opener(private)
    return found


def unseal(private: bytes, aad: str, sealed: str) -> bytes:
    """Open what :meth:`Sealer.seal` made; raises ``InvalidTag`` for a wrong key or moved value."""
    return opener(private).open(aad, sealed)


def office_public_key() -> bytes:
    """The office public key; made (with a new recovery key) when the database has none."""
    row = IdentityKey.get_or_none(IdentityKey.kind == "office")
    if row is None:
        return create_office_key()[0]
    return _unb64(row.public_key)


def sealer() -> Sealer:
    return Sealer(office_public_key())


def complaint_aad(number: str) -> str:
    return f"complaint|{number}"


def rating_aad(
    unit_id: int | None, rated_at: Any, source: str | None, external_id: str | None
) -> str:
    """Binds a rater's sealed identity to the rating's unit, time (to the second) and source id."""
    when = (
        rated_at.replace(microsecond=0).isoformat(sep=" ")
        if hasattr(rated_at, "isoformat")
        else str(rated_at)[:19]
    )
    return f"rating|{unit_id}|{when}|{source or 'entered'}|{external_id or ''}"


def _pack(values: Mapping[str, str | None], fields: tuple[str, ...]) -> bytes | None:
    kept = {f: values.get(f) for f in fields if values.get(f)}
    if not kept:
        return None
    return json.dumps(kept, ensure_ascii=False, sort_keys=True).encode("utf-8")


def complaint_columns(
    seal: Sealer, number: str, name: str | None, phone: str | None, id_no: str | None
) -> dict[str, str | None]:
    """The stored columns of a complainant identity: sealed value and masked forms."""
    data = _pack({"name": name, "phone": phone, "id_no": id_no}, COMPLAINT_FIELDS)
    return {
        "identity_sealed": None if data is None else seal.seal(complaint_aad(number), data),
        "masked_name": mask_name(name) or None,
        "masked_phone": mask_phone(phone) or None,
        "masked_id_no": mask_id_no(id_no) or None,
    }


def rating_columns(
    seal: Sealer, aad: str, name: str | None, phone: str | None
) -> dict[str, str | None]:
    data = _pack({"name": name, "phone": phone}, RATING_FIELDS)
    return {
        "identity_sealed": None if data is None else seal.seal(aad, data),
        "masked_name": mask_name(name) or None,
        "masked_phone": mask_phone(phone) or None,
    }


# -- opening (the office private key, from the actor's session) -------------------


def require_key(actor: Any) -> bytes:
    """The office private key held by ``actor``, or one clear NotPermitted."""
    permissions.require(actor.role, "identity.view", actor.name)
    key = getattr(actor, "identity_key", None)
    if key is None:
        raise NotPermitted(
            "当前用户未持有身份解密密钥，请管理员执行 supervise keys grant 授权（或用恢复密钥 keys recover）",
            "this user holds no identity key: ask an admin to run `supervise keys grant` (or use `keys recover`)",
        )
    return key


def open_sealed(
    actor: Any, aad: str, sealed: str | None, fields: tuple[str, ...]
) -> dict[str, str | None]:
    """The clear identity of one record, for an actor holding the office key."""
    key = require_key(actor)
    if not sealed:
        return {f: None for f in fields}
    try:
        data = json.loads(unseal(key, aad, sealed))
    except (InvalidTag, ValueError):
        logger.error("sealed identity does not open for %s (moved or damaged)", aad)
        raise InvalidInput(
            "身份信息无法解密（记录被改动或密钥不符）",
            "the identity does not open: the record was changed or the key does not match",
        ) from None
    return {f: data.get(f) for f in fields}


def open_complaint(actor: Any, number: str, sealed: str | None) -> dict[str, str | None]:
    return open_sealed(actor, complaint_aad(number), sealed, COMPLAINT_FIELDS)


def open_rating(actor: Any, aad: str, sealed: str | None) -> dict[str, str | None]:
    return open_sealed(actor, aad, sealed, RATING_FIELDS)


def complaint_identity(actor: Any, c: Any) -> dict[str, str | None]:
    """The clear identity of a Complaint row (``identity.view`` and the office key needed)."""
    return open_complaint(actor, c.number, c.identity_sealed)


def rating_identity(actor: Any, r: Any) -> dict[str, str | None]:
    """The clear identity of a Rating row (``identity.view`` and the office key needed)."""
    return open_rating(
        actor, rating_aad(r.unit_id, r.rated_at, r.source, r.external_id), r.identity_sealed
    )


def masked_complaint(c: Any) -> dict[str, str | None]:
    return {"name": c.masked_name, "phone": c.masked_phone, "id_no": c.masked_id_no}


def masked_rating(r: Any) -> dict[str, str | None]:
    return {"name": r.masked_name, "phone": r.masked_phone}


# -- the office key and its wrappings ------------------------------------------------


def _recovery_kek(recovery: bytes) -> bytes:
    return _hkdf(recovery, b"supervise recovery", b"supervise recovery key " + VERSION.encode())


def format_recovery(raw: bytes) -> str:
    text = base64.b32encode(raw).decode("ascii").rstrip("=")
    return "-".join(text[i : i + 4] for i in range(0, len(text), 4))


def parse_recovery(text: str) -> bytes:
    clean = "".join(ch for ch in text.upper() if ch.isalnum())
    try:
        raw = base64.b32decode(clean + "=" * (-len(clean) % 8))
    except ValueError:
        raw = b""
    if len(raw) != 32:
        raise NotPermitted("恢复密钥格式不正确", "the recovery key is malformed")
    return raw


def create_office_key() -> tuple[bytes, bytes, str]:
    """Make the office key pair; store its public half and its recovery wrapping.

    Returns (public, private, recovery key text).  The recovery text is also
    kept for :func:`take_new_recovery_key` so that ``init`` can print it once.
    """
    private_key = X25519PrivateKey.generate()
    public, private = _public_bytes(private_key.public_key()), _private_bytes(private_key)
    recovery = secrets.token_bytes(32)
    nonce = os.urandom(12)
    wrapped = AESGCM(_recovery_kek(recovery)).encrypt(nonce, private, b"recovery|" + public)
    IdentityKey.create(kind="office", public_key=_b64(public), created_at=now())
    IdentityKey.create(
        kind="recovery", public_key=_b64(public), secret=_b64(nonce + wrapped), created_at=now()
    )
    text = format_recovery(recovery)
    _new_recovery.append(text)
    logger.warning(
        "a new office identity key was made (fingerprint %s); its recovery key is shown once",
        fingerprint(public),
    )
    return public, private, text


def take_new_recovery_key() -> str | None:
    """The recovery key made in this process and not yet shown, if any (shown once)."""
    text = _new_recovery[-1] if _new_recovery else None
    _new_recovery.clear()
    return text


def open_with_recovery(text: str) -> bytes:
    recovery = parse_recovery(text)
    row = IdentityKey.get_or_none(IdentityKey.kind == "recovery")
    if row is None:
        raise NotPermitted("数据库中没有恢复密钥记录", "the database holds no recovery wrapping")
    raw = _unb64(row.secret)
    try:
        return AESGCM(_recovery_kek(recovery)).decrypt(
            raw[:12], raw[12:], b"recovery|" + _unb64(row.public_key)
        )
    except InvalidTag:
        raise NotPermitted("恢复密钥错误", "wrong recovery key") from None


def _password_kek(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=32)


def _wrap_user_private(user_id: int, password: str, private: bytes) -> str:
    """``scrypt$n$r$p$`` + salt, nonce and ciphertext: the cost travels with the wrapping,
    as it does with a password hash, so that it can be raised later."""
    from . import auth

    n, r, p = auth.SCRYPT_N, auth.SCRYPT_R, auth.SCRYPT_P
    salt, nonce = os.urandom(16), os.urandom(12)
    ct = AESGCM(_password_kek(password, salt, n, r, p)).encrypt(
        nonce, private, f"user|{user_id}".encode()
    )
    return f"scrypt${n}${r}${p}${_b64(salt + nonce + ct)}"


def _unwrap_user_private(user_id: int, password: str, secret: str) -> bytes:
    if secret.startswith("scrypt$"):
        _, n, r, p, body = secret.split("$")
        cost = int(n), int(r), int(p)
    else:  # written before the cost was stored: the cost of that time
        cost, body = (2**14, 8, 1), secret
    raw = _unb64(body)
    kek = _password_kek(password, raw[:16], *cost)
    return AESGCM(kek).decrypt(raw[16:28], raw[28:], f"user|{user_id}".encode())


def create_user_key(user: User, password: str) -> IdentityKey:
    """Give ``user`` their own key pair, wrapped under their password (no grant yet)."""
    private_key = X25519PrivateKey.generate()
    public, private = _public_bytes(private_key.public_key()), _private_bytes(private_key)
    IdentityKey.delete().where(
        (IdentityKey.kind == "user") & (IdentityKey.user == user.id)
    ).execute()
    return IdentityKey.create(
        kind="user",
        user=user.id,
        public_key=_b64(public),
        secret=_wrap_user_private(user.id, password, private),
        created_at=now(),
    )


def _user_row(user_id: int) -> IdentityKey | None:
    return IdentityKey.get_or_none((IdentityKey.kind == "user") & (IdentityKey.user == user_id))


def unlock(user: User, password: str) -> bytes | None:
    """At log-in (password already checked): the office private key this user holds, if any.

    A user from before migration 8 gets their own key pair here, the first time.
    """
    row = _user_row(user.id)
    if row is None:
        create_user_key(user, password)
        return None
    if not row.grant:
        return None
    try:
        private = _unwrap_user_private(user.id, password, row.secret)
        office = Opener(private).open(
            f"grant|{user.id}", row.grant
        )  # not cached: the user key is dropped here
    except (InvalidTag, ValueError):
        logger.error("identity key of user %s does not open", user.name)
        return None
    if (
        _public_bytes(X25519PrivateKey.from_private_bytes(office).public_key())
        != office_public_key()
    ):
        logger.error("identity key of user %s is for another office key", user.name)
        return None
    return office


def grant(office_private: bytes, user: User, by: str) -> None:
    """Seal the office private key to ``user``'s own public key."""
    if not permissions.allowed(user.role, "identity.view"):
        raise NotPermitted(
            f"角色 {user.role} 不得查看身份信息，不能授权",
            f"role {user.role} may not see identities: no key granted",
        )
    row = _user_row(user.id)
    if row is None:
        raise InvalidInput(
            f"用户 {user.name} 尚无个人密钥，请其先登录一次",
            f"user {user.name} has no personal key yet: they must log in once first",
        )
    grant_text = Sealer(_unb64(row.public_key)).seal(f"grant|{user.id}", office_private)
    IdentityKey.update(grant=grant_text, granted_by=by, granted_at=now()).where(
        IdentityKey.id == row.id
    ).execute()


def rewrap(user: User, old_password: str, new_password: str) -> None:
    """After a password change: the user's own key under the new password (grant kept)."""
    row = _user_row(user.id)
    if row is None:
        create_user_key(user, new_password)
        return
    try:
        private = _unwrap_user_private(user.id, old_password, row.secret)
    except (InvalidTag, ValueError):
        create_user_key(user, new_password)  # the old wrapping is lost: a new grant is needed
        return
    IdentityKey.update(secret=_wrap_user_private(user.id, new_password, private)).where(
        IdentityKey.id == row.id
    ).execute()


def revoke(user_id: int) -> None:
    IdentityKey.update(grant=None, granted_by=None, granted_at=None).where(
        (IdentityKey.kind == "user") & (IdentityKey.user == user_id)
    ).execute()


def status() -> dict[str, Any]:
    office = IdentityKey.get_or_none(IdentityKey.kind == "office")
    holders = (
        IdentityKey.select(User.name, User.role, IdentityKey.granted_by, IdentityKey.granted_at)
        .join(User, on=(IdentityKey.user == User.id))
        .where((IdentityKey.kind == "user") & IdentityKey.grant.is_null(False))
        .order_by(User.name)
        .dicts()
    )
    return {
        "office_key": fingerprint(_unb64(office.public_key)) if office else None,
        "recovery": IdentityKey.select().where(IdentityKey.kind == "recovery").exists(),
        "holders": [
            {
                "name": h["name"],
                "role": h["role"],
                "granted_by": h["granted_by"],
                "granted_at": h["granted_at"],
            }
            for h in holders
        ],
    }


__all__ = [
    "Sealer",
    "complaint_columns",
    "rating_columns",
    "open_complaint",
    "open_rating",
    "require_key",
    "office_public_key",
    "sealer",
    "create_office_key",
    "take_new_recovery_key",
    "open_with_recovery",
    "create_user_key",
    "unlock",
    "grant",
    "rewrap",
    "revoke",
    "status",
]
