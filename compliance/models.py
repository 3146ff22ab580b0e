"""The audit log: one row per change of an audited table, written by the database itself
(compliance/sql/compliance_audit_capture.sql) and chained by hash at commit
(compliance_audit_seal.sql). Rows are never updated or deleted (compliance_audit_guard.sql);
compliance/audit.py has the Python side (attaching the trigger, the context, the head)."""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils.translation import gettext_lazy as _


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
        # Made by its migration (0001_audit_log, with its indexes and triggers), not by
        # Django: `flush` skips unmanaged tables, and the guard refuses the TRUNCATE it sends.
        managed = False

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.table_name} {self.object_pk}"
