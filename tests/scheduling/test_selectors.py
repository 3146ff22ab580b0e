import datetime as dt
import zoneinfo

import pytest

from scheduling.selectors import effective_capacity, instructors_available, rooms_available
from tests import factories
from tests.conftest import NOW, at

pytestmark = pytest.mark.django_db

SLOT = [(at("2030-03-04", "09:00"), at("2030-03-04", "12:00"))]


def test_room_search_excludes_booked_small_closed_and_featureless_rooms(schedule, room):
    schedule()  # books `room`
    free = factories.RoomFactory(capacity=30, features=["projector", "wheelchair_access"])
    factories.RoomFactory(capacity=5, features=["projector", "wheelchair_access"])  # too small
    factories.RoomFactory(capacity=30, features=["projector"])  # lacks a feature
    closed = factories.RoomFactory(capacity=30, features=["projector", "wheelchair_access"])
    factories.RoomClosureFactory(
        room=closed, starts_at=at("2030-03-04", "08:00"), ends_at=at("2030-03-04", "10:00")
    )
    found = rooms_available(
        blocks=SLOT, min_capacity=10, features=["projector", "wheelchair_access"]
    )
    assert list(found) == [free]


def test_room_search_honours_the_candidate_rooms_buffers(schedule, room):
    schedule()  # room booked 09:00-12:00
    buffered = factories.RoomFactory(setup_buffer_minutes=60)
    schedule(
        [(at("2030-03-04", "12:00"), at("2030-03-04", "13:00"))],
        rooms=[buffered],
        instructors=[factories.InstructorFactory()],
    )
    later = [(at("2030-03-04", "13:30"), at("2030-03-04", "15:00"))]
    # `buffered` is booked until 13:00; its 60-minute setup makes 13:30 impossible.
    assert buffered not in rooms_available(blocks=later)
    assert room in rooms_available(blocks=later)


def test_instructor_search_needs_a_valid_qualification_and_free_time(schedule, course, instructor):
    schedule()  # books `instructor`
    free = factories.InstructorFactory()
    factories.QualificationFactory(instructor=free, course=course)
    unqualified = factories.InstructorFactory()
    on_leave = factories.InstructorFactory()
    factories.QualificationFactory(instructor=on_leave, course=course)
    factories.UnavailabilityFactory(
        instructor=on_leave, starts_at=at("2030-03-04", "00:00"), ends_at=at("2030-03-05", "00:00")
    )
    found = list(instructors_available(course=course, blocks=SLOT, time_zone="Europe/Paris"))
    assert found == [free]
    assert unqualified not in found


def test_effective_capacity_names_what_binds(schedule, host_account):
    session = schedule(capacity=12)
    assert effective_capacity(session).binding == "session"
    tight = factories.HostAccountFactory(participant_limit=8)
    vilt = schedule(
        mode="vilt", host_account=tight, capacity=12, instructors=[factories.InstructorFactory()]
    )
    capacity = effective_capacity(vilt)
    assert (capacity.value, capacity.binding) == (8, "host_account")


def test_one_session_visibility_matches_the_list_rule_for_every_role(
    schedule, coordinator, auditor, learner, instructor, outsider
):
    from scheduling.selectors import session_is_visible, session_list_for

    draft = schedule()
    published = schedule(
        status="scheduled",
        rooms=[factories.RoomFactory()],
        instructors=[factories.InstructorFactory()],
    )
    for user in (coordinator, auditor, learner, instructor.user, outsider):
        for session in (draft, published):
            expected = session_list_for(user).filter(pk=session.pk).exists()
            assert session_is_visible(user, session.pk) == expected, (user, session)
    assert session_is_visible(instructor.user, draft.pk)  # they teach it
    assert not session_is_visible(learner, draft.pk)


@pytest.mark.parametrize(
    ("zone", "local_day"),
    [
        ("Pacific/Auckland", "2030-03-05"),  # 09:00 on 5 March is still 4 March in UTC
        ("America/Los_Angeles", "2030-03-04"),  # 18:00 on 4 March is already 5 March in UTC
    ],
)
def test_instructor_search_and_planner_agree_on_qualification_expiry_near_midnight(
    course, room, zone, local_day
):
    from scheduling.services import Proposal, ProposedBlock, ProposedInstructor, evaluate

    person = factories.InstructorFactory()
    factories.QualificationFactory(instructor=person, course=course, expires_on=dt.date(2030, 3, 4))
    clock = "09:00" if local_day == "2030-03-05" else "18:00"
    tz = zoneinfo.ZoneInfo(zone)
    start = at(local_day, clock, tz)
    block = (start, start + dt.timedelta(hours=3))
    assert start.astimezone(dt.UTC).date() != start.date()  # the case under test
    proposal = Proposal(
        course=course,
        delivery_mode="ilt",
        capacity=10,
        time_zone=zone,
        blocks=[ProposedBlock(*block, room)],
        instructors=[ProposedInstructor(person, "lead")],
    )
    codes = {f.code for f in evaluate(proposal, now=NOW).errors}
    planner_allows = "qualification_expired" not in codes

    found = instructors_available(course=course, blocks=[block], time_zone=zone)

    assert (person in found) is planner_allows
    assert planner_allows is (local_day == "2030-03-04")
