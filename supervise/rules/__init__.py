"""Rule engines: escalation (督办) and accountability (问责) rules from plugins.

The rules themselves are plugins (``supervise_register_escalation_rules``,
``supervise_register_accountability_rules``; the built-ins live in
``plugins/escalation_rules.py`` and ``plugins/accountability_rules.py``).
The engines here ask the registry for them and run every rule at one
instant (``--as-of``, default now), so that a result can be reproduced:

- :class:`EscalationEngine` — ``escalate``: raise, re-level and resolve
  escalation records, idempotently;
- :class:`ProposalEngine` — ``accountability propose``: propose cases, never
  twice for the same evidence;
- :func:`dashboard_counts` — the dashboard's escalation figures, from the
  same rule queries.

How a rule is called and what it returns: :mod:`supervise.rules.context`
and ``docs/RULES.md``.
"""

from __future__ import annotations

import logging

from .accountability import ProposalEngine, ProposalRun
from .context import (
    LEVEL_RANK,
    NULL_ID,
    CaseProposal,
    EscalationHit,
    RuleContext,
    as_text,
    complaint_unanswered,
    day_text,
    evidence_json,
    level_rank,
    rating_unrectified,
    text,
)
from .engine import RuleFailure, rule_parameters
from .escalation import EscalationEngine, EscalationRun, dashboard_counts
from .ranking import bottom_units

logger = logging.getLogger(__name__)

__all__ = [
    "LEVEL_RANK",
    "NULL_ID",
    "CaseProposal",
    "EscalationEngine",
    "EscalationHit",
    "EscalationRun",
    "ProposalEngine",
    "ProposalRun",
    "RuleContext",
    "RuleFailure",
    "as_text",
    "bottom_units",
    "complaint_unanswered",
    "dashboard_counts",
    "day_text",
    "evidence_json",
    "level_rank",
    "rating_unrectified",
    "rule_parameters",
    "text",
]
