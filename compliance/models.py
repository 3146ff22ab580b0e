# Audit trail, certifications and auditor exports arrive with the compliance issues.
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from tms.models import TimeStampedModel

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
