"""Instructors hear about their teaching: assignment, every schedule change, removal and
cancellation queue one email with an iTIP invite per affected instructor, in the changing
transaction, shown in the instructor's zone, and an old time never arrives after a new one.

The session runs 09:00-12:00 in Paris on Mon 4 Mar 2030 (08:00-11:00 UTC): 03:00 EST for an
instructor at home in New York.
"""

from __future__ import annotations

import datetime as dt
import email
from email import policy

import icalendar
import pytest
from django.core import mail
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from instructors.models import Instructor
from notifications.ical import block_uid
from notifications.models import MessageStatus, OutboxMessage
from notifications.services import outbox_dispatch
from scheduling.models import AssignmentRole, SessionStatus
from scheduling.services import (
    BlockChange,
    ProposedBlock,
    ProposedInstructor,
    SessionInput,
    block_add,
    block_cancel,
    block_restore,
    session_assign_instructor,
    session_create,
    session_reschedule,
    session_transition,
    session_unassign_instructor,
)
from scheduling.services.instructor_invites import (
    InviteReason,
    instructor_cancels_enqueue_locked,
    instructor_invites_enqueue_locked,
)
from tests import factories
from tests.calendar_clients import every_client_reads
from tests.conftest import NOW, at
from tests.notifications.test_smtp_integration import smtp_server  # noqa: F401 - a fixture
from tms.exceptions import RuleViolation
from tms.models import Profile

pytestmark = pytest.mark.django_db
UTC = dt.UTC


@pytest.fixture
def new_yorker(instructor):
    instructor.home_time_zone = "America/New_York"
    instructor.save()
    return instructor


@pytest.fixture
def co_teacher(db):
    return factories.InstructorFactory(user__username="coteacher", home_time_zone="Europe/Paris")


def _rows(person=None):
    rows = OutboxMessage.objects.filter(template__startswith="instructor_").order_by("pk")
    if person is not None:
        rows = rows.filter(address=person.user.email)
    return list(rows)


def _calendar(message) -> tuple[str, icalendar.Calendar]:
    (text,) = [
        content for content, kind in message.alternatives if kind.startswith("text/calendar")
    ]
    return text, icalendar.Calendar.from_ical(text)


def _bodies(message) -> tuple[str, str]:
    html = next(content for content, kind in message.alternatives if kind == "text/html")
    return message.body, html


def _sent_to(person):
    return [m for m in mail.outbox if m.to == [person.user.email]]


def _method_and_sequences(message) -> tuple[str, set[int]]:
    _text, parsed = _calendar(message)
    return str(parsed["METHOD"]), {int(e["SEQUENCE"]) for e in parsed.walk("VEVENT")}


def _two_day(schedule, **kwargs):
    return schedule(
        [
            (at("2030-03-04", "09:00"), at("2030-03-04", "12:00")),
            (at("2030-03-11", "09:00"), at("2030-03-11", "12:00")),
        ],
        **kwargs,
    )


def test_a_new_session_invites_each_of_its_instructors_once(schedule, instructor, co_teacher):
    session = _two_day(schedule, instructors=[instructor, co_teacher])
    assert [(m.address, m.context["version"]) for m in _rows()] == [
        (instructor.user.email, 0),
        (co_teacher.user.email, 0),
    ]

    assert outbox_dispatch(now=NOW) == {"sent": 2}
    (lead_mail,) = _sent_to(instructor)
    assert _method_and_sequences(lead_mail) == ("REQUEST", {0})
    _text, parsed = _calendar(lead_mail)
    assignment = session.assignments.get(instructor=instructor)
    assert {str(e["UID"]) for e in parsed.walk("VEVENT")} == {
        block_uid(block.pk, f"a{assignment.pk}") for block in session.blocks.all()
    }
    assert lead_mail.subject.startswith("You are teaching SAFE-101 Workplace safety")
    assert "as Lead instructor" in lead_mail.body


def test_assigning_an_instructor_invites_only_that_instructor(schedule, instructor, co_teacher):
    session = schedule(instructors=[instructor])
    factories.QualificationFactory(instructor=co_teacher, course=session.course)
    before = len(_rows())

    session_assign_instructor(
        session_id=session.pk, instructor=co_teacher, role=AssignmentRole.CO_FACILITATOR, now=NOW
    )

    (new,) = _rows()[before:]
    assert new.address == co_teacher.user.email
    assert new.context["reason"] == InviteReason.ASSIGNED
    outbox_dispatch(now=NOW)
    (sent,) = _sent_to(co_teacher)
    assert _method_and_sequences(sent) == ("REQUEST", {0})


def _move(session, block, day):
    session_reschedule(
        session_id=session.pk,
        changes=[BlockChange(block.pk, at(day, "14:00"), at(day, "17:00"))],
        now=NOW,
    )


