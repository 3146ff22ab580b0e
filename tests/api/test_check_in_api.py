"""The check-in API: learners check in with the code (`POST /api/v1/check-in/`); coordinators
and the session's instructors read the current code; everyone else is refused."""

from __future__ import annotations

from typing import Any

import pytest
import time_machine
from django.core.cache import cache

from attendance.checkin_codes import current_code
from attendance.models import AttendanceRecord
from attendance.services.registration import registration_create
from tests import factories
from tests.conftest import NOW, at

pytestmark = pytest.mark.django_db

CHECK_IN = "/api/v1/check-in/"
DURING = at("2030-03-04", "09:02")


@pytest.fixture(autouse=True)
def _fresh_cache() -> Any:
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def seated(published: Any, learner: Any) -> Any:
    session = published(capacity=5)
    registration_create(session_id=session.pk, learner=learner, now=NOW)
    return session


def _code_url(session: Any) -> str:
    return f"/api/v1/sessions/{session.pk}/blocks/{session.blocks.get().pk}/check-in-code/"


def test_a_learner_checks_in_with_the_code(seated, learner, as_user):
    block = seated.blocks.get()
    with time_machine.travel(DURING, tick=False):
        response = as_user(learner).post(
            CHECK_IN, {"code": current_code(block.pk, DURING)}, format="json"
        )
    assert response.status_code == 201, response.content
    body = response.json()
    record = AttendanceRecord.objects.get()
    assert body == {
        "attendance_id": record.pk,
        "session_id": seated.pk,
        "block_id": block.pk,
        "status": "present",
        "checked_in_at": "2030-03-04T08:02:00Z",
    }


def test_refusals_come_in_the_one_error_shape(seated, learner, as_user):
    block = seated.blocks.get()
    api = as_user(learner)
    with time_machine.travel(DURING, tick=False):
        code = current_code(block.pk, DURING)
        assert api.post(CHECK_IN, {"code": code}, format="json").status_code == 201
        twice = api.post(CHECK_IN, {"code": code}, format="json")
        malformed = api.post(CHECK_IN, {"code": "12"}, format="json")
        missing = api.post(CHECK_IN, {}, format="json")
    assert twice.status_code == 409
    assert twice.json()["code"] == "already_checked_in"
    assert twice.json()["message"] == "You already checked in at 09:02 CET."
    assert twice.json()["extra"]["checked_in_at"] == "2030-03-04T08:02:00+00:00"
    assert malformed.status_code == 400
    assert malformed.json()["fields"] == {"code": ["6 digits, e.g. 123456."]}
    assert missing.status_code == 400
    assert "code" in missing.json()["fields"]


def test_too_many_tries_is_a_429(seated, learner, as_user):
    api = as_user(learner)
    with time_machine.travel(DURING, tick=False):
        statuses = [
            api.post(CHECK_IN, {"code": f"{n:06d}"}, format="json").status_code for n in range(11)
        ]
    assert statuses[-1] == 429
    assert set(statuses[:-1]) <= {400, 201}


@pytest.mark.parametrize("who", ["coordinator", "instructor", "auditor", "outsider"])
def test_only_learners_check_in(seated, who, persona_users, as_user):
    with time_machine.travel(DURING, tick=False):
        response = as_user(persona_users[who]).post(CHECK_IN, {"code": "123456"}, format="json")
    assert response.status_code == 403
    assert not AttendanceRecord.objects.exists()


def test_the_sessions_instructor_reads_the_current_code(seated, instructor, as_user):
    block = seated.blocks.get()
    with time_machine.travel(DURING, tick=False):
        response = as_user(instructor.user).get(_code_url(seated))
    assert response.status_code == 200
    body = response.json()
    assert body["state"] == "open"
    assert body["code"] == current_code(block.pk, DURING)
    assert body["check_in_url"] == f"http://testserver/check-in/?code={body['code']}"
    assert body["next_code_at"] == "2030-03-04T08:03:00Z"
    assert body["valid_until"] == "2030-03-04T08:04:00Z"
    assert (body["opens_at"], body["closes_at"]) == ("2030-03-04T07:45:00Z", "2030-03-04T11:15:00Z")


def test_the_codes_window_is_the_block_plus_the_one_grace_at_each_edge(
    seated, coordinator, learner, as_user, settings
):
    settings.CHECKIN_GRACE_MINUTES = 30
    block = seated.blocks.get()
    early = at("2030-03-04", "08:31")  # open: 30 minutes before, not the old fixed 15
    with time_machine.travel(early, tick=False):
        body = as_user(coordinator).get(_code_url(seated)).json()
        checked = as_user(learner).post(
            CHECK_IN, {"code": current_code(block.pk, early)}, format="json"
        )
    assert (body["opens_at"], body["closes_at"]) == ("2030-03-04T07:30:00Z", "2030-03-04T11:30:00Z")
    assert body["state"] == "open"
    assert checked.status_code == 201, checked.content


def test_too_early_is_refused_saying_when_check_in_opens(seated, learner, as_user, settings):
    settings.CHECKIN_GRACE_MINUTES = 10
    block = seated.blocks.get()
    early = at("2030-03-04", "08:45")
    with time_machine.travel(early, tick=False):
        response = as_user(learner).post(
            CHECK_IN, {"code": current_code(block.pk, early)}, format="json"
        )
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "check_in_not_open"
    assert body["message"] == "Check-in for Workplace safety opens at 08:50 CET."
    assert not AttendanceRecord.objects.exists()


def test_no_code_is_given_before_check_in_opens(seated, coordinator, as_user):
    with time_machine.travel(at("2030-03-04", "08:00"), tick=False):
        body = as_user(coordinator).get(_code_url(seated)).json()
    assert (body["state"], body["code"], body["check_in_url"]) == ("before", None, None)


@pytest.mark.parametrize("who", ["auditor", "learner", "outsider", "anonymous"])
def test_others_cannot_read_the_code(seated, who, persona_users, as_user):
    with time_machine.travel(DURING, tick=False):
        response = as_user(persona_users[who]).get(_code_url(seated))
    assert response.status_code == 403
    assert "code" not in response.json() or response.json()["code"] != current_code(
        seated.blocks.get().pk, DURING
    )


def test_another_instructor_cannot_read_the_code(seated, as_user):
    stranger = factories.InstructorFactory(user__username="stranger")
    with time_machine.travel(DURING, tick=False):
        response = as_user(stranger.user).get(_code_url(seated))
    assert response.status_code in (403, 404)
    assert current_code(seated.blocks.get().pk, DURING) not in response.content.decode()


def test_a_block_of_another_session_is_not_found(seated, schedule, coordinator, as_user):
    other = schedule(
        status="scheduled",
        rooms=[factories.RoomFactory()],
        instructors=[factories.InstructorFactory()],
    )
    url = f"/api/v1/sessions/{seated.pk}/blocks/{other.blocks.get().pk}/check-in-code/"
    with time_machine.travel(DURING, tick=False):
        assert as_user(coordinator).get(url).status_code == 404
