"""The service layer: the one place where every change happens (SPEC §10).

Each change checks the actor's permission, validates its input, writes the
record and an audit entry in one transaction, and guards edits with the
record's version so that a stale edit fails with exit 5.
"""

from __future__ import annotations

from .base import Service, snapshot

__all__ = ["Service", "snapshot"]
