"""Naming the records that escalations and cases point at, a page at a time.

An escalation targets ``(kind, id)``: a complaint (shown by its number), a
rating, a matter, a unit or a staff member; a case's evidence may also cite
findings, reviews and escalations.  :func:`describe` resolves a
page of such pairs with one query per kind, never one per record.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from ..models import Complaint, Escalation, Finding, Matter, Rating, Review, Staff, Unit

logger = logging.getLogger(__name__)

Target = tuple[str, int]


def describe(pairs: Iterable[Target]) -> dict[Target, dict[str, Any]]:
    """``{(kind, id): {"target": text, "unit_id": id or None}}`` for every pair given."""
    ids: dict[str, set[int]] = defaultdict(set)
    for kind, rid in pairs:
        ids[kind].add(int(rid))
    found: dict[Target, dict[str, Any]] = {}
    if ids.get("complaint"):
        rows = Complaint.select(Complaint.id, Complaint.number, Complaint.unit).where(
            Complaint.id.in_(ids["complaint"])
        )
        for rid, number, unit_id in rows.tuples():
            found[("complaint", rid)] = {"target": number, "unit_id": unit_id}
    if ids.get("rating"):
        rows = Rating.select(Rating.id, Rating.unit).where(Rating.id.in_(ids["rating"]))
        for rid, unit_id in rows.tuples():
            found[("rating", rid)] = {"target": f"评价 {rid}", "unit_id": unit_id}
    if ids.get("matter"):
        rows = Matter.select(Matter.id, Matter.code, Matter.name, Matter.unit).where(
            Matter.id.in_(ids["matter"])
        )
        for rid, code, name, unit_id in rows.tuples():
            found[("matter", rid)] = {"target": f"{code} {name}", "unit_id": unit_id}
    if ids.get("unit"):
        rows = Unit.select(Unit.id, Unit.code, Unit.name).where(Unit.id.in_(ids["unit"]))
        for rid, code, name in rows.tuples():
            found[("unit", rid)] = {"target": f"{code} {name}", "unit_id": rid}
    if ids.get("staff"):
        rows = Staff.select(Staff.id, Staff.number, Staff.name, Staff.unit).where(
            Staff.id.in_(ids["staff"])
        )
        for rid, number, name, unit_id in rows.tuples():
            found[("staff", rid)] = {"target": f"{number} {name}", "unit_id": unit_id}
    if ids.get("finding"):
        rows = (
            Finding.select(Finding.id, Finding.description, Review.unit)
            .join(Review)
            .where(Finding.id.in_(ids["finding"]))
        )
        for rid, description, unit_id in rows.tuples():
            found[("finding", rid)] = {
                "target": f"评议问题 {rid}：{description[:30]}",
                "unit_id": unit_id,
            }
    if ids.get("review"):
        rows = Review.select(Review.id, Review.method, Review.review_date, Review.unit).where(
            Review.id.in_(ids["review"])
        )
        for rid, method, day, unit_id in rows.tuples():
            found[("review", rid)] = {
                "target": f"监督评议 {rid}（{method} {day}）",
                "unit_id": unit_id,
            }
    if ids.get("escalation"):
        rows = Escalation.select(Escalation.id, Escalation.rule, Escalation.level).where(
            Escalation.id.in_(ids["escalation"])
        )
        for rid, rule, level in rows.tuples():
            found[("escalation", rid)] = {
                "target": f"督办 {rid}（{rule}，{level}）",
                "unit_id": None,
            }
    for kind, kind_ids in ids.items():
        for rid in kind_ids:
            found.setdefault((kind, rid), {"target": f"{kind} {rid}", "unit_id": None})
    return found


def unit_names(unit_ids: Iterable[int | None]) -> dict[int, str]:
    wanted = {u for u in unit_ids if u is not None}
    if not wanted:
        return {}
    return dict(Unit.select(Unit.id, Unit.name).where(Unit.id.in_(wanted)).tuples())


__all__ = ["Target", "describe", "unit_names"]
