"""Changing a saved session's settings (capacity, registration window, notes, features): only
what changed is checked again, and a session that is over or cancelled stays as it was."""

from __future__ import annotations

import datetime as dt

import pytest

from scheduling.models import SessionStatus
from scheduling.services import session_transition, session_update
from tests.conftest import NOW, at
from tms.exceptions import InvalidTransition, RuleViolation

pytestmark = pytest.mark.django_db

OPENS, CLOSES = at("2030-02-01", "08:00"), at("2030-03-03", "18:00")


def test_the_registration_window_can_be_cleared_and_is_kept_when_not_mentioned(schedule):
    session = schedule()
    session_update(
        session_id=session.pk, registration_opens_at=OPENS, registration_closes_at=CLOSES, now=NOW
    )

    session_update(session_id=session.pk, notes="Bring boots", now=NOW)
    session.refresh_from_db()
    assert (session.registration_opens_at, session.registration_closes_at) == (OPENS, CLOSES)

    session_update(
        session_id=session.pk, registration_opens_at=None, registration_closes_at=None, now=NOW
    )
    session.refresh_from_db()
    assert (session.registration_opens_at, session.registration_closes_at) == (None, None)
    assert session.notes == "Bring boots"


def _retire_course(session, room) -> None:  # type: ignore[no-untyped-def]
    session.course.active = False
    session.course.save()


def _course_drops_the_mode(session, room) -> None:  # type: ignore[no-untyped-def]
    session.course.delivery_modes = ["vilt"]
    session.course.save()


def _room_no_longer_bookable(session, room) -> None:  # type: ignore[no-untyped-def]
    room.bookable = False
    room.save()


@pytest.mark.parametrize(
    "change_afterwards", [_retire_course, _course_drops_the_mode, _room_no_longer_bookable]
)
def test_a_notes_only_edit_is_allowed_after_the_course_or_room_changed(
    schedule, room, change_afterwards
):
    """New-session rules (course active and offered so, room bookable) guard what a change
    books; a note books nothing."""
    session = schedule()
    change_afterwards(session, room)

    _session, warnings = session_update(
        session_id=session.pk, notes="Park behind the hall", now=NOW
    )

    session.refresh_from_db()
    assert session.notes == "Park behind the hall"
    assert warnings == []


def test_a_larger_capacity_of_a_retired_course_is_checked_against_its_room_only(schedule, room):
    session = schedule(capacity=12)
    _retire_course(session, room)

    with pytest.raises(RuleViolation) as refused:
        session_update(session_id=session.pk, capacity=room.capacity + 1, now=NOW)
    assert list(refused.value.fields) == ["blocks[0].room"]

    session_update(session_id=session.pk, capacity=room.capacity, now=NOW)
    session.refresh_from_db()
    assert session.capacity == room.capacity


def test_a_completed_session_cannot_be_edited(schedule):
    session = schedule()
    session_transition(session_id=session.pk, to_status=SessionStatus.SCHEDULED, now=NOW)
    after = session.ends_at + dt.timedelta(hours=1)
    session_transition(session_id=session.pk, to_status=SessionStatus.COMPLETED, now=after)

    with pytest.raises(InvalidTransition, match="completed session cannot be edited"):
        session_update(session_id=session.pk, notes="Rewritten history", now=after)

    session.refresh_from_db()
    assert session.notes == ""
