"""The line is served first come, first served, on every path and with no worker running.

A freed seat goes to the head of the line in the transaction that frees it; a newcomer who
finds a free seat that others wait for joins the end of the line, and the line is served in
order at once.
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from attendance.models import CourseWaitlistEntry, Registration, RegistrationStatus
from attendance.services.registration import (
    course_waitlist_join,
    registration_bulk_enrol,
    registration_cancel,
    registration_create,
)
from notifications.models import OutboxMessage
from scheduling.models import Session
from scheduling.services import session_update
from tests.conftest import NOW, position_of


def _status(learner) -> str:
    return Registration.objects.exclude(status="cancelled").get(learner=learner).status


@pytest.mark.django_db
def test_a_newcomer_does_not_jump_the_waitlist_when_a_seat_frees(published, learners):
    """The issue's minimal case: capacity 1, A confirmed, B waitlisted, A cancels, C registers
    at once: B has the seat, C waits behind."""
    session = published(capacity=1)
    a, b, c = learners(3)
    seat = registration_create(session_id=session.pk, learner=a, now=NOW)
    registration_create(session_id=session.pk, learner=b, now=NOW)

    registration_cancel(registration_id=seat.registration_id, cancelled_by=a, now=NOW)
    latecomer = registration_create(session_id=session.pk, learner=c, now=NOW)

    assert _status(b) == RegistrationStatus.CONFIRMED
    assert (latecomer.status, latecomer.position) == (RegistrationStatus.WAITLISTED, 1)


@pytest.mark.django_db
def test_free_seats_that_others_wait_for_go_to_them_first_on_every_path(
    published, learners, coordinator
):
    """Seats freed by a change that does not promote (a capacity rise) are waited for: a
    learner registering, a coordinator enrolling and a bulk enrolment all queue behind, and
    the line is served in order there and then."""
    session = published(capacity=1)
    a, b, c, d, e = learners(5)
    registration_create(session_id=session.pk, learner=a, now=NOW)
    registration_create(session_id=session.pk, learner=b, now=NOW)  # waitlisted
    registration_create(session_id=session.pk, learner=c, now=NOW)  # waitlisted
    session_update(session_id=session.pk, capacity=3, now=NOW)  # two seats free, two waiting

    newcomer = registration_create(session_id=session.pk, learner=d, now=NOW)
    assert _status(b) == _status(c) == RegistrationStatus.CONFIRMED
    assert newcomer.status == RegistrationStatus.WAITLISTED

    session_update(session_id=session.pk, capacity=4, now=NOW)
    enrolled = registration_create(
        session_id=session.pk, learner=e, enrolled_by=coordinator, source="coordinator", now=NOW
    )
    assert _status(d) == RegistrationStatus.CONFIRMED  # d was first in line
    assert (enrolled.status, enrolled.position) == (RegistrationStatus.WAITLISTED, 1)


@pytest.mark.django_db
def test_a_bulk_enrolment_queues_behind_the_line(published, learners, coordinator):
    session = published(capacity=1)
    a, b, c = learners(3)
    registration_create(session_id=session.pk, learner=a, now=NOW)
    registration_create(session_id=session.pk, learner=b, now=NOW)  # waitlisted
    session_update(session_id=session.pk, capacity=2, now=NOW)

    outcome = registration_bulk_enrol(
        session_id=session.pk, emails=[c.email], enrolled_by=coordinator, now=NOW
    )

    assert _status(b) == RegistrationStatus.CONFIRMED
    assert outcome.waitlisted == [(c.email, 1)]


@pytest.mark.django_db
def test_an_any_date_learner_is_in_the_line_too(published, learners, course):
    session = published(capacity=1)
    a, flexible, c = learners(3)
    seat = registration_create(session_id=session.pk, learner=a, now=NOW)
    course_waitlist_join(course_id=course.pk, learner=flexible, now=NOW)
    registration_cancel(registration_id=seat.registration_id, cancelled_by=a, now=NOW)

    latecomer = registration_create(session_id=session.pk, learner=c, now=NOW)

    assert _status(flexible) == RegistrationStatus.CONFIRMED
    assert CourseWaitlistEntry.objects.get(learner=flexible).status == "fulfilled"
    assert latecomer.status == RegistrationStatus.WAITLISTED


@pytest.mark.django_db
def test_with_the_worker_and_broker_down_every_freed_seat_still_goes_to_the_line(
    published, learners, monkeypatch
):
    """No task can be queued (the broker is unreachable) and no worker runs: the order holds,
    because nothing waits for a worker."""
    from tms.celery import app

    def unreachable(*args, **kwargs):
        raise OSError("broker down")

    monkeypatch.setattr(app, "send_task", unreachable)
    session = published(capacity=2)
    people = learners(6)
    seats = [registration_create(session_id=session.pk, learner=p, now=NOW) for p in people[:2]]
    for person in people[2:4]:
        registration_create(session_id=session.pk, learner=person, now=NOW)  # waitlisted

    for seat, holder, newcomer in zip(seats, people[:2], people[4:], strict=True):
        registration_cancel(registration_id=seat.registration_id, cancelled_by=holder, now=NOW)
        registration_create(session_id=session.pk, learner=newcomer, now=NOW)

    assert [_status(p) for p in people[2:]] == [
        RegistrationStatus.CONFIRMED,
        RegistrationStatus.CONFIRMED,
        RegistrationStatus.WAITLISTED,
        RegistrationStatus.WAITLISTED,
    ]
    assert [position_of(Registration.objects.get(learner=p)) for p in people[4:]] == [1, 2]
    promoted = OutboxMessage.objects.filter(template="registration_promoted")
    assert promoted.count() == 2  # their mail is in the outbox, for when a worker is back


@pytest.mark.django_db(transaction=True)
def test_a_storm_of_cancellations_and_registrations_never_lets_a_newcomer_jump_the_line(
    schedule, learners
):
    """Eight seats held, eight learners waiting; eight cancel while eight newcomers register,
    all at once on their own connections. Every freed seat must go to someone who was waiting
    before the storm: no newcomer gets a seat while one of them still waits."""
    session = schedule(status="scheduled", capacity=8)
    holders, waiting, newcomers = learners(8), learners(8), learners(8)
    seats = [registration_create(session_id=session.pk, learner=p, now=NOW) for p in holders]
    for person in waiting:
        registration_create(session_id=session.pk, learner=person, now=NOW)
    start = threading.Barrier(16, timeout=30)
    errors: list[Exception] = []

    def run(action) -> None:
        try:
            connection.ensure_connection()
            start.wait()
            action()
        except Exception as error:  # collected and asserted on below
            errors.append(error)
        finally:
            connection.close()

    actions = [
        lambda seat=seat, person=person: registration_cancel(
            registration_id=seat.registration_id, cancelled_by=person, now=NOW
        )
        for seat, person in zip(seats, holders, strict=True)
    ] + [
        lambda person=person: registration_create(session_id=session.pk, learner=person, now=NOW)
        for person in newcomers
    ]
    threads = [threading.Thread(target=run, args=(action,)) for action in actions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    assert all(_status(p) == RegistrationStatus.CONFIRMED for p in waiting)
    assert all(_status(p) == RegistrationStatus.WAITLISTED for p in newcomers)
    held = Registration.objects.filter(session=session, status__in=["confirmed", "offered"])
    assert held.count() == Session.objects.get(pk=session.pk).capacity
