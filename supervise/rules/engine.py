"""What the escalation and accountability runs share: the instant, the rules
from the plugins with their parameters, and failure isolation.

Each rule runs inside its own savepoint of the run's one write transaction:
a rule that raises, returns something unusable or is misconfigured is
logged with its traceback (one bilingual line on the command line's
stderr), listed in the run's ``failures`` and rolled back, while the other
rules carry on.  Runs are serialised (SQLite's write lock,
a PostgreSQL advisory lock), so two desktops running ``escalate`` at once
cannot both insert the same record.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import peewee as pw

from .. import models, settings
from ..auth import Actor
from ..db import database, is_sqlite
from ..errors import InvalidInput
from ..extension import RuleSpec
from ..registry import get_registry
from ..services.base import Service
from ..workdays import WorkCalendar
from .context import RuleContext, setting_key

logger = logging.getLogger(__name__)

#: How far ahead of the clock ``--as-of`` may lie (clock skew between desktops).
FUTURE_TOLERANCE = dt.timedelta(minutes=5)
_PG_RULES_LOCK = 0x5355_5052  # "SUPR"


def now() -> dt.datetime:
    """The clock; tests move it to run the fixtures' future instants."""
    return models.now()


@dataclass(frozen=True)
class RuleFailure:
    """A rule that was skipped: its name and a one-line error."""

    rule: str
    error: str

    def as_dict(self) -> dict[str, str]:
        return {"rule": self.rule, "error": self.error}


def check_as_of(as_of: dt.datetime | None) -> dt.datetime:
    """The run's instant: ``as_of`` to the second, or now; never in the future.

    A run in the future would raise records before their cause exists and
    leave them out of reach of later runs (which never touch records newer
    than their own instant).
    """
    current = now()
    if as_of is None:
        return current
    as_of = as_of.replace(microsecond=0, tzinfo=None)
    if as_of > current + FUTURE_TOLERANCE:
        raise InvalidInput(
            f"运行时点不能晚于当前时间：{as_of:%Y-%m-%d %H:%M:%S}",
            f"--as-of lies in the future: {as_of:%Y-%m-%d %H:%M:%S}",
        )
    return as_of


def rule_parameters(rule: RuleSpec, stored: Mapping[str, Any]) -> dict[str, Any]:
    """The rule's parameters: ``RuleSpec.parameters`` overridden by the settings
    ``rules.<name>.<key>`` (``rules.<key>`` for a key with a dot, :func:`setting_key`)."""
    return {
        key: stored.get(setting_key(rule.name, key), default)
        for key, default in rule.parameters.items()
    }


def contexts(
    rules: Iterable[RuleSpec], as_of: dt.datetime, calendar: WorkCalendar | None = None
) -> list[tuple[RuleSpec, RuleContext]]:
    """Each rule with the context it runs in (one calendar, settings read once)."""
    calendar = calendar or WorkCalendar.from_database()
    stored = settings.all_settings()
    return [
        (rule, RuleContext(rule.name, as_of, calendar, rule_parameters(rule, stored)))
        for rule in rules
    ]


def serialise_runs() -> None:
    """Hold the rules lock until the transaction ends (PostgreSQL; SQLite's write lock suffices)."""
    if not is_sqlite():
        database.execute_sql("SELECT pg_advisory_xact_lock(%s)", (_PG_RULES_LOCK,))


def run_isolated(rule: RuleSpec, failures: list[RuleFailure], step: Callable[[], None]) -> bool:
    """Run ``step`` in a savepoint; on any error roll it back and record the failure."""
    started = time.perf_counter()
    try:
        with database.atomic():
            step()
        logger.info("rule %r ran in %.2f s", rule.name, time.perf_counter() - started)
        return True
    except Exception as exc:  # a plugin's rule must not stop the others
        message = str(exc).strip().splitlines()
        error = f"{type(exc).__name__}: {message[0]}" if message else type(exc).__name__
        logger.error(
            "规则“%s”运行失败，已跳过 / rule %r failed and was skipped: %s",
            rule.name,
            rule.name,
            error,
            exc_info=exc,
        )
        failures.append(RuleFailure(rule.name, error))
        return False


def call_rule(rule: RuleSpec, ctx: RuleContext) -> Any:
    """Call the rule's ``run`` with the engine's keywords."""
    return rule.run(ctx=ctx)


def is_query(result: Any) -> bool:
    return isinstance(result, pw.SelectBase)


def chunks(rows: list[Any], size: int = 500) -> Iterable[list[Any]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def temporary(model: type[pw.Model]) -> None:
    """Create (or empty) a per-connection scratch table.

    On SQLite it is a ``WITHOUT ROWID`` table: rows are stored in key order,
    with no second index to keep.
    """
    model._meta.without_rowid = is_sqlite()
    model.create_table(safe=True)
    model.delete().execute()


__all__ = [
    "FUTURE_TOLERANCE",
    "RuleFailure",
    "call_rule",
    "check_as_of",
    "chunks",
    "contexts",
    "is_query",
    "now",
    "rule_parameters",
    "run_isolated",
    "serialise_runs",
    "temporary",
]


class RuleEngine(Service):
    """What both engines share: the acting user, the rules to run and the calendar.

    ``rules`` given explicitly (tests, a single-rule run) win; otherwise the
    plugins' rules are asked through the registry method named by
    ``registry_method``.
    """

    registry_method = ""

    def __init__(
        self,
        actor: Actor,
        *,
        rules: Sequence[RuleSpec] | None = None,
        calendar: WorkCalendar | None = None,
    ) -> None:
        super().__init__(actor)
        self._rules = rules
        self._calendar = calendar

    def rules(self) -> list[RuleSpec]:
        if self._rules is not None:
            return list(self._rules)
        return list(getattr(get_registry(), self.registry_method)())
