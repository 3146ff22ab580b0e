"""Shared fixtures: personas, a clock, and a helper that schedules sessions via the service."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient

from scheduling.models import AssignmentRole, DeliveryMode, Session
from scheduling.services import ProposedBlock, ProposedInstructor, SessionInput, session_create
from tests import factories

# The participant-report world (a VILT block and its learners) for attendance, API and page tests.
pytest_plugins = ["tests.attendance.report_world"]

PARIS = zoneinfo.ZoneInfo("Europe/Paris")
# A fixed "now" for services; session dates in tests lie after it.
NOW = dt.datetime(2030, 3, 1, 8, 0, tzinfo=dt.UTC)


def at(day: str, clock: str, zone: zoneinfo.ZoneInfo = PARIS) -> dt.datetime:
    """at("2030-03-04", "09:00") → an aware datetime in Paris time."""
    return dt.datetime.fromisoformat(f"{day}T{clock}").replace(tzinfo=zone)


def position_of(registration: Any) -> int | None:
    """A registration's place in its session's line, as learners are told it."""
    from attendance.services.seats import waitlist_position

    registration.refresh_from_db()
    return waitlist_position(
        session_id=registration.session_id,
        status=registration.status,
        rank=registration.waitlist_rank,
    )


@pytest.fixture
def now() -> dt.datetime:
    return NOW


@pytest.fixture
def coordinator(db):  # type: ignore[no-untyped-def]
    return factories.UserFactory(username="coordinator", role="Coordinator")


@pytest.fixture
def auditor(db):  # type: ignore[no-untyped-def]
    return factories.UserFactory(username="auditor", role="Auditor")


@pytest.fixture
def learner(db):  # type: ignore[no-untyped-def]
    return factories.UserFactory(username="learner", role="Learner")


@pytest.fixture
def learners(db):  # type: ignore[no-untyped-def]
    """learners(3) → three new users in the Learner group."""

    def make(n: int) -> list[Any]:
        return [factories.UserFactory(role="Learner") for _ in range(n)]

    return make


@pytest.fixture
def outsider(db):  # type: ignore[no-untyped-def]
    """Signed in, but holds no role."""
    return factories.UserFactory(username="outsider")


@pytest.fixture
def instructor(db):  # type: ignore[no-untyped-def]
    return factories.InstructorFactory(user__username="instructor")


@pytest.fixture
def course(db):  # type: ignore[no-untyped-def]
    return factories.CourseFactory(code="SAFE-101", title="Workplace safety")


@pytest.fixture
def room(db):  # type: ignore[no-untyped-def]
    return factories.RoomFactory(capacity=20)


@pytest.fixture
def host_account(db):  # type: ignore[no-untyped-def]
    return factories.HostAccountFactory(participant_limit=50)


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def client_for(api_client: APIClient) -> Callable[[Any], APIClient]:
    def signed_in(user: Any) -> APIClient:
        api_client.force_authenticate(user)
        return api_client

    return signed_in


@pytest.fixture
def schedule(db, course, room, instructor):  # type: ignore[no-untyped-def]
    """Schedule a session through the service (qualifying the instructors first)."""

    def make(
        blocks: list[tuple[dt.datetime, dt.datetime]] | None = None,
        *,
        rooms: list[Any] | None = None,
        instructors: list[Any] | None = None,
        mode: str = DeliveryMode.ILT,
        host_account: Any = None,
        capacity: int = 12,
        status: str = "draft",
        the_course: Any = None,
        now: dt.datetime = NOW,
    ) -> Session:
        the_course = the_course or course
        blocks = blocks or [(at("2030-03-04", "09:00"), at("2030-03-04", "12:00"))]
        people = instructors if instructors is not None else [instructor]
        for person in people:
            factories.QualificationFactory(instructor=person, course=the_course)
        ilt = mode == DeliveryMode.ILT
        chosen = (rooms or [room] * len(blocks)) if ilt else [None] * len(blocks)
        data = SessionInput(
            course=the_course,
            delivery_mode=mode,
            capacity=capacity,
            time_zone="Europe/Paris",
            blocks=[
                ProposedBlock(start, end, chosen[i], index=i)
                for i, (start, end) in enumerate(blocks)
            ],
            instructors=[
                ProposedInstructor(
                    p, AssignmentRole.LEAD if i == 0 else AssignmentRole.CO_FACILITATOR
                )
                for i, p in enumerate(people)
            ],
            host_account=host_account,
            status=status,
        )
        return session_create(data=data, now=now)

    return make


@pytest.fixture
def published(schedule):  # type: ignore[no-untyped-def]
    """A scheduled (published) ILT session on 2030-03-04 09:00 Paris, capacity 2."""

    def make(capacity: int = 2, **kwargs: Any) -> Session:
        return schedule(status="scheduled", capacity=capacity, **kwargs)  # type: ignore[no-any-return]

    return make
