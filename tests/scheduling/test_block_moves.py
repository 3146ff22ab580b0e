"""`session_block_move`: a block's new time/room and the session's instructors, changed
together in one transaction after one check; the instructors' invites follow, or nothing."""

from __future__ import annotations

import pytest

from notifications.models import OutboxMessage
from scheduling.models import AssignmentRole
from scheduling.services import BlockChange
from scheduling.services.block_moves import Staffing, session_block_move
from tests import factories
from tests.conftest import NOW, at
from tms.exceptions import ResourceConflict, RuleViolation

pytestmark = pytest.mark.django_db


@pytest.fixture
def co_teacher(course):
    person = factories.InstructorFactory(user__username="coteacher")
    factories.QualificationFactory(instructor=person, course=course)
    return person


def _invites(since: int = 0) -> list[tuple[str, str, str]]:
    rows = OutboxMessage.objects.filter(template__startswith="instructor_").order_by("pk")
    return [(m.address, m.template, m.context["reason"]) for m in rows][since:]


def _staff(session):
    return sorted((a.instructor_id, a.role) for a in session.assignments.all())


def _moved(block, day="2030-03-13"):
    return BlockChange(block.pk, at(day, "14:00"), at(day, "17:00"))


def _unmoved(block):
    return BlockChange(block.pk, block.starts_at, block.ends_at, block.room)


def test_lead_and_co_facilitator_swap_roles_in_place(schedule, instructor, co_teacher):
    session = schedule(instructors=[instructor, co_teacher])
    block = session.blocks.get()
    before = len(_invites())

    session_block_move(
        session_id=session.pk,
        change=_unmoved(block),
        staffing=Staffing(lead=co_teacher, co_facilitators=[instructor]),
        now=NOW,
    )

    assert _staff(session) == sorted(
        [(co_teacher.pk, AssignmentRole.LEAD), (instructor.pk, AssignmentRole.CO_FACILITATOR)]
    )
    session.refresh_from_db()
    assert session.schedule_version == 0  # nothing moved: no reschedule
    assert _invites(before) == []


def test_moving_and_removing_a_co_facilitator_cancels_theirs_and_reschedules_the_lead(
    schedule, instructor, co_teacher
):
    session = schedule(instructors=[instructor, co_teacher])
    block = session.blocks.get()
    before = len(_invites())

    session_block_move(
        session_id=session.pk,
        change=_moved(block),
        staffing=Staffing(lead=instructor),
        now=NOW,
    )

    assert _staff(session) == [(instructor.pk, AssignmentRole.LEAD)]
    assert _invites(before) == [
        (co_teacher.user.email, "instructor_cancel", "removed"),
        (instructor.user.email, "instructor_invite", "rescheduled"),
    ]
    session.refresh_from_db()
    assert session.schedule_version == 1
    assert session.starts_at == at("2030-03-13", "14:00")
    # The removed one holds no booking any more; the lead is booked at the new time.
    assert not co_teacher.bookings.exists()
    assert list(instructor.bookings.values_list("block_id", flat=True)) == [block.pk]


def test_a_conflict_of_the_new_instructor_changes_nothing_and_queues_nothing(
    schedule, instructor, co_teacher, room
):
    session = schedule(instructors=[instructor])
    block = session.blocks.get()
    schedule(
        [(at("2030-03-13", "15:00"), at("2030-03-13", "16:00"))],
        instructors=[co_teacher],
        rooms=[factories.RoomFactory(site=room.site)],
    )
    before = len(_invites())

    with pytest.raises(ResourceConflict):
        session_block_move(
            session_id=session.pk,
            change=_moved(block),
            staffing=Staffing(lead=co_teacher),
            now=NOW,
        )

    block.refresh_from_db()
    assert block.starts_at == at("2030-03-04", "09:00")
    assert _staff(session) == [(instructor.pk, AssignmentRole.LEAD)]
    assert _invites(before) == []


def test_an_unqualified_replacement_is_refused_by_the_planner(schedule, instructor):
    session = schedule(instructors=[instructor])
    stranger = factories.InstructorFactory()

    with pytest.raises(RuleViolation, match="not qualified"):
        session_block_move(
            session_id=session.pk,
            change=_unmoved(session.blocks.get()),
            staffing=Staffing(lead=stranger),
            now=NOW,
        )
    assert _staff(session) == [(instructor.pk, AssignmentRole.LEAD)]


def test_the_lead_cannot_also_be_a_co_facilitator(schedule, instructor):
    session = schedule(instructors=[instructor])
    with pytest.raises(RuleViolation, match="already assigned"):
        session_block_move(
            session_id=session.pk,
            change=_unmoved(session.blocks.get()),
            staffing=Staffing(lead=instructor, co_facilitators=[instructor]),
            now=NOW,
        )
