"""The base of every service: permission, transaction, audit, versions."""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import peewee as pw

from .. import audit, permissions
from ..auth import Actor
from ..db import database, write_transaction
from ..errors import Conflict, NotFound
from ..models import AuditEntry, BaseModel, Versioned

logger = logging.getLogger(__name__)

M = TypeVar("M", bound=BaseModel)

# Changes audited inside the current thread's service transaction, told to the
# plugins (``supervise_record_changed``) once the outermost change commits.
_pending = threading.local()


def snapshot(record: BaseModel) -> dict[str, Any]:
    """The stored values of a record (foreign keys as ids, blobs as hashes)."""
    data: dict[str, Any] = {}
    for name, field in record._meta.fields.items():
        if isinstance(field, pw.ForeignKeyField):
            data[field.name] = record.__data__.get(field.name)
        else:
            data[name] = record.__data__.get(name)
    return data


class Service:
    """Holds the actor; every write goes through :meth:`change`."""

    def __init__(self, actor: Actor) -> None:
        self.actor = actor

    # -- permission and transaction -----------------------------------------

    def allowed(self, action: str) -> bool:
        return permissions.allowed(self.actor.role, action)

    def require(self, action: str) -> None:
        permissions.require(self.actor.role, action, self.actor.name)

    @contextmanager
    def change(self, action: str) -> Iterator[None]:
        """Check ``action`` and open one write transaction for the change.

        The outermost change tells the plugins about every audited change
        after it has committed; a change nested in a transaction opened by
        someone else leaves the telling to that transaction's owner (a change
        inside a bare ``atomic()`` of the caller is not told).
        """
        self.require(action)
        owner = not database.obj.in_transaction()
        if owner:
            _pending.changes = []
        try:
            with write_transaction():
                yield
        except BaseException:
            if owner:
                _pending.changes = []
            raise
        if owner:
            changes, _pending.changes = _pending.changes, []
            _tell(changes)

    def audit(
        self,
        action: str,
        table: str,
        record_id: object = None,
        before: object = None,
        after: object = None,
    ) -> None:
        audit.append(self.actor.name, action, table, record_id, before, after)
        self.changed(action, table, record_id)

    def changed(self, action: str, table: str, record_id: object = None) -> None:
        """Queue a ``supervise_record_changed`` notice for after the commit
        (for writes that append their audit entries without :meth:`audit`)."""
        queue = getattr(_pending, "changes", None)
        if queue is not None:
            queue.append(
                (action, table, None if record_id is None else str(record_id), self.actor.name)
            )

    # -- records ---------------------------------------------------------------

    def create(self, model: type[M], action: str, **fields: Any) -> M:
        """Insert a record and audit it; call inside :meth:`change`."""
        record = model.create(**fields)
        self.audit(action, model._meta.table_name, record.get_id(), None, snapshot(record))
        return record

    def update(
        self, record: M, action: str, *, expected_version: int | None = None, **fields: Any
    ) -> M:
        """Update a versioned record; a stale version raises :class:`Conflict`."""
        model = type(record)
        if not issubclass(model, Versioned):
            raise TypeError(f"{model.__name__} has no version column")
        before = snapshot(record)
        version = record.version if expected_version is None else expected_version
        values = {getattr(model, k): v for k, v in fields.items()}
        values[model.version] = version + 1
        pk = model._meta.primary_key
        count = (
            model.update(values)
            .where((pk == record.get_id()) & (model.version == version))
            .execute()
        )
        if count != 1:
            self._raise_stale(model, record.get_id())
        for key, value in fields.items():
            setattr(record, key, value)
        record.version = version + 1
        self.audit(action, model._meta.table_name, record.get_id(), before, snapshot(record))
        return record

    def _raise_stale(self, model: type[BaseModel], pk: object) -> None:
        if model.get_or_none(model._meta.primary_key == pk) is None:
            raise NotFound("记录已被删除", f"the {model._meta.table_name} record was deleted")
        last = (
            AuditEntry.select(AuditEntry.actor, AuditEntry.at)
            .where((AuditEntry.table == model._meta.table_name) & (AuditEntry.record_id == str(pk)))
            .order_by(AuditEntry.id.desc())
            .first()
        )
        who = last.actor if last else "?"
        when = _fmt(last.at) if last else ""
        raise Conflict(
            f"记录已被 {who} 于 {when} 修改，请刷新后重试",
            f"the record was changed by {who} at {when}; reload and try again",
            changed_by=who,
        )


def _tell(changes: list[tuple[str, str, str | None, str]]) -> None:
    if not changes:
        return
    from ..registry import get_registry

    registry = get_registry()
    for action, table, record_id, actor in changes:
        registry.notify_changed(action, table, record_id, actor)


def _fmt(value: object) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if isinstance(value, dt.datetime) else str(value)