def test_every_kind_of_schedule_change_sends_each_instructor_the_new_version(
    schedule, instructor, co_teacher
):
    session = _two_day(schedule, instructors=[instructor, co_teacher])
    first, second = session.blocks.order_by("starts_at")
    other_room = factories.RoomFactory(capacity=20)
    changes = [
        lambda: _move(session, first, "2030-03-05"),
        lambda: session_reschedule(
            session_id=session.pk, changes=[BlockChange(second.pk, room=other_room)], now=NOW
        ),
        lambda: block_add(
            session_id=session.pk,
            starts_at=at("2030-03-18", "09:00"),
            ends_at=at("2030-03-18", "12:00"),
            room=other_room,
            now=NOW,
        ),
        lambda: block_cancel(session_id=session.pk, block_id=second.pk, reason="Holiday"),
        lambda: block_restore(session_id=session.pk, block_id=second.pk, now=NOW),
    ]
    for version, change in enumerate(changes, start=1):
        before = len(_rows())
        change()
        session.refresh_from_db()
        assert session.schedule_version == version
        fresh = _rows()[before:]
        assert sorted((m.address, m.context["version"]) for m in fresh) == sorted(
            [(instructor.user.email, version), (co_teacher.user.email, version)]
        ), f"change {version}"
        assert {m.context["reason"] for m in fresh} == {InviteReason.RESCHEDULED}


def test_a_reschedule_replaces_the_invite_with_a_higher_sequence_and_the_new_time(
    schedule, instructor
):
    session = schedule()
    outbox_dispatch(now=NOW)
    block = session.blocks.get()
    _move(session, block, "2030-03-05")

    assert outbox_dispatch(now=NOW) == {"sent": 1}
    assigned, update = _sent_to(instructor)
    old = _calendar(assigned)[1].walk("VEVENT")[0]
    new = _calendar(update)[1].walk("VEVENT")[0]
    assert new["UID"] == old["UID"]
    assert (int(old["SEQUENCE"]), int(new["SEQUENCE"])) == (0, 1)
    assert new["DTSTART"].dt.astimezone(UTC) == at("2030-03-05", "14:00")
    assert update.subject.startswith("Schedule changed: SAFE-101 Workplace safety, now from")


def test_removing_an_instructor_cancels_their_events_only(schedule, instructor, co_teacher):
    session = _two_day(schedule, instructors=[instructor, co_teacher])
    outbox_dispatch(now=NOW)
    assignment = session.assignments.get(instructor=co_teacher)
    before = len(_rows())

    session_unassign_instructor(session_id=session.pk, assignment_id=assignment.pk, now=NOW)

    (cancel,) = _rows()[before:]
    assert cancel.address == co_teacher.user.email
    outbox_dispatch(now=NOW)
    request, cancelled = _sent_to(co_teacher)
    assert _method_and_sequences(cancelled) == ("CANCEL", {1})
    uids = {str(e["UID"]) for e in _calendar(request)[1].walk("VEVENT")}
    events = _calendar(cancelled)[1].walk("VEVENT")
    assert {str(e["UID"]) for e in events} == uids
    assert {str(e["STATUS"]) for e in events} == {"CANCELLED"}
    assert cancelled.subject.startswith("You no longer teach SAFE-101")
    assert len(_sent_to(instructor)) == 1  # the assignment invite only


def test_cancelling_the_session_cancels_every_instructors_events(schedule, instructor, co_teacher):
    session = _two_day(schedule, instructors=[instructor, co_teacher])
    _move(session, session.blocks.order_by("starts_at")[0], "2030-03-05")  # version 1
    outbox_dispatch(now=NOW)
    before = len(_rows())

    session_transition(
        session_id=session.pk, to_status=SessionStatus.CANCELLED, reason="Trainer shortage"
    )

    fresh = _rows()[before:]
    assert sorted(m.address for m in fresh) == sorted(
        [instructor.user.email, co_teacher.user.email]
    )
    assert outbox_dispatch(now=NOW) == {"sent": 2}
    for person in (instructor, co_teacher):
        *_earlier, cancelled = _sent_to(person)
        assert _method_and_sequences(cancelled) == ("CANCEL", {2})
        assert cancelled.subject.startswith("Cancelled: SAFE-101 Workplace safety")
        assert "Trainer shortage" in cancelled.body


def test_times_are_in_the_instructors_home_zone_named(schedule, new_yorker):
    schedule()
    outbox_dispatch(now=NOW)
    (sent,) = _sent_to(new_yorker)
    assert "Mon 4 Mar 2030, 03:00 EST" in sent.subject
    for body in _bodies(sent):
        assert "03:00" in body
        assert "EST" in body
        assert "America/New_York" in body
        assert "09:00" not in body  # the venue's time
        assert "08:00" not in body  # UTC


