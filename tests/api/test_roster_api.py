"""A session's roster and waitlist, the any-date course waitlist, and sessions with their seats
(and a learner's join link) through the API."""

from __future__ import annotations

from typing import Any

import pytest
import time_machine
from django.urls import reverse

from attendance.models import CourseWaitlistEntry, CourseWaitlistStatus
from attendance.services.registration import course_waitlist_join, registration_create
from tests import factories
from tests.conftest import NOW, at

pytestmark = pytest.mark.django_db

COURSE_WAITLIST = reverse("api:attendance:course-waitlist-list")
SESSIONS = reverse("api:scheduling:session-list")


def roster_url(session: Any) -> str:
    return reverse("api:attendance:roster-detail", args=[session.pk])


def register(session: Any, learner: Any) -> Any:
    return registration_create(session_id=session.pk, learner=learner, now=NOW).row()


@pytest.fixture
def full_session(schedule, learners):  # type: ignore[no-untyped-def]
    """Capacity 2: two confirmed, then three waitlisted."""
    session = schedule(status="scheduled", capacity=2)
    people = learners(5)
    for person in people:
        register(session, person)
    return session, people


# --- Roster ---------------------------------------------------------------------------------------


def test_coordinators_and_auditors_see_seats_roster_and_waitlist(
    as_user, coordinator, auditor, full_session
):
    session, people = full_session

    for user in (coordinator, auditor):
        response = as_user(user).get(roster_url(session))

        assert response.status_code == 200, response.content
        body = response.json()
        assert body["seats"] == {"limit": 2, "taken": 2, "left": 0, "waitlisted": 3}
        assert [row["learner"]["id"] for row in body["confirmed"]] == [p.pk for p in people[:2]]
        assert {row["status"] for row in body["confirmed"]} == {"confirmed"}
        assert [(row["learner"]["id"], row["position"]) for row in body["waitlist"]] == [
            (people[2].pk, 1),
            (people[3].pk, 2),
            (people[4].pk, 3),
        ]
        assert all(row["joined_at"] for row in body["waitlist"])


def test_instructors_see_only_the_rosters_of_sessions_they_teach(
    as_user, instructor, other_instructor, full_session, schedule
):
    session, _people = full_session
    theirs = schedule(
        [(at("2030-03-06", "09:00"), at("2030-03-06", "12:00"))],
        rooms=[factories.RoomFactory()],
        instructors=[other_instructor],
        status="scheduled",
    )
    theirs_draft = schedule(
        [(at("2030-03-07", "09:00"), at("2030-03-07", "12:00"))],
        rooms=[factories.RoomFactory()],
        instructors=[other_instructor],
    )

    assert as_user(instructor.user).get(roster_url(session)).status_code == 200
    assert as_user(instructor.user).get(roster_url(theirs)).status_code == 403  # published
    assert as_user(instructor.user).get(roster_url(theirs_draft)).status_code == 404
    assert as_user(other_instructor.user).get(roster_url(theirs)).status_code == 200


@pytest.mark.parametrize("persona", ["learner", "outsider", "anonymous"])
def test_learners_and_outsiders_see_no_roster(as_user, persona_users, full_session, persona):
    session, people = full_session

    assert as_user(persona_users[persona]).get(roster_url(session)).status_code == 403
    # Not even a learner who is on it.
    assert as_user(people[0]).get(roster_url(session)).status_code == 403


def test_the_roster_costs_a_fixed_number_of_queries(
    coordinator_api, full_session, learners, django_assert_max_num_queries
):
    session, _people = full_session
    coordinator_api.get(roster_url(session))  # roles cached
    for person in learners(10):
        register(session, person)

    # session, blocks, instructors, seats, roster, waitlist
    with django_assert_max_num_queries(6):
        response = coordinator_api.get(roster_url(session))

    assert response.json()["seats"]["waitlisted"] == 13


# --- Any-date course waitlist ---------------------------------------------------------------------


