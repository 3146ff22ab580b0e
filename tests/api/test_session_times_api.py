"""The API and local times: a weekly repeat (local wall-clock times in the session's zone) is
refused when one occurrence falls in a time the clocks skip; a repeated time means its first
occurrence, with a warning; the session's zone defaults to its room's site and a different
zone is a warning."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from scheduling.models import Session
from tests import factories

pytestmark = pytest.mark.django_db

SESSIONS = reverse("api:scheduling:session-list")
CHECK = reverse("api:scheduling:session-check")


@pytest.fixture
def body(course, instructor):  # type: ignore[no-untyped-def]
    factories.QualificationFactory(instructor=instructor, course=course)

    def make(room, **overrides: object) -> dict[str, object]:  # type: ignore[no-untyped-def]
        data: dict[str, object] = {
            "course": course.pk,
            "delivery_mode": "ilt",
            "capacity": 12,
            "time_zone": room.site.time_zone,
            "repeat": {
                "first_day": "2030-03-24",
                "starts": "02:30",
                "ends": "04:00",
                "occurrences": 3,
                "room": room.pk,
            },
            "instructors": [{"instructor": instructor.pk, "role": "lead"}],
        }
        data.update(overrides)
        return data

    return make


def _room_in(zone: str):  # type: ignore[no-untyped-def]
    return factories.RoomFactory(site=factories.SiteFactory(time_zone=zone))


@pytest.mark.parametrize(
    ("zone", "first_day", "clock", "message"),
    [
        (
            "Europe/Paris",
            "2030-03-24",
            "02:30",
            "02:30 does not exist on Sun 31 Mar 2030 in Europe/Paris: "
            "clocks go forward from 02:00 to 03:00.",
        ),
        (
            "America/New_York",
            "2030-03-03",
            "02:30",
            "02:30 does not exist on Sun 10 Mar 2030 in America/New_York: "
            "clocks go forward from 02:00 to 03:00.",
        ),
        (
            "Australia/Sydney",
            "2030-09-29",
            "02:30",
            "02:30 does not exist on Sun 6 Oct 2030 in Australia/Sydney: "
            "clocks go forward from 02:00 to 03:00.",
        ),
        (
            "Australia/Lord_Howe",
            "2030-09-29",
            "02:15",
            "02:15 does not exist on Sun 6 Oct 2030 in Australia/Lord_Howe: "
            "clocks go forward from 02:00 to 02:30.",
        ),
    ],
)
def test_a_weekly_repeat_meeting_a_skipped_time_is_a_400_naming_the_change(
    coordinator_api, body, zone, first_day, clock, message
):
    room = _room_in(zone)
    data = body(room)
    data["repeat"].update(first_day=first_day, starts=clock)  # type: ignore[attr-defined]

    response = coordinator_api.post(SESSIONS, data, format="json")

    assert response.status_code == 400, response.json()
    assert response.json()["message"] == message
    assert response.json()["fields"] == {"repeat.starts": [message]}
    assert Session.objects.count() == 0

    preview = coordinator_api.post(CHECK, data, format="json")
    assert preview.status_code == 400
    assert preview.json()["fields"] == {"repeat.starts": [message]}


def test_a_repeat_ending_in_the_gap_is_refused_on_its_end(coordinator_api, body):
    data = body(_room_in("Europe/Paris"))
    data["repeat"].update(starts="01:00", ends="02:30")  # type: ignore[attr-defined]

    response = coordinator_api.post(SESSIONS, data, format="json")

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["repeat.ends"]


def test_a_repeat_over_the_autumn_change_uses_the_first_time_and_warns(coordinator_api, body):
    room = _room_in("America/New_York")
    data = body(room)
    data["repeat"].update(first_day="2030-10-27", starts="01:30", ends="03:00", occurrences=2)  # type: ignore[attr-defined]

    response = coordinator_api.post(SESSIONS, data, format="json")

    assert response.status_code == 201, response.json()
    starts = [dt.datetime.fromisoformat(b["starts_at"]) for b in response.json()["blocks"]]
    # 01:30 EDT both weeks: the second is the first 01:30 of the fall-back night.
    assert starts == [
        dt.datetime(2030, 10, 27, 5, 30, tzinfo=dt.UTC),
        dt.datetime(2030, 11, 3, 5, 30, tzinfo=dt.UTC),
    ]
    warnings = [w for w in response.json()["warnings"] if w["code"] == "repeated_local_time"]
    assert [w["field"] for w in warnings] == ["blocks[1]"]
    assert "happens twice in America/New_York" in warnings[0]["message"]


def test_an_explicit_offset_in_the_repeated_hour_is_kept_and_named(coordinator_api, body):
    room = _room_in("America/New_York")
    data = body(room, repeat=None)
    data.pop("repeat")
    # The second 01:30 (EST, -05:00) given explicitly: the API keeps the instant.
    data["blocks"] = [
        {
            "starts_at": "2030-11-03T01:30:00-05:00",
            "ends_at": "2030-11-03T03:00:00-05:00",
            "room": room.pk,
        }
    ]

    response = coordinator_api.post(CHECK, data, format="json")

    assert response.status_code == 200
    (warning,) = [w for w in response.json()["warnings"] if w["code"] == "repeated_local_time"]
    assert "this block starts at the second 01:30, EST (UTC-05:00)" in warning["message"]


# --- The session's zone and its room's site ------------------------------------------------


def test_the_zone_defaults_to_the_first_rooms_site(coordinator_api, body):
    room = _room_in("America/New_York")
    data = body(room)
    data.pop("time_zone")
    data["repeat"].update(starts="09:00", ends="12:00", first_day="2030-03-19")  # type: ignore[attr-defined]

    response = coordinator_api.post(SESSIONS, data, format="json")

    assert response.status_code == 201, response.json()
    assert response.json()["time_zone"] == "America/New_York"
    # 09:00 at the venue in New York (EDT from 10 March).
    assert response.json()["blocks"][0]["starts_at"] == "2030-03-19T13:00:00Z"
    assert response.json()["warnings"] == []


def test_a_session_without_a_room_must_name_its_zone(coordinator_api, body):
    data = body(_room_in("Europe/Paris"), delivery_mode="vilt")
    data.pop("time_zone")
    data["repeat"].update(room=None, starts="09:00", ends="12:00")  # type: ignore[attr-defined]
    data["host_account"] = factories.HostAccountFactory().pk

    response = coordinator_api.post(SESSIONS, data, format="json")

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["time_zone"]


def test_a_zone_other_than_the_rooms_site_is_a_warning_not_a_refusal(coordinator_api, body):
    room = _room_in("Europe/Paris")
    data = body(room, time_zone="America/New_York")
    data["repeat"].update(starts="09:00", ends="12:00", first_day="2030-03-19")  # type: ignore[attr-defined]

    preview = coordinator_api.post(CHECK, data, format="json")
    created = coordinator_api.post(SESSIONS, data, format="json")

    assert preview.status_code == 200
    assert created.status_code == 201
    for warnings in (preview.json()["warnings"], created.json()["warnings"]):
        (warning,) = [w for w in warnings if w["code"] == "zone_differs_from_site"]
        assert warning["field"] == "time_zone"
        assert "America/New_York" in warning["message"]
        assert f"{room.site.name} (room {room.name}) is in Europe/Paris" in warning["message"]
