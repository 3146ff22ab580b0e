"""Schemathesis fuzzes every operation of /api/schema/ as a signed-in coordinator.

Checks: no 5xx, and every response (errors included) matches the schema. About half of the
generated cases have their path ids pointed at real objects, so bodies are fuzzed against
existing sessions, rooms and instructors too, not only against 404s.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from rest_framework.authtoken.models import Token
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from attendance.services.registration import course_waitlist_join, registration_create
from notifications.models import MessageStatus, OutboxMessage
from tests import factories
from tests.conftest import NOW, at


@pytest.fixture
def wsgi_app() -> Iterator[WSGIHandler]:
    """Django's WSGI app sharing the test's database connection (and its transaction).

    Like Django's own test client, stop request signals from closing the connection.
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield WSGIHandler()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def api_schema(db, wsgi_app):  # type: ignore[no-untyped-def]
    return schemathesis.openapi.from_wsgi("/api/schema/?format=json", wsgi_app)


@pytest.fixture
def known_ids(schedule, course, room, instructor, host_account, learners) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Real objects the fuzzer's path ids are pointed at, by URL segment."""
    session = schedule(
        [
            (at("2030-03-04", "09:00"), at("2030-03-04", "12:00")),
            (at("2030-03-05", "09:00"), at("2030-03-05", "12:00")),
        ]
    )
    # A published session with a seat taken and a learner waitlisted (capacity 1).
    published = schedule(
        [(at("2030-03-06", "09:00"), at("2030-03-06", "12:00"))], status="scheduled", capacity=1
    )
    seat, waiting = (
        registration_create(session_id=published.pk, learner=person, now=NOW).row()
        for person in learners(2)
    )
    any_date = course_waitlist_join(course_id=course.pk, learner=waiting.learner, now=NOW)
    sent = OutboxMessage.objects.filter(recipient=seat.learner).get()
    OutboxMessage.objects.filter(pk=sent.pk).update(status=MessageStatus.SENT, sent_at=NOW)
    closure = factories.RoomClosureFactory(room=room)
    absence = factories.UnavailabilityFactory(instructor=instructor)
    hours = factories.WorkingHoursFactory(instructor=instructor)
    return {
        "courses": course.pk,
        "sessions": session.pk,
        "block_pk": session.blocks.first().pk,
        "assignment_pk": session.assignments.get().pk,
        "sites": room.site_id,
        "rooms": room.pk,
        "room-closures": closure.pk,
        "host-accounts": host_account.pk,
        "instructors": instructor.pk,
        "instructor_pk": instructor.pk,
        "qualifications": instructor.qualifications.get().pk,
        "working-hours": hours.pk,
        "unavailability": absence.pk,
        "registrations": waiting.pk,
        "course-waitlist": any_date.pk,
        "messages": sent.pk,
    }


@pytest.fixture
def token(coordinator) -> str:  # type: ignore[no-untyped-def]
    return Token.objects.create(user=coordinator).key


# Body fields holding ids, and the known object (by URL segment) each should point at.
BODY_IDS = {
    "course": "courses",
    "room": "rooms",
    "site": "sites",
    "host_account": "host-accounts",
    "instructor": "instructors",
    "block": "block_pk",
}


def point_at_known_objects(case: Any, known: dict[str, int]) -> None:
    """Point even generated ids at real objects; odd ids stay, to keep probing the 404s."""
    parts = case.path.strip("/").split("/")
    for name, value in list((case.path_parameters or {}).items()):
        if not isinstance(value, int) or value % 2:
            continue
        placeholder = parts.index("{" + name + "}")
        key = name if name in known else parts[placeholder - 1]
        if key in known:
            case.path_parameters[name] = known[key]
    _point_body_ids(case.body, known)


def _point_body_ids(body: Any, known: dict[str, int]) -> None:
    if isinstance(body, list):
        for item in body:
            _point_body_ids(item, known)
    elif isinstance(body, dict):
        for name, value in body.items():
            if name in BODY_IDS and isinstance(value, int) and not value % 2:
                body[name] = known[BODY_IDS[name]]
            else:
                _point_body_ids(value, known)


@pytest.mark.slow
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_the_api_never_fails_and_always_matches_its_schema(api_schema, mode, token, known_ids):
    # Schemathesis' own pytest plugin (`from_fixture`) does not run under pytest 9.2 (it sets
    # `Node._nodeid`), so each operation gets a plain Hypothesis test here.
    failures = []
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) > 40

    for operation in operations:

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=25,
            derandomize=True,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def fuzz(case: Any) -> None:
            point_at_known_objects(case, known_ids)
            case.call_and_validate(
                headers={"Authorization": f"Token {token}"},
                checks=[not_a_server_error, response_schema_conformance],
            )

        try:
            fuzz()
        except (Exception, BaseExceptionGroup) as error:  # report every failing operation
            failures.append(f"{operation.label}: {error}")

    assert not failures, "\n\n".join(failures)
