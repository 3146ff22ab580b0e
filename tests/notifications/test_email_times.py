"""Every email with a time shows it in the recipient's zone, named, in the subject and in both
bodies: the learner's settings, an instructor's home zone, else the session's zone.

The session runs 09:00-12:00 in Paris on Mon 4 Mar 2030 (08:00-11:00 UTC): 13:30-16:30 IST
for a learner who chose Asia/Kolkata, 03:00 EST for an instructor at home in New York.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail

from attendance.services.registration import registration_cancel, registration_create
from attendance.services.reminders import reminders_enqueue_due
from notifications.services import outbox_dispatch
from scheduling.models import WaitlistPolicy
from tests.conftest import NOW, at
from tms.models import Profile

pytestmark = pytest.mark.django_db


def _bodies(message) -> tuple[str, str]:
    html = next(content for content, kind in message.alternatives if kind == "text/html")
    return message.body, html


def _in_kolkata(message) -> None:
    for body in _bodies(message):
        assert "13:30" in body
        assert "IST" in body
        assert "08:00" not in body  # the UTC time
        assert "Asia/Kolkata" in body


@pytest.fixture
def kolkata_learner(learner):
    Profile.objects.create(user=learner, time_zone="Asia/Kolkata")
    return learner


def test_confirmation_and_cancellation_bodies_are_in_the_learners_zone(published, kolkata_learner):
    session = published()
    seat = registration_create(session_id=session.pk, learner=kolkata_learner, now=NOW)
    registration_cancel(registration_id=seat.registration_id, cancelled_by=kolkata_learner, now=NOW)
    outbox_dispatch(now=NOW)

    theirs = [m for m in mail.outbox if m.to == [kolkata_learner.email]]
    confirmation, cancellation = sorted(theirs, key=lambda m: m.subject)[::-1]
    assert confirmation.subject.startswith("Confirmed")
    _in_kolkata(confirmation)
    _in_kolkata(cancellation)


def test_the_waitlist_and_offer_mails_are_in_the_learners_zone(
    published, learners, kolkata_learner
):
    session = published(capacity=1)
    session.waitlist_policy = WaitlistPolicy.OFFER
    session.save()
    (first,) = learners(1)
    seat = registration_create(session_id=session.pk, learner=first, now=NOW)
    registration_create(session_id=session.pk, learner=kolkata_learner, now=NOW)
    outbox_dispatch(now=NOW)  # the waitlisted mail, while it is still true
    registration_cancel(registration_id=seat.registration_id, cancelled_by=first, now=NOW)
    outbox_dispatch(now=NOW)

    theirs = [m for m in mail.outbox if m.to == [kolkata_learner.email]]
    waitlisted = next(m for m in theirs if m.subject.startswith("Waitlisted (position 1)"))
    offer = next(m for m in theirs if m.subject.startswith("A seat is free"))
    _in_kolkata(waitlisted)
    _in_kolkata(offer)
    # The offer is held for 24 h: until Sat 2 Mar 08:00 UTC, 13:30 in Kolkata.
    deadline = (NOW + dt.timedelta(hours=24)).strftime("%a")
    for body in _bodies(offer):
        assert f"{deadline} 2 Mar 2030, 13:30 IST" in body


def test_reminders_name_the_time_in_each_recipients_zone(published, kolkata_learner, instructor):
    session = published()
    instructor.home_time_zone = "America/New_York"
    instructor.save()
    registration_create(session_id=session.pk, learner=kolkata_learner, now=NOW)
    outbox_dispatch(now=NOW)  # the confirmation
    due = at("2030-03-03", "09:30")
    reminders_enqueue_due(now=due)
    mail.outbox.clear()
    outbox_dispatch(now=due)

    to_learner = next(m for m in mail.outbox if m.to == [kolkata_learner.email])
    to_instructor = next(m for m in mail.outbox if m.to == [instructor.user.email])
    assert "13:30 IST" in to_learner.subject
    _in_kolkata(to_learner)
    for body in _bodies(to_learner):
        # "This part starts Mon 4 Mar 2030, 13:30 IST." in both bodies (the HTML one was
        # "This part starts ." with the time missing).
        assert "This part starts" in body
        assert "Mon 4 Mar 2030, 13:30 IST" in body
    assert "03:00 EST" in to_instructor.subject
    for body in _bodies(to_instructor):
        assert "Mon 4 Mar 2030, 03:00 EST" in body
        assert "America/New_York" in body


def test_without_a_chosen_zone_a_learner_reads_the_venues_time(published, learner):
    session = published()
    registration_create(session_id=session.pk, learner=learner, now=NOW)
    outbox_dispatch(now=NOW)
    (confirmation,) = [m for m in mail.outbox if m.to == [learner.email]]
    assert session.time_zone == "Europe/Paris"
    for body in _bodies(confirmation):
        assert "Mon 4 Mar 2030, 09:00" in body
        assert "12:00 CET" in body
