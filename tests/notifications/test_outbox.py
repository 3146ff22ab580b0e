import datetime as dt

import icalendar
import pytest
from django.core import mail
from django.db import IntegrityError

from attendance.services.registration import registration_cancel, registration_create
from notifications.models import MessageChannel, MessageStatus, OutboxMessage
from notifications.services import MessageSpec, message_resend, messages_enqueue, outbox_dispatch
from tests.conftest import NOW
from tms.celery import app as celery_app
from tms.exceptions import InvalidTransition

pytestmark = pytest.mark.django_db


@pytest.fixture
def scheduled(schedule):
    session = schedule(status="scheduled", capacity=1)
    # The instructor's invite is not what these tests are about.
    OutboxMessage.objects.filter(template__startswith="instructor_").delete()
    return session


def test_confirmation_email_has_text_html_and_a_calendar_request(scheduled, learner):
    registration_create(session_id=scheduled.pk, learner=learner, now=NOW)
    assert outbox_dispatch(now=NOW) == {"sent": 1}
    (email,) = mail.outbox
    assert email.to == [learner.email]
    assert "Confirmed" in email.subject
    kinds = [mimetype for _content, mimetype in email.alternatives]
    assert kinds[0] == "text/html"
    assert kinds[1].startswith("text/calendar; method=REQUEST")
    calendar = icalendar.Calendar.from_ical(email.alternatives[1][0])
    assert calendar["METHOD"] == "REQUEST"
    (event,) = calendar.walk("VEVENT")
    assert event["SEQUENCE"] == 0
    assert str(event["ATTENDEE"]) == f"mailto:{learner.email}"


def test_each_event_reaches_a_recipient_at_most_once(scheduled, learner):
    registration_create(session_id=scheduled.pk, learner=learner, now=NOW)
    spec = MessageSpec(
        address=learner.email,
        event_key=OutboxMessage.objects.get().event_key,
        template="registration_confirmed",
        rule="test",
        context={},
    )
    assert messages_enqueue([spec], now=NOW) == 0  # a duplicate vanishes
    assert OutboxMessage.objects.count() == 1
    outbox_dispatch(now=NOW)
    outbox_dispatch(now=NOW)  # a second run finds nothing to send
    assert len(mail.outbox) == 1
    with pytest.raises(IntegrityError):
        OutboxMessage.objects.create(
            channel=MessageChannel.EMAIL,
            address=learner.email,
            event_key=spec.event_key,
            template="x",
            rule="x",
            available_at=NOW,
        )


def _use_broker(url: str) -> None:
    """Point the app at another broker, dropping pooled connections to the old one."""
    if celery_app._pool is not None:
        celery_app._pool.force_close_all()
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    celery_app.conf.broker_url = url


def test_registration_succeeds_with_the_broker_down_and_mail_follows_later(
    scheduled, learner, django_capture_on_commit_callbacks, settings
):
    _use_broker("redis://127.0.0.1:1/0")  # nothing listens on port 1
    try:
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            outcome = registration_create(session_id=scheduled.pk, learner=learner, now=NOW)
    finally:
        _use_broker(settings.CELERY_BROKER_URL)
    assert callbacks  # the kick to the worker was attempted (and failed quietly)
    assert outcome.confirmed
    message = OutboxMessage.objects.get()
    assert message.status == MessageStatus.QUEUED
    assert mail.outbox == []
    outbox_dispatch(now=NOW)  # the periodic sweep, once the broker is back
    assert len(mail.outbox) == 1


