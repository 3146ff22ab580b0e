"""Compliance: the audit log, certifications and requirements, exports.

The audit log (first): one row per change of an audited table, written by the database itself
(compliance/sql/compliance_audit_capture.sql) and chained by hash at commit
(compliance_audit_seal.sql). Rows are never updated or deleted (compliance_audit_guard.sql);
compliance/audit.py has the Python side (attaching the trigger, the context, the head).

Certifications (below their marker line): a course may grant certifications; a completed
`attendance.Completion` issues each one (compliance/services/certifications.py), valid for
`valid_months` from the session's end (never expiring when blank). A later completion
recertifies: its certificate becomes the learner's current one and the earlier one is kept,
superseded. A requirement says which learners (a role, a department, or a list) must hold which
certifications; the compliance matrix (compliance/matrix.py) reads both.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import Group
from django.contrib.postgres.fields import ArrayField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from attendance.models import Completion
from scheduling.models import Course
from tms.models import TimeStampedModel

# --- audit log ---


class AuditAction(models.TextChoices):
    INSERT = "insert", _("Created")
    UPDATE = "update", _("Changed")
    DELETE = "delete", _("Deleted")


class AuditEntry(models.Model):
    """One change of one row (compliance/sql/compliance_audit_capture.sql). `seq`,
    `prev_hash` and `hash` are NULL until the writing transaction commits (then they are set
    once, by the sealer); `user_id` is a plain number, not a foreign key, so deleting a user
    keeps (and does not rewrite) their history."""

    seq = models.BigIntegerField(null=True, unique=True)
    table_name = models.CharField(max_length=63)
    object_pk = models.CharField(max_length=64)
    action = models.CharField(max_length=6, choices=AuditAction.choices)
    before = models.JSONField(null=True)
    after = models.JSONField(null=True)
    changed = ArrayField(models.TextField(), null=True)
    occurred_at = models.DateTimeField()
    txid = models.BigIntegerField()
    user_id = models.BigIntegerField(null=True)
    actor = models.CharField(max_length=200)
    request_id = models.CharField(max_length=64, blank=True)
    client_ip = models.CharField(max_length=45, blank=True)
    request = models.CharField(max_length=600, blank=True)
    prev_hash = models.CharField(max_length=64, null=True)
    hash = models.CharField(max_length=64, null=True)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        # Made by its migration (0002_audit_log, with its indexes and triggers), not by
        # Django: `flush` skips unmanaged tables, and the guard refuses the TRUNCATE it sends.
        managed = False

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.table_name} {self.object_pk}"


# --- certifications and requirements ---


class Certification(TimeStampedModel):
    """What a learner holds after completing a granting course, for `valid_months`."""

    code = models.CharField(max_length=32, unique=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    # Blank: never expires.
    valid_months = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(600)],
        help_text=_("Leave blank if it never expires."),
    )
    courses = models.ManyToManyField(Course, blank=True, related_name="certifications")

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_months__isnull=True) | Q(valid_months__gte=1),
                name="certification_valid_months_positive",
            )
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class LearnerCertification(TimeStampedModel):
    """One certificate: a certification issued to a learner by one completion (the evidence).

    At most one per (completion, certification): issuing is idempotent. Of a learner's
    certificates for one certification, the latest (by `issued_at`) that is not revoked is
    `current`; the others are history, each `superseded_by` the next one."""

    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="certifications"
    )
    certification = models.ForeignKey(
        Certification, on_delete=models.PROTECT, related_name="certificates"
    )
    completion = models.ForeignKey(
        Completion, on_delete=models.PROTECT, related_name="certificates"
    )
    number = models.CharField(max_length=64, unique=True)
    issued_at = models.DateTimeField()
    expires_at = models.DateTimeField(null=True, blank=True)
    current = models.BooleanField(default=False)
    superseded_by = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="supersedes"
    )
    # The completion was changed to "not completed" (a late edit): the certificate is void.
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-issued_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["completion", "certification"], name="one_certificate_per_completion"
            ),
            models.UniqueConstraint(
                fields=["learner", "certification"],
                condition=Q(current=True),
                name="one_current_certificate_per_learner",
            ),
            models.CheckConstraint(
                condition=Q(revoked_at__isnull=True) | Q(current=False),
                name="revoked_certificate_is_not_current",
            ),
            models.CheckConstraint(
                condition=Q(expires_at__isnull=True) | Q(expires_at__gt=models.F("issued_at")),
                name="certificate_expires_after_issue",
            ),
        ]
        indexes = [
            models.Index(
                fields=["expires_at"], condition=Q(current=True), name="current_certificate_expiry"
            )
        ]

    def __str__(self) -> str:
        return f"{self.number} ({self.learner})"


class AudienceKind(models.TextChoices):
    ROLE = "role", _("Everyone with a role")
    DEPARTMENT = "department", _("A department")
    LEARNERS = "learners", _("Chosen people")


class Requirement(TimeStampedModel):
    """People in the audience must hold every one of `certifications`."""

    name = models.CharField(max_length=200, unique=True)
    description = models.TextField(blank=True)
    certifications = models.ManyToManyField(Certification, related_name="requirements")
    audience = models.CharField(max_length=16, choices=AudienceKind.choices)
    group = models.ForeignKey(
        Group, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    department = models.CharField(max_length=200, blank=True)
    learners = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="requirements"
    )
    expiring_soon_days = models.PositiveSmallIntegerField(
        default=60,
        validators=[MinValueValidator(1), MaxValueValidator(3650)],
        help_text=_("A certificate expiring within this many days shows as expiring soon."),
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(audience__in=AudienceKind.values), name="requirement_audience_known"
            ),
            models.CheckConstraint(
                condition=~Q(audience="role") | Q(group__isnull=False),
                name="role_requirement_names_a_group",
            ),
            models.CheckConstraint(
                condition=~Q(audience="department") | ~Q(department=""),
                name="department_requirement_names_a_department",
            ),
        ]

    def __str__(self) -> str:
        return self.name


# --- exports ---


class ExportMode(models.TextChoices):
    STREAM = "stream", _("Streamed to the browser")
    WORKER = "worker", _("Prepared by the worker")


class ExportStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to start")
    RUNNING = "running", _("Being written")
    READY = "ready", _("Ready")
    FAILED = "failed", _("Failed")
    EXPIRED = "expired", _("Expired (file deleted)")


class ExportRecord(TimeStampedModel):
    """One export for auditors: who asked, when, for what (dataset, format, filters), and, once
    written, the file's row count and SHA-256 with the audit-log head at generation time (the
    manifest is built from this row). A record is one file: a streamed export is streamed once
    (the download claims it), a worker export's file is kept for EXPORT_RETENTION_HOURS.
    The audit log captures this table by trigger, so every export is itself audited."""

    dataset = models.CharField(max_length=32)
    file_format = models.CharField(max_length=8)
    filters = models.JSONField(default=dict, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    mode = models.CharField(max_length=8, choices=ExportMode.choices)
    status = models.CharField(
        max_length=8, choices=ExportStatus.choices, default=ExportStatus.PENDING
    )
    # Rows the query counted when the export was requested (the progress bar's 100 %).
    expected_rows = models.PositiveIntegerField(default=0)
    rows_written = models.PositiveIntegerField(default=0)
    row_count = models.PositiveIntegerField(null=True, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    byte_count = models.PositiveBigIntegerField(null=True, blank=True)
    audit_head_seq = models.BigIntegerField(null=True, blank=True)
    audit_head_hash = models.CharField(max_length=128, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    generated_at = models.DateTimeField(null=True, blank=True)
    # Worker exports: the file under EXPORT_DIR, and when the sweep deletes it.
    file_path = models.CharField(max_length=300, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="ready") | (Q(row_count__isnull=False) & ~Q(sha256="")),
                name="ready_export_has_count_and_hash",
            ),
        ]
        indexes = [models.Index(fields=["status", "expires_at"])]

    def __str__(self) -> str:
        return f"export {self.pk}: {self.dataset}.{self.file_format} ({self.status})"


class ExportDownloadKind(models.TextChoices):
    FILE = "file", _("File")
    MANIFEST = "manifest", _("Manifest")


class ExportDownload(models.Model):
    """Someone downloaded an export's file or its manifest (audited, as every write): who and
    when, each time, so a worker's file fetched again is on record too."""

    record = models.ForeignKey(ExportRecord, on_delete=models.CASCADE, related_name="downloads")
    kind = models.CharField(max_length=8, choices=ExportDownloadKind.choices)
    downloaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    downloaded_at = models.DateTimeField()

    class Meta:
        ordering = ["-downloaded_at", "-pk"]

    def __str__(self) -> str:
        return f"export {self.record_id} {self.kind} by {self.downloaded_by_id}"
