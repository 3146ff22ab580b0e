"""Availability for a whole multi-block session: rooms and instructors free for every block,
and the reason for each one left out."""

from __future__ import annotations

import datetime as dt

import pytest

from scheduling.services.availability import (
    instructors_for_session,
    rooms_for_session,
    session_availability,
)
from tests import factories
from tests.conftest import at

pytestmark = pytest.mark.django_db

# Two three-hour blocks, Monday and Tuesday, Paris time.
BLOCKS = [
    (at("2030-03-04", "09:00"), at("2030-03-04", "12:00")),
    (at("2030-03-05", "09:00"), at("2030-03-05", "12:00")),
]


def _by_name(candidates):  # type: ignore[no-untyped-def]
    return {str(c.resource): c for c in candidates}


def _reasons(candidate):  # type: ignore[no-untyped-def]
    return " | ".join(r.message for r in candidate.reasons)


def test_rooms_free_for_every_block_with_capacity_and_features_and_why_others_are_not(
    schedule, course
):
    site = factories.SiteFactory(name="Lyon")
    free = factories.RoomFactory(site=site, name="Free", capacity=20, features=["projector"])
    small = factories.RoomFactory(site=site, name="Small", capacity=5, features=["projector"])
    bare = factories.RoomFactory(site=site, name="Bare", capacity=20, features=[])
    # Free at 12:00 on Tuesday, but its 30-minute tear-down runs into a booking at 12:15.
    buffered = factories.RoomFactory(
        site=site, name="Buffered", capacity=20, features=["projector"], teardown_buffer_minutes=30
    )
    other = schedule(
        [(at("2030-03-05", "12:15"), at("2030-03-05", "13:00"))], rooms=[buffered], instructors=[]
    )
    closed = factories.RoomFactory(site=site, name="Closed", capacity=20, features=["projector"])
    factories.RoomClosureFactory(
        room=closed,
        starts_at=at("2030-03-05", "00:00"),
        ends_at=at("2030-03-06", "00:00"),
        reason="Painting",
    )

    found = _by_name(
        rooms_for_session(
            blocks=BLOCKS,
            time_zone="Europe/Paris",
            capacity=12,
            features=["projector"],
        )
    )

    assert found[str(free)].available
    assert "holds 5, fewer than the session capacity of 12" in _reasons(found[str(small)])
    assert "lacks: Projector" in _reasons(found[str(bare)])
    booked = found[str(buffered)]
    assert f"already booked by session #{other.pk}" in _reasons(booked)
    assert booked.reasons[0].conflict["session_id"] == other.pk
    assert "closed" in _reasons(found[str(closed)])
    assert "Painting" in _reasons(found[str(closed)])
    # Free rooms come first.
    listed = rooms_for_session(
        blocks=BLOCKS, time_zone="Europe/Paris", capacity=12, features=["projector"]
    )
    assert [c.available for c in listed] == sorted((c.available for c in listed), reverse=True)


def test_the_room_is_free_without_its_buffer(schedule, course):
    room = factories.RoomFactory(name="Tight", teardown_buffer_minutes=10)
    schedule([(at("2030-03-05", "12:15"), at("2030-03-05", "13:00"))], rooms=[room], instructors=[])

    [candidate] = rooms_for_session(
        blocks=BLOCKS,
        time_zone="Europe/Paris",
        capacity=12,
        rooms=factories.RoomFactory._meta.model.objects.filter(pk=room.pk),
    )

    assert candidate.available


