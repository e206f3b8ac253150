"""The schema: one peewee model per record of SPEC §2 and §10.

Every model binds to :data:`supervise.db.database`.  Records that people edit
carry a ``version`` column for optimistic locking (a stale edit fails with
exit 5).  Enumerations are stored as their Chinese words, as the spec names
them, so that exports and ``--json`` answers need no translation table.
Changes to this file need a migration in :mod:`supervise.migrations`.
"""

from __future__ import annotations

import datetime as dt
import logging

import peewee as pw

from .db import database

logger = logging.getLogger(__name__)

# -- enumerations (SPEC §1, §2) ------------------------------------------------

ROLES = ("admin", "staff", "liaison", "supervisor", "viewer")
UNIT_KINDS = ("区县", "部门", "窗口", "乡镇街道")
CHANNELS = (
    "12345热线",
    "办不成事窗口",
    "网站",
    "信件",
    "来访",
    "社会监督员",
    "好差评转办",
    "第三方评估",
    "其他",
)
CATEGORIES = ("咨询", "求助", "投诉", "举报", "建议", "表扬")
COMPLAINT_STATUSES = ("登记", "已交办", "已反馈", "已回访", "已办结", "不予受理", "已并单")
CARDS = ("蓝", "黄", "红")
VISIT_RESULTS = ("满意", "基本满意", "不满意")
REVIEW_METHODS = ("明察", "暗访", "座谈评议", "问卷", "视频巡查")
REVIEW_CONCLUSIONS = ("好", "较好", "一般", "差")
REVIEW_STATUSES = ("待审核", "已采纳", "未采纳")
FINDING_CATEGORIES = ("态度", "效率", "作风", "纪律", "环境", "其他")
SEVERITIES = ("一般", "较重", "严重")
RATING_CHANNELS = ("窗口", "网上", "掌上", "自助终端", "热线", "短信")
RATING_LEVELS = {5: "非常满意", 4: "满意", 3: "基本满意", 2: "不满意", 1: "非常不满意"}
RATING_STATUSES = ("无需处理", "待核实", "待整改", "待回访", "已办结")
RATING_FINDINGS = ("属实", "不属实", "误评申诉")
ESCALATION_LEVELS = ("预警", "催办", "督办", "挂牌督办", "约谈提醒")
FAILURE_KINDS = ("不作为", "慢作为", "乱作为")
UNIT_FORMS = ("检查", "通报", "约谈", "改组")
PERSON_FORMS = ("谈话提醒", "批评教育", "责令检查", "通报批评", "诫勉", "组织调整", "政务处分")
# 政务处分 and their periods in months (开除 has none).
SANCTIONS = {"警告": 6, "记过": 12, "记大过": 18, "降级": 24, "撤职": 24, "开除": None}
CASE_STATUSES = ("待决定", "已决定", "不予问责")


def now() -> dt.datetime:
    """Local time to the second: the resolution of every stored instant."""
    return dt.datetime.now().replace(microsecond=0)


class BaseModel(pw.Model):
    class Meta:
        database = database
        legacy_table_names = False


class Versioned(BaseModel):
    """A record people edit: optimistic locking through ``version``."""

    version = pw.IntegerField(default=1)


# -- system --------------------------------------------------------------------


class SchemaMigration(BaseModel):
    version = pw.IntegerField(primary_key=True)
    name = pw.CharField()
    applied_at = pw.DateTimeField(default=now)


class Counter(BaseModel):
    """Named sequences (complaint numbers per month); bumped under the write lock."""

    name = pw.CharField(primary_key=True)
    value = pw.IntegerField(default=0)


class Setting(Versioned):
    key = pw.CharField(primary_key=True)
    value = pw.TextField()  # JSON


class CalendarOverride(Versioned):
    day = pw.DateField(unique=True)
    kind = pw.CharField()  # 'holiday' | 'workday'
    note = pw.CharField(default="")


# -- reference data (SPEC §2) --------------------------------------------------


class Unit(Versioned):
    code = pw.CharField(unique=True)
    name = pw.CharField()
    parent = pw.ForeignKeyField("self", null=True, backref="children", on_delete="RESTRICT")
    kind = pw.CharField(default="部门")
    active = pw.BooleanField(default=True)


