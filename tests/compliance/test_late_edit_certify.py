"""A late edit after sign-off, on the page or through the API (one row, "all present", a
participant report or a resolved participant), issues or revokes the certificate in the same
transaction as the completion it changes: the learner's certificate follows at once, without
waiting for the `certifications_sync` sweep."""

from __future__ import annotations

from typing import Any

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from attendance.models import (
    AttendanceSource,
    AttendanceStatus,
    Completion,
    ParticipantMatch,
    ParticipantReportEntry,
    Registration,
    RegistrationStatus,
)
from attendance.services.marking import Mark, attendance_mark
from attendance.services.participant_import import participant_report_import
from attendance.services.registration import registration_create
from compliance.models import LearnerCertification
from compliance.services.sign_off import sign_off_and_certify
from tests import factories
from tests.attendance.report_world import report_bytes
from tests.conftest import NOW, at

pytestmark = pytest.mark.django_db
AFTER = at("2030-03-04", "13:00")
LATER = at("2030-03-05", "10:00")
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def signed_off(schedule, learner, instructor, certification):  # type: ignore[no-untyped-def]
    """signed_off("present"|"absent") → the registration of `learner` in a one-block session
    of a course granting `certification`, marked so and signed off by `instructor`."""

    def make(status: str) -> Registration:
        session = schedule(status="scheduled")
        registration = registration_create(session_id=session.pk, learner=learner, now=NOW).row()
        attendance_mark(
            registration=registration,
            block=session.blocks.get(),
            mark=Mark(status),
            source=AttendanceSource.ROSTER,
            recorded_by=instructor.user,
            now=AFTER,
        )
        sign_off_and_certify(session_id=session.pk, by=instructor.user, now=AFTER)
        return registration

    return make


def _page_mark(instructor: Any, registration: Registration, status: str) -> Any:
    client = Client()
    client.force_login(instructor.user)
    block = registration.session.blocks.get()
    url = reverse(
        "attendance:attendance-mark", args=[registration.session_id, block.pk, registration.pk]
    )
    return client.post(url, {"status": status, "reason": "Checked the paper sheet"}, **HTMX)


def _api_mark(instructor: Any, registration: Registration, status: str) -> Any:
    client = APIClient()
    client.force_authenticate(instructor.user)
    body = {
        "registration_id": registration.pk,
        "block_id": registration.session.blocks.get().pk,
        "status": status,
        "reason": "Checked the paper sheet",
    }
    return client.post(
        f"/api/v1/sessions/{registration.session_id}/attendance/", body, format="json"
    )


def _held(learner: Any) -> list[LearnerCertification]:
    """The learner's certificates that stand (not revoked)."""
    return list(LearnerCertification.objects.filter(learner=learner, revoked_at__isnull=True))


@pytest.mark.parametrize("door", [_page_mark, _api_mark], ids=["page", "api"])
def test_a_late_edit_to_not_completed_revokes_the_certificate_at_once(
    signed_off, learner, instructor, door
):
    registration = signed_off(AttendanceStatus.PRESENT)
    [certificate] = _held(learner)
    assert certificate.current
    with time_machine.travel(LATER, tick=False):
        response = door(instructor, registration, AttendanceStatus.ABSENT)
    assert response.status_code == 200, response.content
    assert Completion.objects.get(registration=registration).status == "not_completed"
    assert _held(learner) == []
    certificate.refresh_from_db()
    assert certificate.revoked_at == LATER
    assert not certificate.current


@pytest.mark.parametrize("door", [_page_mark, _api_mark], ids=["page", "api"])
def test_a_late_edit_to_completed_issues_the_certificate_at_once(
    signed_off, learner, instructor, door
):
    registration = signed_off(AttendanceStatus.ABSENT)
    assert _held(learner) == []
    with time_machine.travel(LATER, tick=False):
        response = door(instructor, registration, AttendanceStatus.PRESENT)
    assert response.status_code == 200, response.content
    assert Completion.objects.get(registration=registration).status == "completed"
    [certificate] = _held(learner)
    assert certificate.current
    assert certificate.completion.registration_id == registration.pk


