"""The notification ledger: every message queued, sent, failed, bounced or skipped."""

from __future__ import annotations

from django.db.models import QuerySet

from notifications.models import OutboxMessage


def ledger(
    *, status: str | None = None, search: str | None = None, template: str | None = None
) -> QuerySet[OutboxMessage]:
    messages = OutboxMessage.objects.select_related("recipient").order_by("-created_at", "-pk")
    if status:
        messages = messages.filter(status=status)
    if template:
        messages = messages.filter(template=template)
    if search:
        messages = messages.filter(address__icontains=search) | messages.filter(
            event_key__icontains=search
        )
    return messages