class User(Versioned):
    name = pw.CharField(unique=True)
    role = pw.CharField()
    unit = pw.ForeignKeyField(Unit, null=True, backref="users")
    password_hash = pw.CharField()
    active = pw.BooleanField(default=True)
    failed_logins = pw.IntegerField(default=0)
    locked_until = pw.DateTimeField(null=True)
    created_at = pw.DateTimeField(default=now)


class IdentityKey(BaseModel):
    """The office identity key and its wrappings (supervise.identity, docs/SECURITY.md).

    ``office``: the public key only.  ``recovery``: the office private key
    wrapped under the printed recovery key.  ``user``: that user's own public
    key, their private key wrapped under their password (``secret``), and the
    office private key sealed to them (``grant``) once granted.
    """

    kind = pw.CharField()  # office / recovery / user
    user = pw.ForeignKeyField(User, null=True, unique=True, on_delete="CASCADE")
    public_key = pw.CharField()
    secret = pw.TextField(null=True)
    grant = pw.TextField(null=True)
    granted_by = pw.CharField(null=True)
    granted_at = pw.DateTimeField(null=True)
    created_at = pw.DateTimeField(default=now)


class Staff(Versioned):
    number = pw.CharField(unique=True)
    name = pw.CharField()
    unit = pw.ForeignKeyField(Unit, backref="staff")
    post = pw.CharField(default="")
    active = pw.BooleanField(default=True)


class Matter(Versioned):
    code = pw.CharField(unique=True)
    name = pw.CharField()
    unit = pw.ForeignKeyField(Unit, backref="matters")
    legal_days = pw.IntegerField()
    promised_days = pw.IntegerField(null=True)


class ImportBatch(Versioned):
    format = pw.CharField()
    filename = pw.CharField()
    sha256 = pw.CharField()
    user = pw.ForeignKeyField(User, null=True)
    started_at = pw.DateTimeField(default=now)
    finished_at = pw.DateTimeField(null=True)
    rows = pw.IntegerField(default=0)
    imported = pw.IntegerField(default=0)
    duplicates = pw.IntegerField(default=0)
    errors = pw.IntegerField(default=0)
    state = pw.CharField(default="进行中")  # 进行中 / 完成 / 已撤销


# -- complaints 诉求工单 (SPEC §2.1) ---------------------------------------------


class Complaint(Versioned):
    number = pw.CharField(unique=True)
    receipt_code = pw.CharField(unique=True)
    channel = pw.CharField()
    category = pw.CharField()
    title = pw.CharField(default="")
    content = pw.TextField()
    # the complainant's identity, sealed to the office key (supervise.identity), and its masked forms
    identity_sealed = pw.TextField(null=True)
    masked_name = pw.CharField(null=True)
    masked_phone = pw.CharField(null=True)
    masked_id_no = pw.CharField(null=True)
    identity_purged_at = pw.DateTimeField(null=True)  # retention (identity.retention_days)
    anonymous = pw.BooleanField(default=False)
    unit = pw.ForeignKeyField(Unit, null=True, backref="complaints")
    staff = pw.ForeignKeyField(Staff, null=True)
    matter = pw.ForeignKeyField(Matter, null=True)
    received_at = pw.DateTimeField(index=True)
    status = pw.CharField(default="登记")
    card = pw.CharField(null=True)
    limit_days = pw.IntegerField(null=True)
    assigned_at = pw.DateTimeField(null=True)
    due_at = pw.DateTimeField(null=True)
    replied_at = pw.DateTimeField(null=True)
    reply_text = pw.TextField(null=True)
    visited_at = pw.DateTimeField(null=True)
    visit_result = pw.CharField(null=True)
    resolved = pw.BooleanField(null=True)
    closed_at = pw.DateTimeField(null=True)
    reopen_count = pw.IntegerField(default=0)
    extension_count = pw.IntegerField(default=0)
    extension_days = pw.IntegerField(null=True)  # a pending 延期 request
    extension_reason = pw.TextField(null=True)
    end_reason = pw.TextField(null=True)
    merged_into = pw.ForeignKeyField("self", null=True)
    source = pw.CharField(default="entered")
    batch = pw.ForeignKeyField(ImportBatch, null=True, on_delete="CASCADE")
    external_id = pw.CharField(null=True)
    created_at = pw.DateTimeField(default=now)

    class Meta:
        indexes = (
            (("source", "external_id"), True),
            (("unit", "status"), False),
            (("status", "due_at"), False),
            # list filters, newest first, without sorting every match (issue #3 bench)
            (("unit", "received_at"), False),
            (("status", "received_at", "due_at"), False),  # also 超期, newest first, covered
            (("category", "received_at"), False),
            (("channel", "received_at"), False),
            # deadline rules (临期/超期) read due, status and reply times from the index (issue #5)
            (("due_at", "status", "replied_at", "assigned_at"), False),
        )


