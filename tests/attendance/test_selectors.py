import pytest

from attendance.selectors import messages_preview, seats_for, waitlist_for
from attendance.services.registration import registration_create
from tests.conftest import NOW, at

pytestmark = pytest.mark.django_db


def test_seats_and_waitlist_positions(schedule, learners):
    session = schedule(status="scheduled", capacity=1)
    people = learners(3)
    for person in people:
        registration_create(session_id=session.pk, learner=person, now=NOW)
    seats = seats_for(session)
    assert (seats.limit, seats.taken, seats.left, seats.waitlisted) == (1, 1, 0, 2)
    assert [(r.learner, r.position) for r in waitlist_for(session)] == [
        (people[1], 1),
        (people[2], 2),
    ]


def test_preview_lists_reminders_due_in_the_next_48_hours(schedule, learner):
    session = schedule(status="scheduled")
    registration_create(session_id=session.pk, learner=learner, now=NOW)
    preview = messages_preview(now=at("2030-03-02", "12:00"), hours=48)
    assert [item["rule"] for item in preview] == ["reminder 24 h before", "reminder 1 h before"]
    assert preview[0]["recipients"] == 2  # the learner and the instructor
