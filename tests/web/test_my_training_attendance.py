"""“My training” shows the learner's own attendance per block of each past session (status,
minutes, late edits), in the session's time zone named, the outcome and the certificate;
never anyone else's records, and its queries do not grow with the number of past sessions."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from attendance.models import AttendanceSource, Registration
from attendance.services.marking import Mark, attendance_mark
from attendance.services.registration import registration_create
from compliance.models import Certification, LearnerCertification
from compliance.services.sign_off import sign_off_and_certify
from tests import factories
from tests.conftest import NOW, at

pytestmark = pytest.mark.django_db
LATER = dt.datetime(2030, 6, 1, 8, 0, tzinfo=dt.UTC)


@pytest.fixture
def certification(course):  # type: ignore[no-untyped-def]
    granted = Certification.objects.create(code="FIRE-1", name="Fire warden", valid_months=12)
    granted.courses.add(course)
    return granted


@pytest.fixture
def held(schedule, instructor):  # type: ignore[no-untyped-def]
    """held({learner: [("present", 180), ...]}, day=…) → the session (one block per mark),
    marked so and signed off by `instructor` after it ended."""

    def make(marks: dict[Any, list[tuple[str, int | None]]], *, day: int = 4) -> Any:
        count = len(next(iter(marks.values())))
        date = dt.date(2030, 3, day)
        blocks = [
            (
                at((date + dt.timedelta(days=i)).isoformat(), "09:00"),
                at((date + dt.timedelta(days=i)).isoformat(), "12:00"),
            )
            for i in range(count)
        ]
        session = schedule(blocks, rooms=[factories.RoomFactory()] * count, status="scheduled")
        ended = blocks[-1][1] + dt.timedelta(hours=1)
        for person, rows in marks.items():
            registration = registration_create(session_id=session.pk, learner=person, now=NOW)
            for block, (status, minutes) in zip(
                session.blocks.order_by("starts_at"), rows, strict=True
            ):
                attendance_mark(
                    registration=registration.row(),
                    block=block,
                    mark=Mark(status, minutes_attended=minutes),
                    source=AttendanceSource.ROSTER,
                    recorded_by=instructor.user,
                    now=ended,
                )
        sign_off_and_certify(session_id=session.pk, by=instructor.user, now=ended)
        return session

    return make


def _past(page_client: Any, user: Any) -> str:
    # Signed in after the sessions (a login from before would have expired).
    with time_machine.travel(LATER, tick=False):
        response = page_client(user).get(reverse("attendance:my-training"))
    assert response.status_code == 200
    html = response.content.decode()
    return html.split('id="past-heading"', 1)[1].split("</section>", 1)[0]


def test_a_learner_reads_their_attendance_per_block_the_outcome_and_the_certificate(
    page_client, held, learner, certification
):
    session = held({learner: [("present", 180), ("late", 150)]})
    past = _past(page_client, learner)

    assert "Your attendance: " in past
    assert "times in Europe/Paris, the session's time zone" in past
    # 09:00 Paris time on both days (winter time, CET), whatever the reader's zone.
    assert "Mon 4 Mar 2030, 09:00" in past
    assert "12:00 CET" in past
    assert "Tue 5 Mar 2030, 09:00" in past
    assert "badge--attendance-present" in past
    assert ">Present<" in past
    assert "badge--attendance-late" in past
    assert ">Late<" in past
    assert ">180<" in past
    assert ">150<" in past
    assert "badge--completed" in past
    assert ">Completed<" in past
    certificate = LearnerCertification.objects.get(learner=learner)
    assert reverse("compliance:certificate-pdf", args=[certificate.pk]) in past
    assert f"Certificate {certificate.number} (PDF)" in past
    assert session.course.title in past


def test_a_learner_who_missed_a_block_reads_absent_and_not_completed_without_a_certificate(
    page_client, held, learner, certification
):
    held({learner: [("present", None), ("absent", None)]})
    past = _past(page_client, learner)
    assert ">Absent<" in past
    assert "badge--not_completed" in past
    assert ">Not completed<" in past
    assert "Certificate " not in past
    assert not LearnerCertification.objects.filter(learner=learner).exists()


def test_a_learner_never_sees_another_learners_records(page_client, held, learners, certification):
    me, other = learners(2)
    held({me: [("absent", 5)], other: [("present", 171)]})
    mine = _past(page_client, me)
    assert ">Absent<" in mine
    assert ">5<" in mine
    assert ">Present<" not in mine
    assert ">171<" not in mine
    other_certificate = LearnerCertification.objects.get(learner=other)
    assert other_certificate.number not in mine
    assert reverse("compliance:certificate-pdf", args=[other_certificate.pk]) not in mine
    # Someone registered to nothing sees no records at all.
    stranger = factories.UserFactory(role="Learner")
    with time_machine.travel(LATER, tick=False):
        html = page_client(stranger).get(reverse("attendance:my-training")).content.decode()
    assert "Your attendance" not in html
    assert ">Present<" not in html


def test_past_sessions_with_attendance_cost_the_same_queries_for_one_or_many(
    page_client, held, learner, certification
):
    def measure() -> int:
        with time_machine.travel(LATER, tick=False):
            client = page_client(learner)
            with CaptureQueriesContext(connection) as captured:
                response = client.get(reverse("attendance:my-training"))
        assert response.status_code == 200
        return len(captured)

    held({learner: [("present", 180), ("present", 180)]}, day=4)
    one = measure()
    for index in range(1, 8):
        held({learner: [("present", 180), ("absent", None)]}, day=4 + 2 * index)
    assert Registration.objects.filter(learner=learner).count() == 8
    assert measure() == one
    # The 7 of an upcoming-only page (tests/web/test_training_calendar.py) plus the
    # attendance records and the completions' certificates.
    assert one == 9
