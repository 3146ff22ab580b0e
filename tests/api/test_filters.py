"""Session list filters, and a query count that does not grow with the number of sessions."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests import factories
from tests.conftest import at

pytestmark = pytest.mark.django_db

SESSIONS = reverse("api:scheduling:session-list")


@pytest.fixture
def sessions(schedule, course, instructor, other_instructor, room):  # type: ignore[no-untyped-def]
    """Three sessions that differ in day, room/site, instructor, mode, status and course."""
    elsewhere = factories.RoomFactory(capacity=30)
    other_course = factories.CourseFactory()
    return {
        "monday_ilt": schedule(status="scheduled"),
        "tuesday_elsewhere": schedule(
            [(at("2030-03-05", "09:00"), at("2030-03-05", "12:00"))],
            rooms=[elsewhere],
            instructors=[other_instructor],
        ),
        "wednesday_vilt": schedule(
            [(at("2030-03-06", "09:00"), at("2030-03-06", "12:00"))],
            mode="vilt",
            host_account=factories.HostAccountFactory(),
            the_course=other_course,
        ),
    }


def ids(response) -> set[int]:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def test_filters_narrow_the_session_list(coordinator_api, sessions, room, instructor):
    s = {name: session.pk for name, session in sessions.items()}
    elsewhere = sessions["tuesday_elsewhere"].blocks.get().room

    def listed(query: str) -> set[int]:
        return ids(coordinator_api.get(f"{SESSIONS}?{query}"))

    assert listed("") == set(s.values())
    assert listed("starts_after=2030-03-05T00:00:00%2B01:00") == {
        s["tuesday_elsewhere"],
        s["wednesday_vilt"],
    }
    assert listed("starts_before=2030-03-05T00:00:00Z") == {s["monday_ilt"]}
    assert listed("starts_after=2030-03-05T00:00:00Z&starts_before=2030-03-06T00:00:00Z") == {
        s["tuesday_elsewhere"]
    }
    assert listed(f"course={sessions['wednesday_vilt'].course_id}") == {s["wednesday_vilt"]}
    assert listed(f"instructor={instructor.pk}") == {s["monday_ilt"], s["wednesday_vilt"]}
    assert listed(f"room={room.pk}") == {s["monday_ilt"]}
    assert listed(f"site={elsewhere.site_id}") == {s["tuesday_elsewhere"]}
    assert listed("status=scheduled") == {s["monday_ilt"]}
    assert listed("delivery_mode=vilt") == {s["wednesday_vilt"]}
    assert listed("status=draft&delivery_mode=ilt") == {s["tuesday_elsewhere"]}


def test_a_session_is_listed_once_however_many_blocks_match(coordinator_api, schedule, room):
    session = schedule(
        [
            (at("2030-03-04", "09:00"), at("2030-03-04", "12:00")),
            (at("2030-03-05", "09:00"), at("2030-03-05", "12:00")),
        ]
    )

    response = coordinator_api.get(f"{SESSIONS}?room={room.pk}")

    assert [row["id"] for row in response.json()["results"]] == [session.pk]


def test_filters_apply_within_what_the_role_may_see(as_user, learner, sessions, room):
    response = as_user(learner).get(f"{SESSIONS}?status=draft")

    assert ids(response) == set()


def _list_queries(api, url: str) -> int:  # type: ignore[no-untyped-def]
    with CaptureQueriesContext(connection) as captured:
        assert api.get(url).status_code == 200
    return len(captured)


def _more_sessions(schedule, count: int, first_day: int) -> None:  # type: ignore[no-untyped-def]
    for day in range(first_day, first_day + count):
        people = [factories.InstructorFactory(), factories.InstructorFactory()]
        schedule(
            [
                (at(f"2030-04-{day:02d}", "09:00"), at(f"2030-04-{day:02d}", "12:00")),
                (at(f"2030-04-{day:02d}", "13:00"), at(f"2030-04-{day:02d}", "16:00")),
            ],
            instructors=people,
        )


@pytest.mark.parametrize("persona", ["coordinator", "instructor", "learner"])
def test_the_session_list_costs_a_fixed_number_of_queries(
    as_user, persona_users, schedule, django_assert_max_num_queries, persona
):
    api = as_user(persona_users[persona])
    _more_sessions(schedule, 2, first_day=1)
    api.get(SESSIONS)  # the user's roles are cached after the first request
    few = _list_queries(api, SESSIONS)

    _more_sessions(schedule, 10, first_day=3)
    # count, sessions, blocks, instructors, and the seats of the page (one query for all)
    with django_assert_max_num_queries(5):
        assert api.get(SESSIONS).status_code == 200
    assert _list_queries(api, SESSIONS) == few
    assert _list_queries(api, f"{SESSIONS}?site=1&instructor=1&status=draft") <= few
