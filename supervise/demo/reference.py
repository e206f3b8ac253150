"""Reference data for the demo: the unit tree, staff, the matter catalogue
with promised time limits, and a demo user for every role."""

from __future__ import annotations

import logging
from typing import Any

from ..models import Matter, Staff, Unit, User
from ..services.reference import ReferenceService
from . import catalogue, names
from .bulk import columns, insert
from .office import STAFF_USERS, SUPERVISORS, DemoUnit, Office

logger = logging.getLogger(__name__)

PASSWORD = "demo-2026"


class Reference(Office):
    """Writes units, staff, matters and users, filling :attr:`Office.units`."""

    def _units(self) -> None:
        for i, (name, kind, weight, children) in enumerate(
            catalogue.DEPARTMENTS + catalogue.DISTRICTS, 1
        ):
            top = DemoUnit(f"U{i:02d}", name, kind, None, weight)
            self.units.append(top)
            for j, (child, child_kind, child_weight) in enumerate(children, 1):
                self.units.append(
                    DemoUnit(f"{top.code}{j:02d}", child, child_kind, top.code, child_weight)
                )
        self.by_code = {u.code: u for u in self.units}
        for nested in (False, True):  # parents first: children need their ids
            rows = [
                {
                    "code": u.code,
                    "name": u.name,
                    "kind": u.kind,
                    "parent": self.by_code[u.parent].id if u.parent else None,
                }
                for u in self.units
                if (u.parent is not None) == nested
            ]
            insert(Unit, rows)
            ids = dict(Unit.select(Unit.code, Unit.id).tuples())
            for u in self.units:
                u.id = ids.get(u.code, 0)
        self.counts["units"] = len(self.units)

    def _staff(self) -> None:
        rows: list[dict[str, Any]] = []
        seen: set[str] = set()
        for u in self.units:
            if u.kind == "窗口":
                n, posts = self.rng.randint(10, 16), names.POSTS_WINDOW
            elif u.kind == "乡镇街道":
                n, posts = self.rng.randint(5, 8), names.POSTS_STREET
            else:
                n, posts = self.rng.randint(3, 6), names.POSTS_OFFICE
            for _ in range(n):
                name = names.person(self.rng)
                while name in seen:
                    name = names.person(self.rng)
                seen.add(name)
                rows.append(
                    {
                        "number": f"S{len(rows) + 1:04d}",
                        "name": name,
                        "unit": u.id,
                        "post": self.rng.choice(posts),
                        "_unit": u,
                    }
                )
        for staff_id, row in zip(insert(Staff, columns(rows), ids=True), rows, strict=True):
            row["_unit"].staff.append((staff_id, row["name"]))
        self.counts["staff"] = len(rows)

    def _matters(self) -> None:
        rows: list[dict[str, Any]] = []
        for u in self.units:
            if u.parent is not None:
                continue
            for name, legal in catalogue.DEPARTMENT_MATTERS.get(u.name, catalogue.DISTRICT_MATTERS):
                least = -(-legal * 3 // 10)  # 30%, rounded up
                if self.rng.random() < 0.1:  # misses the 75% compression target
                    promised = self.rng.randint(least, max(least, legal * 6 // 10))
                else:
                    promised = max(1, int(legal * self.rng.uniform(0.1, 0.25)))
                rows.append(
                    {
                        "code": f"M{len(rows) + 1:03d}",
                        "name": name,
                        "unit": u.id,
                        "legal_days": legal,
                        "promised_days": min(promised, legal),
                        "_unit": u,
                    }
                )
        for matter_id, row in zip(insert(Matter, columns(rows), ids=True), rows, strict=True):
            row["_unit"].matters.append((matter_id, row["name"]))
        for u in self.units:
            if u.parent is None:  # a few matters take most of the cases
                self.rng.shuffle(u.matters)
                u.matter_weights = [1 / (i + 1) for i in range(len(u.matters))]
        for u in self.units:  # windows and streets handle (some of) their parent's matters
            if u.parent is None:
                continue
            parent = self.by_code[u.parent]
            words = (
                catalogue.STREET_MATTER_WORDS
                if u.kind == "乡镇街道"
                else catalogue.CHILD_MATTER_WORDS.get(u.name)
            )
            for matter, weight in zip(parent.matters, parent.matter_weights, strict=True):
                if words is None or any(w in matter[1] for w in words):
                    u.matters.append(matter)
                    u.matter_weights.append(weight)
        self.counts["matters"] = len(rows)

    def _users(self) -> list[dict[str, Any]]:
        specs: list[tuple[str, str, str | None]] = [("admin", "admin", None)]
        specs += [(name, "staff", None) for name in STAFF_USERS]
        specs += [(f"lly_{code}", "liaison", code) for code in catalogue.LIAISON_UNITS]
        specs += [(name, "supervisor", None) for name in SUPERVISORS]
        specs.append(("leader", "viewer", None))
        service = ReferenceService(self.actor)
        created = []
        for name, role, unit in specs:
            existing = User.get_or_none(User.name == name)
            if existing is not None:
                logger.info("demo user %s exists; left as it is", name)
                self.user_ids[name] = existing.id
                continue
            self.user_ids[name] = service.add_user(name, role, PASSWORD, unit).id
            created.append({"name": name, "role": role, "unit": unit, "password": PASSWORD})
        self.counts["users"] = len(created)
        return created
