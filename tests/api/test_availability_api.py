"""Availability searches: free rooms and free, qualified instructors for given blocks."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

import pytest
from django.urls import reverse

from tests import factories

pytestmark = pytest.mark.django_db

ROOMS = reverse("api:scheduling:availability-rooms")
INSTRUCTORS = reverse("api:scheduling:availability-instructors")
MORNING = "2030-03-04T09:00:00+01:00/2030-03-04T12:00:00+01:00"
AFTERNOON = "2030-03-04T13:00:00+01:00/2030-03-04T16:00:00+01:00"


def found(api, url: str, **query: object) -> list[int]:  # type: ignore[no-untyped-def]
    response = api.get(f"{url}?{urlencode(query, doseq=True)}")
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def test_room_search_leaves_out_booked_small_and_featureless_rooms(coordinator_api, schedule, room):
    schedule()  # books `room` in the morning
    big = factories.RoomFactory(capacity=40, features=["projector", "hearing_loop"])
    factories.RoomFactory(capacity=40, features=["projector"])
    factories.RoomFactory(capacity=4, features=["projector", "hearing_loop"])

    assert found(
        coordinator_api, ROOMS, block=[MORNING], min_capacity=10, features=["hearing_loop"]
    ) == [big.pk]
    assert room.pk in found(coordinator_api, ROOMS, block=[AFTERNOON])
    assert room.pk not in found(coordinator_api, ROOMS, block=[MORNING, AFTERNOON])


def test_room_search_by_site(coordinator_api, room):
    factories.RoomFactory()

    assert found(coordinator_api, ROOMS, block=[MORNING], site=room.site_id) == [room.pk]


def test_instructor_search_lists_the_qualified_and_free(
    coordinator_api, schedule, course, instructor, other_instructor
):
    schedule()  # books `instructor` in the morning
    factories.InstructorFactory()  # not qualified

    paris = {"course": course.pk, "time_zone": "Europe/Paris"}
    assert found(coordinator_api, INSTRUCTORS, block=[MORNING], **paris) == [other_instructor.pk]
    assert set(found(coordinator_api, INSTRUCTORS, block=[AFTERNOON], **paris)) == {
        instructor.pk,
        other_instructor.pk,
    }


def test_a_search_needs_blocks_and_a_known_course(coordinator_api):
    assert coordinator_api.get(ROOMS).status_code == 400
    missing = coordinator_api.get(f"{INSTRUCTORS}?course=987654&block={MORNING}")
    assert missing.status_code == 400
    assert "course" in missing.json()["fields"]


# Blocks near midnight, where the UTC date is not the session's local date.
AUCKLAND_MORNING = "2030-03-04T20:00:00Z/2030-03-04T23:00:00Z"  # 5 March 09:00-12:00 there
LOS_ANGELES_EVENING = "2030-03-05T02:00:00Z/2030-03-05T05:00:00Z"  # 4 March 18:00-21:00 there


@pytest.mark.parametrize(
    ("zone", "block", "listed"),
    [
        ("Pacific/Auckland", AUCKLAND_MORNING, False),  # 5 March there: expired
        ("America/Los_Angeles", LOS_ANGELES_EVENING, True),  # still 4 March there
    ],
)
def test_instructor_search_compares_qualification_expiry_with_the_sessions_local_date(
    coordinator_api, course, zone, block, listed
):
    """Qualified through 4 March: the search answers as the planner would for a session in
    `zone`, not by the UTC date."""
    person = factories.InstructorFactory()
    factories.QualificationFactory(instructor=person, course=course, expires_on=dt.date(2030, 3, 4))

    shown = found(coordinator_api, INSTRUCTORS, course=course.pk, block=[block], time_zone=zone)

    assert (person.pk in shown) is listed


@pytest.mark.parametrize("zone", [None, "Mars/Olympus"])
def test_the_instructor_search_needs_the_sessions_time_zone(coordinator_api, course, zone):
    query = {"course": course.pk, "block": MORNING, "time_zone": zone}
    response = coordinator_api.get(
        f"{INSTRUCTORS}?{urlencode({k: v for k, v in query.items() if v})}"
    )

    assert response.status_code == 400
    assert "time_zone" in response.json()["fields"]


# --- A whole session, with the reasons ----------------------------------------------------------

SESSION = reverse("api:scheduling:availability-session")
TUESDAY = "2030-03-05T09:00:00+01:00/2030-03-05T12:00:00+01:00"


def test_session_search_gives_every_room_and_instructor_with_reasons(
    coordinator_api, schedule, course, room, instructor
):
    booked = schedule(
        [(dt.datetime(2030, 3, 5, 10, tzinfo=dt.UTC), dt.datetime(2030, 3, 5, 11, tzinfo=dt.UTC))]
    )
    free_room = factories.RoomFactory(capacity=30)
    free_person = factories.InstructorFactory()
    factories.QualificationFactory(instructor=free_person, course=course)
    factories.QualificationFactory(
        instructor=factories.InstructorFactory(), course=course, expires_on=dt.date(2030, 3, 4)
    )
    query = urlencode(
        {
            "course": course.pk,
            "block": [MORNING, TUESDAY],
            "time_zone": "Europe/Paris",
            "capacity": 12,
        },
        doseq=True,
    )

    response = coordinator_api.get(f"{SESSION}?{query}")

    assert response.status_code == 200, response.content
    body = response.json()
    rooms = {r["id"]: r for r in body["rooms"]}
    assert rooms[free_room.pk]["available"] is True
    assert rooms[room.pk]["available"] is False
    assert rooms[room.pk]["reasons"][0]["code"] == "room_conflict"
    assert rooms[room.pk]["reasons"][0]["session_id"] == booked.pk
    people = {p["id"]: p for p in body["instructors"]}
    assert people[free_person.pk]["available"] is True
    assert people[instructor.pk]["reasons"][0]["session_id"] == booked.pk
    expired = [
        p
        for p in body["instructors"]
        if p["reasons"] and p["reasons"][0]["code"] == "qualification_expired"
    ]
    assert expired[0]["reasons"][0]["detail"]["expires_on"] == "2030-03-04"
    assert body["instructors"][0]["available"] is True  # available first


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"block": "nonsense", "time_zone": "Europe/Paris"},
        {"block": MORNING, "time_zone": "Mars/Olympus"},
        {"block": MORNING, "time_zone": "Europe/Paris", "capacity": 0},
    ],
)
def test_session_search_refuses_bad_queries_with_400(coordinator_api, course, query):
    response = coordinator_api.get(f"{SESSION}?{urlencode({'course': course.pk, **query})}")
    assert response.status_code == 400


def test_session_search_for_an_unknown_session_is_404(coordinator_api, course):
    query = urlencode(
        {"course": course.pk, "block": MORNING, "time_zone": "Europe/Paris", "session": 999999}
    )
    assert coordinator_api.get(f"{SESSION}?{query}").status_code == 404


def test_learners_may_not_search_a_session(client_for, learner, course):
    query = urlencode({"course": course.pk, "block": MORNING, "time_zone": "Europe/Paris"})
    assert client_for(learner).get(f"{SESSION}?{query}").status_code == 403
