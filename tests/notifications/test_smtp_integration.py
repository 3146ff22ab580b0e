"""One message through a real SMTP server (aiosmtpd on loopback), its invite read by two
independent iCalendar parsers, as different mail clients would."""

from __future__ import annotations

import email
import socket
from email import policy

import icalendar
import pytest
import vobject
from aiosmtpd.controller import Controller

from attendance.services.registration import registration_create
from notifications.models import MessageStatus, OutboxMessage
from notifications.services import outbox_dispatch
from tests.conftest import NOW, at

pytestmark = pytest.mark.django_db


class Collector:
    def __init__(self) -> None:
        self.messages: list[bytes] = []
        self.sessions: list[int] = []  # the SMTP session of each message
        self.refuse: set[str] = set()

    async def handle_RCPT(self, server, session, envelope, address, options):  # noqa: N802
        if address in self.refuse:
            return "550 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd hook name
        self.messages.append(envelope.original_content or envelope.content)
        self.sessions.append(id(session))
        return "250 OK"


def _free_port() -> int:
    # Controller(port=0) fails its own readiness check: pick a free port first.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _only_learner_mail() -> None:
    """Drop the instructor's invite of a new session (tests/scheduling/ sends one)."""
    OutboxMessage.objects.filter(template__startswith="instructor_").delete()


@pytest.fixture
def smtp_server(settings):
    collector = Collector()
    port = _free_port()
    controller = Controller(collector, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = False
    yield collector
    controller.stop()


def test_a_confirmation_crosses_real_smtp_and_its_invite_parses_twice(
    smtp_server, schedule, learner
):
    session = schedule(
        status="scheduled",
        blocks=[
            (
                at("2030-03-04", "09:00"),
                at("2030-03-04", "12:00"),
            ),
            (
                at("2030-03-11", "09:00"),
                at("2030-03-11", "12:00"),
            ),
        ],
    )
    _only_learner_mail()
    registration_create(session_id=session.pk, learner=learner, now=NOW)
    assert outbox_dispatch(now=NOW) == {"sent": 1}
    assert OutboxMessage.objects.get().status == MessageStatus.SENT

    (raw,) = smtp_server.messages
    received = email.message_from_bytes(raw, policy=policy.default)
    assert received["To"] == learner.email
    parts = {part.get_content_type(): part for part in received.walk()}
    assert {"text/plain", "text/html", "text/calendar"} <= set(parts)
    assert parts["text/calendar"].get_param("method") == "REQUEST"
    ics = parts["text/calendar"].get_content()

    parsed = icalendar.Calendar.from_ical(ics)
    events = parsed.walk("VEVENT")
    assert parsed["METHOD"] == "REQUEST"
    assert len(events) == 2
    assert {e["DTSTART"].dt.strftime("%H:%M %Z") for e in events} == {"09:00 CET"}
    assert parsed.walk("VTIMEZONE")

    other = vobject.readOne(ics)
    assert other.method.value == "REQUEST"
    uids = sorted(e.uid.value for e in other.vevent_list)
    assert uids == sorted(str(e["UID"]) for e in events)
    starts = sorted(e.dtstart.value for e in other.vevent_list)
    assert [s.isoformat() for s in starts] == [
        "2030-03-04T09:00:00+01:00",
        "2030-03-11T09:00:00+01:00",
    ]
    assert all(e.organizer.value.startswith("mailto:") for e in other.vevent_list)


def test_the_calendar_part_names_its_method_and_charset_once(smtp_server, schedule, learner):
    session = schedule(status="scheduled")
    _only_learner_mail()
    registration_create(session_id=session.pk, learner=learner, now=NOW)
    assert outbox_dispatch(now=NOW) == {"sent": 1}
    (raw,) = smtp_server.messages
    # The header as sent (compat32 keeps it verbatim, folded lines and repeats included).
    received = email.message_from_bytes(raw, policy=policy.compat32)
    (calendar_part,) = [p for p in received.walk() if p.get_content_type() == "text/calendar"]
    header = calendar_part["Content-Type"].lower()
    # A repeated parameter is ambiguous; some mail clients then ignore the part.
    assert header.count("charset") == 1, header
    assert header.count("method") == 1, header
    assert calendar_part.get_param("charset") == "utf-8"
    assert calendar_part.get_param("method") == "REQUEST"


def test_a_dispatch_sends_its_batch_over_one_smtp_session(smtp_server, schedule, learners):
    """An SMTP session costs more than a mail: one per batch, not one per message. A refused
    recipient drops the session; the rest of the batch still goes out."""
    session = schedule(status="scheduled", capacity=10)
    _only_learner_mail()
    people = learners(6)
    smtp_server.refuse = {people[2].email}
    for person in people:
        registration_create(session_id=session.pk, learner=person, now=NOW)

    assert outbox_dispatch(now=NOW) == {"sent": 5, "queued": 1}  # the refused one retries

    assert len(smtp_server.messages) == 5
    assert len(set(smtp_server.sessions)) == 2  # before and after the refusal