class TimelineEvent(BaseModel):
    """One step of a record's life: who, when, what, note (SPEC §2.1)."""

    record_kind = pw.CharField()  # complaint / rating / review
    record_id = pw.IntegerField()
    at = pw.DateTimeField()
    actor = pw.CharField()
    action = pw.CharField()
    status = pw.CharField(null=True)  # the status after the step
    note = pw.TextField(default="")

    class Meta:
        indexes = ((("record_kind", "record_id", "at"), False),)


# -- reviews 监督评议 (SPEC §2.2) ------------------------------------------------


class Review(Versioned):
    reviewer = pw.ForeignKeyField(User, null=True, backref="reviews")
    reviewer_name = pw.CharField()
    unit = pw.ForeignKeyField(Unit, backref="reviews")
    window = pw.CharField(default="")
    staff = pw.ForeignKeyField(Staff, null=True)
    review_date = pw.DateField()
    method = pw.CharField()
    score_attitude = pw.IntegerField(null=True)
    score_quality = pw.IntegerField(null=True)
    score_management = pw.IntegerField(null=True)
    conclusion = pw.CharField(null=True)
    status = pw.CharField(default="待审核")
    reject_reason = pw.TextField(null=True)
    decided_by = pw.CharField(null=True)
    decided_at = pw.DateTimeField(null=True)
    source = pw.CharField(default="entered")
    batch = pw.ForeignKeyField(ImportBatch, null=True, on_delete="CASCADE")
    external_id = pw.CharField(null=True)
    created_at = pw.DateTimeField(default=now)

    class Meta:
        indexes = ((("source", "external_id"), True),)


class Finding(BaseModel):
    review = pw.ForeignKeyField(Review, backref="findings", on_delete="CASCADE")
    description = pw.TextField()
    category = pw.CharField(default="其他")
    severity = pw.CharField(default="一般")
    complaint = pw.ForeignKeyField(Complaint, null=True, backref="from_findings")


class Attachment(BaseModel):
    """A file stored in the database with its sha256 (SPEC §10)."""

    owner_kind = pw.CharField()  # finding / complaint / rating
    owner_id = pw.IntegerField()
    filename = pw.CharField()
    mime = pw.CharField(default="application/octet-stream")
    size = pw.IntegerField()
    sha256 = pw.CharField()
    content = pw.BlobField()
    created_at = pw.DateTimeField(default=now)

    class Meta:
        indexes = ((("owner_kind", "owner_id"), False),)


# -- ratings 好差评 (SPEC §2.3) --------------------------------------------------


class Rating(Versioned):
    unit = pw.ForeignKeyField(Unit, backref="ratings")
    window = pw.CharField(default="")
    staff = pw.ForeignKeyField(Staff, null=True)
    matter = pw.ForeignKeyField(Matter, null=True)
    channel = pw.CharField(default="窗口")
    level = pw.IntegerField()
    bad = pw.BooleanField(default=False)
    reasons = pw.TextField(default="")
    comment = pw.TextField(default="")
    # the rater's identity, sealed to the office key (supervise.identity), and its masked forms
    identity_sealed = pw.TextField(null=True)
    masked_name = pw.CharField(null=True)
    masked_phone = pw.CharField(null=True)
    identity_purged_at = pw.DateTimeField(null=True)
    real_name = pw.BooleanField(default=False)
    rated_at = pw.DateTimeField(index=True)
    status = pw.CharField(default="无需处理")
    contact_due_at = pw.DateTimeField(null=True)
    finding = pw.CharField(null=True)
    verified_at = pw.DateTimeField(null=True)
    rectify_kind = pw.CharField(null=True)  # 立行立改 / 限期整改
    rectify_due_at = pw.DateTimeField(null=True)
    measures = pw.TextField(null=True)
    rectified_at = pw.DateTimeField(null=True)
    visited_at = pw.DateTimeField(null=True)
    closed_at = pw.DateTimeField(
        null=True, index=True
    )  # the report asks for closures after an instant
    source = pw.CharField(default="entered")
    batch = pw.ForeignKeyField(ImportBatch, null=True, on_delete="CASCADE")
    external_id = pw.CharField(null=True)

    class Meta:
        indexes = (
            (("source", "external_id"), True),
            (("unit", "rated_at"), False),
            (("status", "rated_at"), False),  # 待处理 and each status, newest first (migration 7)
            (("bad", "rated_at"), False),  # 仅差评, newest first (migration 7)
        )


