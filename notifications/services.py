"""Queue messages in the caller's transaction; deliver them from a worker, at most once each."""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from notifications import events, registry, transports
from notifications.models import MessageChannel, MessageStatus, OutboxMessage
from notifications.transports import transport_for
from tms.celery import enqueue_on_commit
from tms.exceptions import InvalidTransition

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
# A row still "sending" after this long belongs to a worker that died mid-send. We cannot know
# whether the mail left, so it is marked failed (visible in the ledger, resendable) rather
# than sent twice.
STALE_SENDING = dt.timedelta(minutes=10)
DISPATCH_TASK = "notifications.tasks.dispatch_outbox"


@dataclass(frozen=True)
class MessageSpec:
    """One message to queue: where (channel, address), which event (notifications.events),
    which template, why (the rule, for the ledger), and the facts to render at send time."""

    address: str
    event_key: str
    template: str
    rule: str
    context: dict[str, Any] = field(default_factory=dict)
    recipient_id: int | None = None
    channel: str = MessageChannel.EMAIL


# Every outbox row is written by the database function `notifications_enqueue`
# (notifications/sql/notifications_enqueue.sql), which seat-taking SQL calls too. One
# statement for the whole batch; it counts the rows written.
ENQUEUE_SQL = """
SELECT count(*) FILTER (WHERE notifications_enqueue(
           m.channel, m.recipient, m.address, m.event_key, m.template, m.context, m.rule,
           %s::timestamptz))
  FROM jsonb_to_recordset(%s::jsonb) AS m(
           channel text, recipient bigint, address text, event_key text, template text,
           context jsonb, rule text)
"""


def messages_enqueue(specs: Iterable[MessageSpec], *, now: dt.datetime | None = None) -> int:
    """Write outbox rows in the current transaction; returns how many were written (a second
    message for the same channel, address and event vanishes; so does one with no address).

    After commit, a worker is kicked to deliver them (a periodic sweep delivers them anyway,
    so a broker outage only delays mail)."""
    now = now or timezone.now()
    rows = [
        {
            "channel": spec.channel,
            "recipient": spec.recipient_id,
            "address": spec.address,
            "event_key": spec.event_key,
            "template": spec.template,
            "context": spec.context,
            "rule": spec.rule,
        }
        for spec in specs
        if spec.address
    ]
    if not rows:
        return 0
    with connection.cursor() as cursor:
        cursor.execute(ENQUEUE_SQL, [now, json.dumps(rows, cls=DjangoJSONEncoder)])
        written = int(cursor.fetchone()[0])
    if written:
        kick_dispatcher_on_commit()
    return written


# One kick per process per interval is enough: the dispatcher sends every due row it finds,
# and the beat sweep runs every few seconds anyway. Kicking once per registration in a sales
# rush would cost a broker round trip each.
_last_kick = 0.0


def kick_dispatcher_on_commit() -> None:
    """After commit, ask a worker to deliver the outbox now (at most once per interval)."""
    global _last_kick
    moment = time.monotonic()
    if moment - _last_kick < settings.OUTBOX_KICK_INTERVAL_SECONDS:
        return
    _last_kick = moment
    enqueue_on_commit(DISPATCH_TASK)


def _backoff(attempts: int) -> dt.timedelta:
    return dt.timedelta(seconds=min(30 * 2 ** (attempts - 1), 3600))


def outbox_claim(*, now: dt.datetime, limit: int = 50) -> list[int]:
    """Claim due messages for this worker (skip rows another worker holds)."""
    with transaction.atomic():
        ids = list(
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(status=MessageStatus.QUEUED, available_at__lte=now)
            .order_by("available_at", "pk")
            .values_list("pk", flat=True)[:limit]
        )
        OutboxMessage.objects.filter(pk__in=ids).update(
            status=MessageStatus.SENDING, attempts=F("attempts") + 1, updated_at=now
        )
    return ids