def test_a_failing_smtp_server_is_retried_with_backoff_then_marked_failed(
    scheduled, learner, settings
):
    settings.EMAIL_BACKEND = "tests.notifications.broken_backend.RefusingBackend"
    registration_create(session_id=scheduled.pk, learner=learner, now=NOW)
    assert outbox_dispatch(now=NOW) == {"queued": 1}
    message = OutboxMessage.objects.get()
    assert "Connection refused" in message.last_error
    assert message.available_at == NOW + dt.timedelta(seconds=30)
    later = NOW
    for _ in range(10):
        later += dt.timedelta(hours=2)
        outbox_dispatch(now=later)
    message.refresh_from_db()
    assert message.status == MessageStatus.FAILED
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    copy = message_resend(message_id=message.pk, now=later)
    outbox_dispatch(now=later)
    copy.refresh_from_db()
    assert copy.status == MessageStatus.SENT
    assert len(mail.outbox) == 1


def test_a_cancelled_confirmed_seat_sends_a_calendar_cancel_with_the_same_uid(scheduled, learner):
    registration = registration_create(session_id=scheduled.pk, learner=learner, now=NOW).row()
    registration_cancel(registration_id=registration.pk, cancelled_by=learner, now=NOW)
    outbox_dispatch(now=NOW)
    confirm, cancel = mail.outbox
    request = icalendar.Calendar.from_ical(confirm.alternatives[1][0])
    cancelled = icalendar.Calendar.from_ical(cancel.alternatives[1][0])
    assert cancelled["METHOD"] == "CANCEL"
    uids = [str(e["UID"]) for e in request.walk("VEVENT")]
    assert [str(e["UID"]) for e in cancelled.walk("VEVENT")] == uids
    assert all(e["SEQUENCE"] > 0 for e in cancelled.walk("VEVENT"))


def test_join_link_is_only_in_invites_of_confirmed_learners(schedule, host_account, learners):
    session = schedule(status="scheduled", capacity=1, mode="vilt", host_account=host_account)
    first, second = learners(2)
    registration_create(session_id=session.pk, learner=first, now=NOW)
    registration_create(session_id=session.pk, learner=second, now=NOW)  # waitlisted
    outbox_dispatch(now=NOW)
    confirmed = next(m for m in mail.outbox if m.to == [first.email])
    waitlisted = next(m for m in mail.outbox if m.to == [second.email])
    assert session.join_url in confirmed.body
    assert session.join_url not in waitlisted.body
    assert session.join_url not in waitlisted.alternatives[0][0]


def test_messages_enqueue_reports_the_rows_it_wrote(learners):
    first, second = learners(2)
    specs = [
        MessageSpec(address=p.email, event_key="test:1", template="x", rule="test")
        for p in (first, second)
    ]
    no_address = MessageSpec(address="", event_key="test:1", template="x", rule="test")
    assert messages_enqueue([*specs, no_address], now=NOW) == 2
    assert messages_enqueue([*specs, specs[0]], now=NOW) == 0  # all of them duplicates
    other_event = MessageSpec(address=first.email, event_key="test:2", template="x", rule="t")
    assert messages_enqueue([other_event, specs[1]], now=NOW) == 1


def test_a_waitlisted_mail_no_longer_true_when_its_turn_comes_is_skipped_not_sent(
    scheduled, learners
):
    """The learner left the waitlist before the worker got to the mail: it is not sent
    saying "position None"; the ledger says why."""
    first, second = learners(2)
    registration_create(session_id=scheduled.pk, learner=first, now=NOW)
    waiting = registration_create(session_id=scheduled.pk, learner=second, now=NOW)
    registration_cancel(registration_id=waiting.registration_id, cancelled_by=second, now=NOW)

    outcome = outbox_dispatch(now=NOW)

    assert outcome == {"sent": 2, "skipped": 1}  # first's confirmation, second's cancellation
    skipped = OutboxMessage.objects.get(template="registration_waitlisted")
    assert skipped.status == MessageStatus.SKIPPED
    assert "no longer waitlisted" in skipped.last_error
    assert not any("None" in m.body for m in mail.outbox)
    assert [m.to for m in mail.outbox if "Waitlisted" in m.subject] == []
    with pytest.raises(InvalidTransition):
        message_resend(message_id=skipped.pk, now=NOW)
