import datetime as dt

import pytest

from scheduling.models import BlockStatus, RoomBooking, Session, SessionStatus
from scheduling.services import (
    BlockChange,
    block_cancel,
    block_restore,
    session_reschedule,
    session_transition,
)
from tests import factories
from tests.conftest import NOW, at
from tms.exceptions import InvalidTransition, ResourceConflict, RuleViolation

pytestmark = pytest.mark.django_db


def test_scheduling_a_session_books_its_room_and_instructor(schedule, room, instructor):
    session = schedule()
    booking = RoomBooking.objects.get(session=session)
    assert booking.room == room
    assert session.instructor_bookings.get().instructor == instructor
    assert session.starts_at == at("2030-03-04", "09:00")


def test_overlapping_room_booking_is_refused_naming_the_other_session(schedule):
    first = schedule()
    other = factories.InstructorFactory()
    with pytest.raises(ResourceConflict) as refused:
        schedule([(at("2030-03-04", "11:00"), at("2030-03-04", "13:00"))], instructors=[other])
    assert refused.value.conflicts[0]["session_id"] == first.pk
    assert refused.value.conflicts[0]["resource"] == "room"
    assert f"#{first.pk}" in refused.value.message
    assert Session.objects.count() == 1


def test_room_buffers_count_as_booked_time(schedule):
    buffered = factories.RoomFactory(setup_buffer_minutes=30, teardown_buffer_minutes=30)
    schedule(rooms=[buffered])
    with pytest.raises(ResourceConflict):
        schedule(
            [(at("2030-03-04", "12:15"), at("2030-03-04", "14:00"))],
            rooms=[buffered],
            instructors=[factories.InstructorFactory()],
        )


def test_back_to_back_blocks_of_one_session_share_their_room_despite_buffers(schedule):
    buffered = factories.RoomFactory(setup_buffer_minutes=30, teardown_buffer_minutes=30)
    session = schedule(
        [
            (at("2030-03-04", "09:00"), at("2030-03-04", "12:00")),
            (at("2030-03-04", "13:00"), at("2030-03-04", "17:00")),
        ],
        rooms=[buffered, buffered],
    )
    assert session.room_bookings.count() == 2


def test_instructor_double_booking_is_refused(schedule, instructor):
    schedule()
    with pytest.raises(ResourceConflict) as refused:
        schedule(rooms=[factories.RoomFactory()], instructors=[instructor])
    assert refused.value.conflicts[0]["resource"] == "instructor"


def test_room_smaller_than_capacity_is_refused(schedule):
    small = factories.RoomFactory(capacity=5)
    with pytest.raises(RuleViolation) as refused:
        schedule(rooms=[small], capacity=12)
    assert "blocks[0].room" in refused.value.fields


def test_unqualified_instructor_is_refused(course, room, instructor):
    from scheduling.services import ProposedBlock, ProposedInstructor, SessionInput, session_create

    data = SessionInput(
        course=course,
        delivery_mode="ilt",
        capacity=10,
        time_zone="Europe/Paris",
        blocks=[ProposedBlock(at("2030-03-04", "09:00"), at("2030-03-04", "12:00"), room)],
        instructors=[ProposedInstructor(instructor, "lead")],
    )
    with pytest.raises(RuleViolation, match="not qualified"):
        session_create(data=data, now=NOW)
    assert not Session.objects.exists()


def test_expired_qualification_on_the_session_date_is_refused(schedule, course, instructor):
    factories.QualificationFactory(instructor=instructor, course=course)
    instructor.qualifications.update(expires_on=dt.date(2030, 3, 3))
    with pytest.raises(RuleViolation, match="expires on 2030-03-03"):
        schedule()


def test_booking_inside_a_room_closure_is_refused(schedule, room):
    factories.RoomClosureFactory(
        room=room, starts_at=at("2030-03-04", "00:00"), ends_at=at("2030-03-05", "00:00")
    )
    with pytest.raises(RuleViolation, match="closed"):
        schedule()


def test_booking_during_instructor_leave_is_refused(schedule, instructor):
    factories.UnavailabilityFactory(
        instructor=instructor,
        starts_at=at("2030-03-04", "00:00"),
        ends_at=at("2030-03-06", "00:00"),
    )
    with pytest.raises(RuleViolation, match="unavailable"):
        schedule()


def test_new_session_in_the_past_is_refused(schedule):
    with pytest.raises(RuleViolation, match="in the past"):
        schedule([(at("2030-02-01", "09:00"), at("2030-02-01", "12:00"))])


def test_cancelling_a_session_frees_every_booking(schedule, instructor):
    session = schedule()
    session_transition(
        session_id=session.pk, to_status=SessionStatus.CANCELLED, reason="Trainer ill"
    )
    assert not RoomBooking.objects.exists()
    schedule(instructors=[instructor])  # the same slot can be booked again


def test_cancel_without_reason_is_refused(schedule):
    session = schedule()
    with pytest.raises(RuleViolation):
        session_transition(session_id=session.pk, to_status=SessionStatus.CANCELLED, reason=" ")


def test_draft_cannot_jump_to_completed(schedule):
    session = schedule()
    with pytest.raises(InvalidTransition):
        session_transition(session_id=session.pk, to_status=SessionStatus.COMPLETED, now=NOW)


def test_moving_one_block_moves_its_bookings(schedule):
    session = schedule(
        [
            (at("2030-03-04", "09:00"), at("2030-03-04", "12:00")),
            (at("2030-03-11", "09:00"), at("2030-03-11", "12:00")),
        ]
    )
    second = session.blocks.order_by("starts_at")[1]
    session_reschedule(
        session_id=session.pk,
        changes=[BlockChange(second.pk, at("2030-03-12", "14:00"), at("2030-03-12", "17:00"))],
        now=NOW,
    )
    booking = RoomBooking.objects.get(block=second)
    assert booking.during.lower == at("2030-03-12", "14:00")
    assert second.instructor_bookings.get().during.lower == at("2030-03-12", "14:00")


