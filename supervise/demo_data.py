"""Old home of the demo word lists, kept for code that imports it (``bench/``).

They live in :mod:`supervise.demo.catalogue` (units and matters),
:mod:`supervise.demo.names` (people) and :mod:`supervise.demo.words`
(record texts); import from there.
"""

from __future__ import annotations

import logging

from .demo.catalogue import (
    CHILD_MATTER_WORDS,
    DEPARTMENT_MATTERS,
    DEPARTMENTS,
    DISTRICT_MATTERS,
    DISTRICTS,
    LIAISON_UNITS,
    STREET_MATTER_WORDS,
)
from .demo.names import (
    GIVEN_NAMES,
    GIVEN_SINGLE,
    ID_REGIONS,
    PHONE_PREFIXES,
    POSTS_OFFICE,
    POSTS_STREET,
    POSTS_WINDOW,
    SURNAMES,
    id_number,
    person,
    phone,
)
from .demo.words import (
    BAD_COMMENTS,
    BAD_REASONS,
    CALLER,
    CARD_WEIGHTS,
    CATEGORY_WEIGHTS,
    CHANNEL_WEIGHTS,
    CONTENTS,
    FINDING_CATEGORY_WEIGHTS,
    FINDINGS,
    GOOD_COMMENTS,
    GOOD_REASONS,
    METHOD_WEIGHTS,
    NOT_ACCEPTED,
    RATING_CHANNEL_WEIGHTS,
    RATING_LEVEL_WEIGHTS,
    RECTIFY_MEASURES,
    REPLIES,
    REVIEW_REJECT_REASONS,
    SURVEY_AGENCIES,
    SURVEY_PROBLEMS,
    TITLES,
)

__all__ = [
    "DEPARTMENTS",
    "DISTRICTS",
    "CHILD_MATTER_WORDS",
    "STREET_MATTER_WORDS",
    "LIAISON_UNITS",
    "DEPARTMENT_MATTERS",
    "DISTRICT_MATTERS",
    "SURNAMES",
    "GIVEN_NAMES",
    "GIVEN_SINGLE",
    "POSTS_WINDOW",
    "POSTS_OFFICE",
    "POSTS_STREET",
    "PHONE_PREFIXES",
    "ID_REGIONS",
    "CHANNEL_WEIGHTS",
    "CATEGORY_WEIGHTS",
    "CALLER",
    "CARD_WEIGHTS",
    "TITLES",
    "CONTENTS",
    "REPLIES",
    "NOT_ACCEPTED",
    "RATING_CHANNEL_WEIGHTS",
    "RATING_LEVEL_WEIGHTS",
    "GOOD_REASONS",
    "BAD_REASONS",
    "GOOD_COMMENTS",
    "BAD_COMMENTS",
    "RECTIFY_MEASURES",
    "METHOD_WEIGHTS",
    "FINDING_CATEGORY_WEIGHTS",
    "FINDINGS",
    "REVIEW_REJECT_REASONS",
    "SURVEY_AGENCIES",
    "SURVEY_PROBLEMS",
    "person",
    "phone",
    "id_number",
]

logger = logging.getLogger(__name__)
