"""A sales rush: 200 registration attempts for a 20-seat session on separate connections.

The seat count is taken under the session row lock. The negative control installs the seat door
without its locks (tests/attendance/seat_door.py) and must oversell, which proves the race
really happens here; both widen the window between counting and writing from outside.
"""

from __future__ import annotations

import queue
import threading

import pytest
from django.db import connection

from attendance.models import Registration, RegistrationStatus
from attendance.services.promotion import waitlist_promote
from attendance.services.registration import registration_cancel, registration_create
from tests import factories
from tests.attendance.seat_door import seat_door_without_locks, slow_registration_writes
from tests.conftest import NOW, position_of

pytestmark = pytest.mark.django_db(transaction=True)

ATTEMPTS = 200
SEATS = 20
# Concurrent connections: below PostgreSQL's default max_connections (100) with room to spare.
WORKERS = 40


def _rush(session_id: int, people: list) -> list:
    with slow_registration_writes(0.005):  # widen the window between counting and writing
        return _race(session_id, people)


def _race(session_id: int, people: list) -> list:
    todo: queue.Queue = queue.Queue()
    for person in people:
        todo.put(person)
    start = threading.Barrier(WORKERS, timeout=30)
    errors: list = []

    def worker() -> None:
        try:
            # Connect first: backends start one after another, which would stagger the rush.
            connection.ensure_connection()
            start.wait()
            while True:
                try:
                    person = todo.get_nowait()
                except queue.Empty:
                    return
                try:
                    registration_create(session_id=session_id, learner=person, now=NOW)
                except Exception as error:  # collected and asserted on below
                    errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return errors


def _counts(session_id: int) -> dict[str, int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT status, count(*) FROM attendance_registration "
            "WHERE session_id = %s GROUP BY status",
            [session_id],
        )
        return dict(cursor.fetchall())


def test_a_rush_of_200_confirms_exactly_20_and_queues_180_in_arrival_order(schedule):
    session = schedule(status="scheduled", capacity=SEATS)
    people = [factories.UserFactory(role="Learner") for _ in range(ATTEMPTS)]
    errors = _rush(session.pk, people)
    assert errors == []
    assert _counts(session.pk) == {"confirmed": SEATS, "waitlisted": ATTEMPTS - SEATS}
    # Arrival order = the order learners got the lock = insertion (pk) order.
    queued = list(
        Registration.objects.filter(session=session, status=RegistrationStatus.WAITLISTED)
        .order_by("pk")
        .values_list("waitlist_rank", flat=True)
    )
    assert queued == sorted(queued)
    assert len(set(queued)) == ATTEMPTS - SEATS
    positions = [
        position_of(r)
        for r in Registration.objects.filter(session=session, status="waitlisted").order_by("pk")
    ]
    assert positions == list(range(1, ATTEMPTS - SEATS + 1))


def test_without_the_lock_the_same_rush_oversells(schedule):
    session = schedule(status="scheduled", capacity=SEATS)
    people = [factories.UserFactory(role="Learner") for _ in range(ATTEMPTS)]
    with seat_door_without_locks():
        _rush(session.pk, people)
    assert _counts(session.pk)["confirmed"] > SEATS


def test_concurrent_cancellations_and_duplicate_promotions_never_exceed_capacity(schedule):
    session = schedule(status="scheduled", capacity=5)
    people = [factories.UserFactory(role="Learner") for _ in range(15)]
    for person in people:
        registration_create(session_id=session.pk, learner=person, now=NOW)
    seats_now = list(
        Registration.objects.filter(session=session, status=RegistrationStatus.CONFIRMED)
    )
    start = threading.Barrier(len(seats_now) * 2, timeout=30)
    errors: list = []

    def cancel(registration: Registration) -> None:
        try:
            start.wait()
            registration_cancel(registration_id=registration.pk, cancelled_by=None, now=NOW)
        except Exception as error:  # collected and asserted on below
            errors.append(error)
        finally:
            connection.close()

    def promote() -> None:
        try:
            start.wait()
            for _ in range(3):  # the same task delivered several times
                waitlist_promote(session_id=session.pk, now=NOW)
        except Exception as error:  # collected and asserted on below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=cancel, args=(r,)) for r in seats_now]
    threads += [threading.Thread(target=promote) for _ in seats_now]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    waitlist_promote(session_id=session.pk, now=NOW)  # the periodic sweep
    counts = _counts(session.pk)
    assert counts["confirmed"] == 5  # refilled exactly, never beyond
    assert counts["waitlisted"] == 5
    assert counts["cancelled"] == 5
