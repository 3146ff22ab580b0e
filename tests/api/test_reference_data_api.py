"""Sites, rooms, closures, host accounts, courses and instructor profiles through the API."""

from __future__ import annotations

import pytest
from django.urls import reverse

from instructors.models import Qualification, Unavailability, WorkingHours
from scheduling.models import Course
from tests import factories
from tests.conftest import at
from venues.models import HostAccount, Room, RoomClosure, Site

pytestmark = pytest.mark.django_db


def url(name: str, **kwargs: int) -> str:
    return reverse(f"api:{name}", kwargs=kwargs or None)


def test_a_site_and_its_room_are_created_changed_and_deleted(coordinator_api):
    site = coordinator_api.post(
        url("venues:site-list"),
        {"name": "Lyon", "address": "1 rue X", "time_zone": "Europe/Paris"},
        format="json",
    )
    assert site.status_code == 201, site.json()
    room = coordinator_api.post(
        url("venues:room-list"),
        {
            "site": site.json()["id"],
            "name": "Rhône",
            "capacity": 16,
            "features": ["projector"],
            "setup_buffer_minutes": 15,
        },
        format="json",
    )
    assert room.status_code == 201, room.json()
    assert room.json()["site"]["name"] == "Lyon"
    room_url = url("venues:room-detail", pk=room.json()["id"])

    changed = coordinator_api.patch(room_url, {"capacity": 18}, format="json")

    assert changed.json()["capacity"] == 18
    assert changed.json()["setup_buffer_minutes"] == 15
    assert coordinator_api.delete(room_url).status_code == 204
    assert (
        coordinator_api.delete(url("venues:site-detail", pk=site.json()["id"])).status_code == 204
    )
    assert not Site.objects.filter(name="Lyon").exists()


