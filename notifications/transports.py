"""One transport per outbox channel: it turns a built message into what leaves the process.

The dispatcher (notifications.services) claims a row, asks the registry for its content and
hands both to the row's channel's transport. A transport raises on failure (the dispatcher
retries with backoff); it never decides whether a message should go.
"""

from __future__ import annotations

import base64
import http.client
import json
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any, Protocol
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.template.loader import render_to_string
from django.utils import timezone

from notifications.models import MessageChannel, OutboxMessage
from notifications.registry import Rendered

logger = logging.getLogger(__name__)


class PermanentFailure(Exception):
    """The far end refused the message for good (an LRS's 400, 401, 403...): retrying cannot
    help, so the dispatcher marks it failed at once, with this reason in the ledger."""


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


XAPI_VERSION = "1.0.3"


class XapiTransport:
    """PUTs the row's statement (built when it was queued, so every retry sends the same bytes
    under the same id) to `<XAPI_LRS_ENDPOINT>statements?statementId=<id>` with HTTP Basic
    credentials and `X-Experience-API-Version: 1.0.3`.

    200/204 is delivered. 409 too: the id is fixed per statement, so the LRS already holds
    this one (an earlier attempt whose answer was lost). 429, 5xx and network errors raise for
    a retry with backoff; any other answer is a `PermanentFailure`."""

    def deliver(self, message: OutboxMessage, rendered: Rendered) -> None:
        statement = rendered.context["statement"]
        endpoint = settings.XAPI_LRS_ENDPOINT
        if not endpoint:
            raise PermanentFailure("No LRS is configured (XAPI_LRS_ENDPOINT is empty).")
        url = urlsplit(endpoint)
        path = f"{url.path.rstrip('/')}/statements?{urlencode({'statementId': statement['id']})}"
        body = json.dumps(statement, separators=(",", ":"), ensure_ascii=False).encode()
        credentials = f"{settings.XAPI_LRS_USERNAME}:{settings.XAPI_LRS_PASSWORD}".encode()
        headers = {
            "Authorization": "Basic " + base64.b64encode(credentials).decode("ascii"),
            "X-Experience-API-Version": XAPI_VERSION,
            "Content-Type": "application/json",
        }
        connection_class = (
            http.client.HTTPSConnection if url.scheme == "https" else http.client.HTTPConnection
        )
        connection = connection_class(
            url.netloc.rpartition("@")[2], timeout=settings.XAPI_LRS_TIMEOUT_SECONDS
        )
        try:
            connection.request("PUT", path, body=body, headers=headers)
            response = connection.getresponse()
            answer = response.read(2000).decode("utf-8", "replace").strip()
        finally:
            connection.close()
        status = response.status
        if status in (200, 204):
            return
        if status == 409:
            logger.info("The LRS already holds statement %s (409)", statement["id"])
            return
        said = f"HTTP {status} {response.reason}" + (f": {answer}" if answer else "")
        if status == 429 or status >= 500:
            raise ConnectionError(f"The LRS is unavailable ({said})")
        raise PermanentFailure(f"The LRS refused the statement ({said})")


EMAIL = EmailTransport()
XAPI = XapiTransport()
TRANSPORTS: dict[str, Transport] = {MessageChannel.EMAIL: EMAIL, MessageChannel.XAPI: XAPI}


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
