"""Which export records a user sees: everyone's with scope "all", their own otherwise."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db.models import QuerySet

from compliance.models import ExportRecord
from tms.permissions import Scope


def export_list_for(user: User, scope: Scope | None) -> QuerySet[ExportRecord]:
    records = ExportRecord.objects.select_related("requested_by")
    if scope == Scope.ALL:
        return records
    if scope is None:
        return records.none()
    return records.filter(requested_by=user)


def export_get_for(user: User, scope: Scope | None, pk: int) -> ExportRecord | None:
    return export_list_for(user, scope).filter(pk=pk).first()
