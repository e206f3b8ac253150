"""Complaints 诉求工单 for the demo: registered, numbered per month and walked
through their lifecycle (交办, 延期, 反馈, 回访, 重办, 办结, or ended early by
不予受理 or 并单) as far as ``as_of``, as the complaint service records them."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from .. import identity, search
from ..models import Complaint, Counter
from ..services.complaints import new_receipt_code
from . import names, words
from .bulk import columns, insert
from .office import STAFF_USERS, DemoUnit, Office

logger = logging.getLogger(__name__)

# The fields a registered complaint has yet to fill in.
_NEW_COMPLAINT: dict[str, Any] = {
    "status": "登记",
    "reopen_count": 0,
    "extension_count": 0,
    **dict.fromkeys(
        "card limit_days assigned_at due_at replied_at reply_text visited_at visit_result resolved closed_at end_reason".split()
    ),
}


def _assign_note(unit: str, card: str, limit: int, due: dt.datetime) -> str:
    return f"承办单位 {unit}，{card}色交办单，时限 {limit} 个工作日，{due:%Y-%m-%d} 前办结"


class Complaints(Office):
    """Makes complaint rows with their timeline events and stores them."""

    def _seed(
        self,
        received: dt.datetime,
        u: DemoUnit,
        *,
        channel: str,
        category: str,
        content: str | None = None,
        staff: tuple[int, str] | None = None,
        matter: tuple[int, str] | None = None,
    ) -> dict[str, Any]:
        """A complaint as registered (登记), before its lifecycle."""
        rng = self.rng
        if content is None:
            staff = self._pick_staff(u, 0.6 if category in ("投诉", "表扬", "举报") else 0.1)
            matter = self._pick_matter(u, 0.85)
        blanks = {
            "unit": u.name,
            "matter": matter[1].removesuffix("办理") if matter else "相关业务",
            "staff": staff[1] if staff else "",
            "n": rng.randint(2, 5),
            "days": rng.randint(2, 10),
        }
        title = rng.choice(words.TITLES[category]).format(**blanks)
        if content is None:
            content = rng.choice(words.CONTENTS[category]).format(**blanks)
            content = content.replace("来电人", words.CALLER.get(channel, "群众"))
        anonymous = rng.random() < (0.5 if category == "举报" else 0.12)
        return {
            "channel": channel,
            "category": category,
            "title": title,
            "content": content,
            "_name": None if anonymous else names.person(rng),
            "_phone": None if anonymous or rng.random() < 0.05 else names.phone(rng),
            "_id_no": None if anonymous or rng.random() < 0.65 else names.id_number(rng),
            "anonymous": anonymous,
            "unit": u.id,
            "staff": staff[0] if staff else None,
            "matter": matter[0] if matter else None,
            "received_at": received,
            "created_at": received,
            **_NEW_COMPLAINT,
            "_unit": u,
            "_matter": blanks["matter"],
        }

    def _complaints(
        self, months: list[dt.date], seeds: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        """All complaints in order of receipt, numbered per month, each walked to ``as_of``."""
        weights = [u.weight**1.6 for u in self.units]  # a few units take most
        for month in months:
            _, workdays, share = self._month_days(month)
            for _ in range(round(self.rng.randint(150, 250) * share) if workdays else 0):
                received = self._work_time(self.rng.choice(workdays))
                seeds.append(
                    self._seed(
                        received,
                        self._pick_unit(weights),
                        channel=self._pick(words.CHANNEL_WEIGHTS),
                        category=self._pick(words.CATEGORY_WEIGHTS),
                    )
                )
        seeds.sort(key=lambda c: c["received_at"])
        sequence: dict[str, int] = {}
        seal = identity.sealer()  # identities are stored sealed, as registration stores them
        for i, c in enumerate(seeds):
            yyyymm = f"{c['received_at']:%Y%m}"
            sequence[yyyymm] = sequence.get(yyyymm, 0) + 1
            c["number"] = f"TS{yyyymm}{sequence[yyyymm]:05d}"
            c.update(
                identity.complaint_columns(seal, c["number"], c["_name"], c["_phone"], c["_id_no"])
            )
            c["receipt_code"] = new_receipt_code()  # unguessable: never from the seed
            self._lifecycle(c, seeds[max(0, i - 300) : i])
        self.counts["complaints"] = len(seeds)
        return seeds

    def _lifecycle(self, c: dict[str, Any], earlier: list[dict[str, Any]]) -> None:
        """Walk one complaint through its steps as far as ``as_of``, as
        :class:`~supervise.services.complaints.ComplaintService` records them."""
        clerk = c.get("_clerk") or self.rng.choice(STAFF_USERS)
        registered = self._step(c, c["received_at"], clerk, "登记", f"{c['channel']}受理")
        if "_finding" in c:
            c["_finding"].update(_number=c["number"], _event=registered)
        elif self._ends_early(c, earlier, clerk):
            return
        if self._assign(c, clerk):
            self._answer(c, clerk)

    def _ends_early(self, c: dict[str, Any], earlier: list[dict[str, Any]], clerk: str) -> bool:
        """不予受理 or 并单 for a few; True when the complaint ended there."""
        roll = self.rng.random()
        if roll >= 0.045 or c["category"] == "表扬":
            return False
        at = self._later(c["received_at"], 0, 1)
        if at > self.as_of:
            return False
        if roll < 0.02:
            reason = self.rng.choice(words.NOT_ACCEPTED)
            c.update(status="不予受理", end_reason=reason, closed_at=at)
            self._step(c, at, clerk, "不予受理", reason)
            return True
        recent = c["received_at"] - dt.timedelta(days=20)
        same = [
            e
            for e in earlier
            if e["unit"] == c["unit"]
            and e["received_at"] >= recent
            and e["status"] not in ("不予受理", "已并单")
        ]
        if not same:
            return False
        target = self.rng.choice(same)
        reason = f"并入 {target['number']}：反映同一问题，并入该件办理"
        c.update(status="已并单", end_reason=reason, closed_at=at, _merged=target["number"])
        self._step(c, at, clerk, "并单", reason)
        return True

    def _assign(self, c: dict[str, Any], clerk: str) -> bool:
        """交办 (a few first to the wrong unit: 退回, then 改派); False if not yet."""
        rng, u, received = self.rng, c["_unit"], c["received_at"]
        if "_finding" in c:  # adopted and assigned in one action, 黄 card
            card, at = "黄", received
        else:
            card = rng.choices(("蓝", "黄", "红"), weights=words.CARD_WEIGHTS[c["category"]])[0]
            at = received + dt.timedelta(minutes=rng.randint(10, 150))
            at = min(at, dt.datetime.combine(received.date(), dt.time(20, 0)))
        limit = int(self.card_days[card])
        due = self.cal.due_at(received, limit)  # counted from the day of receipt
        if at > self.as_of:
            return False
        action = "交办"
        if "_finding" not in c and rng.random() < 0.03:
            wrong = rng.choice([w for w in self.units if w.parent is None and w is not u])
            back = at + dt.timedelta(minutes=rng.randint(30, 120))
            again = back + dt.timedelta(minutes=rng.randint(10, 60))
            if again <= self.as_of:
                note = _assign_note(wrong.name, card, limit, due)
                self._step(c, at, clerk, "交办", note, status="已交办")
                self._step(c, back, self._unit_actor(wrong), "退回", "非本单位职责范围，申请退回")
                at, action = again, "改派"
        c.update(status="已交办", card=card, limit_days=limit, assigned_at=at, due_at=due)
        self._step(c, at, clerk, action, _assign_note(u.name, card, limit, due))
        return True

    def _answer(self, c: dict[str, Any], clerk: str) -> None:
        """反馈 → 回访 (不满意: 重办, once or twice) → 办结, as far as ``as_of``."""
        rng, u = self.rng, c["_unit"]
        reopens = 0
        if rng.random() < (0.13 if c["category"] in ("投诉", "求助", "举报") else 0.04):
            reopens = 1 if rng.random() < 0.8 else 2
        start, limit = c["assigned_at"], c["limit_days"]
        while True:
            start = self._maybe_extend(c, start, clerk)
            reply = self._reply_time(start, c["due_at"], limit)
            if reply is None or reply > self.as_of:
                return
            text = rng.choice(words.REPLIES).format(matter=c["_matter"])
            c.update(status="已反馈", replied_at=reply, reply_text=text)
            timely = "按期反馈" if reply <= c["due_at"] else "超期反馈"
            self._step(c, reply, self._unit_actor(u), "反馈", f"{timely}：{text}")
            last = reply
            if c["anonymous"] or (c["category"] in ("咨询", "表扬") and rng.random() < 0.5):
                break  # no one to visit back: closed after the reply
            visited = last = self._later(reply, 1, 3)
            if visited > self.as_of:
                return
            if c["reopen_count"] < reopens:
                result, resolved = ("不满意", False) if rng.random() < 0.9 else ("基本满意", False)
            else:
                result, resolved = ("满意", True) if rng.random() < 0.62 else ("基本满意", True)
            c.update(status="已回访", visited_at=visited, visit_result=result, resolved=resolved)
            self._step(c, visited, clerk, "回访", f"{result}，{'已解决' if resolved else '未解决'}")
            if resolved:
                break
            start = visited  # 重办: the limit again, from the day of the visit
            c["reopen_count"] += 1
            c.update(status="已交办", due_at=self.cal.due_at(start, limit), replied_at=None)
            note = f"第 {c['reopen_count']} 次重办，{c['due_at']:%Y-%m-%d} 前办结"
            self._step(c, start, clerk, "重办", note)
        closed = self._later(last, 0, 1)
        if closed <= self.as_of:
            c.update(status="已办结", closed_at=closed)
            self._step(c, closed, clerk, "办结")

    def _maybe_extend(self, c: dict[str, Any], start: dt.datetime, clerk: str) -> dt.datetime:
        """延期 for a few: the unit asks for 5 more working days, staff approve.
        Returns when the unit's work goes on: ``start``, or the approval."""
        if c["limit_days"] < 3 or c["extension_count"] or self.rng.random() >= 0.04:
            return start
        asked = self._work_time(self.cal.add(start.date(), max(1, c["limit_days"] - 1)))
        approved = asked + dt.timedelta(minutes=self.rng.randint(20, 120))
        if not start < asked < approved <= min(self.as_of, c["due_at"]):
            return start
        c["due_at"] = self.cal.due_at(c["due_at"].date(), 5)
        c["extension_count"] = 1
        unit_actor = self._unit_actor(c["_unit"])
        self._step(c, asked, unit_actor, "申请延期", "申请延期 5 个工作日：需协调多个部门联合核查")
        self._step(
            c, approved, clerk, "批准延期", f"延期 5 个工作日，{c['due_at']:%Y-%m-%d} 前办结。"
        )
        return approved

    def _reply_time(self, start: dt.datetime, due: dt.datetime, limit: int) -> dt.datetime | None:
        """When the unit answers: mostly on time, about 12% late, a few never."""
        roll = self.rng.random()
        if roll < 0.03:
            return None
        if roll < 0.15:
            return self._work_time(self.cal.add(due.date(), self.rng.randint(1, 6)))
        reply = self._later(start, 0, limit)
        return min(reply, due - dt.timedelta(minutes=self.rng.randint(1, 30)))

    def _store_complaints(self, complaints: list[dict[str, Any]]) -> None:
        rows = [  # on PostgreSQL each row carries its keyword index (tsv)
            {**row, **search.row_index(c["title"], c["content"], c["reply_text"])}
            for row, c in zip(columns(complaints), complaints, strict=True)
        ]
        insert(Complaint, rows, raw=search.row_columns())
        ids = self.complaint_ids = dict(Complaint.select(Complaint.number, Complaint.id).tuples())
        for c in complaints:
            if "_merged" in c:
                Complaint.update(merged_into=ids[c["_merged"]]).where(
                    Complaint.id == ids[c["number"]]
                ).execute()
        for event in self.events:
            event["record_id"] = ids[event["record_id"]]
        last = {f"complaint:{c['number'][2:8]}": int(c["number"][8:]) for c in complaints}
        if last:  # the month counters go on from here
            Counter.insert_many([{"name": k, "value": v} for k, v in last.items()]).on_conflict(
                conflict_target=[Counter.name], preserve=[Counter.value]
            ).execute()
        search.index_new(
            search.COMPLAINTS,
            ((ids[c["number"]], c["title"], c["content"], c["reply_text"]) for c in complaints),
        )
