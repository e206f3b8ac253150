"""The plain values that plugin hooks return (see :mod:`supervise.hookspecs`).

They are frozen dataclasses with no behaviour of their own: a plugin builds
them, :class:`supervise.registry.Registry` collects them, and the services,
the CLI and the GUI read them.  The ``run``/``callback``/``factory`` callables
are called by the core with keyword arguments documented in
``docs/PLUGINS.md``; implementations should accept ``**context`` so that the
core can pass new keywords later without breaking them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

logger = logging.getLogger(__name__)

#: Roles that see a menu action or view unless the plugin says otherwise.
DEFAULT_ROLES: tuple[str, ...] = ("admin", "staff")

#: The two kinds of rule (SPEC §4): 督办规则 and 问责规则.
RULE_KINDS: tuple[str, ...] = ("escalation", "accountability")


@dataclass(frozen=True)
class Column:
    """One column of an import format.

    ``name`` is the header, ``aliases`` other accepted headers, ``help`` the
    text shown in the template's notes and the GUI, ``choices`` the accepted
    words of an enumeration (a drop-down list in the template), ``example``
    the value of the template's example row.
    """

    name: str
    required: bool
    aliases: tuple[str, ...] = ()
    help: str = ""
    choices: tuple[str, ...] = ()
    example: str = ""


@dataclass(frozen=True)
class ImporterSpec:
    """An import format: the columns it reads and the callable that imports rows."""

    name: str
    title: str
    columns: tuple[Column, ...]
    run: Callable[..., object]
    description: str = ""


@dataclass(frozen=True)
class ExporterSpec:
    """An export (Excel ledger or workbook) and the callable that writes it."""

    name: str
    title: str
    run: Callable[..., object]
    description: str = ""


@dataclass(frozen=True)
class RuleSpec:
    """An escalation or accountability rule, its tunable parameters and its callable."""

    name: str
    title: str
    kind: str
    run: Callable[..., object]
    parameters: dict[str, object] = field(default_factory=dict)
    description: str = ""


@dataclass(frozen=True)
class CircularSpec:
    """A kind of PDF circular (通报): its template name and the callable that fills it."""

    name: str
    title: str
    template: str
    run: Callable[..., object]
    description: str = ""


@dataclass(frozen=True)
class MenuAction:
    """A GUI menu entry: the menu it sits in, its label, callback and permitted roles."""

    menu: str
    label: str
    callback: Callable[..., object]
    roles: tuple[str, ...] = DEFAULT_ROLES


@dataclass(frozen=True)
class ViewSpec:
    """A GUI view (a ``ttk.Frame`` built by ``factory``) and the roles that see it."""

    name: str
    title: str
    factory: Callable[..., object]
    roles: tuple[str, ...] = DEFAULT_ROLES


__all__ = [
    "DEFAULT_ROLES",
    "RULE_KINDS",
    "CircularSpec",
    "Column",
    "ExporterSpec",
    "ImporterSpec",
    "MenuAction",
    "RuleSpec",
    "ViewSpec",
]
