from __future__ import annotations

from django.contrib import admin

from notifications.models import OutboxMessage
from tms.admin import ViewOnlyMixin


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ViewOnlyMixin, admin.ModelAdmin):
    """The notification ledger, read-only (resending is a service: see the ledger page)."""

    list_display = [
        "created_at",
        "channel",
        "address",
        "template",
        "rule",
        "status",
        "attempts",
        "sent_at",
    ]
    list_filter = ["channel", "status", "template", "rule"]
    search_fields = ["address", "event_key", "subject", "last_error"]
    date_hierarchy = "created_at"
