"""Reading the audit log: filtered, newest first (keyset pages: the log grows to millions of
rows, so pages never count it)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable

from django.db.models import F, Q, QuerySet, Window
from django.db.models.functions import RowNumber

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


HistoryKey = tuple[str, str]  # (table, object pk as text)


def object_histories(
    keys: Iterable[tuple[str, int | str]], *, limit: int = 20
) -> dict[HistoryKey, list[AuditEntry]]:
    """The newest `limit` entries of each object named by (table, pk), newest first: one
    query for any number of objects (a row number per object, on the `audit_object` index).
    Objects without entries are absent from the result."""
    wanted: dict[str, set[str]] = defaultdict(set)
    for table, pk in keys:
        wanted[table].add(str(pk))
    if not wanted:
        return {}
    match = Q()
    for table, pks in wanted.items():
        match |= Q(table_name=table, object_pk__in=sorted(pks))
    ranked = (
        AuditEntry.objects.filter(match)
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("table_name"), F("object_pk")],
                order_by=F("id").desc(),
            )
        )
        .filter(rank__lte=limit)
        .order_by("-id")
    )
    histories: dict[HistoryKey, list[AuditEntry]] = defaultdict(list)
    for entry in ranked:
        histories[(entry.table_name, entry.object_pk)].append(entry)
    return dict(histories)


def object_history(*, table: str, object_pk: int | str, limit: int = 20) -> list[AuditEntry]:
    """The newest `limit` entries of one object (its page's "History")."""
    return object_histories([(table, object_pk)], limit=limit).get((table, str(object_pk)), [])
