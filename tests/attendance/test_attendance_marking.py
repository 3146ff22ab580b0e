"""Attendance per block: the marking door's rules, the completion rules, sign-off, late edits
with their reason, and prerequisites met by a signed-off completion."""

from __future__ import annotations

from typing import Any

import pytest

from attendance.models import (
    AttendanceRecord,
    AttendanceSignOff,
    AttendanceSource,
    AttendanceStatus,
    Completion,
    CompletionStatus,
    Registration,
)
from attendance.prerequisites import missing_prerequisites
from attendance.services.completion_rules import Attended, BlockLength, completion_status
from attendance.services.marking import (
    Mark,
    attendance_mark,
    attendance_mark_all_present,
    attendance_mark_outcome,
)
from attendance.services.registration import registration_create
from attendance.services.sign_off import AttendanceIncomplete, attendance_sign_off
from scheduling.models import CompletionRule, Session, SessionStatus
from scheduling.services import session_transition
from scheduling.services.blocks import block_cancel
from tests import factories
from tests.conftest import NOW, at
from tms.exceptions import InvalidTransition, RuleViolation

pytestmark = pytest.mark.django_db

AFTER = at("2030-03-05", "13:00")  # both blocks of `two_days` are over
PRESENT, LATE, LEFT, ABSENT, EXCUSED = (
    AttendanceStatus.PRESENT,
    AttendanceStatus.LATE,
    AttendanceStatus.LEFT_EARLY,
    AttendanceStatus.ABSENT,
    AttendanceStatus.EXCUSED,
)


@pytest.fixture
def two_days(schedule: Any) -> Session:
    """Scheduled, two 3-hour blocks (4 and 5 March 2030, 09:00-12:00 Paris), `instructor`
    leading."""
    return schedule(
        [
            (at("2030-03-04", "09:00"), at("2030-03-04", "12:00")),
            (at("2030-03-05", "09:00"), at("2030-03-05", "12:00")),
        ],
        status="scheduled",
    )


@pytest.fixture
def seated(two_days: Session) -> Any:
    """seated("Ada") → a confirmed registration in `two_days` of a new learner named so."""

    def make(first_name: str) -> Registration:
        learner = factories.UserFactory(first_name=first_name, last_name="Test", role="Learner")
        return registration_create(session_id=two_days.pk, learner=learner, now=NOW).row()

    return make


def blocks_of(session: Session) -> list[Any]:
    return list(session.blocks.order_by("starts_at"))


def mark(registration: Registration, block: Any, status: str, **kwargs: Any) -> AttendanceRecord:
    minutes = kwargs.pop("minutes", None)
    return attendance_mark(
        registration=registration,
        block=block,
        mark=Mark(status, minutes, kwargs.pop("notes", "")),
        source=AttendanceSource.ROSTER,
        recorded_by=kwargs.pop("by", None),
        now=kwargs.pop("now", AFTER),
        **kwargs,
    )


def lead_of(session: Session) -> Any:
    return session.assignments.get(role="lead").instructor.user


# --- The marking door -----------------------------------------------------------------------


def test_a_mark_is_recorded_once_per_learner_and_block_and_a_repeat_writes_nothing(
    two_days, seated
):
    ada = seated("Ada")
    first, _second = blocks_of(two_days)
    record = mark(ada, first, LATE, minutes=150, notes="Train delayed")
    again = attendance_mark_outcome(
        registration=ada,
        block=first,
        mark=Mark(LATE, 150, "Train delayed"),
        source=AttendanceSource.ROSTER,
        recorded_by=None,
        now=AFTER,
    )
    assert again.written is False
    assert again.record.pk == record.pk
    assert AttendanceRecord.objects.get().status == LATE
    mark(ada, first, PRESENT)
    assert AttendanceRecord.objects.get().status == PRESENT
    assert Registration.objects.get(pk=ada.pk).status == "confirmed"  # never frees a seat


