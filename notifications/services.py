"""Queue messages in the caller's transaction; deliver them from a worker, at most once each."""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.mail import EmailMultiAlternatives
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from notifications import registry
from notifications.models import MessageStatus, OutboxMessage
from tms.exceptions import InvalidTransition

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
# A row still "sending" after this long belongs to a worker that died mid-send. We cannot know
# whether the mail left, so it is marked failed (visible in the ledger, resendable) rather
# than sent twice.
STALE_SENDING = dt.timedelta(minutes=10)


@dataclass(frozen=True)
class MessageSpec:
    """One message to queue: who, which event, which template, the facts to render."""

    to_email: str
    event_key: str
    template: str
    rule: str
    context: dict[str, Any]
    recipient: AbstractBaseUser | None = None
    recipient_id: int | None = None


# The outbox row itself is written by the database function `notifications_enqueue`
# (notifications/migrations/0002_enqueue_function.py), which seat-taking SQL calls too.
ENQUEUE_SQL = "SELECT notifications_enqueue(%s, %s, %s, %s, %s::jsonb, %s, %s)"


def messages_enqueue(specs: Iterable[MessageSpec], *, now: dt.datetime | None = None) -> int:
    """Write outbox rows in the current transaction; duplicates of (recipient, event) vanish.

    After commit, a worker is kicked to deliver them (a periodic sweep delivers them anyway, so
    a broker outage only delays mail). Plain SQL: this runs inside every registration.
    """
    now = now or timezone.now()
    rows = [
        (
            spec.recipient.pk if spec.recipient is not None else spec.recipient_id,
            spec.to_email,
            spec.event_key,
            spec.template,
            json.dumps(spec.context, cls=DjangoJSONEncoder),
            spec.rule,
            now,
        )
        for spec in specs
        if spec.to_email
    ]
    if not rows:
        return 0
    with connection.cursor() as cursor:
        cursor.executemany(ENQUEUE_SQL, rows)
    kick_dispatcher_on_commit()
    return len(rows)


# One kick per process per interval is enough: the dispatcher sends every due row it finds,
# and the beat sweep runs every few seconds anyway. Kicking once per registration in a sales
# rush would cost a broker round trip each.
_last_kick = 0.0


def kick_dispatcher_on_commit() -> None:
    from notifications.tasks import dispatch_outbox
    from tms.celery import enqueue_safely

    global _last_kick
    moment = time.monotonic()
    if moment - _last_kick < settings.OUTBOX_KICK_INTERVAL_SECONDS:
        return
    _last_kick = moment
    transaction.on_commit(lambda: enqueue_safely(dispatch_outbox))


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
        email = _email_for(message, rendered)
        email.send(fail_silently=False)
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


def _email_for(message: OutboxMessage, rendered: registry.Rendered) -> EmailMultiAlternatives:
    context = {**rendered.context, "subject": rendered.subject, "message": message}
    base = f"notifications/email/{message.template}"
    text = render_to_string(f"{base}.txt", context)
    html = render_to_string(f"{base}.html", context)
    email = EmailMultiAlternatives(
        subject=rendered.subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[message.to_email],
        headers={"X-TMS-Event": message.event_key},
    )
    email.attach_alternative(html, "text/html")
    if rendered.calendar is not None:
        ics, method = rendered.calendar
        # The invite as an alternative part whose method matches the iCalendar METHOD, so
        # mail clients show accept/decline; also attached as a file for the others.
        email.attach_alternative(ics, f"text/calendar; method={method}")  # Django adds charset
        email.attach("invite.ics", ics, f"application/ics; method={method}")
    return email


def outbox_dispatch(*, now: dt.datetime | None = None, limit: int = 200) -> dict[str, int]:
    """Deliver due messages. Safe to run in parallel and twice: rows are claimed first."""
    now = now or timezone.now()
    outcome: dict[str, int] = {}
    _fail_stale_sending(now)
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
        copies = original.resends.count() + 1
        copy = OutboxMessage.objects.create(
            recipient=original.recipient,
            to_email=original.to_email,
            event_key=f"{original.event_key}#resend{copies}",
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
