"""The seat-taking functions in the database (attendance/sql/).

The seat limit agrees with the explanation pages show; a session edited between the read and
the seat is read again; one learner racing into two overlapping sessions gets one seat.
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from attendance.models import Registration, RegistrationStatus
from attendance.services import registration as registration_module
from attendance.services.notices import DoorCall, door_messages
from attendance.services.registration import registration_create
from attendance.services.seats import (
    SeatRequest,
    seat_limit,
    snapshot_for_registration,
    take_seat,
)
from scheduling.models import DeliveryMode, Session, SessionStatus
from scheduling.selectors import effective_capacity
from tests import factories
from tests.attendance.seat_door import gated_registration_writes, seat_door_without_locks
from tests.conftest import NOW, at
from tms.exceptions import RegistrationClosed, ScheduleClash
from venues.models import HostAccount, Room


@pytest.mark.django_db
def test_the_seat_limit_is_the_smallest_of_session_rooms_and_host_account(schedule, room):
    session = schedule(status="scheduled", capacity=12)
    assert seat_limit(session.pk) == 12 == effective_capacity(session).value

    Room.objects.filter(pk=room.pk).update(capacity=7)  # the room was re-measured
    session = Session.objects.prefetch_related("blocks__room").get(pk=session.pk)
    assert seat_limit(session.pk) == 7 == effective_capacity(session).value

    account = factories.HostAccountFactory(participant_limit=30)
    online = schedule(
        status="scheduled",
        capacity=25,
        mode=DeliveryMode.VILT,
        host_account=account,
        instructors=[factories.InstructorFactory()],
    )
    assert seat_limit(online.pk) == 25 == effective_capacity(online).value
    HostAccount.objects.filter(pk=account.pk).update(participant_limit=9)
    online = Session.objects.select_related("host_account").get(pk=online.pk)
    assert seat_limit(online.pk) == 9 == effective_capacity(online).value


@pytest.mark.django_db
def test_a_session_changed_since_it_was_read_takes_no_seat(published, learner):
    session = published()
    snapshot = snapshot_for_registration(session.pk, learner.pk, viewer=None)
    Session.objects.filter(pk=session.pk).update(
        status=SessionStatus.CANCELLED, cancellation_reason="Trainer ill"
    )

    seat = take_seat(
        SeatRequest(
            session_id=session.pk,
            learner_id=learner.pk,
            learner_email=learner.email,
            messages_json=door_messages(DoorCall.REGISTER),
            now=NOW,
            snapshot=snapshot,
            source="self",
        )
    )

    assert seat.outcome == "changed"
    assert not Registration.objects.exists()


@pytest.mark.django_db
def test_registering_reads_a_changed_session_again_and_gives_its_answer(
    published, learner, monkeypatch
):
    session = published()
    stale = snapshot_for_registration(session.pk, learner.pk, viewer=None)
    Session.objects.filter(pk=session.pk).update(
        status=SessionStatus.CANCELLED, cancellation_reason="Trainer ill"
    )
    reads = []

    def read(session_id, learner_id, *, viewer):
        reads.append(session_id)
        if len(reads) == 1:
            return stale  # as if the coordinator cancelled right after this read
        return snapshot_for_registration(session_id, learner_id, viewer=viewer)

    monkeypatch.setattr(registration_module, "snapshot_for_registration", read)

    with pytest.raises(RegistrationClosed):
        registration_create(session_id=session.pk, learner=learner, now=NOW)
    assert len(reads) == 2
    assert not Registration.objects.exists()


def _race_one_learner_into_two_sessions(learner, sessions) -> list:
    """Both registrations start; each is held before writing until both are waiting (at the
    gate, or for the learner lock the other holds): then the gate opens."""
    outcomes: list = []

    def register(session_id: int) -> None:
        try:
            registration_create(session_id=session_id, learner=learner, now=NOW)
            outcomes.append("seat")
        except ScheduleClash as refused:
            outcomes.append(refused.conflicts[0]["session_id"])
        finally:
            connection.close()

    with gated_registration_writes() as open_when_waiting:
        threads = [threading.Thread(target=register, args=(s.pk,)) for s in sessions]
        for thread in threads:
            thread.start()
        open_when_waiting(len(threads))
        for thread in threads:
            thread.join(timeout=60)
    return outcomes


@pytest.fixture
def overlapping_sessions(published):
    morning = published()
    overlapping = published(
        rooms=[factories.RoomFactory()],
        instructors=[factories.InstructorFactory()],
        blocks=[(at("2030-03-04", "11:00"), at("2030-03-04", "13:00"))],
    )
    return morning, overlapping


@pytest.mark.django_db(transaction=True)
def test_one_learner_racing_into_two_overlapping_sessions_gets_one_seat(
    overlapping_sessions, learner
):
    """Each registration checks the learner's other seats before writing; the writes are held
    until both are under way: without the learner lock both would find no clash."""
    outcomes = _race_one_learner_into_two_sessions(learner, overlapping_sessions)

    seats = Registration.objects.filter(learner=learner, status=RegistrationStatus.CONFIRMED)
    assert seats.count() == 1
    assert sorted(outcomes, key=str) == sorted(["seat", seats.get().session_id], key=str)


@pytest.mark.django_db(transaction=True)
def test_without_the_learner_lock_the_same_race_gives_two_seats(overlapping_sessions, learner):
    """The negative control: the same race against the door without its locks."""
    with seat_door_without_locks():
        outcomes = _race_one_learner_into_two_sessions(learner, overlapping_sessions)

    assert outcomes == ["seat", "seat"]
    seats = Registration.objects.filter(learner=learner, status=RegistrationStatus.CONFIRMED)
    assert seats.count() == 2


@pytest.mark.django_db(transaction=True)
def test_a_session_locked_too_long_is_busy_and_nothing_is_written(published, learner):
    """Someone else holds the session row (a long edit): after the lock timeout the learner
    is told to try again, and no registration or message is left behind."""
    from django.db import connections, transaction

    from notifications.models import OutboxMessage
    from tms.exceptions import Busy

    session = published()
    locked, release = threading.Event(), threading.Event()

    def hold_the_session() -> None:
        try:
            with transaction.atomic():
                Session.objects.select_for_update().get(pk=session.pk)
                locked.set()
                release.wait(timeout=30)
        finally:
            connections.close_all()

    holder = threading.Thread(target=hold_the_session)
    holder.start()
    try:
        assert locked.wait(timeout=30)
        with pytest.raises(Busy):
            registration_create(session_id=session.pk, learner=learner, now=NOW)
    finally:
        release.set()
        holder.join(timeout=30)

    assert not Registration.objects.exists()
    assert not OutboxMessage.objects.filter(address=learner.email).exists()
    assert registration_create(session_id=session.pk, learner=learner, now=NOW).confirmed