def test_only_a_confirmed_seat_of_the_blocks_own_session_is_marked(
    two_days, seated, schedule, learners
):
    ada = seated("Ada")
    other = schedule(
        [(at("2030-03-08", "09:00"), at("2030-03-08", "12:00"))],
        status="scheduled",
        rooms=[factories.RoomFactory()],
        instructors=[factories.InstructorFactory()],
    )
    with pytest.raises(RuleViolation, match="another session"):
        mark(ada, other.blocks.get(), PRESENT)
    full = schedule(
        [(at("2030-03-09", "09:00"), at("2030-03-09", "12:00"))],
        status="scheduled",
        capacity=1,
        rooms=[factories.RoomFactory()],
        instructors=[factories.InstructorFactory()],
    )
    first, waiting = learners(2)
    registration_create(session_id=full.pk, learner=first, now=NOW)
    line = registration_create(session_id=full.pk, learner=waiting, now=NOW).row()
    with pytest.raises(InvalidTransition, match="confirmed seat"):
        mark(line, full.blocks.get(), PRESENT)
    assert AttendanceRecord.objects.count() == 0


def test_a_cancelled_block_and_minutes_beyond_the_block_are_refused(two_days, seated):
    ada = seated("Ada")
    first, second = blocks_of(two_days)
    with pytest.raises(RuleViolation) as too_long:
        mark(ada, first, PRESENT, minutes=181)
    assert "minutes_attended" in too_long.value.fields
    with pytest.raises(RuleViolation) as unknown:
        mark(ada, first, "asleep")
    assert "status" in unknown.value.fields
    block_cancel(session_id=two_days.pk, block_id=second.pk, reason="Snow")
    second.refresh_from_db()
    with pytest.raises(InvalidTransition, match="cancelled"):
        mark(ada, second, PRESENT)
    assert mark(ada, first, PRESENT, minutes=180).minutes_attended == 180


def test_all_present_marks_only_those_not_yet_marked(two_days, seated):
    ada, bob, cleo = seated("Ada"), seated("Bob"), seated("Cleo")
    first, _ = blocks_of(two_days)
    mark(bob, first, ABSENT)
    done = attendance_mark_all_present(block=first, recorded_by=None, now=AFTER)
    assert sorted(m.record.registration_id for m in done) == sorted([ada.pk, cleo.pk])
    statuses = dict(AttendanceRecord.objects.values_list("registration_id", "status"))
    assert statuses == {ada.pk: PRESENT, bob.pk: ABSENT, cleo.pk: PRESENT}
    assert attendance_mark_all_present(block=first, recorded_by=None, now=AFTER) == []


# --- Completion rules --------------------------------------------------------------------


THREE_HOURS = [BlockLength(1, 180), BlockLength(2, 180)]


@pytest.mark.parametrize(
    ("records", "expected"),
    [
        ({1: Attended(PRESENT), 2: Attended(PRESENT)}, "completed"),
        ({1: Attended(LATE), 2: Attended(LEFT)}, "completed"),  # late and left early attend
        ({1: Attended(PRESENT), 2: Attended(ABSENT)}, "not_completed"),
        ({1: Attended(PRESENT), 2: Attended(EXCUSED)}, "not_completed"),
        ({1: Attended(PRESENT)}, "not_completed"),  # no record is not attending
    ],
)
def test_every_block_rule_needs_an_attended_record_in_each_block(records, expected):
    assert (
        completion_status(
            rule=CompletionRule.EVERY_BLOCK, percent=90, blocks=THREE_HOURS, records=records
        )
        == expected
    )


@pytest.mark.parametrize(
    ("records", "expected"),
    [
        # 90 % of 360 minutes is 324.
        ({1: Attended(PRESENT), 2: Attended(LEFT, 144)}, "completed"),  # 180 + 144 = 324
        ({1: Attended(PRESENT), 2: Attended(LEFT, 143)}, "not_completed"),  # 323
        ({1: Attended(LATE, 170), 2: Attended(PRESENT, 160)}, "completed"),  # 330
        ({1: Attended(PRESENT), 2: Attended(ABSENT, 170)}, "not_completed"),  # absent counts 0
        ({1: Attended(PRESENT)}, "not_completed"),
        ({1: Attended(PRESENT), 2: Attended(PRESENT)}, "completed"),  # no minutes: whole block
        # Late or left early without minutes is not the whole block (sign-off asks for them).
        ({1: Attended(PRESENT), 2: Attended(LATE)}, "not_completed"),
        ({1: Attended(LEFT), 2: Attended(PRESENT)}, "not_completed"),
    ],
)
def test_minutes_rule_counts_minutes_attended_against_the_share_of_all_blocks(records, expected):
    assert (
        completion_status(
            rule=CompletionRule.MINUTES, percent=90, blocks=THREE_HOURS, records=records
        )
        == expected
    )


