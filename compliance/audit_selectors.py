"""Reading the audit log: filtered, newest first (keyset pages: the log grows to millions of
rows, so pages never count it)."""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet

from compliance.audit import model_labels
from compliance.models import AuditEntry


def audited_types() -> list[tuple[str, str]]:
    """(model label, table) of every table the log has entries for or may have: the models."""
    return sorted((label, table) for table, label in model_labels().items())


def table_of(object_type: str) -> str | None:
    """The table of a model label ("scheduling.Session") or a table name; None if unknown."""
    for table, label in model_labels().items():
        if object_type in (label, table) or object_type.lower() == label.lower():
            return table
    return None


def audit_entry_list(
    *,
    table: str | None = None,
    object_pk: str | None = None,
    user_id: int | None = None,
    actor: str | None = None,
    action: str | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    before_id: int | None = None,
) -> QuerySet[AuditEntry]:
    """Entries matching every filter given, newest first (by id: insertion order)."""
    entries = AuditEntry.objects.all()
    if table is not None:
        entries = entries.filter(table_name=table)
    if object_pk is not None:
        entries = entries.filter(object_pk=object_pk)
    if user_id is not None:
        entries = entries.filter(user_id=user_id)
    if actor:
        entries = entries.filter(actor=actor)
    if action:
        entries = entries.filter(action=action)
    if since is not None:
        entries = entries.filter(occurred_at__gte=since)
    if until is not None:
        entries = entries.filter(occurred_at__lt=until)
    if before_id is not None:
        entries = entries.filter(id__lt=before_id)
    return entries.order_by("-id")


def object_history(*, table: str, object_pk: int | str, limit: int = 20) -> list[AuditEntry]:
    """The newest `limit` entries of one object (its page's "History")."""
    return list(audit_entry_list(table=table, object_pk=str(object_pk))[:limit])
