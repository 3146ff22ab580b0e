"""API fixtures: one signed-in client per persona, and a small world of sessions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient

from scheduling.models import InstructorBooking, RoomBooking, Session, SessionBlock
from tests import factories
from tests.conftest import at

PERSONAS = ("coordinator", "instructor", "learner", "auditor", "outsider", "anonymous")


@pytest.fixture
def as_user() -> Callable[[Any], APIClient]:
    """A fresh client signed in as `user` (None: anonymous)."""

    def client(user: Any) -> APIClient:
        api = APIClient()
        if user is not None:
            api.force_authenticate(user)
        return api

    return client


@pytest.fixture
def persona_users(coordinator, instructor, learner, auditor, outsider) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    return {
        "coordinator": coordinator,
        "instructor": instructor.user,
        "learner": learner,
        "auditor": auditor,
        "outsider": outsider,
        "anonymous": None,
    }


@pytest.fixture
def coordinator_api(as_user, coordinator) -> APIClient:  # type: ignore[no-untyped-def]
    return as_user(coordinator)


@pytest.fixture
def other_instructor(course):  # type: ignore[no-untyped-def]
    person = factories.InstructorFactory(user__username="other-instructor")
    factories.QualificationFactory(instructor=person, course=course)
    return person


@pytest.fixture
def world(schedule, instructor, other_instructor, room) -> dict[str, Session]:  # type: ignore[no-untyped-def]
    """Four sessions: published or draft, taught by `instructor` or by someone else."""
    other_room = factories.RoomFactory(capacity=30)
    return {
        "mine_published": schedule(
            [(at("2030-03-04", "09:00"), at("2030-03-04", "12:00"))], status="scheduled"
        ),
        "mine_draft": schedule([(at("2030-03-05", "09:00"), at("2030-03-05", "12:00"))]),
        "theirs_published": schedule(
            [(at("2030-03-04", "09:00"), at("2030-03-04", "12:00"))],
            rooms=[other_room],
            instructors=[other_instructor],
            status="scheduled",
        ),
        "theirs_draft": schedule(
            [(at("2030-03-05", "09:00"), at("2030-03-05", "12:00"))],
            rooms=[other_room],
            instructors=[other_instructor],
        ),
    }


@pytest.fixture
def row_counts() -> Callable[[], dict[str, int]]:
    """Rows that any session write would touch, to prove a refused request wrote nothing."""

    def counts() -> dict[str, int]:
        return {
            "sessions": Session.objects.count(),
            "blocks": SessionBlock.objects.count(),
            "room_bookings": RoomBooking.objects.count(),
            "instructor_bookings": InstructorBooking.objects.count(),
        }

    return counts
