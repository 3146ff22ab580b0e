"""Signing off attendance, on the page or through the API, issues the certificates its
completions earn in the same transaction: the learner has their certificate at once, and a
refused sign-off records neither outcomes nor certificates."""

from __future__ import annotations

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from attendance.models import AttendanceSource, AttendanceStatus, Completion, Registration
from attendance.services.marking import Mark, attendance_mark
from attendance.services.registration import registration_create
from compliance.models import LearnerCertification
from tests.conftest import NOW, at

pytestmark = pytest.mark.django_db
AFTER = at("2030-03-04", "13:00")


@pytest.fixture
def session_with_seat(schedule, learner, certification):  # type: ignore[no-untyped-def]
    session = schedule(status="scheduled")
    registration_create(session_id=session.pk, learner=learner, now=NOW)
    return session


def _mark_present(session, instructor) -> None:  # type: ignore[no-untyped-def]
    registration = Registration.objects.get(session=session)
    attendance_mark(
        registration=registration,
        block=session.blocks.get(),
        mark=Mark(AttendanceStatus.PRESENT),
        source=AttendanceSource.ROSTER,
        recorded_by=instructor.user,
        now=AFTER,
    )


def test_signing_off_on_the_page_issues_the_certificate_at_once(
    session_with_seat, learner, instructor
):
    _mark_present(session_with_seat, instructor)
    client = Client()
    with time_machine.travel(AFTER, tick=False):
        client.force_login(instructor.user)
        response = client.post(
            reverse("attendance:attendance-sign-off", args=[session_with_seat.pk])
        )
    assert response.status_code == 302
    assert Completion.objects.get().status == "completed"
    assert LearnerCertification.objects.get().learner == learner


def test_signing_off_through_the_api_issues_the_certificate_at_once(
    session_with_seat, learner, instructor
):
    _mark_present(session_with_seat, instructor)
    client = APIClient()
    client.force_authenticate(instructor.user)
    with time_machine.travel(AFTER, tick=False):
        response = client.post(
            f"/api/v1/sessions/{session_with_seat.pk}/attendance/sign-off/", {}, format="json"
        )
    assert response.status_code == 201, response.content
    assert LearnerCertification.objects.get().learner == learner


def test_a_refused_sign_off_records_no_outcome_and_no_certificate(session_with_seat, instructor):
    client = Client()
    with time_machine.travel(AFTER, tick=False):  # nobody marked: refused, naming the learner
        client.force_login(instructor.user)
        response = client.post(
            reverse("attendance:attendance-sign-off", args=[session_with_seat.pk])
        )
    assert response.status_code == 409
    assert not Completion.objects.exists()
    assert not LearnerCertification.objects.exists()
