"""The roster's coordinator actions: give a free seat to a chosen waitlisted learner (not the
head of the line) with a reason that is kept and shown, refused when no seat is free; and
"message everyone registered", one outbox row per recipient, kept and listed."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from attendance.models import (
    Registration,
    RegistrationStatus,
    RosterAudience,
    RosterMessage,
    WaitlistPromotion,
)
from attendance.services.registration import registration_create
from notifications import events
from notifications.models import OutboxMessage
from notifications.services import outbox_dispatch
from scheduling.models import Session, WaitlistPolicy
from tests import factories
from tests.conftest import NOW, at, position_of
from tms.models import Profile

pytestmark = pytest.mark.django_db

# Sign-in session, user, roles, the session (with blocks and instructors), seats, roster,
# waitlist, kept messages and their recipients, chosen promotions: 12 whatever the size.
ROSTER_QUERIES = 12


def _messages(response: Any) -> list[tuple[str, str]]:
    return [(m.level_tag, str(m)) for m in get_messages(response.wsgi_request)]


def _full_with_line(schedule: Any, learners: Any, *, policy: str = WaitlistPolicy.AUTO_CONFIRM):
    """One seat held, three waiting (positions 1-3)."""
    session = schedule(status="scheduled", capacity=1)
    Session.objects.filter(pk=session.pk).update(waitlist_policy=policy)
    people = learners(4)
    rows = [registration_create(session_id=session.pk, learner=p, now=NOW).row() for p in people]
    return session, rows


def _raise_capacity(session: Session, capacity: int) -> None:
    """A free seat nobody has been given yet (a capacity raised between two sweeps)."""
    Session.objects.filter(pk=session.pk).update(capacity=capacity)


def _promote(client: Any, registration: Registration, reason: str) -> Any:
    url = reverse("attendance:waitlist-promote", args=[registration.pk])
    return client.post(url, {"reason": reason})


def test_a_coordinator_gives_the_free_seat_to_a_chosen_learner_with_a_reason(
    page_client, coordinator, learners, schedule
):
    session, (_seated, first, second, third) = _full_with_line(schedule, learners)
    _raise_capacity(session, 2)
    client = page_client(coordinator)
    roster = client.get(reverse("attendance:roster", args=[session.pk])).content.decode()
    assert "1 seat is free" in roster
    assert reverse("attendance:waitlist-promote", args=[third.pk]) in roster

    response = _promote(client, third, "  Needs it for a certification deadline  ")

    assert response.status_code == 302
    assert _messages(response)[-1][0] == "success"
    third.refresh_from_db()
    assert third.status == RegistrationStatus.CONFIRMED
    # The others keep their order, behind nobody new.
    assert position_of(first) == 1
    assert position_of(second) == 2
    kept = WaitlistPromotion.objects.get()
    assert (kept.registration, kept.promoted_by, kept.from_position) == (third, coordinator, 3)
    assert kept.reason == "Needs it for a certification deadline"
    assert kept.status == RegistrationStatus.CONFIRMED
    # The learner's confirmation (with its invite) is queued as for any promotion.
    email = OutboxMessage.objects.get(
        event_key=events.registration(events.RegistrationEvent.PROMOTED, third.pk)
    )
    assert (email.recipient, email.template) == (third.learner, "registration_promoted")

    page = client.get(reverse("attendance:roster", args=[session.pk])).content.decode()
    assert "Seats given by choice" in page
    assert "Needs it for a certification deadline" in page
    assert "from position 3 on the waitlist" in page


def test_giving_a_seat_is_refused_when_none_is_free(page_client, coordinator, learners, schedule):
    session, (_seated, _first, second, _third) = _full_with_line(schedule, learners)
    client = page_client(coordinator)

    roster = client.get(reverse("attendance:roster", args=[session.pk])).content.decode()
    assert "No seat is free: someone must leave" in roster
    assert reverse("attendance:waitlist-promote", args=[second.pk]) not in roster

    response = _promote(client, second, "Urgent")

    level, text = _messages(response)[-1]
    assert level == "error"
    assert "No seat is free" in text
    assert "Someone must leave" in text
    second.refresh_from_db()
    assert second.status == RegistrationStatus.WAITLISTED
    assert position_of(second) == 2
    assert not WaitlistPromotion.objects.exists()
    assert not OutboxMessage.objects.filter(template="registration_promoted").exists()


def test_giving_a_seat_needs_a_reason(page_client, coordinator, learners, schedule):
    session, (_seated, _first, second, _third) = _full_with_line(schedule, learners)
    _raise_capacity(session, 2)
    response = _promote(page_client(coordinator), second, "   ")
    assert _messages(response)[-1][0] == "error"
    second.refresh_from_db()
    assert second.status == RegistrationStatus.WAITLISTED
    assert not WaitlistPromotion.objects.exists()


def test_with_the_offer_policy_the_chosen_learner_gets_an_offer_with_a_deadline(
    page_client, coordinator, learners, schedule
):
    session, (_seated, _first, second, _third) = _full_with_line(
        schedule, learners, policy=WaitlistPolicy.OFFER
    )
    _raise_capacity(session, 2)

    response = _promote(page_client(coordinator), second, "Manager asked")

    assert "was offered the seat" in _messages(response)[-1][1]
    second.refresh_from_db()
    assert second.status == RegistrationStatus.OFFERED
    assert second.offer_expires_at is not None
    assert WaitlistPromotion.objects.get().offer_expires_at == second.offer_expires_at
    offer = OutboxMessage.objects.get(template="seat_offered", recipient=second.learner)
    assert offer.context["deadline"]


def test_only_coordinators_may_give_a_chosen_seat(
    page_client, auditor, instructor, learner, learners, schedule
):
    session, (_seated, _first, second, _third) = _full_with_line(schedule, learners)
    _raise_capacity(session, 2)
    for person in (auditor, instructor.user, learner):
        assert _promote(page_client(person), second, "Because").status_code == 403
    second.refresh_from_db()
    assert second.status == RegistrationStatus.WAITLISTED


# --- Message everyone registered ---------------------------------------------------------------


def _send(client: Any, session: Session, **data: str) -> Any:
    url = reverse("attendance:roster-message", args=[session.pk])
    return client.post(url, data)


def test_message_everyone_queues_one_email_per_confirmed_learner_and_lists_it(
    page_client, coordinator, learners, schedule
):
    session = schedule(status="scheduled", capacity=2)
    people = learners(3)
    for person in people:
        registration_create(session_id=session.pk, learner=person, now=NOW)
    client = page_client(coordinator)

    response = _send(
        client,
        session,
        audience=RosterAudience.CONFIRMED,
        subject="Bring safety shoes",
        body="Please bring your own safety shoes.",
    )

    assert response.status_code == 302
    assert "2 learner(s)" in _messages(response)[-1][1]
    kept = RosterMessage.objects.get()
    assert kept.sent_by == coordinator
    assert set(kept.recipients.all()) == set(people[:2])
    rows = OutboxMessage.objects.filter(template="roster_message")
    assert sorted(r.event_key for r in rows) == sorted(
        events.roster_message(kept.pk, p.pk) for p in people[:2]
    )
    assert {r.address for r in rows} == {p.email for p in people[:2]}

    page = client.get(reverse("attendance:roster", args=[session.pk])).content.decode()
    assert "Bring safety shoes" in page
    assert "2 recipients" in page


def test_message_everyone_can_include_the_waitlist_and_reaches_each_in_their_zone(
    page_client, coordinator, learners, schedule
):
    session = schedule(status="scheduled", capacity=1)
    seated, waiting = learners(2)
    Profile.objects.create(user=waiting, time_zone="America/New_York")
    for person in (seated, waiting):
        registration_create(session_id=session.pk, learner=person, now=NOW)

    _send(
        page_client(coordinator),
        session,
        audience=RosterAudience.EVERYONE,
        subject="Room change",
        body="We meet in the main hall.",
    )

    assert OutboxMessage.objects.filter(template="roster_message").count() == 2
    outbox_dispatch(now=NOW)
    sent = {m.to[0]: m for m in mail.outbox if "Room change" in m.subject}
    assert set(sent) == {seated.email, waiting.email}
    assert "We meet in the main hall." in sent[seated.email].body
    # The session's dates follow in each reader's zone, named: 09:00 in Paris is 03:00 in
    # New York.
    assert "09:00" in sent[seated.email].body
    assert "Times are in Europe/Paris." in sent[seated.email].body
    assert "03:00" in sent[waiting.email].body
    assert "Times are in America/New_York." in sent[waiting.email].body


def test_a_message_with_a_missing_subject_is_refused_with_the_field_error(
    page_client, coordinator, learners, schedule
):
    session = schedule(status="scheduled")
    registration_create(session_id=session.pk, learner=learners(1)[0], now=NOW)
    response = _send(
        page_client(coordinator), session, audience=RosterAudience.CONFIRMED, subject="", body="Hi"
    )
    assert response.status_code == 400
    assert response.context["message_form"].errors["subject"]
    assert not RosterMessage.objects.exists()
    assert not OutboxMessage.objects.filter(template="roster_message").exists()


def test_a_message_to_nobody_is_refused(page_client, coordinator, schedule):
    session = schedule(status="scheduled")
    response = _send(
        page_client(coordinator),
        session,
        audience=RosterAudience.CONFIRMED,
        subject="Hello",
        body="Anyone?",
    )
    assert response.status_code == 400
    assert "Nobody to message" in response.content.decode()
    assert not RosterMessage.objects.exists()


def test_only_coordinators_may_message_everyone(
    page_client, auditor, instructor, learner, learners, schedule
):
    session = schedule(status="scheduled")
    registration_create(session_id=session.pk, learner=learners(1)[0], now=NOW)
    for person in (auditor, instructor.user, learner):
        response = _send(
            page_client(person), session, audience="confirmed", subject="Hi", body="Hi"
        )
        assert response.status_code == 403
    assert not RosterMessage.objects.exists()


def test_the_roster_page_query_count_does_not_grow_with_registrations(
    page_client, coordinator, learners, schedule
):
    def queries(session: Session) -> int:
        client = page_client(coordinator)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("attendance:roster", args=[session.pk])).status_code == 200
        return len(captured)

    small = schedule(status="scheduled", capacity=1)
    registration_create(session_id=small.pk, learner=learners(1)[0], now=NOW)
    large = schedule(
        [(at("2030-03-05", "09:00"), at("2030-03-05", "12:00"))],
        status="scheduled",
        capacity=10,
        rooms=[factories.RoomFactory(capacity=30)],
        instructors=[factories.InstructorFactory()],
    )
    for person in learners(20):
        registration_create(session_id=large.pk, learner=person, now=NOW)
    for session in (small, large):
        _send(page_client(coordinator), session, audience="everyone", subject="Hi", body="Hi")
    _raise_capacity(large, 11)
    waiting = Registration.objects.filter(session=large, status="waitlisted").last()
    assert waiting is not None
    _promote(page_client(coordinator), waiting, "Chosen")
    _send(page_client(coordinator), large, audience="confirmed", subject="Again", body="Hi")

    assert queries(large) == queries(small) == ROSTER_QUERIES
