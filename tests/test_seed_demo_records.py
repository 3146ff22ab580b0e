"""`manage.py seed_demo_records`: the demo's past, through the services, loaded once."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterator
from io import StringIO
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from attendance.models import (
    AttendanceRecord,
    AttendanceSignOff,
    AttendanceStatus,
    Completion,
    Registration,
)
from attendance.services.participant_import import participant_report_import
from compliance.exports.datasets import ATTENDANCE
from compliance.exports.filters import ExportFilters
from compliance.management.demo_records import (
    RECORD_NOTE,
    remove_demo_records,
    zoom_report_path,
)
from compliance.matrix import MatrixStatus, matrix_rows
from compliance.models import LearnerCertification
from scheduling.management.demo import remove_demo_data
from scheduling.models import AssignmentRole, DeliveryMode, Session

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


@pytest.fixture(scope="module")
def records(django_db_setup: Any, django_db_blocker: Any) -> Iterator[dict[str, Any]]:
    """Seed the demo and its records once for the module, committed; removed afterwards."""
    with django_db_blocker.unblock():
        out = StringIO()
        try:
            call_command("seed_demo", stdout=StringIO())
            call_command("seed_demo_records", stdout=out)
            yield {"output": out.getvalue()}
        finally:
            remove_demo_records()
            remove_demo_data()


def _past() -> list[Session]:
    return list(Session.objects.filter(notes=RECORD_NOTE).order_by("starts_at"))


def test_past_sessions_are_taught_by_the_demo_instructor(records: dict[str, Any]) -> None:
    now = timezone.now()
    sessions = _past()
    assert len(sessions) == 6
    assert all(s.ends_at is not None and s.ends_at < now for s in sessions)
    recent = [s for s in sessions if s.starts_at and s.starts_at > now - dt.timedelta(weeks=3.5)]
    assert len(recent) == 4
    for session in sessions:
        lead = session.assignments.get(role=AssignmentRole.LEAD)
        assert lead.instructor.user.username == "instructor"
    signed = {s.course.code for s in recent if AttendanceSignOff.objects.filter(session=s)}
    assert signed == {"HSE-101", "HSE-120"}
    assert "6 past sessions" in records["output"]


def test_instructor_sees_the_pending_session_with_its_learners(records: dict[str, Any]) -> None:
    pending = Session.objects.get(notes=RECORD_NOTE, course__code="HSE-110")
    assert not AttendanceSignOff.objects.filter(session=pending).exists()
    # Partly marked: the first day only.
    marked_blocks = set(
        AttendanceRecord.objects.filter(registration__session=pending).values_list(
            "block_id", flat=True
        )
    )
    assert len(marked_blocks) == 1
    assert pending.blocks.count() == 3
    client = Client()
    client.force_login(get_user_model().objects.get(username="instructor"))
    response = client.get(reverse("attendance:attendance-sheet", args=[pending.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    learners = Registration.objects.filter(session=pending).select_related("learner")
    assert learners.count() == 8
    for registration in learners:
        assert registration.learner.get_full_name() in page


def test_video_call_awaits_its_participant_report(records: dict[str, Any]) -> None:
    call = Session.objects.get(notes=RECORD_NOTE, delivery_mode=DeliveryMode.VILT)
    assert not AttendanceRecord.objects.filter(registration__session=call).exists()
    report = zoom_report_path().read_text(encoding="utf-8")
    emails = Registration.objects.filter(session=call).values_list("learner__email", flat=True)
    assert "learner@example.com" in report
    assert sum(email in report for email in emails) == len(emails) - 1  # one never joined
    # It imports as the block's Zoom report (in this test's transaction: rolled back after).
    result = participant_report_import(
        block_id=call.blocks.get().pk,
        file_name=zoom_report_path().name,
        data=report.encode(),
        by=get_user_model().objects.get(username="instructor"),
        now=timezone.now(),
    )
    statuses = Counter(outcome.status for outcome in result.outcomes)
    assert sum(statuses.values()) == len(emails)
    assert statuses[AttendanceStatus.PRESENT] >= 6
    assert statuses[AttendanceStatus.ABSENT] >= 1


def test_certificates_and_the_matrix(records: dict[str, Any]) -> None:
    current = LearnerCertification.objects.get(
        learner__username="learner", certification__code="FIRE-WARDEN", current=True
    )
    assert current.expires_at is not None
    assert current.expires_at > timezone.now() + dt.timedelta(days=300)
    client = Client()
    client.force_login(current.learner)
    page = client.get(reverse("compliance:my-certificates"))
    assert page.status_code == 200
    assert current.number in page.content.decode()
    pdf = client.get(reverse("compliance:certificate-pdf", args=[current.pk]))
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    statuses = Counter(row.status for row in matrix_rows())
    assert statuses == {
        MatrixStatus.COMPLIANT: 6,
        MatrixStatus.EXPIRING_SOON: 1,
        MatrixStatus.NEVER_DONE: 2,
    }
    assert Completion.objects.filter(status="not_completed").count() == 2
    expiring = next(r for r in matrix_rows() if r.status == MatrixStatus.EXPIRING_SOON)
    assert expiring.learner_email == "hugo.moreau@example.com"
    assert expiring.expires_at is not None
    assert timezone.now() < expiring.expires_at < timezone.now() + dt.timedelta(days=60)
    auditor = Client()
    auditor.force_login(get_user_model().objects.get(username="auditor"))
    matrix = auditor.get(reverse("compliance:matrix"))
    assert matrix.status_code == 200
    assert "Hugo Moreau" in matrix.content.decode()


def test_the_attendance_export_has_rows(records: dict[str, Any]) -> None:
    query = ATTENDANCE.build(ExportFilters()) if ATTENDANCE.build else None
    assert query is not None
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM ({query.sql}) AS rows", query.params)  # noqa: S608
        (count,) = cursor.fetchone()
    assert count == AttendanceRecord.objects.count() == 25


def test_seeding_again_changes_nothing(records: dict[str, Any]) -> None:
    def counts() -> tuple[int, ...]:
        return (
            Session.objects.count(),
            Registration.objects.count(),
            AttendanceRecord.objects.count(),
            LearnerCertification.objects.count(),
            get_user_model().objects.count(),
        )

    before = counts()
    out = StringIO()
    call_command("seed_demo_records", stdout=out)
    assert "already loaded" in out.getvalue()
    assert counts() == before
