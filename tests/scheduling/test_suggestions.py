"""The next free slots for a conflicting plan keep its local weekday and wall-clock time, are
really free (the planner's own check) and cost a bounded number of queries."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from scheduling.models import BlockStatus
from scheduling.services import Proposal, ProposedBlock, ProposedInstructor, evaluate
from scheduling.services.blocks import BlockChange, session_reschedule
from scheduling.services.suggestions import (
    HORIZON_WEEKS,
    block_move_suggestions,
    next_free_slots,
    plan_suggestions,
)
from tests import factories
from tests.conftest import NOW, at

pytestmark = pytest.mark.django_db
PARIS = zoneinfo.ZoneInfo("Europe/Paris")


def _proposal(course, instructor, room, blocks, capacity=10):
    return Proposal(
        course=course,
        delivery_mode="ilt",
        capacity=capacity,
        time_zone="Europe/Paris",
        blocks=[ProposedBlock(s, e, room, index=i) for i, (s, e) in enumerate(blocks)],
        instructors=[ProposedInstructor(instructor, "lead")],
    )


def test_suggestions_keep_weekday_and_wall_clock_across_the_spring_change(
    schedule, course, instructor, room
):
    # Mon 25 Mar 2030 is booked, and so is Mon 1 Apr (after the change on Sun 31 Mar).
    schedule([(at("2030-03-25", "09:00"), at("2030-03-25", "12:00"))])
    other_room = factories.RoomFactory(site=room.site, capacity=20)
    other = factories.InstructorFactory()
    schedule(
        [(at("2030-04-01", "08:00"), at("2030-04-01", "10:00"))],
        rooms=[room],
        instructors=[other],
    )
    proposal = _proposal(
        course, instructor, room, [(at("2030-03-25", "09:00"), at("2030-03-25", "12:00"))]
    )
    report = evaluate(proposal, now=NOW)
    assert {f.code for f in report.errors} == {"room_conflict", "instructor_conflict"}

    found = plan_suggestions(proposal, report, now=NOW, count=3)

    assert [s.weeks for s in found] == [2, 3, 4]  # 1 Apr is taken, so it is not offered
    for suggestion in found:
        (block,) = suggestion.blocks
        start, end = block.starts_at.astimezone(PARIS), block.ends_at.astimezone(PARIS)
        assert start.weekday() == 0
        assert f"{start:%H:%M}-{end:%H:%M}" == "09:00-12:00"
        assert block.starts_at.astimezone(dt.UTC).hour == 7  # CEST now: the instant moved
        assert evaluate(
            Proposal(**{**proposal.__dict__, "blocks": list(suggestion.blocks)}), now=NOW
        ).ok
    assert other_room  # a free room elsewhere is not suggested: the same room is kept


def test_a_multi_block_plan_moves_all_its_blocks_by_whole_weeks(schedule, course, instructor, room):
    schedule([(at("2030-03-05", "09:00"), at("2030-03-05", "12:00"))])
    days = [("2030-03-04", "13:00", "17:00"), ("2030-03-05", "09:00", "12:00")]
    proposal = _proposal(course, instructor, room, [(at(d, s), at(d, e)) for d, s, e in days])
    found = plan_suggestions(proposal, evaluate(proposal, now=NOW), now=NOW, count=1)
    (first,) = found
    assert [b.starts_at for b in first.blocks] == [
        at("2030-03-11", "13:00"),
        at("2030-03-12", "09:00"),
    ]


def test_a_conflict_that_another_week_cannot_cure_gets_no_suggestions(
    schedule, course, instructor, room
):
    schedule()
    proposal = _proposal(
        course,
        instructor,
        room,
        [(at("2030-03-04", "09:00"), at("2030-03-04", "12:00"))],
        capacity=500,  # too many for the room, every week
    )
    report = evaluate(proposal, now=NOW)
    with CaptureQueriesContext(connection) as queries:
        assert plan_suggestions(proposal, report, now=NOW) == []
    assert len(queries) == 0


def test_the_search_is_bounded_by_its_horizon(schedule, course, instructor, room):
    factories.QualificationFactory(instructor=instructor, course=course)
    factories.RoomClosureFactory(
        room=room, starts_at=at("2030-03-01", "00:00"), ends_at=at("2031-06-01", "00:00")
    )
    proposal = _proposal(
        course, instructor, room, [(at("2030-03-04", "09:00"), at("2030-03-04", "12:00"))]
    )
    with CaptureQueriesContext(connection) as one:
        evaluate(proposal, now=NOW)
    with CaptureQueriesContext(connection) as search:
        assert next_free_slots(proposal, now=NOW) == []
    assert len(search) == HORIZON_WEEKS * len(one)


def test_a_refused_block_move_gets_the_next_free_weeks_for_that_block(
    schedule, course, instructor, room
):
    mine = schedule([(at("2030-03-05", "09:00"), at("2030-03-05", "12:00"))])
    other = factories.InstructorFactory()
    schedule(
        [(at("2030-03-11", "09:00"), at("2030-03-11", "12:00"))],
        instructors=[other],
    )
    block = mine.blocks.get()
    change = BlockChange(
        block_id=block.pk, starts_at=at("2030-03-11", "10:00"), ends_at=at("2030-03-11", "12:00")
    )
    found = block_move_suggestions(session=mine, change=change, now=NOW, count=2)
    assert [s.blocks[0].starts_at for s in found] == [
        at("2030-03-18", "10:00"),
        at("2030-03-25", "10:00"),
    ]
    # Applying one through the service succeeds.
    chosen = found[0].blocks[0]
    session_reschedule(
        session_id=mine.pk,
        changes=[BlockChange(block.pk, chosen.starts_at, chosen.ends_at, room)],
        now=NOW,
    )
    block.refresh_from_db()
    assert block.starts_at == at("2030-03-18", "10:00")
    assert block.status == BlockStatus.ACTIVE
