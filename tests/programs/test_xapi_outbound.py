"""Signed-off attendance reaches the LMS: each learner's `attended` (and `completed`, where the
course's rule holds) statement goes to the configured LRS through the outbox's xAPI channel —
a real HTTP server here (tests/fake_lrs.py) — with Basic credentials and the xAPI version
header, under fixed ids, retried when the LRS is down, and corrected (voided and sent again)
by a late edit. The statements are read back by `tincan`, an xAPI library written by others."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
import tincan
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from attendance.models import AttendanceSource, AttendanceStatus, Registration
from attendance.services.marking import Mark, attendance_mark
from attendance.services.registration import registration_create
from notifications.models import MessageChannel, MessageStatus, OutboxMessage
from notifications.services import outbox_dispatch
from programs.outbound.services import statements_queue_for_session
from tests import factories
from tests.conftest import NOW, at
from tests.fake_lrs import FakeLrs, running_lrs

pytestmark = pytest.mark.django_db
AFTER = at("2030-03-04", "13:00")  # the 09:00-12:00 Paris session is over
LATER = at("2030-03-05", "10:00")
ATTENDED = "http://adlnet.gov/expapi/verbs/attended"
COMPLETED = "http://adlnet.gov/expapi/verbs/completed"
VOIDED = "http://adlnet.gov/expapi/verbs/voided"


@pytest.fixture
def lrs(settings: Any) -> Iterator[FakeLrs]:
    with running_lrs() as server:
        settings.XAPI_LRS_ENDPOINT = server.url
        settings.XAPI_LRS_USERNAME = "tms-client"
        settings.XAPI_LRS_PASSWORD = "s3cret:with-colon"
        settings.XAPI_ACTIVITY_BASE = "https://tms.example.org/xapi/activities"
        yield server


@pytest.fixture
def attended_session(schedule, instructor):  # type: ignore[no-untyped-def]
    """attended({user: status}) → a one-block session (09:00-12:00 Paris on 2030-03-04) whose
    learners are marked so by the lead instructor, not yet signed off."""

    def make(marks: dict[Any, str]) -> Any:
        session = schedule(status="scheduled")
        for person, status in marks.items():
            registration = registration_create(session_id=session.pk, learner=person, now=NOW).row()
            attendance_mark(
                registration=registration,
                block=session.blocks.get(),
                mark=Mark(status),
                source=AttendanceSource.ROSTER,
                recorded_by=instructor.user,
                now=AFTER,
            )
        return session

    return make


def _sign_off_through_api(session: Any, instructor: Any) -> None:
    client = APIClient()
    client.force_authenticate(instructor.user)
    with time_machine.travel(AFTER, tick=False):
        response = client.post(
            f"/api/v1/sessions/{session.pk}/attendance/sign-off/", {}, format="json"
        )
    assert response.status_code == 201, response.content


def _late_edit(session: Any, instructor: Any, learner: Any, status: str) -> None:
    client = APIClient()
    client.force_authenticate(instructor.user)
    registration = Registration.objects.get(session=session, learner=learner)
    body = {
        "registration_id": registration.pk,
        "block_id": session.blocks.get().pk,
        "status": status,
        "reason": "Checked the paper sheet",
    }
    with time_machine.travel(LATER, tick=False):
        response = client.post(f"/api/v1/sessions/{session.pk}/attendance/", body, format="json")
    assert response.status_code == 200, response.content


def _xapi_rows() -> list[OutboxMessage]:
    return list(OutboxMessage.objects.filter(channel=MessageChannel.XAPI).order_by("pk"))


def _parsed(body: dict[str, Any]) -> tincan.Statement:
    """tincan refuses unknown properties, malformed UUIDs, timestamps and durations."""
    return tincan.Statement.from_json(json.dumps(body))


def test_sign_off_sends_attended_and_completed_to_the_lrs_as_tincan_reads_them(
    lrs, attended_session, instructor, course
):
    ann = factories.UserFactory(
        username="ann", first_name="Ann", last_name="Archer", email="ann@example.org"
    )
    bob = factories.UserFactory(username="bob", email="bob@example.org")
    session = attended_session({ann: AttendanceStatus.PRESENT, bob: AttendanceStatus.ABSENT})
    _sign_off_through_api(session, instructor)

    rows = _xapi_rows()
    # Bob was absent: nothing is said about him. Ann attended and completed.
    assert [(r.address, r.status) for r in rows] == [("ann@example.org", "queued")] * 2
    assert outbox_dispatch(now=AFTER).get(MessageStatus.SENT, 0) >= 2
    assert [r.status for r in _xapi_rows()] == ["sent", "sent"]

    assert len(lrs.received) == 2
    by_verb = {r.body["verb"]["id"]: r for r in lrs.received}
    assert set(by_verb) == {ATTENDED, COMPLETED}
    for request in lrs.received:
        assert request.path == "/xapi/statements"
        assert request.statement_id == request.body["id"]
        assert request.basic_credentials == ("tms-client", "s3cret:with-colon")
        assert request.headers["x-experience-api-version"] == "1.0.3"
        assert request.headers["content-type"] == "application/json"
        statement = _parsed(request.body)
        assert statement.actor.mbox == "mailto:ann@example.org"
        assert statement.actor.name == "Ann Archer"
        assert statement.object.id == (
            f"https://tms.example.org/xapi/activities/sessions/{session.pk}"
        )
        assert statement.object.definition.type == "http://adlnet.gov/expapi/activities/meeting"
        assert statement.object.definition.name["en-US"] == "Workplace safety (SAFE-101)"
        parent = statement.context.context_activities.parent[0]
        assert parent.id == f"https://tms.example.org/xapi/activities/courses/{course.pk}"
        assert statement.context.instructor.mbox == f"mailto:{instructor.user.email}"
        assert (
            statement.context.extensions[
                "https://tms.example.org/xapi/activities/extensions/session-id"
            ]
            == session.pk
        )
        # The whole 3-hour block, completed by the course's every-block rule.
        assert statement.result.duration == dt.timedelta(hours=3)
        assert request.body["result"]["duration"] == "PT3H"
        assert statement.result.completion is True
        assert statement.result.success is True
        assert statement.timestamp == AFTER  # the sign-off, in UTC
        assert request.body["timestamp"] == "2030-03-04T12:00:00Z"
    # One registration: the same xAPI registration in both statements, a valid UUID.
    registrations = {r.body["context"]["registration"] for r in lrs.received}
    assert len(registrations) == 1
    uuid.UUID(registrations.pop())


def test_no_lrs_configured_means_no_xapi_rows(settings, attended_session, instructor, learner):
    settings.XAPI_LRS_ENDPOINT = ""
    session = attended_session({learner: AttendanceStatus.PRESENT})
    _sign_off_through_api(session, instructor)
    assert _xapi_rows() == []
    assert OutboxMessage.objects.exists()  # the learner's emails are queued as before


def test_the_lrs_answering_503_is_retried_with_backoff_and_the_same_statement(
    lrs, attended_session, instructor, learner
):
    session = attended_session({learner: AttendanceStatus.PRESENT})
    _sign_off_through_api(session, instructor)
    lrs.script = [503, 503]  # both statements meet an unavailable LRS first
    outbox_dispatch(now=AFTER)
    rows = _xapi_rows()
    assert [(r.status, r.attempts) for r in rows] == [("queued", 1), ("queued", 1)]
    assert all("503" in r.last_error for r in rows)
    assert all(r.available_at > AFTER for r in rows)
    outbox_dispatch(now=AFTER + dt.timedelta(seconds=5))  # still backing off
    assert len(lrs.received) == 2

    outbox_dispatch(now=AFTER + dt.timedelta(minutes=5))
    assert [(r.status, r.attempts) for r in _xapi_rows()] == [("sent", 2), ("sent", 2)]
    assert [r.status for r in lrs.received] == [503, 503, 204, 204]
    first, second = lrs.received[:2], lrs.received[2:]
    # The retry is the same statement, byte for byte, under the same id: idempotent at the LRS.
    assert [r.body for r in first] == [r.body for r in second]
    assert [r.statement_id for r in first] == [r.statement_id for r in second]


def test_a_refusal_by_the_lrs_is_a_permanent_failure_shown_in_the_ledger(
    lrs, attended_session, instructor, learner, coordinator
):
    session = attended_session({learner: AttendanceStatus.PRESENT})
    _sign_off_through_api(session, instructor)
    lrs.script = [400, 409]
    outbox_dispatch(now=AFTER)
    refused, already_held = _xapi_rows()
    assert (refused.status, refused.attempts) == ("failed", 1)
    assert "The LRS refused the statement (HTTP 400" in refused.last_error
    # 409: the LRS holds a statement with this fixed id already (an earlier attempt).
    assert already_held.status == "sent"
    outbox_dispatch(now=AFTER + dt.timedelta(hours=2))
    assert len(lrs.received) == 2  # the refused one is not retried

    client = Client()
    client.force_login(coordinator)
    page = client.get(reverse("notifications:message-list"), {"status": "failed"})
    assert page.status_code == 200
    text = page.content.decode()
    assert "The LRS refused the statement (HTTP 400" in text
    assert "xAPI statement" in text
    assert f"{learner.get_full_name() or learner.username} attended Workplace safety" in text


def test_statements_wait_in_the_outbox_while_no_worker_runs(
    lrs, attended_session, instructor, learner, django_capture_on_commit_callbacks
):
    session = attended_session({learner: AttendanceStatus.PRESENT})
    with django_capture_on_commit_callbacks(execute=False) as kicks:
        _sign_off_through_api(session, instructor)
    assert kicks  # the worker would be kicked after commit; it is down
    assert [r.status for r in _xapi_rows()] == ["queued", "queued"]
    assert lrs.received == []
    # Hours later a worker (or the beat sweep) finds them in the database.
    outbox_dispatch(now=AFTER + dt.timedelta(hours=3))
    assert len(lrs.stored) == 2


def test_a_sync_repeated_with_nothing_changed_queues_nothing(
    lrs, attended_session, instructor, learner
):
    session = attended_session({learner: AttendanceStatus.PRESENT})
    _sign_off_through_api(session, instructor)
    assert statements_queue_for_session(session_id=session.pk, now=LATER) == 0
    assert len(_xapi_rows()) == 2


def test_a_late_edit_voids_what_no_longer_holds_and_sends_the_new_version(
    lrs, attended_session, instructor, learner
):
    session = attended_session({learner: AttendanceStatus.PRESENT})
    _sign_off_through_api(session, instructor)
    outbox_dispatch(now=AFTER)
    originals = {r.body["verb"]["id"]: r.body["id"] for r in lrs.received}

    _late_edit(session, instructor, learner, AttendanceStatus.ABSENT)
    outbox_dispatch(now=LATER)
    voids = lrs.received[2:]
    assert {_parsed(v.body).verb.id for v in voids} == {VOIDED}
    assert {v.body["object"]["objectType"] for v in voids} == {"StatementRef"}
    assert {v.body["object"]["id"] for v in voids} == set(originals.values())
    assert all(r.status == "sent" for r in _xapi_rows())

    # Back to present: new versions, new ids (a voided statement stays voided).
    _late_edit(session, instructor, learner, AttendanceStatus.PRESENT)
    outbox_dispatch(now=LATER + dt.timedelta(minutes=1))
    again = lrs.received[4:]
    assert {r.body["verb"]["id"] for r in again} == {ATTENDED, COMPLETED}
    assert not {r.body["id"] for r in again} & set(originals.values())
    assert {r.body["timestamp"] for r in again} == {"2030-03-05T09:00:00Z"}
    for request in again:
        _parsed(request.body)
    assert len(_xapi_rows()) == 6


def test_a_late_edit_that_keeps_completion_but_changes_minutes_resends_attended_only(
    lrs, attended_session, instructor, learner, course
):
    course.completion_rule = "minutes"
    course.completion_percent = 50
    course.save()
    session = attended_session({learner: AttendanceStatus.PRESENT})
    _sign_off_through_api(session, instructor)
    outbox_dispatch(now=AFTER)
    client = APIClient()
    client.force_authenticate(instructor.user)
    registration = Registration.objects.get(session=session)
    body = {
        "registration_id": registration.pk,
        "block_id": session.blocks.get().pk,
        "status": AttendanceStatus.LATE,
        "minutes_attended": 95,
        "reason": "Arrived at 10:25",
    }
    with time_machine.travel(LATER, tick=False):
        response = client.post(f"/api/v1/sessions/{session.pk}/attendance/", body, format="json")
    assert response.status_code == 200, response.content
    outbox_dispatch(now=LATER)
    later = [r.body for r in lrs.received[2:]]
    verbs = sorted(b["verb"]["id"] for b in later)
    # Still completed (95 of 180 minutes is over 50 %): the completed statement and the
    # attended one both carry the minutes, so both are corrected.
    assert verbs == sorted([VOIDED, VOIDED, ATTENDED, COMPLETED])
    new_attended = next(b for b in later if b["verb"]["id"] == ATTENDED)
    assert new_attended["result"]["duration"] == "PT1H35M"
    assert _parsed(new_attended).result.duration == dt.timedelta(minutes=95)


def test_signing_off_on_the_page_queues_the_statements_too(
    lrs, attended_session, instructor, learner
):
    session = attended_session({learner: AttendanceStatus.PRESENT})
    client = Client()
    with time_machine.travel(AFTER, tick=False):
        client.force_login(instructor.user)
        response = client.post(reverse("attendance:attendance-sign-off", args=[session.pk]))
    assert response.status_code == 302
    assert "/login" not in response["Location"]
    assert len(_xapi_rows()) == 2


def test_a_refused_sign_off_queues_no_statement(lrs, attended_session, instructor, learner):
    session = attended_session({})
    registration_create(session_id=session.pk, learner=learner, now=NOW)  # never marked
    client = APIClient()
    client.force_authenticate(instructor.user)
    with time_machine.travel(AFTER, tick=False):
        response = client.post(
            f"/api/v1/sessions/{session.pk}/attendance/sign-off/", {}, format="json"
        )
    assert response.status_code == 409
    assert _xapi_rows() == []