# --- Sign-off ------------------------------------------------------------------------------


def test_sign_off_derives_a_completion_per_confirmed_learner_and_returns_them(two_days, seated):
    ada, bob = seated("Ada"), seated("Bob")
    first, second = blocks_of(two_days)
    for block in (first, second):
        mark(ada, block, PRESENT)
    mark(bob, first, PRESENT)
    mark(bob, second, ABSENT)
    done = attendance_sign_off(session_id=two_days.pk, by=lead_of(two_days), now=AFTER)
    assert {(c.registration_id, c.before, c.after) for c in done.completions} == {
        (ada.pk, None, CompletionStatus.COMPLETED),
        (bob.pk, None, CompletionStatus.NOT_COMPLETED),
    }
    assert dict(Completion.objects.values_list("registration_id", "status")) == {
        ada.pk: "completed",
        bob.pk: "not_completed",
    }
    assert done.sign_off.signed_off_by == lead_of(two_days)
    with pytest.raises(InvalidTransition, match="already signed off"):
        attendance_sign_off(session_id=two_days.pk, by=lead_of(two_days), now=AFTER)


def test_sign_off_follows_the_courses_minutes_rule(two_days, seated, course):
    course.completion_rule = CompletionRule.MINUTES
    course.completion_percent = 75
    course.save()
    ada, bob = seated("Ada"), seated("Bob")
    first, second = blocks_of(two_days)
    mark(ada, first, PRESENT)
    mark(ada, second, LEFT, minutes=90)  # 270 of 360 = 75 %
    mark(bob, first, PRESENT)
    mark(bob, second, LEFT, minutes=89)
    done = attendance_sign_off(session_id=two_days.pk, by=lead_of(two_days), now=AFTER)
    assert {c.registration_id: c.after for c in done.completions} == {
        ada.pk: "completed",
        bob.pk: "not_completed",
    }


def test_under_the_minutes_rule_sign_off_names_late_marks_without_minutes_until_they_have_them(
    two_days, seated, course
):
    course.completion_rule = CompletionRule.MINUTES
    course.completion_percent = 90
    course.save()
    ada, bob, cleo = seated("Ada"), seated("Bob"), seated("Cleo")
    first, second = blocks_of(two_days)
    for block in (first, second):
        mark(ada, block, PRESENT)
    mark(bob, first, PRESENT)
    mark(bob, second, LATE)  # came late: how late is what the rule needs
    mark(cleo, first, LEFT)
    mark(cleo, second, PRESENT)
    # Counting everyone unmarked absent does not help: nobody is unmarked.
    with pytest.raises(AttendanceIncomplete, match="Cleo Test, Bob Test") as refused:
        attendance_sign_off(
            session_id=two_days.pk, by=lead_of(two_days), now=AFTER, absent_unmarked=True
        )
    assert refused.value.status_code == 409
    assert "minutes_attended" in refused.value.fields
    assert refused.value.extra["unmarked"] == []
    assert refused.value.extra["minutes_missing"] == [
        {"registration_id": cleo.pk, "learner_id": cleo.learner_id, "block_id": first.pk},
        {"registration_id": bob.pk, "learner_id": bob.learner_id, "block_id": second.pk},
    ]
    assert not AttendanceSignOff.objects.exists()
    assert not Completion.objects.exists()

    mark(bob, second, LATE, minutes=100)  # 280 of 360: short of 90 %
    mark(cleo, first, LEFT, minutes=170)  # 350 of 360
    done = attendance_sign_off(session_id=two_days.pk, by=lead_of(two_days), now=AFTER)
    assert {c.registration_id: c.after for c in done.completions} == {
        ada.pk: "completed",
        bob.pk: "not_completed",
        cleo.pk: "completed",
    }


