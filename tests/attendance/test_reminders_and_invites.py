import datetime as dt
import zoneinfo

import icalendar
import pytest
from django.core import mail

from attendance.models import Registration, RegistrationStatus
from attendance.services.registration import registration_create
from attendance.services.reminders import (
    invites_sync,
    low_enrolment_alerts,
    reminder_time,
    reminders_enqueue_due,
)
from notifications.models import OutboxMessage
from notifications.services import outbox_dispatch
from scheduling.models import SessionStatus
from scheduling.services import BlockChange, session_reschedule, session_transition
from tests.conftest import NOW, at

pytestmark = pytest.mark.django_db
PARIS = zoneinfo.ZoneInfo("Europe/Paris")


def test_day_reminders_keep_local_time_across_the_clock_change():
    # Paris moves to summer time at 02:00 on Sunday 2030-03-31: that day has 23 hours.
    start = at("2030-03-31", "09:00")
    day_before = reminder_time(start, 24, "Europe/Paris")
    assert day_before.astimezone(PARIS).strftime("%Y-%m-%d %H:%M") == "2030-03-30 09:00"
    assert start - day_before == dt.timedelta(hours=23)
    hour_before = reminder_time(start, 1, "Europe/Paris")
    assert hour_before.astimezone(PARIS).strftime("%H:%M") == "08:00"


def test_reminders_go_to_confirmed_learners_and_instructors_once(schedule, learners, instructor):
    session = schedule(status="scheduled", capacity=1)
    first, second = learners(2)
    registration_create(session_id=session.pk, learner=first, now=NOW)
    registration_create(session_id=session.pk, learner=second, now=NOW)  # waitlisted
    OutboxMessage.objects.all().delete()
    assert reminders_enqueue_due(now=at("2030-03-02", "12:00")) == 0  # not yet due
    due = at("2030-03-03", "09:30")  # within 24 h, before the 1 h reminder
    assert reminders_enqueue_due(now=due) == 2
    assert reminders_enqueue_due(now=due) == 0  # a repeated sweep adds nothing
    recipients = set(OutboxMessage.objects.values_list("address", flat=True))
    assert recipients == {first.email, instructor.user.email}
    outbox_dispatch(now=due)
    to_learner = next(m for m in mail.outbox if m.to == [first.email])
    assert "Reminder" in to_learner.subject
    assert session.blocks.get().room.name in to_learner.body
    assert reminders_enqueue_due(now=at("2030-03-04", "08:15")) == 2  # the 1 h reminder


def test_a_reschedule_sends_confirmed_learners_an_update_with_a_higher_sequence(schedule, learner):
    session = schedule(status="scheduled")
    registration_create(session_id=session.pk, learner=learner, now=NOW)
    block = session.blocks.get()
    session_reschedule(
        session_id=session.pk,
        changes=[BlockChange(block.pk, at("2030-03-05", "14:00"), at("2030-03-05", "17:00"))],
        now=NOW,
    )
    assert invites_sync(now=NOW) == 1
    assert invites_sync(now=NOW) == 0
    outbox_dispatch(now=NOW)
    first, update = [m for m in mail.outbox if m.to == [learner.email]]
    old = icalendar.Calendar.from_ical(first.alternatives[1][0]).walk("VEVENT")[0]
    new = icalendar.Calendar.from_ical(update.alternatives[1][0]).walk("VEVENT")[0]
    assert new["UID"] == old["UID"]
    assert new["SEQUENCE"] > old["SEQUENCE"]
    assert new["DTSTART"].dt.astimezone(PARIS).strftime("%d %H:%M") == "05 14:00"


def test_a_cancelled_session_cancels_registrations_and_calendars_in_the_same_transaction(
    schedule, learners
):
    session = schedule(status="scheduled", capacity=1)
    first, second = learners(2)
    registration_create(session_id=session.pk, learner=first, now=NOW)
    registration_create(session_id=session.pk, learner=second, now=NOW)
    session_transition(
        session_id=session.pk, to_status=SessionStatus.CANCELLED, reason="Trainer ill"
    )
    # No sweep has run: the cancelling transaction cancelled the places and queued the mail.
    assert set(Registration.objects.values_list("status", flat=True)) == {
        RegistrationStatus.CANCELLED
    }
    assert Registration.objects.filter(cancellation_reason__endswith="Trainer ill").count() == 2
    cancellations = OutboxMessage.objects.filter(template="registration_cancelled")
    assert sorted(cancellations.values_list("address", flat=True)) == sorted(
        [first.email, second.email]
    )
    assert invites_sync(now=NOW) == 0
    outbox_dispatch(now=NOW)
    cancel = next(m for m in mail.outbox if m.to == [first.email] and "Cancelled" in m.subject)
    calendar = icalendar.Calendar.from_ical(cancel.alternatives[1][0])
    assert calendar["METHOD"] == "CANCEL"
    waitlisted_notice = next(
        m for m in mail.outbox if m.to == [second.email] and "Cancelled" in m.subject
    )
    assert len(waitlisted_notice.alternatives) == 1  # no calendar: they never had a seat


def test_coordinators_hear_about_sessions_below_their_minimum(schedule, coordinator, learner):
    session = schedule(status="scheduled", capacity=10)
    session.min_attendees = 3
    session.save()
    registration_create(session_id=session.pk, learner=learner, now=NOW)
    assert low_enrolment_alerts(now=NOW) == 1
    assert low_enrolment_alerts(now=NOW) in (0, 1)  # duplicates vanish in the outbox
    assert OutboxMessage.objects.filter(template="low_enrolment").count() == 1
    outbox_dispatch(now=NOW)
    alert = next(m for m in mail.outbox if m.to == [coordinator.email])
    assert "1 of minimum 3" in alert.subject
