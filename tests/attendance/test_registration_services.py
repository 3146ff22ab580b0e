import datetime as dt

import pytest

from attendance.models import CompletionStatus, Registration, RegistrationStatus, WaitlistMove
from attendance.services.outcomes import completion_record
from attendance.services.promotion import offers_expire, waitlist_promote
from attendance.services.registration import (
    course_waitlist_join,
    offer_accept,
    offer_decline,
    registration_bulk_enrol,
    registration_cancel,
    registration_create,
    waitlist_move,
)
from notifications.models import OutboxMessage
from scheduling.models import SessionStatus, WaitlistPolicy
from scheduling.services import session_transition
from tests import factories
from tests.conftest import NOW, at, position_of
from tms.exceptions import (
    AlreadyRegistered,
    InvalidTransition,
    PrerequisitesMissing,
    RegistrationClosed,
    ScheduleClash,
)

pytestmark = pytest.mark.django_db


def test_registering_confirms_until_full_then_waitlists_in_order(published, learners):
    session = published(capacity=2)
    people = learners(4)
    outcomes = [registration_create(session_id=session.pk, learner=p, now=NOW) for p in people]
    assert [o.status for o in outcomes] == [
        "confirmed",
        "confirmed",
        "waitlisted",
        "waitlisted",
    ]
    assert [o.position for o in outcomes] == [None, None, 1, 2]
    templates = list(
        OutboxMessage.objects.filter(template__startswith="registration_")
        .order_by("pk")
        .values_list("template", flat=True)
    )
    assert templates == ["registration_confirmed"] * 2 + ["registration_waitlisted"] * 2


def test_a_learner_cannot_register_twice(published, learner):
    session = published()
    registration_create(session_id=session.pk, learner=learner, now=NOW)
    with pytest.raises(AlreadyRegistered):
        registration_create(session_id=session.pk, learner=learner, now=NOW)
    assert Registration.objects.count() == 1


def test_registration_window_is_enforced_for_learners_not_coordinators(
    published, learner, coordinator
):
    session = published()
    session.registration_closes_at = at("2030-02-28", "12:00")
    session.save()
    with pytest.raises(RegistrationClosed):
        registration_create(session_id=session.pk, learner=learner, now=NOW)
    outcome = registration_create(
        session_id=session.pk, learner=learner, enrolled_by=coordinator, now=NOW
    )
    assert outcome.confirmed


def test_drafts_are_not_open_for_registration(schedule, learner):
    draft = schedule()
    with pytest.raises(RegistrationClosed):
        registration_create(session_id=draft.pk, learner=learner, now=NOW)


def test_overlapping_confirmed_seats_are_refused(published, learner):
    first = published()
    registration_create(session_id=first.pk, learner=learner, now=NOW)
    other = published(
        rooms=[factories.RoomFactory()],
        instructors=[factories.InstructorFactory()],
        blocks=[(at("2030-03-04", "11:00"), at("2030-03-04", "13:00"))],
    )
    with pytest.raises(ScheduleClash) as refused:
        registration_create(session_id=other.pk, learner=learner, now=NOW)
    assert refused.value.conflicts[0]["session_id"] == first.pk
    assert refused.value.conflicts[0]["course_code"] == first.course.code


def test_prerequisites_must_be_completed_first(published, schedule, course, learner, room):
    basics = factories.CourseFactory(code="BASIC-1")
    course.prerequisites.add(basics)
    session = published()
    with pytest.raises(PrerequisitesMissing, match="BASIC-1") as refused:
        registration_create(session_id=session.pk, learner=learner, now=NOW)
    assert refused.value.fields["prerequisites"][0].startswith("BASIC-1")
    earlier = schedule(
        blocks=[(at("2030-03-02", "09:00"), at("2030-03-02", "12:00"))],
        the_course=basics,
        status="scheduled",
        instructors=[factories.InstructorFactory()],
    )
    seat = registration_create(session_id=earlier.pk, learner=learner, now=NOW)
    ended = at("2030-03-02", "13:00")
    session_transition(session_id=earlier.pk, to_status=SessionStatus.COMPLETED, now=ended)
    # A completed session is no outcome: without the learner's completed record, still refused.
    with pytest.raises(PrerequisitesMissing, match="BASIC-1"):
        registration_create(session_id=session.pk, learner=learner, now=NOW)
    completion_record(
        registration_id=seat.registration_id,
        status=CompletionStatus.COMPLETED,
        recorded_by=None,
        now=ended,
    )
    assert registration_create(session_id=session.pk, learner=learner, now=NOW).confirmed


