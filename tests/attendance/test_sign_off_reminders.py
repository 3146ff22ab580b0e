"""The sign-off reminder: the lead instructor and the coordinators hear once per session,
N hours after its end, while the attendance is not signed off; in their zone, named."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.test import override_settings

from attendance.models import AttendanceSource, AttendanceStatus
from attendance.services.marking import Mark, attendance_mark
from attendance.services.registration import registration_create
from attendance.services.sign_off import attendance_sign_off
from attendance.services.sign_off_reminders import sign_off_reminders_enqueue
from notifications.models import MessageStatus, OutboxMessage
from notifications.services import outbox_dispatch
from tests import factories
from tests.conftest import NOW, at
from tms.services import profile_set_time_zone

pytestmark = pytest.mark.django_db

ENDED = at("2030-03-04", "12:00")  # the end of `schedule`'s default block


@pytest.fixture
def held(schedule: Any, learner: Any) -> Any:
    session = schedule(status="scheduled")
    registration_create(session_id=session.pk, learner=learner, now=NOW)
    OutboxMessage.objects.all().delete()
    return session


def reminders() -> list[OutboxMessage]:
    return list(OutboxMessage.objects.filter(template="attendance_sign_off_due").order_by("pk"))


def test_the_lead_and_coordinators_are_reminded_once_after_the_hours_have_passed(
    held, instructor, coordinator
):
    factories.UserFactory(username="retired", role="Coordinator", is_active=False)
    assert sign_off_reminders_enqueue(now=at("2030-03-05", "11:59")) == 0  # 23:59 h after
    assert sign_off_reminders_enqueue(now=at("2030-03-05", "12:00")) == 2
    assert sign_off_reminders_enqueue(now=at("2030-03-05", "18:00")) == 0  # once per recipient
    assert {m.recipient_id for m in reminders()} == {instructor.user.pk, coordinator.pk}
    assert {m.event_key for m in reminders()} == {
        f"attendance.sign_off_due:{held.pk}:{instructor.user.pk}",
        f"attendance.sign_off_due:{held.pk}:{coordinator.pk}",
    }


@override_settings(ATTENDANCE_REMINDER_HOURS=2)
def test_the_hours_come_from_the_setting(held, coordinator):
    assert sign_off_reminders_enqueue(now=at("2030-03-04", "13:59")) == 0
    assert sign_off_reminders_enqueue(now=at("2030-03-04", "14:00")) == 2


def test_a_signed_off_session_is_not_reminded_and_a_queued_reminder_is_skipped(
    held, instructor, learner, coordinator
):
    assert sign_off_reminders_enqueue(now=at("2030-03-05", "13:00")) == 2
    registration = held.registrations.get(learner=learner)
    attendance_mark(
        registration=registration,
        block=held.blocks.get(),
        mark=Mark(AttendanceStatus.PRESENT),
        source=AttendanceSource.ROSTER,
        recorded_by=None,
        now=ENDED,
    )
    attendance_sign_off(session_id=held.pk, by=instructor.user, now=at("2030-03-05", "13:30"))
    outbox_dispatch(now=at("2030-03-05", "13:31"))
    assert mail.outbox == []
    assert {m.status for m in reminders()} == {MessageStatus.SKIPPED}
    OutboxMessage.objects.all().delete()
    assert sign_off_reminders_enqueue(now=at("2030-03-05", "14:00")) == 0


def test_a_session_without_confirmed_learners_is_not_reminded(schedule):
    schedule(status="scheduled")  # nobody registered
    assert sign_off_reminders_enqueue(now=at("2030-03-05", "13:00")) == 0


def test_a_long_past_session_is_not_reminded(held):
    assert sign_off_reminders_enqueue(now=at("2030-04-01", "13:00")) == 0


def test_the_email_names_the_session_and_its_end_in_the_readers_zone(held, coordinator):
    profile_set_time_zone(user=coordinator, time_zone="America/New_York")
    sign_off_reminders_enqueue(now=at("2030-03-05", "13:00"))
    outbox_dispatch(now=at("2030-03-05", "13:00"))
    to_coordinator = next(m for m in mail.outbox if m.to == [coordinator.email])
    # 12:00 in Paris is 06:00 in New York (EST), said so.
    assert "Attendance not signed off: SAFE-101 Workplace safety" in to_coordinator.subject
    assert "06:00 EST" in to_coordinator.subject
    assert "06:00 EST" in to_coordinator.body
    assert f"/sessions/{held.pk}/attendance/" in to_coordinator.body
    to_lead = next(m for m in mail.outbox if m.to != [coordinator.email])
    assert "12:00 CET" in to_lead.subject
    assert "a session you led" in to_lead.body


@pytest.fixture
def co_taught(schedule: Any, learner: Any, instructor: Any) -> dict[str, Any]:
    """A session led by `instructor` with two co-facilitators, one of them also a
    coordinator."""
    co = factories.InstructorFactory(user__username="co", user__email="co@example.org")
    both_user = factories.UserFactory(username="both", role="Coordinator")
    both = factories.InstructorFactory(user=both_user)
    session = schedule(status="scheduled", instructors=[instructor, co, both])
    registration_create(session_id=session.pk, learner=learner, now=NOW)
    OutboxMessage.objects.all().delete()
    return {"session": session, "co": co.user, "both": both_user}


DUE = at("2030-03-05", "13:00")


def test_every_instructor_and_every_coordinator_is_reminded_once(
    co_taught, instructor, coordinator
):
    assert sign_off_reminders_enqueue(now=DUE) == 4
    assert sign_off_reminders_enqueue(now=at("2030-03-05", "18:00")) == 0
    roles = {m.recipient_id: m.context["role"] for m in reminders()}
    assert roles == {
        instructor.user.pk: "lead",
        co_taught["co"].pk: "co_facilitator",
        co_taught["both"].pk: "co_facilitator",  # teaches it: hears once, as its instructor
        coordinator.pk: "coordinator",
    }
    assert len({m.address for m in reminders()}) == 4


def test_a_co_facilitator_is_told_they_may_take_it_and_the_lead_signs_off(co_taught):
    sign_off_reminders_enqueue(now=DUE)
    outbox_dispatch(now=DUE)
    to_co = next(m for m in mail.outbox if m.to == ["co@example.org"])
    assert "a session you co-facilitated" in to_co.body
    assert "the lead instructor (or a coordinator) signs it off" in to_co.body
    assert f"/sessions/{co_taught['session'].pk}/attendance/" in to_co.body


def test_nobody_without_an_email_address_gets_a_row_and_the_coordinators_still_hear(
    co_taught, instructor, coordinator
):
    instructor.user.email = ""
    instructor.user.save()
    co_taught["co"].email = "   "
    co_taught["co"].save()
    factories.UserFactory(username="no-mail", role="Coordinator", email="")

    assert sign_off_reminders_enqueue(now=DUE) == 2
    assert {m.recipient_id for m in reminders()} == {co_taught["both"].pk, coordinator.pk}
    assert all(m.address.strip() for m in reminders())
    outbox_dispatch(now=DUE)
    to_coordinator = next(m for m in mail.outbox if m.to == [coordinator.email])
    assert "its lead instructor could not be reminded (no email address)" in to_coordinator.body
    assert "has been reminded too" not in to_coordinator.body


def test_a_lead_with_an_email_is_named_as_reminded_in_the_coordinators_email(held, coordinator):
    sign_off_reminders_enqueue(now=DUE)
    outbox_dispatch(now=DUE)
    to_coordinator = next(m for m in mail.outbox if m.to == [coordinator.email])
    assert "the lead instructor has been reminded too" in to_coordinator.body
