"""Bad input to the registration, waitlist and ledger endpoints: a 400 naming the field, nothing
written, never a 500."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from attendance.models import CourseWaitlistEntry, Registration, WaitlistMove
from attendance.services.registration import registration_create
from notifications.models import OutboxMessage
from tests import factories
from tests.conftest import NOW

pytestmark = pytest.mark.django_db

HUGE = 10**30


@pytest.fixture
def world(schedule, learners, learner):  # type: ignore[no-untyped-def]
    """A full session (capacity 1) with one learner waitlisted, and the URLs to poke."""
    session = schedule(status="scheduled", capacity=1)
    seat, waiting = (
        registration_create(session_id=session.pk, learner=person, now=NOW).row()
        for person in learners(2)
    )
    return {
        "enrol": reverse("api:attendance:registration-enrol", args=[session.pk]),
        "bulk": reverse("api:attendance:registration-bulk-enrol", args=[session.pk]),
        "cancel": reverse("api:attendance:registration-cancel", args=[seat.pk]),
        "move": reverse("api:attendance:waitlist-move", args=[waiting.pk]),
        "course_waitlist": reverse("api:attendance:course-waitlist-list"),
        "registrations": reverse("api:attendance:registration-list"),
        "messages": reverse("api:notifications:message-list"),
        "learner": learner,
    }


def rows() -> dict[str, Any]:
    return {
        "registrations": list(Registration.objects.values_list("pk", "status", "waitlist_rank")),
        "messages": OutboxMessage.objects.count(),
        "moves": WaitlistMove.objects.count(),
        "course_waitlist": CourseWaitlistEntry.objects.count(),
    }


BAD_BODIES = {
    "enrol: no learner": ("enrol", {}, "learner"),
    "enrol: huge id": ("enrol", {"learner": HUGE}, "learner"),
    "enrol: negative id": ("enrol", {"learner": -1}, "learner"),
    "enrol: fractional id": ("enrol", {"learner": 1.5}, "learner"),
    "enrol: boolean": ("enrol", {"learner": True}, "learner"),
    "enrol: null": ("enrol", {"learner": None}, "learner"),
    "enrol: list": ("enrol", {"learner": [1]}, "learner"),
    "enrol: not an email": ("enrol", {"learner": "someone"}, "learner"),
    "enrol: unknown email": ("enrol", {"learner": "ghost@example.org"}, "learner"),
    "enrol: unknown id": ("enrol", {"learner": 987654}, "learner"),
    "enrol: NUL in the email": ("enrol", {"learner": "a\x00@example.org"}, "learner"),
    "enrol: very long email": ("enrol", {"learner": "a" * 300 + "@example.org"}, "learner"),
    "bulk: nothing": ("bulk", {}, "emails"),
    "bulk: only separators": ("bulk", {"text": " ,;\n"}, "emails"),
    "bulk: emails as text": ("bulk", {"emails": "a@example.org"}, "emails"),
    "bulk: a list as an email": ("bulk", {"emails": [["a@example.org"]]}, "emails[0]"),
    "bulk: NUL in an email": ("bulk", {"emails": ["a\x00@example.org"]}, "emails[0]"),
    "bulk: NUL in the text": ("bulk", {"text": "a@example.org\x00"}, "text"),
    "bulk: 1001 emails": ("bulk", {"emails": [f"x{i}@example.org" for i in range(1001)]}, "emails"),
    "cancel: reason too long": ("cancel", {"reason": "x" * 501}, "reason"),
    "cancel: NUL in the reason": ("cancel", {"reason": "ill\x00"}, "reason"),
    "cancel: reason as a number": ("cancel", {"reason": ["x"]}, "reason"),
    "move: no reason": ("move", {"to_position": 1}, "reason"),
    "move: NUL in the reason": ("move", {"to_position": 1, "reason": "a\x00"}, "reason"),
    "move: position zero": ("move", {"to_position": 0, "reason": "x"}, "to_position"),
    "move: huge position": ("move", {"to_position": HUGE, "reason": "x"}, "to_position"),
    "move: position as text": ("move", {"to_position": "top", "reason": "x"}, "to_position"),
    "course waitlist: no course": ("course_waitlist", {}, "course"),
    "course waitlist: huge id": ("course_waitlist", {"course": HUGE}, "course"),
    "course waitlist: negative id": ("course_waitlist", {"course": -1}, "course"),
    "course waitlist: unknown": ("course_waitlist", {"course": 987654}, "course"),
}


@pytest.mark.parametrize(("url", "body", "field"), BAD_BODIES.values(), ids=BAD_BODIES.keys())
def test_bad_bodies_are_a_400_and_write_nothing(as_user, coordinator, world, url, body, field):
    # The course waitlist is the learner's; everything else the coordinator's.
    user = world["learner"] if url == "course_waitlist" else coordinator
    before = rows()

    response = as_user(user).post(world[url], body, format="json")

    assert response.status_code == 400, response.content
    assert response.json()["code"] == "invalid"
    assert field in response.json()["fields"], response.json()
    assert rows() == before


@pytest.mark.parametrize(
    ("learner", "named"), [("Ghost@Example.org ", "Ghost@Example.org"), (987654, "987654")]
)
def test_enrolling_an_unknown_learner_names_what_was_given(coordinator_api, world, learner, named):
    response = coordinator_api.post(world["enrol"], {"learner": learner}, format="json")

    assert response.status_code == 400
    assert response.json()["fields"]["learner"] == [f"No account matches {named}."]


def test_a_body_that_is_not_an_object_is_a_400(coordinator_api, world):
    response = coordinator_api.post(world["enrol"], "[1, 2]", content_type="application/json")

    assert response.status_code == 400
    assert not Registration.objects.filter(source="coordinator").exists()


BAD_QUERIES = {
    "registrations: huge session": ("registrations", "session=" + str(HUGE), "session"),
    "registrations: text learner": ("registrations", "learner=me", "learner"),
    "registrations: unknown status": ("registrations", "status=lost", "status"),
    "messages: unknown status": ("messages", "status=lost", "status"),
    "messages: NUL in the search": ("messages", "search=a%00b", "search"),
    "messages: long search": ("messages", "search=" + "x" * 201, "search"),
    "messages: long template": ("messages", "template=" + "x" * 101, "template"),
}


@pytest.mark.parametrize(("url", "query", "field"), BAD_QUERIES.values(), ids=BAD_QUERIES.keys())
def test_bad_filters_are_a_400(coordinator_api, world, url, query, field):
    response = coordinator_api.get(f"{world[url]}?{query}")

    assert response.status_code == 400, response.content
    assert field in response.json()["fields"]


def test_an_inactive_course_is_an_unknown_course(as_user, world):
    retired = factories.CourseFactory(active=False)

    response = as_user(world["learner"]).post(
        world["course_waitlist"], {"course": retired.pk}, format="json"
    )

    assert response.status_code == 400
    assert not CourseWaitlistEntry.objects.exists()


@pytest.mark.parametrize("pk", [2**63, HUGE])
def test_registering_for_an_id_beyond_any_database_id_is_a_json_404(learner, pk):
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=learner).key}")

    response = api.post(f"/api/v1/sessions/{pk}/register/")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert not Registration.objects.exists()


@pytest.mark.parametrize("key", ["a\x00b", "x" * 400, "ABCDEF" * 7, ""])
def test_a_malformed_token_is_refused_without_an_error(key):
    from rest_framework.test import APIClient

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")

    response = api.get("/api/v1/sessions/")

    assert response.status_code in {401, 403}
    assert response.json()["code"] in {"authentication_failed", "not_authenticated"}


def test_an_unknown_api_url_answers_in_the_api_error_shape(client):
    response = client.get("/api/v1/no-such-thing/")

    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "message": "Not found.", "fields": {}}
    assert client.get("/no-such-page/").status_code == 404
