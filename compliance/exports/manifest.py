"""The manifest of an export and the audit-log head it names."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from compliance.audit import audit_head, audit_seal
from compliance.models import ExportRecord

MANIFEST_VERSION = 1


def current_audit_head(*, seal: bool = True) -> tuple[int, str] | None:
    """The audit log's head (sequence number, hash) at this moment, after sealing every
    committed entry still waiting: the manifest names the chain as it stood when the export
    was made, and `verify_audit_log --head HASH --head-seq N` later proves nothing before it
    changed. With `seal` false it only reads the head (inside an export's read-only
    snapshot, after `seal_audit_log_now` ran in a transaction of its own)."""
    return audit_head(seal=seal)


def seal_audit_log_now() -> None:
    """Seal the committed entries still waiting, in a short transaction of its own (the
    chain's lock is held only for that), so a snapshot taken next names an up-to-date head."""
    with transaction.atomic():
        audit_seal()


def manifest_for(record: ExportRecord) -> dict[str, Any]:
    """What proves the file: filters, row count, when and by whom, the audit-log head at
    generation time, the file's SHA-256. Only for a finished export (status ready/expired)."""
    user = record.requested_by
    head = (
        {"seq": record.audit_head_seq, "hash": record.audit_head_hash}
        if record.audit_head_hash
        else None
    )
    return {
        "manifest_version": MANIFEST_VERSION,
        "export_id": record.pk,
        "dataset": record.dataset,
        "format": record.file_format,
        "file_name": file_name(record),
        "filters": record.filters,
        "row_count": record.row_count,
        "byte_count": record.byte_count,
        "sha256": record.sha256,
        "generated_at": record.generated_at.isoformat() if record.generated_at else None,
        "generated_by": {
            "id": user.pk,
            "username": user.get_username(),
            "name": user.get_full_name(),
        },
        "audit_log_head": head,
    }


def file_name(record: ExportRecord) -> str:
    return f"tms-{record.dataset.replace('_', '-')}-{record.pk}.{record.file_format}"