def test_a_session_of_a_course_retired_since_can_still_be_moved_but_only_to_a_free_slot(
    schedule, course
):
    """Retiring a course stops new sessions; the ones already planned keep being managed.
    The move itself is checked like any booking."""
    blocker = schedule([(at("2030-03-05", "09:00"), at("2030-03-05", "12:00"))])
    session = schedule(instructors=[factories.InstructorFactory()])
    block = session.blocks.get()
    course.active = False
    course.save()

    with pytest.raises(ResourceConflict) as refused:
        session_reschedule(
            session_id=session.pk,
            changes=[BlockChange(block.pk, at("2030-03-05", "10:00"), at("2030-03-05", "11:00"))],
            now=NOW,
        )
    assert [c["session_id"] for c in refused.value.conflicts] == [blocker.pk]
    assert list(refused.value.fields) == ["blocks[0].room"]

    session_reschedule(
        session_id=session.pk,
        changes=[BlockChange(block.pk, at("2030-03-06", "09:00"), at("2030-03-06", "12:00"))],
        now=NOW,
    )
    assert RoomBooking.objects.get(block=block).during.lower == at("2030-03-06", "09:00")


def test_a_rejected_move_changes_nothing(schedule):
    blocker = schedule([(at("2030-03-05", "09:00"), at("2030-03-05", "12:00"))])
    session = schedule(instructors=[factories.InstructorFactory()])
    block = session.blocks.get()
    with pytest.raises(ResourceConflict) as refused:
        session_reschedule(
            session_id=session.pk,
            changes=[BlockChange(block.pk, at("2030-03-05", "10:00"), at("2030-03-05", "11:00"))],
            now=NOW,
        )
    assert refused.value.conflicts[0]["session_id"] == blocker.pk
    block.refresh_from_db()
    assert block.starts_at == at("2030-03-04", "09:00")
    assert RoomBooking.objects.get(block=block).during.lower == at("2030-03-04", "09:00")


def test_cancelled_block_frees_its_slot_and_restores_only_while_free(schedule):
    session = schedule(
        [
            (at("2030-03-04", "09:00"), at("2030-03-04", "12:00")),
            (at("2030-03-11", "09:00"), at("2030-03-11", "12:00")),
        ]
    )
    second = session.blocks.order_by("starts_at")[1]
    block_cancel(session_id=session.pk, block_id=second.pk, reason="Public holiday")
    assert not RoomBooking.objects.filter(block=second).exists()
    taker = schedule(
        [(at("2030-03-11", "10:00"), at("2030-03-11", "11:00"))],
        instructors=[factories.InstructorFactory()],
    )
    with pytest.raises(ResourceConflict):
        block_restore(session_id=session.pk, block_id=second.pk, now=NOW)
    second.refresh_from_db()
    assert second.status == BlockStatus.CANCELLED
    session_transition(session_id=taker.pk, to_status=SessionStatus.CANCELLED, reason="Moved")
    block_restore(session_id=session.pk, block_id=second.pk, now=NOW)
    second.refresh_from_db()
    assert second.status == BlockStatus.ACTIVE
    assert RoomBooking.objects.filter(block=second).exists()


def test_vilt_session_books_host_account_and_keeps_join_link_across_moves(schedule, host_account):
    session = schedule(mode="vilt", host_account=host_account)
    assert session.join_url.startswith("https://meet.example.org/tms-")
    block = session.blocks.get()
    session_reschedule(
        session_id=session.pk,
        changes=[BlockChange(block.pk, at("2030-03-06", "09:00"), at("2030-03-06", "12:00"))],
        now=NOW,
    )
    session.refresh_from_db()
    assert session.host_account_bookings.get().during.lower == at("2030-03-06", "09:00")
    with pytest.raises(ResourceConflict):
        schedule(
            [(at("2030-03-06", "11:00"), at("2030-03-06", "12:30"))],
            mode="vilt",
            host_account=host_account,
            instructors=[factories.InstructorFactory()],
        )


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"time_zone": "Mars/Olympus"}, "time_zone"),
        ({"capacity": 0}, "capacity"),
        ({"min_attendees": 50}, "min_attendees"),
        ({"delivery_mode": "carrier-pigeon"}, "delivery_mode"),
        ({"naive": True}, "blocks[0]"),
        ({"ends_before_start": True}, "blocks[0]"),
        ({"overlapping": True}, "blocks[1]"),
    ],
)
def test_bad_session_input_is_refused_and_nothing_is_written(course, room, change, field):
    from scheduling.services import ProposedBlock, SessionInput, session_create

    start, end = at("2030-03-04", "09:00"), at("2030-03-04", "12:00")
    blocks = [ProposedBlock(start, end, room)]
    if change.pop("naive", False):
        blocks = [ProposedBlock(start.replace(tzinfo=None), end.replace(tzinfo=None), room)]
    if change.pop("ends_before_start", False):
        blocks = [ProposedBlock(end, start, room)]
    if change.pop("overlapping", False):
        blocks = [ProposedBlock(start, end, room), ProposedBlock(start, end, room, index=1)]
    arguments = {
        "course": course,
        "delivery_mode": "ilt",
        "capacity": 10,
        "time_zone": "Europe/Paris",
        "blocks": blocks,
        **change,
    }
    with pytest.raises(RuleViolation) as refused:
        session_create(data=SessionInput(**arguments), now=NOW)
    assert field in refused.value.fields
    assert not Session.objects.exists()
    assert not RoomBooking.objects.exists()
