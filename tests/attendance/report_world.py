"""Fixtures for participant report imports (`report_session`, `report_block`, `report_seats`):
a VILT session on 2030-03-04 09:00-12:00 Paris
taught by `instructor` (instructor@example.com), with five confirmed learners."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from attendance.models import Registration
from attendance.services.registration import registration_create
from scheduling.models import DeliveryMode
from tests import factories
from tests.conftest import NOW, at

REPORTS = Path(__file__).parent / "reports"
LEARNERS = [
    ("ada", "Ada", "Example", "ada@example.com"),
    ("ben", "Ben", "Sample", "ben@example.com"),
    ("cleo", "Cleo", "Test", "cleo@elsewhere.example"),  # the report has no email for her
    ("zoe", "Zoë", "Müller", "zoe@example.com"),
    ("dan", "Dan", "Absent", "dan@example.com"),
]


def report_bytes(name: str) -> bytes:
    return (REPORTS / name).read_bytes()


@pytest.fixture
def report_session(schedule, instructor, host_account):  # type: ignore[no-untyped-def]
    instructor.user.email = "instructor@example.com"
    instructor.user.first_name, instructor.user.last_name = "Ivy", "Instructor"
    instructor.user.save()
    return schedule(
        [(at("2030-03-04", "09:00"), at("2030-03-04", "12:00"))],
        mode=DeliveryMode.VILT,
        host_account=host_account,
        status="scheduled",
    )


@pytest.fixture
def report_block(report_session):  # type: ignore[no-untyped-def]
    return report_session.blocks.get()


@pytest.fixture
def report_seats(report_session) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """username → confirmed registration."""
    found = {}
    for username, first, last, email in LEARNERS:
        user = factories.UserFactory(
            username=username, first_name=first, last_name=last, email=email, role="Learner"
        )
        outcome = registration_create(session_id=report_session.pk, learner=user, now=NOW)
        assert outcome.status == "confirmed"
        found[username] = Registration.objects.get(pk=outcome.registration_id)
    return found
