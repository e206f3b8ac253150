"""Evaluations for the demo: supervisors' reviews 监督评议 (whose adopted
findings become complaints), ratings 好差评 with the 差评 loop, and
third-party surveys 第三方评估."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from typing import Any

from .. import identity, search
from ..models import RATING_LEVELS, Finding, ImportBatch, Rating, Review, SurveyResult
from ..workdays import END_OF_DAY
from . import names, words
from .bulk import columns, insert
from .complaints import Complaints
from .office import STAFF_USERS, SUPERVISORS, DemoUnit

logger = logging.getLogger(__name__)

# The fields of a rating before handling.
_NEW_RATING: dict[str, Any] = {
    "status": "无需处理",
    **dict.fromkeys(
        "contact_due_at finding verified_at rectify_kind rectify_due_at measures rectified_at visited_at closed_at batch external_id".split()
    ),
}


def rating_texts(rng: Any, level: int) -> tuple[str, str]:
    """(reasons, comment) of a rating of ``level``: every 差评 has both, half the praise a
    reason and a third a comment."""
    if level <= 2:
        return "；".join(rng.sample(words.BAD_REASONS, rng.randint(1, 2))), rng.choice(
            words.BAD_COMMENTS
        )
    reasons = rng.choice(words.GOOD_REASONS) if level >= 4 and rng.random() < 0.5 else ""
    comment = rng.choice(words.GOOD_COMMENTS) if level >= 4 and rng.random() < 0.35 else ""
    return reasons, comment


class Evaluations(Complaints):
    """Makes and stores reviews, ratings and surveys; builds on
    :class:`~.complaints.Complaints` because adopted findings are assigned as
    complaints."""

    def _sealer(self) -> identity.Sealer:
        """One ephemeral key for the demo's ratings, as an import batch has."""
        if getattr(self, "_seal", None) is None:
            self._seal = identity.sealer()
        return self._seal

    # -- reviews 监督评议 (written after the complaints that adopted findings become) ----

    def _reviews(self, months: list[dt.date]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        reviews: list[dict[str, Any]] = []
        seeds: list[dict[str, Any]] = []
        kind_weight = {"窗口": 5, "乡镇街道": 3, "区县": 1, "部门": 1}
        weights = [kind_weight[u.kind] for u in self.units]
        for month in months:
            _, workdays, share = self._month_days(month)
            for _ in range(round(self.rng.randint(10, 20) * share) if workdays else 0):
                review = self._review(self.rng.choice(workdays), self._pick_unit(weights))
                reviews.append(review)
                seeds += review["_seeds"]
        return reviews, seeds

    def _review(self, day: dt.date, u: DemoUnit) -> dict[str, Any]:
        rng = self.rng
        reviewer = rng.choice(SUPERVISORS) if rng.random() < 0.7 else rng.choice(STAFF_USERS)
        method = self._pick(words.METHOD_WEIGHTS)
        staff = self._pick_staff(u, 0.4)
        matter = self._pick_matter(u, 0.9)
        window = f"{rng.randint(1, 12)}号窗口" if u.kind == "窗口" else ""
        scores: list[int | None] = [None, None, None]
        conclusion = None
        if method != "视频巡查" or rng.random() < 0.5:
            base = rng.gauss(84, 8)
            marks = [max(60, min(100, round(base + rng.gauss(0, 4)))) for _ in range(3)]
            mean = sum(marks) / 3
            conclusion = (
                "好" if mean >= 90 else "较好" if mean >= 80 else "一般" if mean >= 70 else "差"
            )
            scores = list(marks)
        created = min(self._work_time(day), self.as_of)
        findings = []
        for _ in range(rng.choice((1, 1, 2, 2, 3))):
            category = self._pick(words.FINDING_CATEGORY_WEIGHTS)
            if category == "纪律":
                severity = rng.choice(("较重", "严重"))
            else:
                severity = self._pick({"一般": 72, "较重": 24, "严重": 4})
            text = rng.choice(words.FINDINGS[category]).format(
                window=f"{u.name}{window}",
                staff=staff[1] if staff else "",
                matter=matter[1].removesuffix("办理") if matter else "相关事项",
            )
            findings.append({"description": text, "category": category, "severity": severity})
        review: dict[str, Any] = {
            "reviewer": self.user_ids[reviewer],
            "reviewer_name": reviewer,
            "unit": u.id,
            "window": window,
            "staff": staff[0] if staff else None,
            "review_date": day,
            "method": method,
            "score_attitude": scores[0],
            "score_quality": scores[1],
            "score_management": scores[2],
            "conclusion": conclusion,
            "status": "待审核",
            "reject_reason": None,
            "decided_by": None,
            "decided_at": None,
            "created_at": created,
            "_findings": findings,
            "_seeds": [],
            "_events": [
                (
                    created,
                    reviewer,
                    "提交",
                    "待审核",
                    f"{method}，{u.name}，问题 {len(findings)} 条",
                )
            ],
        }
        decided = self._later(created, 1, 5)
        if decided > self.as_of or rng.random() < 0.08:
            return review  # still waiting for the office
        decider = rng.choice(STAFF_USERS)
        review.update(decided_by=decider, decided_at=decided)
        if rng.random() >= 0.78:
            reason = rng.choice(words.REVIEW_REJECT_REASONS)
            review.update(status="未采纳", reject_reason=reason)
            review["_events"].append((decided, decider, "不予采纳", "未采纳", reason))
            return review
        review["status"] = "已采纳"
        review["_events"].append((decided, decider, "采纳", "已采纳", "采纳"))
        serious = any(f["severity"] != "一般" for f in findings)
        if rng.random() < (0.7 if serious else 0.2):  # 采纳 and 交办: one complaint per finding
            for f in findings:
                seed = self._seed(
                    decided,
                    u,
                    channel="社会监督员",
                    category="投诉",
                    content=f["description"],
                    staff=staff,
                    matter=matter,
                )
                seed.update(
                    title=f"监督评议发现{u.name}{f['category']}问题",
                    _name=None,
                    _phone=None,
                    _id_no=None,
                    anonymous=False,
                    _finding=f,
                    _clerk=decider,
                )
                review["_seeds"].append(seed)
        return review

    def _store_reviews(self, reviews: list[dict[str, Any]]) -> None:
        review_ids = insert(Review, columns(reviews), ids=True)
        findings = []
        for review_id, review in zip(review_ids, reviews, strict=True):
            for f in review["_findings"]:
                number = f.get("_number")
                findings.append(
                    {
                        "review": review_id,
                        "description": f["description"],
                        "category": f["category"],
                        "severity": f["severity"],
                        "complaint": self.complaint_ids[number] if number else None,
                        "_f": f,
                    }
                )
        for finding_id, row in zip(
            insert(Finding, columns(findings), ids=True), findings, strict=True
        ):
            row["_f"]["_id"] = finding_id
        for review_id, review in zip(review_ids, reviews, strict=True):
            numbers = [f["_number"] for f in review["_findings"] if "_number" in f]
            for at, actor, action, status, note in review["_events"]:
                if action == "采纳" and numbers:
                    note = f"采纳，转为工单 {'、'.join(numbers)}"
                self._event("review", review_id, at, actor, action, status, note)
            for f in review["_findings"]:
                if "_event" in f:
                    f["_event"]["note"] += (
                        f"；来源：监督评议 #{review_id} 问题 #{f['_id']}"
                        f"（{review['reviewer_name']}，{review['method']}）"
                    )
        self.counts["reviews"], self.counts["findings"] = len(reviews), len(findings)

    # -- ratings 好差评 -----------------------------------------------------------------------

    def _ratings(self, month: dt.date) -> None:
        """One month of ratings: window and hotline ones entered, the rest from an import batch."""
        days, workdays, share = self._month_days(month)
        if not workdays:
            return
        kind_weight = {"窗口": 6, "乡镇街道": 3, "区县": 2, "部门": 1}
        weights = [kind_weight[u.kind] * (1 + u.weight / 5) for u in self.units]
        rows = [
            self._rating(self._pick_unit(weights), days, workdays)
            for _ in range(round(self.rng.randint(1500, 3000) * share))
        ]
        rows.sort(key=lambda r: r["rated_at"])
        imported = [r for r in rows if r["source"] != "entered"]
        done = min(self.as_of, self._work_time(self.cal.add(rows[-1]["rated_at"].date(), 1)))
        batch = ImportBatch.create(
            format="ratings",
            filename=f"好差评评价明细_{month:%Y%m}.xlsx",
            sha256=hashlib.sha256(f"demo-ratings-{month:%Y%m}-{self.seed}".encode()).hexdigest(),
            user=self.user_ids[STAFF_USERS[0]],
            started_at=done,
            finished_at=done,
            rows=len(imported),
            imported=len(imported),
            state="完成",
        )
        for i, row in enumerate(imported, 1):
            row.update(batch=batch.id, external_id=f"PJ{month:%Y%m}{i:06d}")
        seal = self._sealer()
        for (
            row
        ) in rows:  # bound to the rating's unit, time and source id, as the importer binds them
            aad = identity.rating_aad(
                row["unit"], row["rated_at"], row["source"], row["external_id"]
            )
            row.update(identity.rating_columns(seal, aad, *row["_rater"]))
        rating_ids = insert(Rating, columns(rows), ids=True)
        for rating_id, row in zip(rating_ids, rows, strict=True):
            for at, actor, action, status, note in row["_events"]:
                self._event("rating", rating_id, at, actor, action, status, note)
        search.index_ratings(
            (
                (rid, row["comment"], row["reasons"], row["window"])
                for rid, row in zip(rating_ids, rows, strict=True)
            ),
            fresh=True,
        )
        self.counts["ratings"] += len(rows)

    def _rating(self, u: DemoUnit, days: list[dt.date], workdays: list[dt.date]) -> dict[str, Any]:
        rng = self.rng
        channel = self._pick(words.RATING_CHANNEL_WEIGHTS)
        if channel in ("窗口", "自助终端"):
            rated = self._work_time(rng.choice(workdays))
        else:  # online, any day from 07:00 to 23:00
            rated = dt.datetime.combine(rng.choice(days), dt.time(7)) + dt.timedelta(
                minutes=rng.randint(0, 960)
            )
        rated = min(rated, self.as_of - dt.timedelta(minutes=rng.randint(1, 120)))
        level = self._pick(words.RATING_LEVEL_WEIGHTS)
        bad = level <= 2
        staff = self._pick_staff(u, 0.75 if channel == "窗口" else 0.3)
        matter = self._pick_matter(u, 0.6)
        real = rng.random() < 0.4
        reasons, comment = rating_texts(rng, level)
        row: dict[str, Any] = {
            "unit": u.id,
            "window": f"{rng.randint(1, 12)}号窗口" if u.kind == "窗口" else "",
            "staff": staff[0] if staff else None,
            "matter": matter[0] if matter else None,
            "channel": channel,
            "level": level,
            "bad": bad,
            "reasons": reasons,
            "comment": comment,
            "_rater": (names.person(rng), names.phone(rng))
            if real
            else (None, None),  # sealed once numbered
            "real_name": real,
            "rated_at": rated,
            "source": "entered" if channel in ("窗口", "热线") else "import",
            **_NEW_RATING,
            "_events": [],
        }
        clerk = rng.choice(STAFF_USERS)
        note = f"{RATING_LEVELS[level]}（{channel}）"
        if bad:
            row.update(status="待核实", contact_due_at=self.cal.due_at(rated, self.contact_days))
            note += f"，差评，{row['contact_due_at']:%Y-%m-%d} 前核实联系"
        if bad or row["source"] == "entered":  # imported praise has its batch, not a timeline
            row["_events"].append((rated, clerk, "评价", row["status"], note))
        if bad:
            self._bad_rating(row, u, clerk)
        return row

    def _bad_rating(self, row: dict[str, Any], u: DemoUnit, clerk: str) -> None:
        """The 差评 loop as :class:`~supervise.services.ratings.RatingService`
        records it: 核实 → 整改 (属实) → 回访 (real name) → 已办结, as far as ``as_of``."""
        rng, steps, unit_actor = self.rng, row["_events"], self._unit_actor(u)
        verified = self._later(row["rated_at"], 0, 2)
        if rng.random() < 0.04 or verified > self.as_of:
            return
        finding = self._pick({"属实": 60, "不属实": 28, "误评申诉": 12})
        contacted = "按期核实" if verified <= row["contact_due_at"] else "超期核实"
        after = "待回访" if row["real_name"] else "已办结"  # every real-name 差评 is visited back
        row.update(finding=finding, verified_at=verified)
        if finding != "属实":
            row.update(status=after, closed_at=verified if after == "已办结" else None)
            steps.append((verified, unit_actor, "核实", after, f"{contacted}：{finding}"))
            last = verified
        else:
            roll = rng.random()
            if roll < 0.4:
                kind, due = "立行立改", dt.datetime.combine(verified.date(), END_OF_DAY)
                rectified = min(verified + dt.timedelta(minutes=rng.randint(20, 180)), due)
            else:
                days = self.rectify_days[0] if roll < 0.8 else self.rectify_days[1]
                kind, due = "限期整改", self.cal.due_at(verified, days)
                rectified = self._later(verified, 0, days)
            if rng.random() < 0.1:
                rectified = self._later(due, 1, 4)
            row.update(status="待整改", rectify_kind=kind, rectify_due_at=due)
            steps.append(
                (
                    verified,
                    unit_actor,
                    "核实",
                    "待整改",
                    f"{contacted}：属实，{kind}，{due:%Y-%m-%d} 前整改",
                )
            )
            if rng.random() < 0.05 or rectified > self.as_of:
                return
            measures = rng.choice(words.RECTIFY_MEASURES)
            row.update(
                status=after,
                measures=measures,
                rectified_at=rectified,
                closed_at=rectified if after == "已办结" else None,
            )
            steps.append(
                (
                    rectified,
                    unit_actor,
                    "整改",
                    after,
                    f"{'按期' if rectified <= due else '超期'}整改：{measures}",
                )
            )
            last = rectified
        if after == "已办结":
            return
        visited = self._later(last, 1, 3)
        if rng.random() < 0.05 or visited > self.as_of:
            return
        row.update(status="已办结", visited_at=visited, closed_at=visited)
        result = "评价人认可整改结果" if finding == "属实" else "已向评价人说明核实情况"
        steps.append((visited, clerk, "回访", "已办结", f"回访结果：{result}"))

    # -- third-party surveys 第三方评估 ---------------------------------------------------------

    def _surveys(self, months: list[dt.date]) -> None:
        """One result per top-level unit for every finished quarter the months
        touch, or at least for the last finished quarter."""
        first = _quarter_start(months[0])
        if _quarter_end(first) >= self.today:
            first = _quarter_start(first - dt.timedelta(days=1))
        quarters = [first]
        while _quarter_end(_next_quarter(quarters[-1])) < self.today:
            quarters.append(_next_quarter(quarters[-1]))
        rows = []
        for i, start in enumerate(quarters):
            for u in self.units:
                if u.parent is not None:
                    continue
                satisfaction = round(self.rng.uniform(0.84, 0.97) - u.weight / 200, 3)
                rows.append(
                    {
                        "agency": words.SURVEY_AGENCIES[i % len(words.SURVEY_AGENCIES)],
                        "period_start": start,
                        "period_end": _quarter_end(start),
                        "unit": u.id,
                        "sample_size": self.rng.randint(120, 400),
                        "satisfaction": satisfaction,
                        "score": round(satisfaction * 100 - self.rng.uniform(0, 4), 1),
                        "problems": "；".join(self.rng.sample(words.SURVEY_PROBLEMS, 2)),
                    }
                )
        insert(SurveyResult, rows)
        self.counts["surveys"] = len(rows)


def _quarter_start(day: dt.date) -> dt.date:
    return dt.date(day.year, (day.month - 1) // 3 * 3 + 1, 1)


def _next_quarter(start: dt.date) -> dt.date:
    return dt.date(start.year + (start.month >= 10), (start.month + 2) % 12 + 1, 1)


def _quarter_end(start: dt.date) -> dt.date:
    return _next_quarter(start) - dt.timedelta(days=1)
