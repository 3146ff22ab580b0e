"""One transport per outbox channel: it turns a built message into what leaves the process.

The dispatcher (notifications.services) claims a row, asks the registry for its content and
hands both to the row's channel's transport. A transport raises on failure (the dispatcher
retries with backoff); it never decides whether a message should go.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any, Protocol

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.template.loader import render_to_string
from django.utils import timezone

from notifications.models import MessageChannel, OutboxMessage
from notifications.registry import Rendered


class Transport(Protocol):
    def deliver(self, message: OutboxMessage, rendered: Rendered) -> None: ...


class EmailTransport:
    """Text and HTML bodies from `notifications/email/<template>.txt|.html`, rendered in the
    recipient's zone, with the calendar invite as an iTIP part when there is one. Within
    `batch()`, messages share one connection to the mail server (an SMTP session costs more
    than the mail); a failed send drops it, and the next message opens a new one."""

    def __init__(self) -> None:
        self._local = threading.local()

    @contextmanager
    def batch(self) -> Iterator[None]:
        self._local.batch = True
        try:
            yield
        finally:
            self._local.batch = False
            self._drop_connection()

    def deliver(self, message: OutboxMessage, rendered: Rendered) -> None:
        email = self.build(message, rendered)
        if not getattr(self._local, "batch", False):
            email.send(fail_silently=False)
            return
        email.connection = self._connection()
        try:
            email.send(fail_silently=False)
        except Exception:
            self._drop_connection()
            raise

    def _connection(self) -> Any:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = get_connection(fail_silently=False)
            connection.open()
            self._local.connection = connection
        return connection

    def _drop_connection(self) -> None:
        connection = getattr(self._local, "connection", None)
        self._local.connection = None
        if connection is not None:
            with suppress(Exception):  # a broken session is dropped either way
                connection.close()

    def build(self, message: OutboxMessage, rendered: Rendered) -> EmailMultiAlternatives:
        context = {**rendered.context, "subject": rendered.subject, "message": message}
        base = f"notifications/email/{message.template}"
        # Templates print datetimes in the active zone: the recipient's, named in the text.
        with timezone.override(rendered.time_zone):
            text = render_to_string(f"{base}.txt", context)
            html = render_to_string(f"{base}.html", context)
        email = EmailMultiAlternatives(
            subject=rendered.subject,
            body=text,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[message.address],
            headers={"X-TMS-Event": message.event_key},
        )
        email.attach_alternative(html, "text/html")
        if rendered.calendar is not None:
            ics, method = rendered.calendar
            # The invite as an alternative part whose method matches the iCalendar METHOD, so
            # mail clients show accept/decline; also attached as a file for the others.
            # Django adds the charset parameter itself: naming it here would repeat it.
            email.attach_alternative(ics, f"text/calendar; method={method}")
            email.attach("invite.ics", ics, f"application/ics; method={method}")
        return email


EMAIL = EmailTransport()
TRANSPORTS: dict[str, Transport] = {MessageChannel.EMAIL: EMAIL}


@contextmanager
def batch() -> Iterator[None]:
    """Deliver a batch of messages over shared connections (the dispatcher's loop)."""
    with EMAIL.batch():
        yield


def transport_for(channel: str) -> Transport:
    try:
        return TRANSPORTS[channel]
    except KeyError:
        raise LookupError(f"No transport for the {channel!r} channel") from None
