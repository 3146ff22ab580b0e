"""POST /api/v1/blocks/{id}/participant-reports/ and its result and resolve endpoints:
who may import, the result's shape, idempotence, malformed files as 400 naming the line."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from attendance.models import AttendanceRecord, ParticipantReport, ParticipantReportEntry
from tests.attendance.report_world import report_bytes

pytestmark = pytest.mark.django_db


def upload_url(report_block) -> str:  # type: ignore[no-untyped-def]
    return f"/api/v1/blocks/{report_block.pk}/participant-reports/"


def upload(client, report_block, name="zoom_participants.csv", **extra):  # type: ignore[no-untyped-def]
    file = SimpleUploadedFile(name, report_bytes(name), content_type="text/csv")
    return client.post(upload_url(report_block), {"file": file, **extra}, format="multipart")


def test_the_sessions_instructor_imports_a_report_and_gets_the_result(
    as_user, instructor, report_block, report_seats
):
    response = upload(as_user(instructor.user), report_block)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["already_imported"] is False
    assert body["report"]["file_format"] == "zoom"
    assert body["report"]["row_count"] == 5
    by_name = {e["name"]: e for e in body["entries"]}
    assert by_name["Cleo Test"]["match"] == "name"
    assert by_name["Dial-in 555-0100"]["match"] == "unmatched"
    assert by_name["Dial-in 555-0100"]["lines"] == [6]
    assert body["entries"][0]["match"] == "unmatched"  # listed first, never dropped
    attendance = {a["learner"]: (a["status"], a["minutes_attended"]) for a in body["attendance"]}
    assert attendance["ada"] == ("present", 180)
    assert attendance["ben"] == ("late", 160)


def test_the_same_file_twice_is_200_and_changes_nothing(
    as_user, coordinator, report_block, report_seats
):
    client = as_user(coordinator)
    assert upload(client, report_block).status_code == 201
    counts = (ParticipantReport.objects.count(), ParticipantReportEntry.objects.count())
    again = upload(client, report_block)
    assert again.status_code == 200
    assert again.json()["already_imported"] is True
    assert "already imported" in again.json()["message"]
    assert (ParticipantReport.objects.count(), ParticipantReportEntry.objects.count()) == counts


def test_a_malformed_file_is_400_naming_the_line_and_nothing_is_written(
    as_user, instructor, report_block, report_seats
):
    response = upload(as_user(instructor.user), report_block, name="zoom_malformed.csv")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "participant_report_invalid"
    assert body["message"].startswith("Line 4, column “Join Time”")
    assert body["fields"]["file"] == [body["message"]]
    assert body["extra"] == {"line": 4, "column": "Join Time"}
    assert ParticipantReport.objects.count() == 0
    assert AttendanceRecord.objects.count() == 0


def test_a_missing_file_is_a_field_error(as_user, instructor, report_block):
    response = as_user(instructor.user).post(upload_url(report_block), {}, format="multipart")
    assert response.status_code == 400
    assert "file" in response.json()["fields"]


def test_who_may_import(
    as_user, report_block, report_seats, learner, auditor, outsider, other_instructor, coordinator
):
    assert upload(as_user(learner), report_block).status_code == 403
    assert upload(as_user(auditor), report_block).status_code == 403
    assert upload(as_user(outsider), report_block).status_code == 403
    assert upload(as_user(None), report_block).status_code == 403
    # An instructor who does not teach this session does not see its blocks.
    assert upload(as_user(other_instructor.user), report_block).status_code == 404
    assert ParticipantReport.objects.count() == 0
    assert upload(as_user(coordinator), report_block).status_code == 201


def test_auditors_read_a_result_and_other_instructors_do_not(
    as_user, report_block, report_seats, instructor, auditor, other_instructor, learner
):
    report_id = upload(as_user(instructor.user), report_block).json()["report"]["id"]
    url = f"/api/v1/participant-reports/{report_id}/"
    assert as_user(auditor).get(url).status_code == 200
    assert as_user(instructor.user).get(url).status_code == 200
    assert as_user(other_instructor.user).get(url).status_code == 404
    assert as_user(learner).get(url).status_code == 403


def test_resolving_an_unmatched_participant_marks_the_learner(
    as_user, report_block, report_seats, instructor, auditor
):
    client = as_user(instructor.user)
    body = upload(client, report_block).json()
    dial_in = next(e for e in body["entries"] if e["match"] == "unmatched")
    url = f"/api/v1/participant-report-entries/{dial_in['id']}/resolve/"
    assert as_user(auditor).post(url, {"ignore": True}, format="json").status_code == 403
    both = client.post(url, {"registration": report_seats["dan"].pk, "ignore": True}, format="json")
    assert both.status_code == 400
    assert client.post(url, {}, format="json").status_code == 400
    wrong = client.post(url, {"registration": 987654}, format="json")
    assert wrong.status_code == 400
    assert "confirmed seat" in wrong.json()["message"]
    resolved = client.post(url, {"registration": report_seats["dan"].pk}, format="json")
    assert resolved.status_code == 200
    entry = next(e for e in resolved.json()["entries"] if e["id"] == dial_in["id"])
    assert (entry["match"], entry["learner"]) == ("resolved", "dan")
    attendance = {a["learner"]: a["status"] for a in resolved.json()["attendance"]}
    assert attendance["dan"] == "present"


def test_an_ignored_participant_stays_listed(as_user, report_block, report_seats, coordinator):
    client = as_user(coordinator)
    body = upload(client, report_block).json()
    dial_in = next(e for e in body["entries"] if e["match"] == "unmatched")
    url = f"/api/v1/participant-report-entries/{dial_in['id']}/resolve/"
    response = client.post(url, {"ignore": True}, format="json")
    assert response.status_code == 200
    entry = next(e for e in response.json()["entries"] if e["id"] == dial_in["id"])
    assert entry["match"] == "ignored"
    assert entry["resolved_by"] == "coordinator"


def test_reading_a_result_takes_the_same_queries_however_many_learners(
    as_user, coordinator, report_block, report_seats, report_session
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from attendance.services.registration import registration_create
    from tests import factories
    from tests.conftest import NOW

    client = as_user(coordinator)
    report_id = upload(client, report_block).json()["report"]["id"]
    url = f"/api/v1/participant-reports/{report_id}/"
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    for _ in range(5):
        registration_create(
            session_id=report_session.pk, learner=factories.UserFactory(role="Learner"), now=NOW
        )
    with CaptureQueriesContext(connection) as more:
        body = client.get(url).json()
    assert len(body["attendance"]) == 10
    assert len(more) == len(few)