class SurveyResult(BaseModel):
    """A third-party evaluation (第三方评估) of one unit over a period."""

    agency = pw.CharField()
    period_start = pw.DateField()
    period_end = pw.DateField()
    unit = pw.ForeignKeyField(Unit, backref="surveys")
    sample_size = pw.IntegerField()
    satisfaction = pw.FloatField()
    score = pw.FloatField(null=True)
    problems = pw.TextField(default="")
    batch = pw.ForeignKeyField(ImportBatch, null=True, on_delete="CASCADE")
    external_id = pw.CharField(null=True)


# -- escalation 督办 and accountability 问责 (SPEC §2.4) -------------------------


class Escalation(Versioned):
    rule = pw.CharField()
    target_kind = pw.CharField()  # complaint / rating / unit
    target_id = pw.IntegerField()
    level = pw.CharField()
    reason = pw.TextField()
    raised_at = pw.DateTimeField()
    updated_at = pw.DateTimeField()
    state = pw.CharField(default="open")  # open / resolved
    resolved_at = pw.DateTimeField(null=True)

    class Meta:
        indexes = (
            (("rule", "target_kind", "target_id"), True),
            (("state", "level"), False),
            # the rules engine reads a rule's records in target order without the table (issue #5)
            (("rule", "target_kind", "target_id", "state", "level", "updated_at"), False),
        )


class AccountabilityCase(Versioned):
    rule = pw.CharField()
    target_kind = pw.CharField()  # unit / staff
    unit = pw.ForeignKeyField(Unit)
    staff = pw.ForeignKeyField(Staff, null=True)
    failure_kind = pw.CharField()  # 不作为 / 慢作为 / 乱作为
    evidence = pw.TextField()  # JSON list of {"kind", "id"}
    evidence_key = pw.CharField(unique=True)
    reason = pw.TextField(default="")
    proposed_at = pw.DateTimeField()
    status = pw.CharField(default="待决定")
    form = pw.CharField(null=True)
    sanction = pw.CharField(null=True)
    sanction_ends = pw.DateField(null=True)
    basis = pw.TextField(null=True)
    decided_by = pw.CharField(null=True)
    decided_at = pw.DateTimeField(null=True)


class DocumentNumber(BaseModel):
    """发文字号: numbered per year and prefix, never reused (SPEC §7)."""

    prefix = pw.CharField()
    year = pw.IntegerField()
    seq = pw.IntegerField()
    kind = pw.CharField()
    title = pw.CharField(default="")
    issued_at = pw.DateTimeField(default=now)
    issued_by = pw.CharField()

    class Meta:
        indexes = ((("prefix", "year", "seq"), True),)


class AuditEntry(BaseModel):
    """One change, chained to the previous entry by its hash (SPEC §10)."""

    at = pw.DateTimeField()
    actor = pw.CharField()
    action = pw.CharField()
    table = pw.CharField()
    record_id = pw.CharField(null=True)
    before = pw.TextField(null=True)  # JSON
    after = pw.TextField(null=True)  # JSON
    prev_hash = pw.CharField()
    hash = pw.CharField()


ALL_MODELS: list[type[BaseModel]] = [
    SchemaMigration,
    Counter,
    Setting,
    CalendarOverride,
    Unit,
    User,
    IdentityKey,
    Staff,
    Matter,
    ImportBatch,
    Complaint,
    TimelineEvent,
    Review,
    Finding,
    Attachment,
    Rating,
    SurveyResult,
    Escalation,
    AccountabilityCase,
    DocumentNumber,
    AuditEntry,
]
