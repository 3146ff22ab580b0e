"""The attendance API: who may read, mark and sign off (allowed and refused per endpoint),
bad input as 400 with field messages, learners reading only their own records."""

from __future__ import annotations

from typing import Any

import pytest
import time_machine

from attendance.models import AttendanceRecord, AttendanceSignOff, Completion
from attendance.services.registration import registration_create
from tests import factories
from tests.conftest import NOW, at

pytestmark = pytest.mark.django_db

AFTER = at("2030-03-04", "13:00")


@pytest.fixture
def taught(schedule: Any, learner: Any) -> dict[str, Any]:
    """A scheduled session led by `instructor` with two confirmed learners (`learner`, Bob)."""
    session = schedule(status="scheduled")
    bob = factories.UserFactory(username="bob", first_name="Bob", role="Learner")
    mine = registration_create(session_id=session.pk, learner=learner, now=NOW).row()
    his = registration_create(session_id=session.pk, learner=bob, now=NOW).row()
    return {"session": session, "block": session.blocks.get(), "mine": mine, "his": his}


def url(session: Any, tail: str = "") -> str:
    return f"/api/v1/sessions/{session.pk}/attendance/{tail}"


def mark_body(world: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    body = {
        "registration_id": world["mine"].pk,
        "block_id": world["block"].pk,
        "status": "late",
        "minutes_attended": 150,
        "notes": "Bus",
    }
    body.update(overrides)
    return body


def test_the_sessions_instructor_marks_one_learner(taught, as_user, instructor):
    response = as_user(instructor.user).post(
        url(taught["session"]), mark_body(taught), format="json"
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["changed"] is True
    assert body["record"]["status"] == "late"
    assert body["record"]["minutes_attended"] == 150
    assert body["record"]["recorded_by_id"] == instructor.user.pk
    assert body["completion"] is None
    assert AttendanceRecord.objects.get().notes == "Bus"


@pytest.mark.parametrize("who", ["auditor", "learner", "outsider", "other_instructor"])
def test_only_the_sessions_instructors_and_coordinators_mark(taught, as_user, who, request):
    user = (
        factories.InstructorFactory(user__username="someone").user
        if who == "other_instructor"
        else request.getfixturevalue(who)
    )
    session = taught["session"]
    attempts = [
        (url(session), mark_body(taught)),
        (url(session, f"blocks/{taught['block'].pk}/all-present/"), {}),
        (url(session, "sign-off/"), {"absent_unmarked": True}),
    ]
    for target, body in attempts:
        response = as_user(user).post(target, body, format="json")
        assert response.status_code == 403, (who, target, response.content)
    assert not AttendanceRecord.objects.exists()
    assert not AttendanceSignOff.objects.exists()


def test_bad_input_is_a_400_naming_the_fields(taught, as_user, coordinator, schedule):
    api = as_user(coordinator)
    session = taught["session"]
    cases = {
        "status": mark_body(taught, status="asleep"),
        "minutes_attended": mark_body(taught, minutes_attended=-1),
        "block_id": mark_body(taught, block_id="x"),
        "registration_id": mark_body(taught, registration_id=987654),
        "notes": mark_body(taught, notes="n" * 1001),
    }
    for field, body in cases.items():
        response = api.post(url(session), body, format="json")
        assert response.status_code == 400, (field, response.content)
        assert field in response.json()["fields"], (field, response.json())
    too_long = api.post(url(session), mark_body(taught, minutes_attended=181), format="json")
    assert too_long.status_code == 400
    assert "minutes_attended" in too_long.json()["fields"]
    elsewhere = schedule(
        [(at("2030-03-08", "09:00"), at("2030-03-08", "12:00"))],
        status="scheduled",
        rooms=[factories.RoomFactory()],
        instructors=[factories.InstructorFactory()],
    )
    response = api.post(
        url(session), mark_body(taught, block_id=elsewhere.blocks.get().pk), format="json"
    )
    assert response.status_code == 400
    assert "block_id" in response.json()["fields"]
    assert not AttendanceRecord.objects.exists()


def test_reading_the_attendance_whole_or_only_ones_own(
    taught, as_user, coordinator, auditor, instructor, learner, outsider
):
    session = taught["session"]
    as_user(coordinator).post(url(session, f"blocks/{taught['block'].pk}/all-present/"), {})
    assert AttendanceRecord.objects.count() == 2
    for reader in (coordinator, auditor, instructor.user):
        body = as_user(reader).get(url(session)).json()
        assert len(body["records"]) == 2
        assert [b["id"] for b in body["blocks"]] == [taught["block"].pk]
        assert body["sign_off"] is None
    own = as_user(learner).get(url(session))
    assert own.status_code == 200
    assert [r["registration_id"] for r in own.json()["records"]] == [taught["mine"].pk]
    assert as_user(outsider).get(url(session)).status_code == 403
    stranger = factories.UserFactory(username="stranger", role="Learner")
    # A published session the learner holds no seat in: not theirs to read.
    assert as_user(stranger).get(url(session)).status_code == 403


def test_sign_off_over_the_api_waits_for_the_end_names_the_unmarked_then_completes(
    taught, as_user, instructor
):
    api = as_user(instructor.user)
    session = taught["session"]
    api.post(
        url(session), mark_body(taught, status="present", minutes_attended=None), format="json"
    )
    early = api.post(url(session, "sign-off/"), {}, format="json")
    assert early.status_code == 409
    assert early.json()["code"] == "invalid_transition"
    with time_machine.travel(AFTER, tick=False):
        refused = api.post(url(session, "sign-off/"), {}, format="json")
        assert refused.status_code == 409
        assert refused.json()["code"] == "attendance_incomplete"
        assert refused.json()["extra"]["unmarked"] == [
            {
                "registration_id": taught["his"].pk,
                "learner_id": taught["his"].learner_id,
                "block_id": taught["block"].pk,
            }
        ]
        bad = api.post(url(session, "sign-off/"), {"absent_unmarked": "maybe"}, format="json")
        assert bad.status_code == 400
        assert "absent_unmarked" in bad.json()["fields"]
        done = api.post(url(session, "sign-off/"), {"absent_unmarked": True}, format="json")
        assert done.status_code == 201, done.content
        changes = {c["registration_id"]: c["after"] for c in done.json()["completions"]}
        assert changes == {taught["mine"].pk: "completed", taught["his"].pk: "not_completed"}
        assert [r["registration_id"] for r in done.json()["marked_absent"]] == [taught["his"].pk]

        late = api.post(
            url(session),
            mark_body(
                taught, registration_id=taught["his"].pk, status="present", minutes_attended=None
            ),
            format="json",
        )
        assert late.status_code == 400
        assert "reason" in late.json()["fields"]
        fixed = api.post(
            url(session),
            mark_body(
                taught,
                registration_id=taught["his"].pk,
                status="present",
                minutes_attended=None,
                reason="Was in the back row",
            ),
            format="json",
        )
        assert fixed.status_code == 200
        assert fixed.json()["record"]["late_edit"] is True
        assert fixed.json()["completion"] == {
            "registration_id": taught["his"].pk,
            "learner_id": taught["his"].learner_id,
            "before": "not_completed",
            "after": "completed",
        }
    assert Completion.objects.get(registration=taught["his"]).status == "completed"
    body = api.get(url(session)).json()
    assert body["sign_off"]["signed_off_by_id"] == instructor.user.pk
    assert {c["status"] for c in body["completions"]} == {"completed"}


def test_under_the_minutes_rule_the_api_lists_late_marks_without_minutes_and_sign_off_names_them(
    taught, as_user, instructor, course
):
    course.completion_rule = "minutes"
    course.save()
    api = as_user(instructor.user)
    session = taught["session"]
    mine = {
        "registration_id": taught["mine"].pk,
        "learner_id": taught["mine"].learner_id,
        "block_id": taught["block"].pk,
    }
    late = api.post(url(session), mark_body(taught, minutes_attended=None), format="json")
    assert late.json()["minutes_needed"] is True
    api.post(
        url(session),
        mark_body(
            taught, registration_id=taught["his"].pk, status="present", minutes_attended=None
        ),
        format="json",
    )
    body = api.get(url(session)).json()
    assert body["completion_rule"] == "minutes"
    assert body["minutes_missing"] == [mine]
    with time_machine.travel(AFTER, tick=False):
        refused = api.post(url(session, "sign-off/"), {"absent_unmarked": True}, format="json")
        assert refused.status_code == 409
        assert refused.json()["code"] == "attendance_incomplete"
        assert refused.json()["extra"] == {"unmarked": [], "minutes_missing": [mine]}
        assert "minutes_attended" in refused.json()["fields"]
        typed = api.post(url(session), mark_body(taught, minutes_attended=150), format="json")
        assert typed.json()["minutes_needed"] is False
        assert api.get(url(session)).json()["minutes_missing"] == []
        done = api.post(url(session, "sign-off/"), {}, format="json")
        assert done.status_code == 201, done.content
    changes = {c["registration_id"]: c["after"] for c in done.json()["completions"]}
    assert changes[taught["his"].pk] == "completed"
