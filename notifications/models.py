"""The outbox: every outgoing message is a row written in the same transaction as its cause.

Workers deliver rows; the unique (recipient, event) key makes a message at most once, whatever
retries, duplicate tasks or periodic sweeps do.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from tms.models import TimeStampedModel


class MessageStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    BOUNCED = "bounced", _("Bounced")


class OutboxMessage(TimeStampedModel):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="messages",
    )
    to_email = models.EmailField()
    # What happened, unique per recipient: "registration.confirmed:42", "reminder:7:24h".
    event_key = models.CharField(max_length=200)
    template = models.CharField(max_length=100)
    # Facts at the time of the event (ids, positions, deadlines) for rendering at send time.
    context = models.JSONField(default=dict)
    # Which rule produced the message, for the ledger ("waitlist promotion", "reminder 24 h").
    rule = models.CharField(max_length=100)
    status = models.CharField(
        max_length=16, choices=MessageStatus.choices, default=MessageStatus.QUEUED
    )
    attempts = models.PositiveIntegerField(default=0)
    available_at = models.DateTimeField(help_text=_("Not sent before this time (retry backoff)."))
    last_error = models.TextField(blank=True)
    subject = models.CharField(max_length=300, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    resend_of = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="resends"
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["to_email", "event_key"], name="one_message_per_recipient_and_event"
            ),
        ]
        indexes = [
            models.Index(
                fields=["available_at"], condition=Q(status="queued"), name="outbox_due_messages"
            ),
            models.Index(fields=["status", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.template} to {self.to_email} ({self.status})"
