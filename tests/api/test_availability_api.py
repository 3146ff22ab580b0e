"""Availability searches: free rooms and free, qualified instructors for given blocks."""

from __future__ import annotations

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

    assert found(coordinator_api, INSTRUCTORS, course=course.pk, block=[MORNING]) == [
        other_instructor.pk
    ]
    assert set(found(coordinator_api, INSTRUCTORS, course=course.pk, block=[AFTERNOON])) == {
        instructor.pk,
        other_instructor.pk,
    }


def test_a_search_needs_blocks_and_a_known_course(coordinator_api):
    assert coordinator_api.get(ROOMS).status_code == 400
    missing = coordinator_api.get(f"{INSTRUCTORS}?course=987654&block={MORNING}")
    assert missing.status_code == 400
    assert "course" in missing.json()["fields"]
