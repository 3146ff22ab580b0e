"""Fixtures for certifications: sessions that ended with recorded outcomes (through the
registration and outcome services), and certifications granted by the course."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from attendance.models import Completion, CompletionStatus
from attendance.services.outcomes import completion_record
from attendance.services.registration import registration_create
from compliance.models import Certification
from tests.conftest import NOW, at


@pytest.fixture
def certification(course):  # type: ignore[no-untyped-def]
    """FIRE-1 "Fire warden", valid 12 months, granted by `course` (SAFE-101)."""
    granted = Certification.objects.create(code="FIRE-1", name="Fire warden", valid_months=12)
    granted.courses.add(course)
    return granted


@pytest.fixture
def attended(schedule, course):  # type: ignore[no-untyped-def]
    """attended({learner: "completed", other: "not_completed"}, day="2030-03-04") → the
    completions of one session held 09:00-12:00 Paris time that day, recorded after it ended."""

    def make(
        outcomes: dict[Any, str], *, day: str = "2030-03-04", the_course: Any = None
    ) -> dict[Any, Completion]:
        start, end = at(day, "09:00"), at(day, "12:00")
        session = schedule(
            [(start, end)], status="scheduled", capacity=20, the_course=the_course or course
        )
        registered_at = min(NOW, start - dt.timedelta(days=1))
        found = {}
        for person, status in outcomes.items():
            registered = registration_create(
                session_id=session.pk, learner=person, now=registered_at
            )
            found[person] = completion_record(
                registration_id=registered.registration_id,
                status=status,
                recorded_by=None,
                now=end + dt.timedelta(hours=1),
            )
        return found

    return make


COMPLETED = CompletionStatus.COMPLETED
NOT_COMPLETED = CompletionStatus.NOT_COMPLETED


@pytest.fixture(scope="session", autouse=True)
def static_root(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """As for tests/web: WhiteNoise warns (an error here) without a STATIC_ROOT folder."""
    from django.test import override_settings

    with override_settings(STATIC_ROOT=tmp_path_factory.mktemp("staticfiles")):
        yield


@pytest.fixture
def page_client(client):  # type: ignore[no-untyped-def]
    """A test client signed in as `user` (None: anonymous)."""

    def signed_in(user: Any) -> Any:
        client.logout()
        if user is not None:
            client.force_login(user, backend="tms.backends.UserWithProfilesBackend")
        return client

    return signed_in


@pytest.fixture
def certified(learner, attended, certification):  # type: ignore[no-untyped-def]
    """`learner`'s FIRE-1 certificate from the 4 March 2030 session."""
    from compliance.services.certifications import certifications_issue_for_completion

    completion = attended({learner: COMPLETED})[learner]
    return certifications_issue_for_completion(
        completion=completion, now=at("2030-03-04", "18:00")
    )[0]