def test_under_the_minutes_rule_unmarked_and_minutes_missing_are_named_together(
    two_days, seated, course
):
    course.completion_rule = CompletionRule.MINUTES
    course.save()
    ada, bob = seated("Ada"), seated("Bob")
    first, second = blocks_of(two_days)
    mark(ada, first, LATE)
    mark(ada, second, PRESENT)
    mark(bob, first, PRESENT)
    with pytest.raises(AttendanceIncomplete) as refused:
        attendance_sign_off(session_id=two_days.pk, by=lead_of(two_days), now=AFTER)
    message = refused.value.message
    assert "missing (Bob Test)" in message
    assert "need their minutes (Ada Test)" in message
    assert set(refused.value.fields) == {"absent_unmarked", "minutes_attended"}


def test_under_the_every_block_rule_late_and_left_early_without_minutes_attend(two_days, seated):
    ada = seated("Ada")
    first, second = blocks_of(two_days)
    mark(ada, first, LATE)
    mark(ada, second, LEFT)
    done = attendance_sign_off(session_id=two_days.pk, by=lead_of(two_days), now=AFTER)
    assert [c.after for c in done.completions] == ["completed"]


def test_sign_off_waits_for_every_block_to_end(two_days, seated):
    seated("Ada")
    with pytest.raises(InvalidTransition, match="every block has ended"):
        attendance_sign_off(
            session_id=two_days.pk, by=lead_of(two_days), now=at("2030-03-05", "11:59")
        )
    assert not AttendanceSignOff.objects.exists()


def test_unmarked_learners_are_named_and_sign_off_refused_unless_counted_absent(two_days, seated):
    ada, bob = seated("Ada"), seated("Bob")
    first, second = blocks_of(two_days)
    for block in (first, second):
        mark(ada, block, PRESENT)
    mark(bob, first, PRESENT)
    with pytest.raises(AttendanceIncomplete, match="Bob Test") as refused:
        attendance_sign_off(session_id=two_days.pk, by=lead_of(two_days), now=AFTER)
    assert refused.value.status_code == 409
    assert refused.value.extra["unmarked"] == [
        {"registration_id": bob.pk, "learner_id": bob.learner_id, "block_id": second.pk}
    ]
    assert not AttendanceSignOff.objects.exists()
    assert not Completion.objects.exists()

    done = attendance_sign_off(
        session_id=two_days.pk, by=lead_of(two_days), now=AFTER, absent_unmarked=True
    )
    assert [(r.registration_id, r.block_id, r.status) for r in done.marked_absent] == [
        (bob.pk, second.pk, ABSENT)
    ]
    assert not AttendanceRecord.objects.filter(late_edit=True).exists()
    assert Completion.objects.get(registration=bob).status == "not_completed"


def test_only_the_lead_or_a_coordinator_signs_off(schedule, instructor, coordinator, learner):
    helper = factories.InstructorFactory(user__username="helper")
    session = schedule(
        [(at("2030-03-11", "09:00"), at("2030-03-11", "12:00"))],
        status="scheduled",
        instructors=[instructor, helper],  # the first leads, the second co-facilitates
    )
    ada = registration_create(session_id=session.pk, learner=learner, now=NOW).row()
    mark(ada, session.blocks.get(), PRESENT, now=at("2030-03-11", "13:00"))
    stranger = factories.InstructorFactory(user__username="stranger")
    for who in (helper.user, stranger.user, learner):
        with pytest.raises(InvalidTransition, match="lead instructor"):
            attendance_sign_off(session_id=session.pk, by=who, now=at("2030-03-11", "13:00"))
    done = attendance_sign_off(session_id=session.pk, by=coordinator, now=at("2030-03-11", "13:00"))
    assert done.sign_off.signed_off_by == coordinator  # on the lead's behalf, recorded so


# --- Late edits ------------------------------------------------------------------------------