def test_cancelling_gives_the_seat_to_the_first_waitlisted_at_once(published, learners):
    session = published(capacity=1)
    first, second, third = learners(3)
    seat = registration_create(session_id=session.pk, learner=first, now=NOW).row()
    registration_create(session_id=session.pk, learner=second, now=NOW)
    registration_create(session_id=session.pk, learner=third, now=NOW)
    registration_cancel(registration_id=seat.pk, cancelled_by=first, reason="Clash", now=NOW)
    # In the cancelling transaction, with no worker: the head of the line has the seat.
    assert Registration.objects.get(learner=second).status == RegistrationStatus.CONFIRMED
    third_registration = Registration.objects.get(learner=third)
    assert position_of(third_registration) == 1
    assert waitlist_promote(session_id=session.pk, now=NOW) == []  # a duplicate changes nothing
    templates = OutboxMessage.objects.filter(recipient=second).values_list("template", flat=True)
    assert sorted(templates) == ["registration_promoted", "registration_waitlisted"]


def test_late_cancellation_is_allowed_but_marked(published, learner):
    session = published()
    seat = registration_create(session_id=session.pk, learner=learner, now=NOW).row()
    late = registration_cancel(
        registration_id=seat.pk, cancelled_by=learner, now=at("2030-03-03", "12:00")
    )
    assert late.status == RegistrationStatus.CANCELLED
    assert late.late_cancellation


def test_offer_policy_holds_the_seat_until_the_deadline_then_passes_it_on(published, learners):
    session = published(capacity=1)
    session.waitlist_policy = WaitlistPolicy.OFFER
    session.save()
    first, second, third = learners(3)
    seat = registration_create(session_id=session.pk, learner=first, now=NOW).row()
    registration_create(session_id=session.pk, learner=second, now=NOW)
    registration_create(session_id=session.pk, learner=third, now=NOW)
    registration_cancel(registration_id=seat.pk, cancelled_by=first, now=NOW)
    offer = Registration.objects.get(session=session, status=RegistrationStatus.OFFERED)
    assert offer.learner == second
    assert offer.offer_expires_at == NOW + dt.timedelta(hours=24)
    assert offers_expire(now=NOW + dt.timedelta(hours=25)) == 1
    offer.refresh_from_db()
    assert offer.status == RegistrationStatus.CANCELLED
    next_offer = Registration.objects.get(learner=third)
    assert next_offer.status == RegistrationStatus.OFFERED
    accepted = offer_accept(
        registration_id=next_offer.pk, learner=third, now=NOW + dt.timedelta(hours=26)
    )
    assert accepted.status == RegistrationStatus.CONFIRMED


def test_offer_window_shrinks_to_the_promotion_cutoff(published, learners):
    session = published(capacity=1)
    session.waitlist_policy = WaitlistPolicy.OFFER
    session.save()
    first, second = learners(2)
    seat = registration_create(session_id=session.pk, learner=first, now=NOW).row()
    registration_create(session_id=session.pk, learner=second, now=NOW)
    late = at("2030-03-03", "20:00")  # 13 h before the 09:00 start
    registration_cancel(registration_id=seat.pk, cancelled_by=first, now=late)
    offer = Registration.objects.get(learner=second)
    assert offer.status == RegistrationStatus.OFFERED
    assert offer.offer_expires_at == at("2030-03-04", "07:00")  # start minus the 2 h cut-off


def test_no_promotion_inside_the_cutoff(published, learners):
    session = published(capacity=1)
    first, second = learners(2)
    seat = registration_create(session_id=session.pk, learner=first, now=NOW).row()
    registration_create(session_id=session.pk, learner=second, now=NOW)
    registration_cancel(registration_id=seat.pk, cancelled_by=first, now=at("2030-03-04", "08:00"))
    assert Registration.objects.get(learner=second).status == RegistrationStatus.WAITLISTED
    assert waitlist_promote(session_id=session.pk, now=at("2030-03-04", "08:00")) == []


def test_declining_an_offer_passes_the_seat_on(published, learners):
    session = published(capacity=1)
    session.waitlist_policy = WaitlistPolicy.OFFER
    session.save()
    first, second, third = learners(3)
    seat = registration_create(session_id=session.pk, learner=first, now=NOW).row()
    registration_create(session_id=session.pk, learner=second, now=NOW)
    registration_create(session_id=session.pk, learner=third, now=NOW)
    registration_cancel(registration_id=seat.pk, cancelled_by=first, now=NOW)
    offer = Registration.objects.get(learner=second, status=RegistrationStatus.OFFERED)
    offer_decline(registration_id=offer.pk, learner=second, now=NOW)
    next_offer = Registration.objects.get(session=session, status=RegistrationStatus.OFFERED)
    assert next_offer.learner == third
    with pytest.raises(InvalidTransition):
        offer_accept(registration_id=offer.pk, learner=second, now=NOW)