def message_send(*, message_id: int, now: dt.datetime | None = None) -> str:
    """Render and send one claimed message; record the outcome. Returns the new status."""
    now = now or timezone.now()
    message = OutboxMessage.objects.select_related("recipient").get(pk=message_id)
    if message.status != MessageStatus.SENDING:
        return message.status  # someone else's, or already done
    try:
        rendered = registry.build(message)
        transport_for(message.channel).deliver(message, rendered)
    except transports.PermanentFailure as refusal:
        # Refused for good (an LRS's 4xx): no retry; the ledger shows why, and it can be resent.
        OutboxMessage.objects.filter(pk=message.pk, status=MessageStatus.SENDING).update(
            status=MessageStatus.FAILED, last_error=str(refusal)[:2000], updated_at=now
        )
        return MessageStatus.FAILED
    except registry.Superseded as reason:
        OutboxMessage.objects.filter(pk=message.pk, status=MessageStatus.SENDING).update(
            status=MessageStatus.SKIPPED, last_error=str(reason)[:2000], updated_at=now
        )
        return MessageStatus.SKIPPED
    except Exception as error:  # SMTP refusals, network errors, template bugs alike
        logger.warning("Sending message %s failed: %s", message.pk, error)
        retry = message.attempts < MAX_ATTEMPTS
        OutboxMessage.objects.filter(pk=message.pk, status=MessageStatus.SENDING).update(
            status=MessageStatus.QUEUED if retry else MessageStatus.FAILED,
            available_at=now + _backoff(message.attempts),
            last_error=f"{type(error).__name__}: {error}"[:2000],
            updated_at=now,
        )
        return MessageStatus.QUEUED if retry else MessageStatus.FAILED
    OutboxMessage.objects.filter(pk=message.pk, status=MessageStatus.SENDING).update(
        status=MessageStatus.SENT,
        sent_at=now,
        subject=rendered.subject[:300],
        last_error="",
        updated_at=now,
    )
    return MessageStatus.SENT


def outbox_dispatch(*, now: dt.datetime | None = None, limit: int = 200) -> dict[str, int]:
    """Deliver due messages. Safe to run in parallel and twice: rows are claimed first."""
    now = now or timezone.now()
    outcome: dict[str, int] = {}
    _fail_stale_sending(now)
    with transports.batch():
        for message_id in outbox_claim(now=now, limit=limit):
            status = message_send(message_id=message_id, now=now)
            outcome[status] = outcome.get(status, 0) + 1
    return outcome


def _fail_stale_sending(now: dt.datetime) -> None:
    OutboxMessage.objects.filter(
        status=MessageStatus.SENDING, updated_at__lt=now - STALE_SENDING
    ).update(
        status=MessageStatus.FAILED,
        last_error=_("The worker stopped while sending; it is unknown whether the mail left."),
        updated_at=now,
    )


def message_resend(*, message_id: int, now: dt.datetime | None = None) -> OutboxMessage:
    """A coordinator resends a message: a new outbox row, linked to the original."""
    now = now or timezone.now()
    with transaction.atomic():
        original = OutboxMessage.objects.select_for_update().get(pk=message_id)
        if original.status in (MessageStatus.QUEUED, MessageStatus.SENDING):
            raise InvalidTransition(_("This message has not been sent yet."))
        if original.status == MessageStatus.SKIPPED:
            raise InvalidTransition(
                _("This message was not sent because it was no longer true; nothing to resend.")
            )
        copies = original.resends.count() + 1
        copy = OutboxMessage.objects.create(
            channel=original.channel,
            recipient=original.recipient,
            address=original.address,
            event_key=events.resend(original.event_key, copies),
            template=original.template,
            rule=_("resent by a coordinator"),
            context=original.context,
            available_at=now,
            resend_of=original,
        )
        kick_dispatcher_on_commit()
    return copy


def message_mark_bounced(*, message_id: int, reason: str) -> None:
    OutboxMessage.objects.filter(pk=message_id).update(
        status=MessageStatus.BOUNCED, last_error=reason[:2000]
    )