def test_a_duplicate_room_name_on_a_site_is_a_400(coordinator_api, room):
    response = coordinator_api.post(
        url("venues:room-list"),
        {"site": room.site_id, "name": room.name, "capacity": 5},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["fields"]["non_field_errors"]
    assert Room.objects.count() == 1


def test_a_room_with_bookings_cannot_be_deleted(coordinator_api, schedule, room):
    schedule()

    response = coordinator_api.delete(url("venues:room-detail", pk=room.pk))

    assert response.status_code == 409
    assert "not bookable" in response.json()["message"]
    assert Room.objects.filter(pk=room.pk).exists()


def test_room_buffers_cannot_change_under_upcoming_bookings(coordinator_api, schedule, room):
    session = schedule()

    response = coordinator_api.patch(
        url("venues:room-detail", pk=room.pk), {"setup_buffer_minutes": 30}, format="json"
    )

    assert response.status_code == 409
    assert response.json()["conflicts"][0]["session_id"] == session.pk
    room.refresh_from_db()
    assert room.setup_buffer_minutes == 0


def test_a_closure_over_a_booking_is_a_409_naming_the_session(coordinator_api, schedule, room):
    session = schedule()

    response = coordinator_api.post(
        url("venues:room-closure-list"),
        {
            "room": room.pk,
            "starts_at": "2030-03-04T11:00:00+01:00",
            "ends_at": "2030-03-04T18:00:00+01:00",
            "reason": "Painting",
        },
        format="json",
    )

    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "conflict"
    assert f"#{session.pk}" in body["message"]
    assert body["conflicts"][0]["session_id"] == session.pk
    assert body["conflicts"][0]["resource"] == "room"
    assert not RoomClosure.objects.exists()


def test_a_closure_next_to_a_booking_is_fine_and_can_be_moved_onto_it_only_with_a_409(
    coordinator_api, schedule, room
):
    schedule()
    created = coordinator_api.post(
        url("venues:room-closure-list"),
        {
            "room": room.pk,
            "starts_at": "2030-03-04T12:00:00+01:00",
            "ends_at": "2030-03-04T18:00:00+01:00",
            "reason": "Painting",
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    closure_url = url("venues:room-closure-detail", pk=created.json()["id"])

    moved = coordinator_api.patch(
        closure_url, {"starts_at": "2030-03-04T10:00:00+01:00"}, format="json"
    )

    assert moved.status_code == 409
    assert RoomClosure.objects.get().starts_at == at("2030-03-04", "12:00")
    assert coordinator_api.delete(closure_url).status_code == 204


def test_a_host_account_is_created_and_one_in_use_cannot_be_deleted(coordinator_api, schedule):
    created = coordinator_api.post(
        url("venues:host-account-list"),
        {"name": "Jitsi 1", "provider": "url", "participant_limit": 40},
        format="json",
    )
    assert created.status_code == 201, created.json()
    account = HostAccount.objects.get(pk=created.json()["id"])
    schedule(mode="vilt", host_account=account)

    response = coordinator_api.delete(url("venues:host-account-detail", pk=account.pk))

    assert response.status_code == 409
    assert HostAccount.objects.filter(pk=account.pk).exists()


def test_a_course_is_created_with_prerequisites_and_cycles_are_refused(coordinator_api, course):
    created = coordinator_api.post(
        url("scheduling:course-list"),
        {
            "code": "SAFE-201",
            "title": "Advanced safety",
            "delivery_modes": ["ilt"],
            "prerequisites": [course.pk],
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    assert created.json()["prerequisites"] == [course.pk]
    advanced = created.json()["id"]

    cycle = coordinator_api.patch(
        url("scheduling:course-detail", pk=course.pk), {"prerequisites": [advanced]}, format="json"
    )

    assert cycle.status_code == 400
    assert "prerequisites" in cycle.json()["fields"]
    assert not course.prerequisites.exists()


def test_a_duplicate_course_code_is_a_400(coordinator_api, course):
    response = coordinator_api.post(
        url("scheduling:course-list"),
        {"code": course.code, "title": "Again", "delivery_modes": ["ilt"]},
        format="json",
    )

    assert response.status_code == 400
    assert "code" in response.json()["fields"]
    assert Course.objects.count() == 1


def test_a_course_with_sessions_cannot_be_deleted(coordinator_api, schedule, course):
    schedule()

    response = coordinator_api.delete(url("scheduling:course-detail", pk=course.pk))

    assert response.status_code == 409
    assert Course.objects.filter(pk=course.pk).exists()


def test_an_instructor_profile_with_its_parts_is_managed(coordinator_api, course):
    user = factories.UserFactory(username="newcomer", role="Instructor")
    created = coordinator_api.post(
        url("instructors:instructor-list"),
        {"user": user.pk, "home_time_zone": "Europe/Berlin", "day_rate": "450.00"},
        format="json",
    )
    assert created.status_code == 201, created.json()
    pk = created.json()["id"]

    qualification = coordinator_api.post(
        url("instructors:qualification-list", instructor_pk=pk),
        {"course": course.pk, "expires_on": "2031-01-01"},
        format="json",
    )
    hours = coordinator_api.post(
        url("instructors:working-hours-list", instructor_pk=pk),
        {"weekday": 0, "starts": "08:00", "ends": "16:00"},
        format="json",
    )
    assert qualification.status_code == 201, qualification.json()
    assert hours.status_code == 201, hours.json()
    profile = coordinator_api.get(url("instructors:instructor-detail", pk=pk)).json()
    assert profile["qualifications"][0]["course"]["code"] == course.code
    assert profile["working_hours"] == [
        {"id": hours.json()["id"], "weekday": 0, "starts": "08:00:00", "ends": "16:00:00"}
    ]
    assert profile["day_rate"] == "450.00"

    again = coordinator_api.post(
        url("instructors:instructor-list"),
        {"user": user.pk, "home_time_zone": "Europe/Berlin"},
        format="json",
    )
    assert again.status_code == 400
    assert "user" in again.json()["fields"]


def test_working_hours_ending_before_they_start_are_a_400(coordinator_api, instructor):
    response = coordinator_api.post(
        url("instructors:working-hours-list", instructor_pk=instructor.pk),
        {"weekday": 2, "starts": "16:00", "ends": "08:00"},
        format="json",
    )

    assert response.status_code == 400
    assert not WorkingHours.objects.exists()


def test_a_second_qualification_for_the_same_course_is_a_400(coordinator_api, instructor, course):
    factories.QualificationFactory(instructor=instructor, course=course)

    response = coordinator_api.post(
        url("instructors:qualification-list", instructor_pk=instructor.pk),
        {"course": course.pk},
        format="json",
    )

    assert response.status_code == 400
    assert Qualification.objects.count() == 1


def test_unavailability_over_a_booked_session_is_a_409_naming_it(
    coordinator_api, schedule, instructor
):
    session = schedule()
    absences = url("instructors:unavailability-list", instructor_pk=instructor.pk)

    refused = coordinator_api.post(
        absences,
        {
            "starts_at": "2030-03-04T00:00:00+01:00",
            "ends_at": "2030-03-05T00:00:00+01:00",
            "kind": "leave",
        },
        format="json",
    )
    accepted = coordinator_api.post(
        absences,
        {
            "starts_at": "2030-03-05T00:00:00+01:00",
            "ends_at": "2030-03-06T00:00:00+01:00",
            "kind": "leave",
            "note": "Dentist",
        },
        format="json",
    )

    assert refused.status_code == 409
    assert refused.json()["conflicts"][0]["session_id"] == session.pk
    assert refused.json()["conflicts"][0]["resource"] == "instructor"
    assert accepted.status_code == 201, accepted.json()
    assert Unavailability.objects.count() == 1


def test_an_instructor_teaching_sessions_cannot_be_deleted(coordinator_api, schedule, instructor):
    schedule()

    response = coordinator_api.delete(url("instructors:instructor-detail", pk=instructor.pk))

    assert response.status_code == 409
