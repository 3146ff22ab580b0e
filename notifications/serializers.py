"""Shapes for the notification ledger: every message queued, sent, failed or bounced."""

from __future__ import annotations

from rest_framework import serializers

from notifications.models import MessageChannel, MessageStatus, OutboxMessage
from tms.api import EnumField


class MessageOutput(serializers.ModelSerializer):
    """Who (recipient; the channel and the address it goes to), what (template, subject,
    event), why (rule) and how it went."""

    status = EnumField(MessageStatus.choices, enum_name="MessageStatus")
    channel = EnumField(MessageChannel.choices, enum_name="MessageChannel")
    recipient = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    resend_of = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)

    class Meta:
        model = OutboxMessage
        fields = [
            "id",
            "recipient",
            "channel",
            "address",
            "event_key",
            "template",
            "rule",
            "subject",
            "status",
            "attempts",
            "available_at",
            "sent_at",
            "last_error",
            "resend_of",
            "created_at",
        ]


class LedgerQuery(serializers.Serializer):
    status = EnumField(MessageStatus.choices, enum_name="MessageStatus", required=False)
    template = serializers.CharField(max_length=100, allow_blank=True, required=False)
    search = serializers.CharField(
        max_length=200,
        allow_blank=True,
        required=False,
        help_text="Part of the address (an email) or the event.",
    )