@pytest.mark.parametrize("through", ["page", "api"])
def test_all_present_after_sign_off_certifies_the_learners_it_completes(
    signed_off, instructor, through
):
    registration = signed_off(AttendanceStatus.PRESENT)
    session = registration.session
    block = session.blocks.get()
    # Found on the paper register after sign-off: a seat confirmed by the office, unmarked.
    latecomer = factories.UserFactory(username="latecomer", role="Learner")
    Registration.objects.create(
        session=session, learner=latecomer, status=RegistrationStatus.CONFIRMED, confirmed_at=NOW
    )
    with time_machine.travel(LATER, tick=False):
        if through == "page":
            client = Client()
            client.force_login(instructor.user)
            url = reverse("attendance:attendance-all-present", args=[session.pk, block.pk])
            response = client.post(url, {"reason": "On the paper register"})
            assert response.status_code == 302
        else:
            api = APIClient()
            api.force_authenticate(instructor.user)
            response = api.post(
                f"/api/v1/sessions/{session.pk}/attendance/blocks/{block.pk}/all-present/",
                {"reason": "On the paper register"},
                format="json",
            )
            assert response.status_code == 200, response.content
    assert len(_held(latecomer)) == 1


def test_a_refused_late_edit_changes_neither_the_outcome_nor_the_certificate(
    signed_off, learner, instructor
):
    registration = signed_off(AttendanceStatus.PRESENT)
    client = APIClient()
    client.force_authenticate(instructor.user)
    body = {
        "registration_id": registration.pk,
        "block_id": registration.session.blocks.get().pk,
        "status": AttendanceStatus.ABSENT,
    }  # no reason: refused
    response = client.post(
        f"/api/v1/sessions/{registration.session_id}/attendance/", body, format="json"
    )
    assert response.status_code == 400
    assert Completion.objects.get(registration=registration).status == "completed"
    assert len(_held(learner)) == 1


# --- Participant reports after sign-off (VILT) -------------------------------------------------


@pytest.fixture
def reported_and_signed_off(report_block, report_seats, instructor, certification):  # type: ignore[no-untyped-def]
    """The Zoom report imported (Ada present, Ben late, Cleo 60 min, Zoë and Dan absent), then
    signed off: Ada and Ben hold certificates."""
    participant_report_import(
        block_id=report_block.pk,
        file_name="zoom_participants.csv",
        data=report_bytes("zoom_participants.csv"),
        by=instructor.user,
        now=REPORT_SIGNED,
    )
    sign_off_and_certify(session_id=report_block.session_id, by=instructor.user, now=REPORT_SIGNED)
    assert {c.learner.username for c in LearnerCertification.objects.all()} == {"ada", "ben"}
    return report_seats


REPORT_SIGNED = at("2030-03-04", "13:00")


@pytest.mark.parametrize("through", ["page", "api"])
def test_a_report_imported_after_sign_off_certifies_the_learner_it_completes(
    report_block, reported_and_signed_off, instructor, through
):
    name = "zoom_second_device.csv"  # Cleo's phone: 150 minutes now, completed
    file = SimpleUploadedFile(name, report_bytes(name), content_type="text/csv")
    body = {"file": file, "reason": "The co-host's report arrived"}
    with time_machine.travel(LATER, tick=False):
        if through == "page":
            client = Client()
            client.force_login(instructor.user)
            url = reverse("attendance:participant-report-import", args=[report_block.pk])
            assert client.post(url, body).status_code == 302
        else:
            api = APIClient()
            api.force_authenticate(instructor.user)
            url = f"/api/v1/blocks/{report_block.pk}/participant-reports/"
            response = api.post(url, body, format="multipart")
            assert response.status_code == 201, response.content
    cleo = reported_and_signed_off["cleo"]
    assert Completion.objects.get(registration=cleo).status == "completed"
    assert len(_held(cleo.learner)) == 1


@pytest.mark.parametrize("through", ["page", "api"])
def test_resolving_a_participant_after_sign_off_certifies_the_learner_it_completes(
    report_block, reported_and_signed_off, instructor, through
):
    dial_in = ParticipantReportEntry.objects.get(match=ParticipantMatch.UNMATCHED)
    dan = reported_and_signed_off["dan"]  # the dial-in was Dan: 170 minutes
    with time_machine.travel(LATER, tick=False):
        if through == "page":
            client = Client()
            client.force_login(instructor.user)
            url = reverse("attendance:participant-entry-resolve", args=[dial_in.pk])
            response = client.post(url, {"registration": str(dan.pk), "reason": "Phoned in"})
            assert response.status_code == 302
        else:
            api = APIClient()
            api.force_authenticate(instructor.user)
            url = f"/api/v1/participant-report-entries/{dial_in.pk}/resolve/"
            response = api.post(url, {"registration": dan.pk, "reason": "Phoned in"}, format="json")
            assert response.status_code == 200, response.content
    assert Completion.objects.get(registration=dan).status == "completed"
    assert len(_held(dan.learner)) == 1