def test_a_learner_joins_lists_and_leaves_the_course_waitlist(as_user, course, learner):
    api = as_user(learner)

    joined = api.post(COURSE_WAITLIST, {"course": course.pk}, format="json")
    again = api.post(COURSE_WAITLIST, {"course": course.pk}, format="json")

    assert joined.status_code == 201, joined.content
    assert joined.json()["course"]["code"] == course.code
    assert joined.json()["status"] == "waiting"
    assert again.status_code == 409
    assert again.json()["code"] == "already_registered"
    listed = api.get(COURSE_WAITLIST).json()["results"]
    assert [row["id"] for row in listed] == [joined.json()["id"]]

    left = api.delete(reverse("api:attendance:course-waitlist-detail", args=[listed[0]["id"]]))

    assert left.status_code == 204
    assert CourseWaitlistEntry.objects.get().status == CourseWaitlistStatus.WITHDRAWN
    assert api.get(COURSE_WAITLIST).json()["results"] == []


def test_learners_see_and_leave_only_their_own_course_waitlist_places(
    as_user, coordinator, auditor, course, learner, learners
):
    other = learners(1)[0]
    theirs = course_waitlist_join(course_id=course.pk, learner=other, now=NOW)
    mine = course_waitlist_join(course_id=course.pk, learner=learner, now=NOW)

    def ids(user: Any, query: str = "") -> list[int]:
        return [row["id"] for row in as_user(user).get(COURSE_WAITLIST + query).json()["results"]]

    assert ids(learner) == [mine.pk]
    assert ids(coordinator) == [theirs.pk, mine.pk]
    assert ids(auditor, f"?learner={other.pk}") == [theirs.pk]
    url = reverse("api:attendance:course-waitlist-detail", args=[theirs.pk])
    assert as_user(learner).delete(url).status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == CourseWaitlistStatus.WAITING


def test_an_inactive_course_cannot_be_waited_for(as_user, learner):
    retired = factories.CourseFactory(active=False)

    response = as_user(learner).post(COURSE_WAITLIST, {"course": retired.pk}, format="json")

    assert response.status_code == 400
    assert "course" in response.json()["fields"]
    assert not CourseWaitlistEntry.objects.exists()


@pytest.mark.parametrize("persona", ["coordinator", "auditor", "instructor", "outsider"])
def test_only_learners_join_a_course_waitlist(as_user, persona_users, course, persona):
    response = as_user(persona_users[persona]).post(
        COURSE_WAITLIST, {"course": course.pk}, format="json"
    )

    assert response.status_code == 403
    assert not CourseWaitlistEntry.objects.exists()


# --- Sessions with seats --------------------------------------------------------------------------


def test_session_detail_and_list_show_seats(as_user, learner, full_session):
    session, _people = full_session
    api = as_user(learner)

    detail = api.get(reverse("api:scheduling:session-detail", args=[session.pk]))
    listed = api.get(SESSIONS).json()["results"]

    seats = {"limit": 2, "taken": 2, "left": 0, "waitlisted": 3}
    assert detail.json()["seats"] == seats
    assert [row["seats"] for row in listed if row["id"] == session.pk] == [seats]


def test_a_confirmed_learner_sees_the_join_link_only_shortly_before_the_start(
    as_user, schedule, host_account, learner, learners
):
    session = schedule(mode="vilt", host_account=host_account, status="scheduled")
    register(session, learner)
    stranger = learners(1)[0]
    detail = reverse("api:scheduling:session-detail", args=[session.pk])

    def join_urls(user: Any) -> tuple[str, list[str]]:
        api = as_user(user)
        listed = [row["join_url"] for row in api.get(SESSIONS).json()["results"]]
        return api.get(detail).json()["join_url"], listed

    assert join_urls(learner) == ("", [""])
    with time_machine.travel(at("2030-03-04", "08:45"), tick=False):
        assert join_urls(learner) == (session.join_url, [session.join_url])
        assert join_urls(stranger) == ("", [""])
    assert session.join_url.startswith("https://")