def test_the_zone_chosen_in_settings_comes_before_the_home_zone(schedule, new_yorker):
    Profile.objects.create(user=new_yorker.user, time_zone="Asia/Kolkata")
    session = schedule()
    outbox_dispatch(now=NOW)
    session_transition(session_id=session.pk, to_status=SessionStatus.CANCELLED, reason="Closed")
    outbox_dispatch(now=NOW)
    assert len(_sent_to(new_yorker)) == 2
    for sent in _sent_to(new_yorker):
        assert "13:30 IST" in sent.subject
        for body in _bodies(sent):
            assert "13:30" in body
            assert "Asia/Kolkata" in body
            assert "03:00" not in body


def test_the_invite_names_room_site_and_address_for_a_room_session(schedule, instructor, room):
    schedule()
    outbox_dispatch(now=NOW)
    (sent,) = _sent_to(instructor)
    (event,) = _calendar(sent)[1].walk("VEVENT")
    location = str(event["LOCATION"])
    assert room.name in location
    assert room.site.name in location
    assert room.site.address.splitlines()[0] in location


def test_an_instructor_of_a_video_session_always_gets_the_join_link(
    schedule, instructor, host_account
):
    session = schedule(mode="vilt", host_account=host_account)
    outbox_dispatch(now=NOW)
    (sent,) = _sent_to(instructor)
    (event,) = _calendar(sent)[1].walk("VEVENT")
    assert str(event["LOCATION"]) == session.join_url
    assert session.join_url in sent.body


def test_every_calendar_client_reads_the_invites_at_the_blocks_instants(schedule, new_yorker):
    session = _two_day(schedule)
    outbox_dispatch(now=NOW)
    _move(session, session.blocks.order_by("starts_at")[1], "2030-03-31")  # summer time by then
    outbox_dispatch(now=NOW)
    session_transition(session_id=session.pk, to_status=SessionStatus.CANCELLED, reason="Closed")
    outbox_dispatch(now=NOW)

    sent = _sent_to(new_yorker)
    assert [_method_and_sequences(m) for m in sent] == [
        ("REQUEST", {0}),
        ("REQUEST", {1}),
        ("CANCEL", {2}),
    ]
    assignment = session.assignments.get()
    first, second = (
        block_uid(b.pk, f"a{assignment.pk}") for b in session.blocks.order_by("starts_at")
    )
    assigned = {
        first: (at("2030-03-04", "09:00"), at("2030-03-04", "12:00")),
        second: (at("2030-03-11", "09:00"), at("2030-03-11", "12:00")),
    }
    moved = {**assigned, second: (at("2030-03-31", "14:00"), at("2030-03-31", "17:00"))}
    for client, readings in every_client_reads([_calendar(m)[0] for m in sent]).items():
        assert readings == [assigned, moved, moved], client


def test_repeating_a_queue_call_or_a_dispatch_sends_nothing_more(schedule, instructor):
    session = schedule()
    with transaction.atomic():
        assert instructor_invites_enqueue_locked(session, reason=InviteReason.ASSIGNED) == 0
    assert outbox_dispatch(now=NOW) == {"sent": 1}
    session_transition(session_id=session.pk, to_status=SessionStatus.CANCELLED, reason="Closed")
    session.refresh_from_db()
    assignment = session.assignments.get()
    with transaction.atomic():
        assert (
            instructor_cancels_enqueue_locked(
                session, reason=InviteReason.SESSION_CANCELLED, assignments=[assignment]
            )
            == 0
        )
    assert outbox_dispatch(now=NOW) == {"sent": 1}
    assert outbox_dispatch(now=NOW) == {}
    assert len(_sent_to(instructor)) == 2


def test_a_request_superseded_before_it_left_is_skipped(schedule, instructor):
    session = schedule()
    block = session.blocks.get()
    _move(session, block, "2030-03-05")
    _move(session, block, "2030-03-06")

    assert outbox_dispatch(now=NOW) == {"skipped": 2, "sent": 1}
    (sent,) = _sent_to(instructor)
    assert _method_and_sequences(sent) == ("REQUEST", {2})
    (event,) = _calendar(sent)[1].walk("VEVENT")
    assert event["DTSTART"].dt.astimezone(UTC) == at("2030-03-06", "14:00")
    skipped = OutboxMessage.objects.filter(status=MessageStatus.SKIPPED)
    assert sorted(m.context["version"] for m in skipped) == [0, 1]
    assert all("changed again" in m.last_error for m in skipped)
    # The first news that reaches them is the assignment, at its latest time.
    assert sent.subject.startswith("You are teaching SAFE-101 Workplace safety from Wed 6 Mar")


