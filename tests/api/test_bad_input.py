"""Bad input is a 400 with field messages and writes nothing; never a 500."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.urls import reverse

from attendance.models import Registration
from instructors.models import Instructor, Unavailability, WorkingHours
from scheduling.models import Course, InstructorAssignment, Session
from tests import factories
from venues.models import HostAccount, Room, RoomClosure, Site

pytestmark = pytest.mark.django_db

SESSIONS = reverse("api:scheduling:session-list")
HUGE = 10**30


@pytest.fixture
def body(course, room, instructor):  # type: ignore[no-untyped-def]
    factories.QualificationFactory(instructor=instructor, course=course)
    return {
        "course": course.pk,
        "delivery_mode": "ilt",
        "capacity": 12,
        "time_zone": "Europe/Paris",
        "blocks": [
            {
                "starts_at": "2030-03-04T09:00:00+01:00",
                "ends_at": "2030-03-04T12:00:00+01:00",
                "room": room.pk,
            }
        ],
        "instructors": [{"instructor": instructor.pk, "role": "lead"}],
    }


def first_block(**changes: Any) -> dict[str, Any]:
    return {"blocks.0": changes}


BAD_SESSIONS = {
    "end before start": (
        first_block(ends_at="2030-03-04T08:00:00+01:00"),
        "blocks[0]",
    ),
    "naive start": (first_block(starts_at="2030-03-04T09:00"), "blocks[0].starts_at"),
    "date without a time": (first_block(starts_at="2030-03-04"), "blocks[0].starts_at"),
    "offset beyond 15:59": (
        first_block(starts_at="2030-03-04T09:00:00+16:00"),
        "blocks[0].starts_at",
    ),
    "year one": (first_block(starts_at="0001-01-01T00:00:00+05:00"), "blocks[0].starts_at"),
    "year 9999": (first_block(ends_at="9999-12-31T23:59:59-05:00"), "blocks[0].ends_at"),
    "not a date": (first_block(starts_at="soon"), "blocks[0].starts_at"),
    "number as a date": (first_block(starts_at=20300304), "blocks[0].starts_at"),
    "NUL in a date": (
        first_block(starts_at="2030-03-04T09:00:00\x00+01:00"),
        "blocks[0].starts_at",
    ),
    "unknown room": (first_block(room=987654), "blocks[0].room"),
    "huge room id": (first_block(room=HUGE), "blocks[0].room"),
    "fractional room id": (first_block(room=1.5), "blocks[0].room"),
    "unknown time zone": ({"time_zone": "Mars/Olympus_Mons"}, "time_zone"),
    "offset as a time zone": ({"time_zone": "+01:00"}, "time_zone"),
    "NUL in the time zone": ({"time_zone": "Europe/Paris\x00"}, "time_zone"),
    "capacity zero": ({"capacity": 0}, "capacity"),
    "capacity beyond integers": ({"capacity": HUGE}, "capacity"),
    "capacity as text": ({"capacity": "many"}, "capacity"),
    "minimum above capacity": ({"min_attendees": 13}, "min_attendees"),
    "unknown course": ({"course": 987654}, "course"),
    "huge course id": ({"course": HUGE}, "course"),
    "negative course id": ({"course": -1}, "course"),
    "unknown instructor": ({"instructors": [{"instructor": 987654, "role": "lead"}]}, None),
    "unknown role": ({"instructors": [{"instructor": None, "role": "boss"}]}, None),
    "unknown host account": ({"host_account": 987654}, "host_account"),
    "unknown delivery mode": ({"delivery_mode": "hologram"}, "delivery_mode"),
    "NUL in the notes": ({"notes": "bring\x00boots"}, "notes"),
    "no blocks": ({"blocks": []}, "blocks"),
    "blocks and repeat": (
        {
            "repeat": {
                "first_day": "2030-03-04",
                "starts": "09:00",
                "ends": "12:00",
                "occurrences": 2,
            }
        },
        "blocks",
    ),
    "repeat ending before it starts": (
        {
            "blocks": None,
            "repeat": {
                "first_day": "2030-03-04",
                "starts": "12:00",
                "ends": "09:00",
                "occurrences": 2,
            },
        },
        "repeat.ends",
    ),
    "too many repeats": (
        {
            "blocks": None,
            "repeat": {
                "first_day": "2030-03-04",
                "starts": "09:00",
                "ends": "12:00",
                "occurrences": HUGE,
            },
        },
        "repeat.occurrences",
    ),
    "repeat in year 9999": (
        {
            "blocks": None,
            "repeat": {
                "first_day": "9999-12-30",
                "starts": "09:00",
                "ends": "12:00",
                "occurrences": 2,
            },
        },
        "repeat.first_day",
    ),
    "registration closing before it opens": (
        {
            "registration_opens_at": "2030-02-01T09:00:00+01:00",
            "registration_closes_at": "2030-01-01T09:00:00+01:00",
        },
        "registration_closes_at",
    ),
    "block in the past": (
        first_block(starts_at="2020-03-04T09:00:00+01:00", ends_at="2020-03-04T12:00:00+01:00"),
        "blocks[0]",
    ),
}


def apply(body: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    body = {**body, "blocks": [dict(b) for b in body["blocks"]]}
    for key, value in changes.items():
        if key == "blocks.0":
            body["blocks"][0].update(value)
        elif value is None:
            body.pop(key, None)
        else:
            body[key] = value
    return body


@pytest.mark.parametrize(("changes", "field"), BAD_SESSIONS.values(), ids=BAD_SESSIONS.keys())
def test_bad_session_input_is_a_400_naming_the_field_and_writes_nothing(
    coordinator_api, body, row_counts, changes, field
):
    before = row_counts()

    response = coordinator_api.post(SESSIONS, apply(body, changes), format="json")

    assert response.status_code == 400, response.content
    error = response.json()
    assert error["code"] in {"invalid", "rule_violation"}
    assert error["message"]
    if field is not None:
        assert field in error["fields"], error
    assert row_counts() == before


def test_overlapping_blocks_are_a_400_and_write_nothing(coordinator_api, body, row_counts):
    body["blocks"].append(
        {
            "starts_at": "2030-03-04T11:00:00+01:00",
            "ends_at": "2030-03-04T13:00:00+01:00",
            "room": body["blocks"][0]["room"],
        }
    )
    before = row_counts()

    response = coordinator_api.post(SESSIONS, body, format="json")

    assert response.status_code == 400
    assert "overlap" in response.json()["message"]
    assert row_counts() == before


def test_a_naive_datetime_is_refused_with_a_clear_message(coordinator_api, body):
    body["blocks"][0]["starts_at"] = "2030-01-01T09:00"

    response = coordinator_api.post(SESSIONS, body, format="json")

    assert response.json()["fields"]["blocks[0].starts_at"] == [
        "Add a UTC offset (e.g. +01:00 or Z): 2030-01-01T09:00 has no time zone."
    ]


@pytest.mark.parametrize(
    "payload",
    [[], "text", 42, None],
    ids=["a list", "a string", "a number", "null"],
)
def test_a_body_that_is_not_an_object_is_a_400(coordinator_api, payload, row_counts):
    before = row_counts()

    response = coordinator_api.post(SESSIONS, payload, format="json")

    assert response.status_code == 400
    assert row_counts() == before


def test_malformed_json_is_a_400(coordinator_api):
    response = coordinator_api.post(SESSIONS, "{", content_type="application/json")

    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


@pytest.mark.parametrize(
    "query",
    [
        "starts_after=2030-01-01T09:00",
        "starts_after=2030-01-01T09:00:00%2B16:00",
        "starts_before=yesterday",
        "starts_before=0001-01-01T00:00:00%2B01:00",
        f"room={HUGE}",
        "course=abc",
        "instructor=-3",
        "site=%00",
        "status=sleeping",
        "delivery_mode=%00",
    ],
)
def test_bad_filters_are_a_400(coordinator_api, query):
    response = coordinator_api.get(f"{SESSIONS}?{query}")

    assert response.status_code == 400, response.content
    assert response.json()["fields"]


@pytest.mark.parametrize("page", ["abc", "0", str(HUGE), "%00"])
def test_a_page_that_does_not_exist_is_a_404(coordinator_api, page):
    assert coordinator_api.get(f"{SESSIONS}?page={page}").status_code == 404


def test_a_huge_id_in_the_path_is_not_found(coordinator_api):
    url = reverse("api:scheduling:session-detail", kwargs={"pk": HUGE})

    assert coordinator_api.get(url).status_code == 404


@pytest.mark.parametrize(
    ("url_name", "payload", "field"),
    [
        ("api:venues:site-list", {"name": "HQ", "time_zone": "Nowhere/Land"}, "time_zone"),
        ("api:venues:site-list", {"name": "H\x00Q", "time_zone": "Europe/Paris"}, "name"),
        ("api:venues:room-list", {"name": "A", "capacity": 0}, "capacity"),
        ("api:venues:room-list", {"name": "A", "capacity": HUGE}, "capacity"),
        ("api:venues:room-list", {"name": "A", "capacity": 5, "setup_buffer_minutes": HUGE}, None),
        ("api:venues:room-list", {"name": "A", "capacity": 5, "features": ["jacuzzi"]}, None),
        (
            "api:venues:room-closure-list",
            {"starts_at": "2030-01-02T00:00:00Z", "ends_at": "2030-01-01T00:00:00Z"},
            "non_field_errors",
        ),
        (
            "api:venues:room-closure-list",
            {"starts_at": "2030-01-01T00:00", "ends_at": "2030-01-02T00:00:00Z"},
            "starts_at",
        ),
        ("api:venues:host-account-list", {"name": "L", "provider": "url"}, "participant_limit"),
        (
            "api:venues:host-account-list",
            {"name": "L", "provider": "url", "participant_limit": 5, "base_url": "ftp://x"},
            "base_url",
        ),
    ],
)
def test_bad_venue_input_is_a_400_and_writes_nothing(
    coordinator_api, room, url_name, payload, field
):
    payload = {"site": room.site_id, "room": room.pk, "reason": "Works", **payload}
    counts = (Site.objects.count(), Room.objects.count(), RoomClosure.objects.count())

    response = coordinator_api.post(reverse(url_name), payload, format="json")

    assert response.status_code == 400, response.content
    if field is not None:
        assert field in response.json()["fields"], response.json()
    assert (Site.objects.count(), Room.objects.count(), RoomClosure.objects.count()) == counts


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"starts_at": "2030-01-01T00:00", "ends_at": "2030-01-02T00:00:00Z"}, "starts_at"),
        ({"starts_at": "2030-01-02T00:00:00Z", "ends_at": "2030-01-01T00:00:00Z"}, None),
        ({"kind": "holiday"}, "kind"),
        ({"note": "a\x00b"}, "note"),
    ],
)
def test_bad_unavailability_is_a_400_and_writes_nothing(
    coordinator_api, instructor, payload, field
):
    url = reverse("api:instructors:unavailability-list", kwargs={"instructor_pk": instructor.pk})
    body = {
        "starts_at": "2030-01-01T00:00:00Z",
        "ends_at": "2030-01-02T00:00:00Z",
        "kind": "leave",
        **payload,
    }

    response = coordinator_api.post(url, body, format="json")

    assert response.status_code == 400, response.content
    if field is not None:
        assert field in response.json()["fields"]
    assert not Unavailability.objects.exists()


@pytest.mark.parametrize(
    "block",
    [
        "2030-03-04T09:00:00+01:00",
        "2030-03-04T09:00/2030-03-04T12:00",
        "2030-03-04T12:00:00+01:00/2030-03-04T09:00:00+01:00",
        "a/b/c",
        "%00",
    ],
)
def test_bad_availability_intervals_are_a_400(coordinator_api, block):
    response = coordinator_api.get(f"{reverse('api:scheduling:availability-rooms')}?block={block}")

    assert response.status_code == 400
    assert "block" in " ".join(response.json()["fields"])


# --- Text that is not Unicode, deep nesting, huge bodies: refused before any endpoint runs ------

LONE = "\ud800"  # half of a UTF-16 pair: not a character, cannot be encoded or stored


def raw(body: Any) -> str:
    """JSON text as a client would send it: a lone surrogate travels as the escape \\ud800."""
    return json.dumps(body)


def all_rows() -> dict[str, int]:
    models = [
        Site,
        Room,
        HostAccount,
        Course,
        Instructor,
        WorkingHours,
        Unavailability,
        Session,
        InstructorAssignment,
        Registration,
    ]
    return {model.__name__: model.objects.count() for model in models}


# (URL name, the object its URL needs, body, field named in the error)
SURROGATES = {
    "session delivery mode": (
        "api:scheduling:session-list",
        None,
        {"delivery_mode": LONE},
        "delivery_mode",
    ),
    "session status": ("api:scheduling:session-list", None, {"status": LONE}, "status"),
    "session zone": ("api:scheduling:session-list", None, {"time_zone": LONE}, "time_zone"),
    "session room feature": (
        "api:scheduling:session-list",
        None,
        {"wanted_room_features": ["projector", LONE]},
        "wanted_room_features[1]",
    ),
    "session block start": (
        "api:scheduling:session-list",
        None,
        {"blocks": [{"room": 1}, {"starts_at": "2030" + LONE}]},
        "blocks[1].starts_at",
    ),
    "session edit": ("api:scheduling:session-detail", "session", {"notes": LONE}, "notes"),
    "course delivery mode": (
        "api:scheduling:course-list",
        None,
        {"delivery_modes": [LONE]},
        "delivery_modes[0]",
    ),
    "site zone": ("api:venues:site-list", None, {"name": "HQ", "time_zone": LONE}, "time_zone"),
    "room feature": ("api:venues:room-list", None, {"features": [LONE]}, "features[0]"),
    "host account provider": ("api:venues:host-account-list", None, {"provider": LONE}, "provider"),
    "instructor zone": (
        "api:instructors:instructor-list",
        None,
        {"home_time_zone": LONE},
        "home_time_zone",
    ),
    "working hours weekday": (
        "api:instructors:working-hours-list",
        "instructor",
        {"weekday": LONE},
        "weekday",
    ),
    "unavailability kind": (
        "api:instructors:unavailability-list",
        "instructor",
        {"kind": LONE},
        "kind",
    ),
    "transition status": (
        "api:scheduling:session-transition",
        "session",
        {"status": LONE},
        "status",
    ),
    "assignment role": ("api:scheduling:assignment-create", "session", {"role": LONE}, "role"),
    "enrol email": (
        "api:attendance:registration-enrol",
        "session",
        {"learner": LONE + "@example.org"},
        "learner",
    ),
    "bulk enrol email": (
        "api:attendance:registration-bulk-enrol",
        "session",
        {"emails": ["a@example.org", LONE]},
        "emails[1]",
    ),
    "low half alone": (
        "api:venues:site-list",
        None,
        {"name": "HQ", "time_zone": "\udc00"},
        "time_zone",
    ),
    "halves reversed": ("api:venues:site-list", None, {"name": "\udc00\ud800"}, "name"),
    "in a field name": (
        "api:venues:site-list",
        None,
        {"name": "HQ", "time" + LONE: "UTC"},
        "non_field_errors",
    ),
    "in a nested field name": (
        "api:scheduling:session-list",
        None,
        {"blocks": [{LONE: 1}]},
        "blocks[0]",
    ),
}


@pytest.mark.parametrize(
    ("url_name", "needs", "body", "field"), SURROGATES.values(), ids=SURROGATES.keys()
)
def test_a_lone_surrogate_anywhere_in_a_body_is_a_400_naming_the_field(
    coordinator_api, schedule, instructor, url_name, needs, body, field
):
    session = schedule()
    kwargs = {
        None: {},
        "session": {"pk": session.pk},
        "instructor": {"instructor_pk": instructor.pk},
    }[needs]
    before = all_rows()

    response = coordinator_api.generic(
        "PATCH" if url_name.endswith("-detail") else "POST",
        reverse(url_name, kwargs=kwargs),
        raw(body),
        content_type="application/json",
    )

    assert response.status_code == 400, response.content
    error = response.json()  # valid UTF-8 JSON: nothing unencodable was echoed back
    assert error["code"] == "invalid"
    assert error["fields"] == {field: [error["message"]]}
    assert "U+D800" in error["message"] or "U+DC00" in error["message"]
    assert all_rows() == before


def test_characters_beyond_the_basic_plane_sent_as_escaped_pairs_are_kept(coordinator_api):
    response = coordinator_api.post(
        reverse("api:venues:site-list"),
        raw({"name": "Campus \U0001f393", "time_zone": "Europe/Paris"}),
        content_type="application/json",
    )

    assert response.status_code == 201, response.content
    assert Site.objects.get(pk=response.json()["id"]).name == "Campus \U0001f393"


def nested(depth: int, kind: str) -> str:
    if kind == "arrays":
        return "[" * depth + "]" * depth
    return '{"a":' * depth + "1" + "}" * depth


@pytest.mark.parametrize("kind", ["arrays", "objects"])
@pytest.mark.parametrize("depth", [65, 1000, 100_000])
@pytest.mark.parametrize(
    "url_name",
    ["api:scheduling:session-list", "api:venues:site-list", "api:scheduling:session-check"],
)
def test_json_nested_too_deep_is_a_400(coordinator_api, url_name, depth, kind):
    before = all_rows()

    response = coordinator_api.post(
        reverse(url_name), nested(depth, kind), content_type="application/json"
    )

    assert response.status_code == 400, response.content
    assert response.json() == {
        "code": "parse_error",
        "message": "JSON nested more than 64 levels deep.",
        "fields": {},
    }
    assert all_rows() == before


def test_a_body_over_the_size_limit_is_a_413_in_the_api_error_shape(coordinator_api, body):
    body["notes"] = "x" * (10 * 1024 * 1024)
    before = all_rows()

    response = coordinator_api.post(SESSIONS, raw(body), content_type="application/json")

    assert response.status_code == 413, response.content[:200]
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "code": "too_large",
        "message": "The request body is larger than 2.5 MB.",
        "fields": {},
    }
    assert all_rows() == before


def test_form_bodies_over_the_size_limit_are_a_413_too(coordinator_api):
    url, big = reverse("api:venues:site-list"), "x" * (3 * 1024 * 1024)

    encoded = coordinator_api.post(
        url, f"name={big}", content_type="application/x-www-form-urlencoded"
    )
    multipart = coordinator_api.post(url, {"name": big, "time_zone": "UTC"}, format="multipart")

    assert (encoded.status_code, encoded.json()["code"]) == (413, "too_large")
    assert (multipart.status_code, multipart.json()["code"]) == (413, "too_large")
    assert not Site.objects.exists()


def test_a_form_body_with_too_many_fields_is_a_400_in_the_api_error_shape(coordinator_api):
    response = coordinator_api.post(
        reverse("api:venues:site-list"),
        "&".join(f"f{i}=x" for i in range(1500)),
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 400
    assert response.json() == {
        "code": "parse_error",
        "message": "A body may hold at most 1000 fields.",
        "fields": {},
    }
    assert not Site.objects.exists()


def test_text_that_is_not_utf8_is_a_400(coordinator_api):
    response = coordinator_api.post(
        reverse("api:venues:site-list"),
        b'{"name": "\xed\xa0\x80", "time_zone": "UTC"}',
        content_type="application/json",
    )

    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"
    assert not Site.objects.exists()


@pytest.mark.parametrize("value", ["%ED%A0%80", "%FF", "%C0%80"])
def test_bytes_that_are_not_utf8_in_a_filter_are_a_400_not_an_error(coordinator_api, value):
    response = coordinator_api.get(f"{SESSIONS}?status={value}")

    assert response.status_code == 400
    assert "status" in response.json()["fields"]
