"""Copying a session: same course and settings, blocks shifted to a new first day with the same
wall-clock times (across a clock change), room and instructors kept where free."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

from scheduling.models import Session, SessionStatus
from scheduling.services.copying import session_copy, session_copy_plan
from tests import factories
from tests.conftest import NOW, at

pytestmark = pytest.mark.django_db
PARIS = zoneinfo.ZoneInfo("Europe/Paris")


def _source(session: Session) -> Session:
    return Session.objects.prefetch_related("blocks__room__site", "assignments__instructor").get(
        pk=session.pk
    )


def test_copy_across_a_clock_change_keeps_wall_times_and_weekday_gaps(schedule, room, instructor):
    # Monday and Wednesday before Paris moves to summer time (31 March 2030).
    source = schedule(
        [
            (at("2030-03-25", "09:00"), at("2030-03-25", "12:30")),
            (at("2030-03-27", "14:00"), at("2030-03-27", "17:00")),
        ],
        capacity=9,
    )

    plan = session_copy_plan(source=_source(source), first_day=dt.date(2030, 4, 1), now=NOW)
    copy, _warnings = session_copy(plan=plan, now=NOW)

    blocks = list(copy.blocks.order_by("starts_at"))
    local = [(b.starts_at.astimezone(PARIS), b.ends_at.astimezone(PARIS)) for b in blocks]
    assert [(s.date().isoformat(), f"{s:%H:%M}", f"{e:%H:%M}") for s, e in local] == [
        ("2030-04-01", "09:00", "12:30"),
        ("2030-04-03", "14:00", "17:00"),
    ]
    # The instants moved by a whole week minus the hour the clocks skipped.
    assert blocks[0].starts_at - source.blocks.order_by("starts_at")[0].starts_at == dt.timedelta(
        days=7, hours=-1
    )
    assert copy.status == SessionStatus.DRAFT
    assert (copy.course_id, copy.capacity, copy.time_zone) == (
        source.course_id,
        9,
        source.time_zone,
    )
    assert [b.room_id for b in blocks] == [room.pk, room.pk]
    assert [a.instructor_id for a in copy.assignments.all()] == [instructor.pk]


def test_a_taken_room_is_left_empty_with_the_reason(schedule, room, instructor):
    source = schedule([(at("2030-03-04", "09:00"), at("2030-03-04", "12:00"))])
    rival = schedule(
        [(at("2030-03-11", "10:00"), at("2030-03-11", "11:00"))],
        instructors=[factories.InstructorFactory()],
    )

    plan = session_copy_plan(source=_source(source), first_day=dt.date(2030, 3, 11), now=NOW)

    assert [b.room for b in plan.blocks] == [None]
    assert not plan.complete
    assert len(plan.dropped) == 1
    assert f"already booked by session #{rival.pk}" in plan.dropped[0]
    # The instructor was free: kept.
    assert [p.instructor for p in plan.instructors] == [instructor]


def test_a_busy_instructor_is_left_out_with_the_reason(schedule, room, instructor):
    source = schedule([(at("2030-03-04", "09:00"), at("2030-03-04", "12:00"))])
    rival = schedule(
        [(at("2030-03-11", "10:00"), at("2030-03-11", "11:00"))],
        rooms=[factories.RoomFactory()],
    )

    plan = session_copy_plan(source=_source(source), first_day=dt.date(2030, 3, 11), now=NOW)
    copy, _warnings = session_copy(plan=plan, now=NOW)

    assert plan.instructors == []
    assert f"already booked by session #{rival.pk}" in plan.dropped[0]
    assert copy.assignments.count() == 0
    assert copy.blocks.get().room == room


def test_a_copy_into_the_past_is_refused(schedule):
    from tms.exceptions import RuleViolation

    source = schedule()
    with pytest.raises(RuleViolation) as refused:
        session_copy_plan(source=_source(source), first_day=dt.date(2030, 2, 1), now=NOW)
    assert "first_day" in refused.value.fields


def test_a_video_call_keeps_its_host_account_where_free_and_drops_it_where_taken(
    schedule, host_account
):
    def call(day: str) -> Session:
        return schedule(
            [(at(day, "09:00"), at(day, "12:00"))],
            mode="vilt",
            host_account=host_account,
            instructors=[factories.InstructorFactory()],
        )

    source = call("2030-03-04")
    rival = call("2030-03-11")

    free = session_copy_plan(source=_source(source), first_day=dt.date(2030, 3, 18), now=NOW)
    taken = session_copy_plan(source=_source(source), first_day=dt.date(2030, 3, 11), now=NOW)

    assert free.host_account == host_account
    assert free.complete
    assert taken.host_account is None
    assert not taken.complete
    assert f"session #{rival.pk}" in " ".join(taken.dropped)


def test_the_registration_window_moves_with_the_blocks(schedule):
    from scheduling.services import session_update

    source = schedule([(at("2030-03-25", "09:00"), at("2030-03-25", "12:00"))])
    session_update(
        session_id=source.pk,
        registration_opens_at=at("2030-03-18", "08:00"),
        registration_closes_at=at("2030-03-24", "18:00"),
        now=NOW,
    )

    plan = session_copy_plan(source=_source(source), first_day=dt.date(2030, 4, 1), now=NOW)
    copy, _warnings = session_copy(plan=plan, now=NOW)

    assert copy.registration_opens_at == at("2030-03-25", "08:00")
    # Summer time by then: the same wall time, an hour earlier in UTC.
    assert copy.registration_closes_at == at("2030-03-31", "18:00")
    assert copy.registration_closes_at.astimezone(PARIS).hour == 18
