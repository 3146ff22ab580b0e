"""The outbox: every outgoing message is a row written in the same transaction as its cause.

A message goes out on a channel (email today; xAPI statements and webhooks next), each with one
transport (notifications/transports.py). Workers deliver rows; the unique (channel, address,
event) key makes a message at most once, whatever retries, duplicate tasks or periodic sweeps
do. Rows are written by one database function, `notifications_enqueue`
(notifications/sql/notifications_enqueue.sql): the columns it does not name take their
database defaults.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from tms.models import TimeStampedModel


class MessageChannel(models.TextChoices):
    EMAIL = "email", _("Email")
    # An xAPI statement PUT to the configured LRS (notifications.transports.XapiTransport).
    XAPI = "xapi", _("xAPI statement")


class MessageStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    BOUNCED = "bounced", _("Bounced")
    # Not sent because it was no longer true when its turn came (a "you are waitlisted" mail
    # for a learner who has a seat, or has left, by then); the reason is in `last_error`.
    SKIPPED = "skipped", _("Not sent (no longer true)")


class OutboxMessage(TimeStampedModel):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="messages",
    )
    channel = models.CharField(max_length=16, choices=MessageChannel.choices)
    # Where the channel delivers: an email address for email.
    address = models.CharField(max_length=320)
    # What happened, unique per channel and address (notifications/events.py builds them):
    # "registration.confirmed:42", "reminder:7:24h:5".
    event_key = models.CharField(max_length=200)
    template = models.CharField(max_length=100)
    # Facts at the time of the event (ids, positions, deadlines) for rendering at send time.
    context = models.JSONField(default=dict)
    # Which rule produced the message, for the ledger ("waitlist promotion", "reminder 24 h").
    rule = models.CharField(max_length=100)
    status = models.CharField(
        max_length=16,
        choices=MessageStatus.choices,
        default=MessageStatus.QUEUED,
        db_default=MessageStatus.QUEUED,
    )
    attempts = models.PositiveIntegerField(default=0, db_default=0)
    available_at = models.DateTimeField(help_text=_("Not sent before this time (retry backoff)."))
    last_error = models.TextField(blank=True, default="", db_default="")
    subject = models.CharField(max_length=300, blank=True, default="", db_default="")
    sent_at = models.DateTimeField(null=True, blank=True)
    resend_of = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="resends"
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "address", "event_key"],
                name="one_message_per_channel_address_and_event",
            ),
        ]
        indexes = [
            models.Index(
                fields=["available_at"], condition=Q(status="queued"), name="outbox_due_messages"
            ),
            models.Index(fields=["status", "created_at"]),
            # What was said to the LRS about a session: its xAPI rows by event-key prefix.
            models.Index(
                fields=["event_key"],
                condition=Q(channel="xapi"),
                name="outbox_xapi_by_event",
                opclasses=["varchar_pattern_ops"],
            ),
        ]

    def __str__(self) -> str:
        return f"{self.template} to {self.address} by {self.channel} ({self.status})"
