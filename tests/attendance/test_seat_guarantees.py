"""Seat guarantees that hold by every path, the database's own: a capacity never drops below
the seats held; a cancelled session takes its registrations with it; an outcome never frees a
seat; the SQL functions are what their files say."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, connection, transaction
from django.urls import reverse

from attendance.models import SEAT_HOLDING, CompletionStatus, Registration, RegistrationStatus
from attendance.selectors import seats_for
from attendance.services.outcomes import completion_record
from attendance.services.registration import registration_cancel, registration_create
from attendance.services.seats import free_seats
from notifications.models import OutboxMessage
from scheduling.models import Session, SessionStatus
from scheduling.services import session_transition, session_update
from tests import factories
from tests.conftest import NOW, at
from tms.exceptions import RuleViolation
from tms.sql_functions import registered, sql_list

pytestmark = pytest.mark.django_db


@pytest.fixture
def three_seats_held(published, learners):
    session = published(capacity=5)
    for person in learners(3):
        registration_create(session_id=session.pk, learner=person, now=NOW)
    return session


def test_lowering_the_capacity_below_the_seats_held_is_refused_by_the_service(
    three_seats_held,
):
    with pytest.raises(RuleViolation) as refused:
        session_update(session_id=three_seats_held.pk, capacity=2, now=NOW)
    assert refused.value.fields["capacity"] == ["At least 3 (the seats held)."]
    assert "3 learners hold seats" in refused.value.message
    assert Session.objects.get(pk=three_seats_held.pk).capacity == 5
    session, _warnings = session_update(session_id=three_seats_held.pk, capacity=3, now=NOW)
    assert session.capacity == 3


def test_the_api_and_the_settings_page_refuse_it_on_the_capacity_field(
    three_seats_held, coordinator, client_for, client
):
    api = client_for(coordinator)
    url = reverse("api:scheduling:session-detail", args=[three_seats_held.pk])
    response = api.patch(url, {"capacity": 1}, format="json")
    assert response.status_code == 400
    assert response.json()["fields"]["capacity"] == ["At least 3 (the seats held)."]

    client.force_login(coordinator, backend="tms.backends.UserWithProfilesBackend")
    page = client.post(
        reverse("scheduling:session-edit", args=[three_seats_held.pk]),
        {"capacity": "2", "min_attendees": "0", "notes": ""},
    )
    assert page.status_code == 400
    assert "At least 3 (the seats held)." in page.content.decode()
    assert Session.objects.get(pk=three_seats_held.pk).capacity == 5


def test_no_path_lowers_it_below_the_seats_held_not_even_raw_sql(three_seats_held):
    with pytest.raises(IntegrityError, match="below the 3 seats held"), transaction.atomic():
        Session.objects.filter(pk=three_seats_held.pk).update(capacity=2)
    assert Session.objects.get(pk=three_seats_held.pk).capacity == 5


def test_a_session_cancelled_by_a_bulk_update_still_cancels_its_registrations(
    three_seats_held,
):
    """Not through the service: the database does it in the same statement's transaction."""
    Session.objects.filter(pk=three_seats_held.pk).update(
        status=SessionStatus.CANCELLED, cancellation_reason="Venue flooded"
    )
    statuses = set(
        Registration.objects.filter(session=three_seats_held).values_list("status", flat=True)
    )
    assert statuses == {RegistrationStatus.CANCELLED}
    mails = OutboxMessage.objects.filter(template="registration_cancelled")
    assert mails.count() == 3
    assert all(m.context["calendar_cancel"] for m in mails)


def test_an_outcome_keeps_the_seat_held_and_counted(published, learner, learners):
    """Recording what came of attending (the outcome state machine) leaves enrolment alone:
    the seat stays held, counted, and in the learner's clash check."""
    session = published(capacity=2)
    seat = registration_create(session_id=session.pk, learner=learner, now=NOW)
    after = at("2030-03-04", "13:00")
    completion_record(
        registration_id=seat.registration_id,
        status=CompletionStatus.COMPLETED,
        recorded_by=None,
        now=after,
    )
    assert Registration.objects.get(pk=seat.registration_id).status == "confirmed"
    assert seats_for(session).taken == 1
    assert free_seats(session.pk) == 1
    overlapping = published(
        rooms=[factories.RoomFactory()],
        instructors=[factories.InstructorFactory()],
        blocks=[(at("2030-03-04", "10:00"), at("2030-03-04", "11:00"))],
    )
    from tms.exceptions import ScheduleClash

    with pytest.raises(ScheduleClash):
        registration_create(session_id=overlapping.pk, learner=learner, now=NOW)