def test_coordinator_moves_a_learner_on_the_waitlist_with_a_reason(
    published, learners, coordinator
):
    session = published(capacity=1)
    people = learners(4)
    regs = [registration_create(session_id=session.pk, learner=p, now=NOW).row() for p in people]
    last = regs[3]
    moved = waitlist_move(
        registration_id=last.pk, to_position=1, moved_by=coordinator, reason="Manager request"
    )
    assert position_of(moved) == 1
    assert [position_of(r) for r in regs[1:3]] == [2, 3]
    assert WaitlistMove.objects.get().reason == "Manager request"


def test_any_date_waitlist_gets_the_first_freed_seat_and_withdraws_other_places(
    published, learners, course
):
    monday = published(capacity=1)
    tuesday = published(
        capacity=1,
        rooms=[factories.RoomFactory()],
        instructors=[factories.InstructorFactory()],
        blocks=[(at("2030-03-05", "09:00"), at("2030-03-05", "12:00"))],
    )
    a, b, c, flexible = learners(4)
    seat = registration_create(session_id=monday.pk, learner=a, now=NOW).row()
    registration_create(session_id=tuesday.pk, learner=b, now=NOW)
    registration_create(session_id=tuesday.pk, learner=flexible, now=NOW)  # waitlisted Tuesday
    course_waitlist_join(course_id=course.pk, learner=flexible, now=NOW)
    registration_create(session_id=monday.pk, learner=c, now=NOW)  # waitlisted Monday, later
    registration_cancel(registration_id=seat.pk, cancelled_by=a, now=NOW)
    promoted = Registration.objects.get(session=monday, status=RegistrationStatus.CONFIRMED)
    assert promoted.learner == flexible  # joined any-date before c joined Monday's waitlist
    tuesday_place = Registration.objects.get(session=tuesday, learner=flexible)
    assert tuesday_place.status == RegistrationStatus.CANCELLED


def test_bulk_enrol_reports_unknown_emails(published, learners, coordinator):
    session = published(capacity=1)
    a, b = learners(2)
    outcome = registration_bulk_enrol(
        session_id=session.pk,
        emails=[a.email.upper(), b.email, "nobody@example.org", ""],
        enrolled_by=coordinator,
        now=NOW,
    )
    assert outcome.confirmed == [a.email.lower()]
    assert outcome.waitlisted == [(b.email.lower(), 1)]
    assert outcome.unknown == ["nobody@example.org"]


def test_a_registration_cannot_be_cancelled_once_the_session_has_started(published, learner):
    session = published()
    seat = registration_create(session_id=session.pk, learner=learner, now=NOW).row()
    with pytest.raises(InvalidTransition, match="started"):
        registration_cancel(
            registration_id=seat.pk, cancelled_by=learner, now=at("2030-03-04", "09:30")
        )
    seat.refresh_from_db()
    assert seat.status == RegistrationStatus.CONFIRMED


def test_the_opening_time_is_shown_in_the_venue_zone(published, learner):
    session = published()
    session.registration_opens_at = at("2030-03-02", "10:00")
    session.save()
    with pytest.raises(RegistrationClosed, match="Sat 02 Mar 2030, 10:00 CET"):
        registration_create(session_id=session.pk, learner=learner, now=NOW)


def test_an_offer_ending_after_the_learner_left_and_rejoined_the_any_date_list_keeps_both_rows(
    published, learners, course
):
    """Leave the any-date waitlist while holding its offer, join again, then decline: the old
    entry stays withdrawn (bringing it back would break "one open entry per learner")."""
    from attendance.models import CourseWaitlistEntry, CourseWaitlistStatus
    from attendance.services.registration import course_waitlist_leave

    session = published(capacity=1)
    session.waitlist_policy = WaitlistPolicy.OFFER
    session.save()
    first, flexible = learners(2)
    seat = registration_create(session_id=session.pk, learner=first, now=NOW).row()
    old = course_waitlist_join(course_id=course.pk, learner=flexible, now=NOW)
    registration_cancel(registration_id=seat.pk, cancelled_by=first, now=NOW)
    offered = Registration.objects.get(session=session, status=RegistrationStatus.OFFERED)
    assert offered.learner == flexible
    course_waitlist_leave(entry_id=old.pk, learner=flexible, now=NOW)
    new = course_waitlist_join(course_id=course.pk, learner=flexible, now=NOW)

    offer_decline(registration_id=offered.pk, learner=flexible, now=NOW)

    statuses = dict(CourseWaitlistEntry.objects.values_list("pk", "status"))
    assert statuses[old.pk] == CourseWaitlistStatus.WITHDRAWN
    assert statuses[new.pk] == CourseWaitlistStatus.WAITING
