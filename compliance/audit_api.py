"""REST API of the audit log: read-only, filtered, newest first, cursor pages."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response

from compliance.audit_selectors import audit_entry_list
from compliance.audit_serializers import AuditEntryOutput, AuditLogQuery
from compliance.models import AuditEntry
from tms.api import PolicyMixin, validated


class NewestFirst(CursorPagination):
    ordering = "-id"
    page_size = 50


class AuditLogListApi(PolicyMixin, generics.ListAPIView):
    """Every recorded change, newest first: by object (type and id), acting user or actor,
    action and time. Cursor pagination (`next` / `previous` links): the log is long."""

    policy_resource = "audit_log"
    policy_actions = {"GET": "list"}
    serializer_class = AuditEntryOutput
    pagination_class = NewestFirst
    filter_backends: list[Any] = []

    @extend_schema(parameters=[AuditLogQuery])
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[AuditEntry]:
        if getattr(self, "swagger_fake_view", False):
            return AuditEntry.objects.none()
        params = validated(AuditLogQuery, self.request.query_params)
        return audit_entry_list(
            table=params.get("object_type"),
            object_pk=params.get("object_id"),
            user_id=params.get("user"),
            actor=params.get("actor"),
            action=params.get("action"),
            since=params.get("since"),
            until=params.get("until"),
        )
