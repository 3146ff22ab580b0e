"""REST API for the notification ledger: list every message (filters, pagination) and resend
one. The 48-hour preview of reminders is `attendance.api.MessagePreviewApi` (the reminder
schedule is attendance's)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from notifications.models import OutboxMessage
from notifications.selectors import ledger
from notifications.serializers import LedgerQuery, MessageOutput
from notifications.services import message_resend
from tms.api import PolicyMixin, validated


class MessageListApi(PolicyMixin, generics.ListAPIView):
    """Every message, newest first: by status, template, or a search in email and event."""

    policy_resource = "ledger"
    policy_actions = {"GET": "list"}
    serializer_class = MessageOutput
    filter_backends: list[Any] = []

    @extend_schema(parameters=[LedgerQuery])
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[OutboxMessage]:
        if getattr(self, "swagger_fake_view", False):
            return OutboxMessage.objects.none()
        params = validated(LedgerQuery, self.request.query_params)
        return ledger(
            status=params.get("status") or None,
            template=params.get("template") or None,
            search=params.get("search") or None,
        )


class MessageResendApi(PolicyMixin, APIView):
    """Queue a copy of a sent, failed or bounced message, linked to the original (409 while
    the original is still queued or sending)."""

    policy_resource = "ledger"
    policy_actions = {"POST": "resend"}

    @extend_schema(request=None, responses={201: MessageOutput})
    def post(self, request: Request, pk: int) -> Response:
        message = self.get_visible(ledger(), pk=pk)
        try:
            copy = message_resend(message_id=message.pk)
        except OutboxMessage.DoesNotExist:
            raise NotFound() from None
        return Response(MessageOutput(copy).data, status=status.HTTP_201_CREATED)