def test_an_outcome_needs_a_confirmed_seat_in_an_ended_session(published, learner):
    from tms.exceptions import InvalidTransition

    session = published()
    seat = registration_create(session_id=session.pk, learner=learner, now=NOW)
    with pytest.raises(InvalidTransition, match="not ended"):
        completion_record(
            registration_id=seat.registration_id,
            status=CompletionStatus.COMPLETED,
            recorded_by=None,
            now=NOW,
        )


def test_a_completed_prerequisite_course_opens_the_next(schedule, learner, course):
    """A recorded completion of a prerequisite counts (it is the only thing that does)."""
    earlier = schedule(status="scheduled")
    seat = registration_create(session_id=earlier.pk, learner=learner, now=NOW)
    advanced = factories.CourseFactory(code="SAFE-201")
    advanced.prerequisites.add(course)
    later = schedule(
        status="scheduled",
        the_course=advanced,
        rooms=[factories.RoomFactory()],
        instructors=[factories.InstructorFactory()],
        blocks=[(at("2030-03-08", "09:00"), at("2030-03-08", "12:00"))],
    )
    completion_record(
        registration_id=seat.registration_id,
        status=CompletionStatus.COMPLETED,
        recorded_by=None,
        now=at("2030-03-04", "13:00"),
    )
    assert registration_create(session_id=later.pk, learner=learner, now=NOW).confirmed


def test_enrolment_statuses_are_the_only_statuses_a_registration_can_have(published, learner):
    seat = registration_create(session_id=published().pk, learner=learner, now=NOW)
    with pytest.raises(IntegrityError), transaction.atomic():
        Registration.objects.filter(pk=seat.registration_id).update(status="attended")


def test_the_installed_functions_are_their_files_with_the_enum_literals():
    """What runs in the database is the file a reader finds, and the seat rule in it is the
    Python enum's: one place to change."""
    functions = registered()
    assert {f.name for f in functions} >= {
        "attendance_take_seat",
        "attendance_free_seats",
        "attendance_queue",
        "notifications_enqueue",
        "scheduling_seat_limit",
    }
    with connection.cursor() as cursor:
        for function in functions:
            rendered = function.render()
            assert "{{" not in rendered
            cursor.execute("SELECT prosrc FROM pg_proc WHERE proname = %s", [function.name])
            (installed,) = cursor.fetchone()
            assert installed.strip() in rendered, function.name
    free_seats_sql = next(f for f in functions if f.name == "attendance_free_seats").render()
    assert f"r.status IN {sql_list(SEAT_HOLDING)}" in free_seats_sql
    assert sql_list(SEAT_HOLDING) == "('confirmed', 'offered')"


@pytest.mark.parametrize("hours_before", [48])
def test_cancelling_someone_elses_place_needs_a_reason_in_the_service(
    published, learner, coordinator, hours_before
):
    session = published()
    seat = registration_create(session_id=session.pk, learner=learner, now=NOW)
    when = session.starts_at - dt.timedelta(hours=hours_before)
    with pytest.raises(RuleViolation) as refused:
        registration_cancel(
            registration_id=seat.registration_id, cancelled_by=coordinator, reason=" ", now=when
        )
    assert "reason" in refused.value.fields
    registration_cancel(
        registration_id=seat.registration_id, cancelled_by=learner, reason="", now=when
    )


def test_session_transition_to_cancelled_needs_no_sweep(three_seats_held):
    session_transition(
        session_id=three_seats_held.pk, to_status=SessionStatus.CANCELLED, reason="Trainer ill"
    )
    held = Registration.objects.filter(session=three_seats_held, status__in=SEAT_HOLDING)
    assert not held.exists()
