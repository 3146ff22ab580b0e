"""`waitlist_promote_chosen`: a coordinator's chosen learner gets a free seat through the seat
door, or a clear refusal with nothing written."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from attendance.models import RegistrationStatus, WaitlistPromotion
from attendance.services.chosen_promotion import NoSeatFree, waitlist_promote_chosen
from attendance.services.registration import registration_create
from notifications.models import OutboxMessage
from scheduling.models import Session
from tests import factories
from tests.conftest import NOW, at, position_of
from tms.exceptions import InvalidTransition, RuleViolation, ScheduleClash

pytestmark = pytest.mark.django_db


@pytest.fixture
def line(schedule: Any, learners: Any) -> tuple[Session, list[Any]]:
    """One seat held, three waiting; then a second seat nobody has been given yet."""
    session = schedule(status="scheduled", capacity=1)
    rows = [
        registration_create(session_id=session.pk, learner=p, now=NOW).row() for p in learners(4)
    ]
    Session.objects.filter(pk=session.pk).update(capacity=2)
    return session, rows


def test_one_free_seat_goes_to_one_chosen_learner_only(line, coordinator):
    _session, (_seated, first, second, third) = line
    waitlist_promote_chosen(
        registration_id=third.pk, promoted_by=coordinator, reason="Deadline", now=NOW
    )
    with pytest.raises(NoSeatFree):
        waitlist_promote_chosen(
            registration_id=second.pk, promoted_by=coordinator, reason="Also", now=NOW
        )
    second.refresh_from_db()
    assert second.status == RegistrationStatus.WAITLISTED
    assert [position_of(first), position_of(second)] == [1, 2]
    assert WaitlistPromotion.objects.count() == 1


def test_a_learner_holding_a_clashing_seat_is_refused_and_keeps_their_place(
    line, coordinator, schedule
):
    _session, (_seated, _first, second, _third) = line
    same_time = schedule(
        [(at("2030-03-04", "10:00"), at("2030-03-04", "11:00"))],
        the_course=factories.CourseFactory(),
        rooms=[factories.RoomFactory()],
        instructors=[factories.InstructorFactory()],
        status="scheduled",
    )
    registration_create(session_id=same_time.pk, learner=second.learner, now=NOW)

    with pytest.raises(ScheduleClash) as refused:
        waitlist_promote_chosen(
            registration_id=second.pk, promoted_by=coordinator, reason="Because", now=NOW
        )

    assert f"session #{same_time.pk}" in refused.value.message
    second.refresh_from_db()
    assert second.status == RegistrationStatus.WAITLISTED
    assert not WaitlistPromotion.objects.exists()
    assert not OutboxMessage.objects.filter(template="registration_promoted").exists()


def test_only_a_waitlisted_learner_can_be_chosen(line, coordinator):
    _session, (seated, *_rest) = line
    with pytest.raises(InvalidTransition):
        waitlist_promote_chosen(
            registration_id=seated.pk, promoted_by=coordinator, reason="Twice", now=NOW
        )


def test_no_choice_after_the_promotion_cut_off(line, coordinator):
    session, (_seated, first, *_rest) = line
    late = session.starts_at - dt.timedelta(hours=session.promotion_cutoff_hours, minutes=-1)
    with pytest.raises(InvalidTransition, match="too close to the start"):
        waitlist_promote_chosen(
            registration_id=first.pk, promoted_by=coordinator, reason="Late", now=late
        )
    first.refresh_from_db()
    assert first.status == RegistrationStatus.WAITLISTED


def test_a_blank_reason_is_refused_before_anything_is_locked(line, coordinator):
    _session, (_seated, first, *_rest) = line
    with pytest.raises(RuleViolation) as refused:
        waitlist_promote_chosen(
            registration_id=first.pk, promoted_by=coordinator, reason=" \n ", now=NOW
        )
    assert refused.value.fields == {"reason": ["Required."]}
