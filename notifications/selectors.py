"""The notification ledger: every message queued, sent, failed, bounced or skipped."""

from __future__ import annotations

from django.db.models import QuerySet

from notifications.models import MessageChannel, MessageStatus, OutboxMessage

# A message in these states may be in the recipient's mailbox (a failure after a send began
# may have left, see notifications.services).
MAY_HAVE_LEFT = (
    MessageStatus.SENDING,
    MessageStatus.SENT,
    MessageStatus.FAILED,
    MessageStatus.BOUNCED,
)


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


def may_have_reached(
    *, address: str, event_prefix: str, other_than: int, channel: str = MessageChannel.EMAIL
) -> bool:
    """Whether a message (other than message `other_than`) whose event key starts with
    `event_prefix` may have reached `address` (sent, being sent, or failed). Served by the
    unique (channel, address, event key) index."""
    return (
        OutboxMessage.objects.filter(
            channel=channel,
            address=address,
            event_key__startswith=event_prefix,
            status__in=MAY_HAVE_LEFT,
        )
        .exclude(pk=other_than)
        .exists()
    )