def test_instructors_qualified_and_free_for_every_block_and_why_others_are_not(schedule, course):
    def person(name: str, **kwargs):  # type: ignore[no-untyped-def]
        return factories.InstructorFactory(
            user__username=name, user__first_name=name.title(), user__last_name="X", **kwargs
        )

    free = person("free")
    factories.QualificationFactory(instructor=free, course=course)
    booked = person("booked")
    factories.QualificationFactory(instructor=booked, course=course)
    other = schedule(
        [(at("2030-03-05", "11:00"), at("2030-03-05", "14:00"))],
        rooms=[factories.RoomFactory()],
        instructors=[booked],
    )
    away = person("away")
    factories.QualificationFactory(instructor=away, course=course)
    factories.UnavailabilityFactory(
        instructor=away,
        starts_at=at("2030-03-04", "00:00"),
        ends_at=at("2030-03-05", "00:00"),
        kind="leave",
    )
    person("unqualified")
    expired = person("expired")
    factories.QualificationFactory(
        instructor=expired, course=course, expires_on=dt.date(2030, 3, 4)
    )
    busy_week = person("busyweek", weekly_hour_limit=5)
    factories.QualificationFactory(instructor=busy_week, course=course)

    found = {
        c.resource.user.username: c
        for c in instructors_for_session(course=course, blocks=BLOCKS, time_zone="Europe/Paris")
    }

    assert found["free"].available
    assert f"already booked by session #{other.pk}" in _reasons(found["booked"])
    assert found["booked"].reasons[0].conflict["session_id"] == other.pk
    assert "unavailable (Leave)" in _reasons(found["away"])
    assert "not qualified to teach SAFE-101" in _reasons(found["unqualified"])
    assert "expires on 2030-03-04" in _reasons(found["expired"])
    assert found["expired"].reasons[0].detail["expires_on"] == "2030-03-04"
    week = found["busyweek"].reasons
    assert [r.code for r in week] == ["over_weekly_hours"]
    assert week[0].detail == {"week": "2030-03-04", "hours": 6.0, "limit": 5}
    assert "6.0 h in the week of 2030-03-04 (limit 5 h)" in week[0].message


def test_qualification_is_read_on_the_blocks_local_date(course):
    """00:10-00:50 in Paris on 6 March is still 5 March in UTC: a qualification that ends on 5 March
    does not cover it."""
    person = factories.InstructorFactory()
    factories.QualificationFactory(instructor=person, course=course, expires_on=dt.date(2030, 3, 5))
    late = [(at("2030-03-06", "00:10"), at("2030-03-06", "00:50"))]
    assert late[0][1].astimezone(dt.UTC).date() == dt.date(2030, 3, 5)

    [in_paris] = instructors_for_session(course=course, blocks=late, time_zone="Europe/Paris")
    [in_utc] = instructors_for_session(course=course, blocks=late, time_zone="UTC")

    assert [r.code for r in in_paris.reasons] == ["qualification_expired"]
    assert in_utc.available


def test_an_existing_sessions_own_bookings_do_not_count(schedule, course, room, instructor):
    session = schedule(BLOCKS)

    found = session_availability(
        course=course,
        blocks=BLOCKS,
        time_zone="Europe/Paris",
        capacity=12,
        session_id=session.pk,
    )

    assert room.pk in {c.pk for c in found.free_rooms}
    assert instructor.pk in {c.pk for c in found.free_instructors}


def test_working_hours_are_a_note_not_a_reason(course):
    person = factories.InstructorFactory()
    factories.QualificationFactory(instructor=person, course=course)
    factories.WorkingHoursFactory(
        instructor=person, weekday=0, starts=dt.time(13), ends=dt.time(17)
    )

    [candidate] = instructors_for_session(course=course, blocks=BLOCKS, time_zone="Europe/Paris")

    assert candidate.available
    assert [n.code for n in candidate.notes] == ["outside_working_hours"] * 2


@pytest.mark.parametrize("count", [1, 8])
def test_the_search_costs_the_same_queries_however_many_rooms_and_instructors(
    count, schedule, course, django_assert_num_queries
):
    for _ in range(count):
        factories.RoomFactory()
        factories.QualificationFactory(instructor=factories.InstructorFactory(), course=course)
    schedule(BLOCKS[:1])  # some bookings to find
    many_blocks = BLOCKS + [
        (at(f"2030-03-{day:02d}", "09:00"), at(f"2030-03-{day:02d}", "12:00"))
        for day in range(11, 11 + count)
    ]

    # Rooms: the rooms, their bookings, their closures. Instructors: the instructors, their
    # qualifications, bookings, unavailability, working hours and the week's load.
    with django_assert_num_queries(9):
        found = session_availability(
            course=course, blocks=many_blocks, time_zone="Europe/Paris", capacity=12
        )

    assert len(found.rooms) == count + 1
    assert len(found.instructors) == count + 1