def test_a_change_after_sign_off_needs_a_reason_is_marked_late_and_rederives_the_completion(
    two_days, seated
):
    ada = seated("Ada")
    first, second = blocks_of(two_days)
    mark(ada, first, PRESENT)
    mark(ada, second, ABSENT)
    attendance_sign_off(session_id=two_days.pk, by=lead_of(two_days), now=AFTER)
    assert Completion.objects.get(registration=ada).status == "not_completed"

    with pytest.raises(RuleViolation) as refused:
        mark(ada, second, PRESENT)
    assert "reason" in refused.value.fields
    assert AttendanceRecord.objects.get(block=second).status == ABSENT

    later = at("2030-03-06", "10:00")
    marked = attendance_mark_outcome(
        registration=ada,
        block=second,
        mark=Mark(PRESENT),
        source=AttendanceSource.ROSTER,
        recorded_by=lead_of(two_days),
        now=later,
        reason="Signed the paper sheet; I misread it",
    )
    assert marked.record.late_edit is True
    assert marked.record.late_edit_reason == "Signed the paper sheet; I misread it"
    assert marked.completion is not None
    assert (marked.completion.before, marked.completion.after) == ("not_completed", "completed")
    completion = Completion.objects.get(registration=ada)
    assert completion.status == "completed"
    assert completion.recorded_at == later
    # The unchanged first block is not a late edit.
    assert AttendanceRecord.objects.get(block=first).late_edit is False


def test_a_late_edit_that_does_not_change_the_outcome_reports_no_completion_change(
    two_days, seated
):
    ada = seated("Ada")
    first, second = blocks_of(two_days)
    mark(ada, first, PRESENT)
    mark(ada, second, PRESENT)
    attendance_sign_off(session_id=two_days.pk, by=lead_of(two_days), now=AFTER)
    marked = attendance_mark_outcome(
        registration=ada,
        block=second,
        mark=Mark(LATE, None, "Came at 09:20"),
        source=AttendanceSource.ROSTER,
        recorded_by=None,
        now=AFTER,
        reason="Forgot the note",
    )
    assert marked.record.late_edit
    assert marked.completion is None
    assert Completion.objects.get(registration=ada).status == "completed"


def test_under_the_minutes_rule_a_late_edit_to_late_needs_its_minutes(two_days, seated, course):
    course.completion_rule = CompletionRule.MINUTES
    course.save()
    ada = seated("Ada")
    first, second = blocks_of(two_days)
    mark(ada, first, PRESENT)
    mark(ada, second, PRESENT)
    attendance_sign_off(session_id=two_days.pk, by=lead_of(two_days), now=AFTER)
    with pytest.raises(RuleViolation) as refused:
        mark(ada, second, LATE, reason="Came at 10:30")
    assert "minutes_attended" in refused.value.fields
    assert AttendanceRecord.objects.get(block=second).status == PRESENT
    marked = attendance_mark_outcome(
        registration=ada,
        block=second,
        mark=Mark(LATE, 90),
        source=AttendanceSource.ROSTER,
        recorded_by=None,
        now=AFTER,
        reason="Came at 10:30",
    )
    assert marked.completion is not None
    assert marked.completion.after == "not_completed"  # 270 of 360 is short of 90 %


# --- Prerequisites ----------------------------------------------------------------------------


def test_a_signed_off_completion_meets_a_prerequisite_and_not_completed_does_not(
    two_days, seated, course
):
    advanced = factories.CourseFactory(code="SAFE-201")
    advanced.prerequisites.add(course)
    ada, bob = seated("Ada"), seated("Bob")
    for block in blocks_of(two_days):
        mark(ada, block, PRESENT)
        mark(bob, block, ABSENT)
    for learner in (ada.learner, bob.learner):
        assert missing_prerequisites(learner.pk, [advanced.pk]) == {advanced.pk: [course]}
    attendance_sign_off(session_id=two_days.pk, by=lead_of(two_days), now=AFTER)
    # Even once the session is marked completed, Bob's "not completed" stands.
    session_transition(session_id=two_days.pk, to_status=SessionStatus.COMPLETED, now=AFTER)
    assert missing_prerequisites(ada.learner_id, [advanced.pk]) == {}
    assert missing_prerequisites(bob.learner_id, [advanced.pk]) == {advanced.pk: [course]}


def test_a_completed_session_without_an_outcome_meets_no_prerequisite(two_days, seated, course):
    """A confirmed seat in a session marked completed, with no completion recorded for the
    learner, does not stand in for one (it did, for sessions before attendance was taken)."""
    advanced = factories.CourseFactory(code="SAFE-201")
    advanced.prerequisites.add(course)
    ada = seated("Ada")
    session_transition(session_id=two_days.pk, to_status=SessionStatus.COMPLETED, now=AFTER)
    assert not Completion.objects.exists()
    assert missing_prerequisites(ada.learner_id, [advanced.pk]) == {advanced.pk: [course]}