def test_nothing_is_sent_for_an_assignment_removed_or_cancelled_before_its_invite_left(
    schedule, instructor, co_teacher
):
    session = schedule(instructors=[instructor, co_teacher])
    assignment = session.assignments.get(instructor=co_teacher)
    session_unassign_instructor(session_id=session.pk, assignment_id=assignment.pk, now=NOW)
    session_transition(
        session_id=session.pk, to_status=SessionStatus.CANCELLED, reason="Closed", now=NOW
    )
    assert (
        sorted(m.template for m in _rows()) == ["instructor_cancel"] * 2 + ["instructor_invite"] * 2
    )

    # Neither REQUEST is still true; with no REQUEST out, there is nothing to cancel either.
    assert outbox_dispatch(now=NOW) == {"skipped": 4}
    assert mail.outbox == []
    reasons = dict(OutboxMessage.objects.values_list("template", "last_error").distinct())
    assert "nothing to cancel" in reasons["instructor_cancel"]


def test_a_cancel_follows_an_invite_whose_sending_failed_as_it_may_have_left(
    schedule, instructor, settings
):
    session = schedule()
    settings.EMAIL_BACKEND = "tests.notifications.broken_backend.RefusingBackend"
    later = NOW
    for _ in range(10):  # retried with backoff until it is given up
        outbox_dispatch(now=later)
        later += dt.timedelta(hours=2)
    (request,) = _rows()
    assert request.status == MessageStatus.FAILED
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

    session_transition(
        session_id=session.pk, to_status=SessionStatus.CANCELLED, reason="Closed", now=later
    )

    assert outbox_dispatch(now=later) == {"sent": 1}
    (sent,) = _sent_to(instructor)
    assert _method_and_sequences(sent) == ("CANCEL", {1})


def test_a_refused_change_queues_nothing(schedule, instructor, co_teacher):
    session = schedule()
    block = session.blocks.get()
    before = len(_rows())
    with pytest.raises(RuleViolation):  # into the past
        session_reschedule(
            session_id=session.pk,
            changes=[BlockChange(block.pk, at("2030-02-01", "09:00"), at("2030-02-01", "12:00"))],
            now=NOW,
        )
    with pytest.raises(RuleViolation):  # not qualified for the course
        session_assign_instructor(
            session_id=session.pk,
            instructor=co_teacher,
            role=AssignmentRole.CO_FACILITATOR,
            now=NOW,
        )
    with pytest.raises(RuleViolation):  # the only block
        block_cancel(session_id=session.pk, block_id=block.pk, reason="Holiday")
    with pytest.raises(RuleViolation):  # no reason
        session_transition(session_id=session.pk, to_status=SessionStatus.CANCELLED)
    with pytest.raises(RuleViolation):  # not assigned
        session_unassign_instructor(session_id=session.pk, assignment_id=999_999, now=NOW)
    assert len(_rows()) == before
    session.refresh_from_db()
    assert session.schedule_version == 0


def test_an_instructor_invite_crosses_real_smtp_and_parses(smtp_server, schedule, new_yorker):  # noqa: F811
    schedule()
    assert outbox_dispatch(now=NOW) == {"sent": 1}
    (raw,) = smtp_server.messages
    received = email.message_from_bytes(raw, policy=policy.default)
    assert received["To"] == new_yorker.user.email
    assert "03:00 EST" in received["Subject"]
    parts = {part.get_content_type(): part for part in received.walk()}
    assert {"text/plain", "text/html", "text/calendar"} <= set(parts)
    assert parts["text/calendar"].get_param("method") == "REQUEST"
    (placed,) = every_client_reads([parts["text/calendar"].get_content()])["ical.js"]
    assert list(placed.values()) == [(at("2030-03-04", "09:00"), at("2030-03-04", "12:00"))]


def test_inviting_a_new_sessions_instructors_costs_the_same_queries_for_one_or_three(
    course, room, instructor, co_teacher
):

    people = [instructor, co_teacher, factories.InstructorFactory(user__username="third")]
    for person in people:
        factories.QualificationFactory(instructor=person, course=course)

    def queries_for(team, day):
        fresh = [Instructor.objects.get(pk=p.pk) for p in team]  # their users not loaded yet
        data = SessionInput(
            course=course,
            delivery_mode="ilt",
            capacity=12,
            time_zone="Europe/Paris",
            blocks=[ProposedBlock(at(day, "09:00"), at(day, "12:00"), room, index=0)],
            instructors=[
                ProposedInstructor(
                    p, AssignmentRole.LEAD if i == 0 else AssignmentRole.CO_FACILITATOR
                )
                for i, p in enumerate(fresh)
            ],
            status="draft",
        )
        with CaptureQueriesContext(connection) as captured:
            session_create(data=data, now=NOW)
        return len(captured.captured_queries)

    assert queries_for(people, "2030-05-13") == queries_for(people[:1], "2030-05-06")
    assert len(_rows()) == 4
