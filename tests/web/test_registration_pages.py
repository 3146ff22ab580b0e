"""Registering, cancelling, offers and "My training" through the pages; the catalog's seats
and filters (with a fixed query count); the join link's visibility."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from attendance.models import (
    CourseWaitlistEntry,
    CourseWaitlistStatus,
    Registration,
    RegistrationStatus,
)
from attendance.services.promotion import waitlist_promote
from attendance.services.registration import course_waitlist_join, registration_create
from scheduling.models import WaitlistPolicy
from tests import factories
from tests.conftest import NOW, at

pytestmark = pytest.mark.django_db


def _messages(response) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    return [(m.level_tag, str(m)) for m in get_messages(response.wsgi_request)]


def _detail(session) -> str:  # type: ignore[no-untyped-def]
    return reverse("scheduling:session-detail", args=[session.pk])


# --- Register and cancel ---------------------------------------------------------------------


def test_a_learner_registers_and_then_joins_a_waitlist_when_full(
    page_client, learner, learners, schedule
):
    session = schedule(status="scheduled", capacity=1)
    client = page_client(learner)
    page = client.get(_detail(session))
    assert page.context["can_register"]
    assert "1 seat left" in page.content.decode()

    response = client.post(reverse("attendance:registration-create", args=[session.pk]))
    assert response.status_code == 302
    assert response["Location"] == _detail(session)
    assert _messages(response)[0][0] == "success"
    assert "your seat is confirmed" in _messages(response)[0][1]
    assert Registration.objects.get(learner=learner).status == RegistrationStatus.CONFIRMED

    second = page_client(learners(1)[0])
    page = second.get(_detail(session))
    assert "Full — nobody on the waitlist yet" in page.content.decode()
    assert "Join the waitlist" in page.content.decode()
    response = second.post(reverse("attendance:registration-create", args=[session.pk]))
    level, text = _messages(response)[0]
    assert level == "success"
    assert "added to the waitlist at position 1" in text

    page = second.get(_detail(session))
    html = page.content.decode()
    assert "You are on the waitlist at position 1." in html
    assert "Full — 1 on the waitlist" in html


def test_a_refused_registration_shows_the_reason_and_writes_nothing(page_client, learner, schedule):
    session = schedule(status="scheduled")
    client = page_client(learner)
    client.post(reverse("attendance:registration-create", args=[session.pk]))
    again = client.post(reverse("attendance:registration-create", args=[session.pk]))
    assert again.status_code == 302
    level, text = _messages(again)[-1]
    assert level == "error"
    assert "already registered" in text
    assert Registration.objects.count() == 1

    closed = schedule(
        [(at("2030-03-08", "09:00"), at("2030-03-08", "12:00"))],
        status="scheduled",
        rooms=[factories.RoomFactory()],
        instructors=[factories.InstructorFactory()],
    )
    closed.registration_closes_at = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    closed.save()
    page = client.get(_detail(closed))
    assert not page.context["can_register"]
    assert "Registration for this session has closed." in page.content.decode()
    response = client.post(reverse("attendance:registration-create", args=[closed.pk]))
    assert _messages(response)[-1] == ("error", "Registration for this session has closed.")
    assert Registration.objects.count() == 1


def test_a_learner_cancels_with_an_optional_reason_and_the_seat_goes_to_the_next_at_once(
    page_client, learner, learners, schedule
):
    session = schedule(status="scheduled", capacity=1)
    mine = registration_create(session_id=session.pk, learner=learner, now=NOW).row()
    waiting = registration_create(session_id=session.pk, learner=learners(1)[0], now=NOW).row()
    client = page_client(learner)
    response = client.post(
        reverse("attendance:registration-cancel", args=[mine.pk]),
        {"reason": "Clashes with an audit", "next": reverse("attendance:my-training")},
    )
    assert response["Location"] == reverse("attendance:my-training")
    assert _messages(response)[0] == (
        "success",
        "Your place in Workplace safety is cancelled.",
    )
    mine.refresh_from_db()
    assert mine.status == RegistrationStatus.CANCELLED
    assert mine.cancellation_reason == "Clashes with an audit"
    assert mine.cancelled_by == learner
    waiting.refresh_from_db()
    assert waiting.status == RegistrationStatus.CONFIRMED


def test_a_coordinator_cancels_only_with_a_reason(page_client, coordinator, learner, schedule):
    session = schedule(status="scheduled")
    theirs = registration_create(session_id=session.pk, learner=learner, now=NOW).row()
    client = page_client(coordinator)
    url = reverse("attendance:registration-cancel", args=[theirs.pk])
    response = client.post(url, {"reason": "  "})
    assert _messages(response)[0][0] == "error"
    assert "Give a reason" in _messages(response)[0][1]
    theirs.refresh_from_db()
    assert theirs.status == RegistrationStatus.CONFIRMED

    client.post(url, {"reason": "Left the company"})
    theirs.refresh_from_db()
    assert theirs.status == RegistrationStatus.CANCELLED
    assert theirs.cancelled_by == coordinator
    assert theirs.cancellation_reason == "Left the company"


# --- Offers ----------------------------------------------------------------------------------


@pytest.fixture
def offered(schedule, learner, learners):  # type: ignore[no-untyped-def]
    """`learner` was waiting in a full offer-policy session; a seat freed and was offered."""
    session = schedule(status="scheduled", capacity=1)
    session.waitlist_policy = WaitlistPolicy.OFFER
    session.save()
    first = registration_create(session_id=session.pk, learner=learners(1)[0], now=NOW)
    mine = registration_create(session_id=session.pk, learner=learner, now=NOW).row()
    Registration.objects.filter(pk=first.registration_id).update(
        status=RegistrationStatus.CANCELLED, cancelled_at=NOW
    )
    waitlist_promote(session_id=session.pk)
    mine.refresh_from_db()
    assert mine.status == RegistrationStatus.OFFERED
    return mine


def test_my_training_lists_the_offer_with_its_deadline_and_accepting_confirms(
    page_client, learner, offered
):
    client = page_client(learner)
    page = client.get(reverse("attendance:my-training"))
    assert [r.pk for r in page.context["offers"]] == [offered.pk]
    html = page.content.decode()
    assert "Held for you until" in html
    assert reverse("attendance:offer-accept", args=[offered.pk]) in html

    response = client.post(reverse("attendance:offer-accept", args=[offered.pk]))
    assert response["Location"] == reverse("attendance:my-training")
    assert _messages(response)[0][0] == "success"
    offered.refresh_from_db()
    assert offered.status == RegistrationStatus.CONFIRMED
    page = client.get(reverse("attendance:my-training"))
    assert [r.pk for r in page.context["upcoming"]] == [offered.pk]


def test_declining_from_the_session_page_passes_the_seat_on(page_client, learner, offered):
    client = page_client(learner)
    page = client.get(_detail(offered.session))
    assert "A seat is free for you." in page.content.decode()
    response = client.post(
        reverse("attendance:offer-decline", args=[offered.pk]), {"next": _detail(offered.session)}
    )
    assert response["Location"] == _detail(offered.session)
    offered.refresh_from_db()
    assert offered.status == RegistrationStatus.CANCELLED


def test_the_offer_link_shows_the_offer_on_get_and_acts_only_on_post(page_client, learner, offered):
    from attendance.tokens import offer_token

    url = reverse("attendance:offer", args=[offer_token(offered.pk, "accept")])
    client = page_client(learner)
    for _visit in range(2):  # a mail scanner and the learner both open it
        page = client.get(url)
        assert page.status_code == 200
        assert page.context["is_open"]
        assert "Accept the seat" in page.content.decode()
        assert "Seat held until" in page.content.decode()
    offered.refresh_from_db()
    assert offered.status == RegistrationStatus.OFFERED

    response = client.post(url)
    assert response.status_code == 302
    assert response["Location"] == reverse("attendance:my-training")
    offered.refresh_from_db()
    assert offered.status == RegistrationStatus.CONFIRMED

    again = client.get(url)
    assert again.status_code == 200
    assert "You already accepted this seat" in again.content.decode()
    assert client.post(url).status_code == 200  # nothing left to do; no error


def test_the_decline_link_declines_on_post(page_client, learner, offered):
    from attendance.tokens import offer_token

    url = reverse("attendance:offer", args=[offer_token(offered.pk, "decline")])
    client = page_client(learner)
    assert "Decline the seat" in client.get(url).content.decode()
    offered.refresh_from_db()
    assert offered.status == RegistrationStatus.OFFERED
    client.post(url)
    offered.refresh_from_db()
    assert offered.status == RegistrationStatus.CANCELLED
    closed = client.get(url)
    assert closed.status_code == 400
    assert "This offer is no longer open" in closed.content.decode()


def test_a_bad_or_expired_offer_link_gets_a_friendly_400(page_client, learner, offered):
    from attendance.tokens import offer_token

    client = page_client(learner)
    token = offer_token(offered.pk, "accept")
    for bad in (token[:-3] + "abc", "nonsense", offer_token(offered.pk, "steal")):
        page = client.get(reverse("attendance:offer", args=[bad]))
        assert page.status_code == 400
        assert "This link is not valid" in page.content.decode()
        assert client.post(reverse("attendance:offer", args=[bad])).status_code == 400
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(days=31)):
        client = page_client(learner)  # a fresh sign-in: the old one has expired too
        assert client.get(reverse("attendance:offer", args=[token])).status_code == 400
    # The offer's own deadline has passed (the expiry sweep has not run yet).
    Registration.objects.filter(pk=offered.pk).update(
        offer_expires_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    )
    url = reverse("attendance:offer", args=[token])
    page = client.get(url)
    assert page.status_code == 400
    assert "This offer is no longer open" in page.content.decode()
    assert client.post(url).status_code == 400
    offered.refresh_from_db()
    assert offered.status == RegistrationStatus.OFFERED


# --- My training and the any-date waitlist ----------------------------------------------------


def test_my_training_shows_positions_any_date_waitlists_and_history(
    page_client, learner, learners, schedule, course
):
    full = schedule(status="scheduled", capacity=1)
    registration_create(session_id=full.pk, learner=learners(1)[0], now=NOW)
    waiting = registration_create(session_id=full.pk, learner=learner, now=NOW).row()
    client = page_client(learner)

    page = client.get(_detail(full))
    assert not page.context["can_join_any_date"]  # already on this session's waitlist
    other_course = factories.CourseFactory(title="First aid")
    entry = course_waitlist_join(course_id=other_course.pk, learner=learner)

    page = client.get(reverse("attendance:my-training"))
    assert [(r.pk, r.position) for r in page.context["waiting"]] == [(waiting.pk, 1)]
    assert [e.pk for e in page.context["course_entries"]] == [entry.pk]
    html = page.content.decode()
    assert "Position 1" in html
    assert "First aid" in html

    response = client.post(reverse("attendance:course-waitlist-leave", args=[entry.pk]))
    assert response["Location"] == reverse("attendance:my-training")
    entry.refresh_from_db()
    assert entry.status == CourseWaitlistStatus.WITHDRAWN


def test_join_any_date_from_a_full_session_page(page_client, learner, learners, schedule):
    full = schedule(status="scheduled", capacity=1)
    registration_create(session_id=full.pk, learner=learners(1)[0], now=NOW)
    client = page_client(learner)
    page = client.get(_detail(full))
    assert page.context["can_join_any_date"]
    assert "Join any date" in page.content.decode()
    response = client.post(
        reverse("attendance:course-waitlist-join", args=[full.course_id]), {"next": _detail(full)}
    )
    assert response["Location"] == _detail(full)
    assert CourseWaitlistEntry.objects.get(learner=learner).course_id == full.course_id
    page = client.get(_detail(full))
    assert not page.context["can_join_any_date"]
    assert "You are on the any-date waitlist" in page.content.decode()
    twice = client.post(reverse("attendance:course-waitlist-join", args=[full.course_id]))
    assert _messages(twice)[0][0] == "error"
    assert CourseWaitlistEntry.objects.count() == 1


# --- Catalog -------------------------------------------------------------------------------


def _catalog_ids(response) -> list[int]:  # type: ignore[no-untyped-def]
    """The sessions listed, course by course, in the order shown."""
    return [date.session.pk for group in response.context["groups"] for date in group.dates]


def test_catalog_lists_open_sessions_with_seats_and_filters(
    page_client, learner, learners, schedule, host_account
):
    small = schedule(status="scheduled", capacity=1)
    registration_create(session_id=small.pk, learner=learners(1)[0], now=NOW)
    registration_create(session_id=small.pk, learner=learners(1)[0], now=NOW)
    first_aid = factories.CourseFactory(code="AID-1", title="First aid")
    online = schedule(
        [(at("2030-03-09", "09:00"), at("2030-03-09", "12:00"))],
        mode="vilt",
        host_account=host_account,
        instructors=[factories.InstructorFactory()],
        the_course=first_aid,
        status="scheduled",
    )
    schedule([(at("2030-03-10", "09:00"), at("2030-03-10", "12:00"))])  # a draft: never listed
    client = page_client(learner)

    page = client.get(reverse("attendance:catalog"))
    assert _catalog_ids(page) == [small.pk, online.pk]
    html = page.content.decode()
    assert "Full" in html
    assert "waitlist open" in html
    assert "12 seats left" in html

    assert _catalog_ids(client.get(reverse("attendance:catalog"), {"q": "first"})) == [online.pk]
    assert _catalog_ids(client.get(reverse("attendance:catalog"), {"q": "AID-1"})) == [online.pk]
    by_mode = client.get(reverse("attendance:catalog"), {"delivery_mode": "ilt"})
    assert _catalog_ids(by_mode) == [small.pk]
    by_course = client.get(reverse("attendance:catalog"), {"course": first_aid.pk})
    assert _catalog_ids(by_course) == [online.pk]
    by_site = client.get(reverse("attendance:catalog"), {"site": small.blocks.get().room.site_id})
    assert _catalog_ids(by_site) == [small.pk]
    window = {"date_from": "2030-03-05", "date_to": "2030-03-09"}
    assert _catalog_ids(client.get(reverse("attendance:catalog"), window)) == [online.pk]
    bad = client.get(
        reverse("attendance:catalog"), {"date_from": "2030-03-09", "date_to": "2030-03-01"}
    )
    assert _catalog_ids(bad) == []
    assert "The end date is before the start date." in bad.content.decode()

    htmx = client.get(reverse("attendance:catalog"), {"q": "first"}, headers={"HX-Request": "true"})
    assert "<html" not in htmx.content.decode()
    assert "1 course with open sessions" in htmx.content.decode()


def test_catalog_marks_the_learners_own_registrations(page_client, learner, schedule):
    session = schedule(status="scheduled")
    registration_create(session_id=session.pk, learner=learner, now=NOW)
    page = page_client(learner).get(reverse("attendance:catalog"))
    assert page.context["groups"][0].dates[0].mine.status == RegistrationStatus.CONFIRMED
    assert "badge--confirmed" in page.content.decode()


def _queries(client, url) -> int:  # type: ignore[no-untyped-def]
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_catalog_and_session_list_query_counts_do_not_grow_with_the_page(
    page_client, learner, coordinator, learners, schedule, django_assert_num_queries
):
    def add_session(day: int) -> None:
        session = schedule(
            [(at(f"2030-03-{day:02d}", "09:00"), at(f"2030-03-{day:02d}", "12:00"))],
            status="scheduled",
            capacity=1,
            rooms=[factories.RoomFactory()],
            instructors=[factories.InstructorFactory()],
        )
        for person in learners(2):
            registration_create(session_id=session.pk, learner=person, now=NOW)

    add_session(2)
    catalog = reverse("attendance:catalog")
    sessions = reverse("scheduling:session-list") + "?date_from="
    learner_client = page_client(learner)
    few_catalog = _queries(learner_client, catalog)
    few_sessions = _queries(learner_client, sessions)
    for day in range(3, 12):
        add_session(day)
    assert _queries(learner_client, catalog) == few_catalog
    assert _queries(learner_client, sessions) == few_sessions
    # Pinned: sign-in session, user (with their settings and instructor profile, for the
    # viewer's zone), roles, the count and the page of courses, their sessions, blocks,
    # instructors, seats, own registrations, the prerequisites of the listed courses, and
    # courses (with their prerequisites) and sites for the filters.
    with django_assert_num_queries(14):
        learner_client.get(catalog)
    staff = page_client(coordinator)
    few = _queries(staff, sessions)
    add_session(12)
    assert _queries(staff, sessions) == few


# --- Join link -------------------------------------------------------------------------------


def test_the_join_link_shows_to_a_confirmed_learner_only_shortly_before_the_start(
    page_client, learner, learners, schedule, host_account
):
    session = schedule(
        [(at("2030-03-09", "09:00"), at("2030-03-09", "12:00"))],
        mode="vilt",
        host_account=host_account,
        status="scheduled",
    )
    session.join_url = "https://meet.example.org/safety-42"
    session.save()
    registration_create(session_id=session.pk, learner=learner, now=NOW)
    stranger = learners(1)[0]
    client = page_client(learner)
    assert session.join_url not in client.get(_detail(session)).content.decode()
    assert "The join link appears here 30 minutes before the start." in (
        client.get(_detail(session)).content.decode()
    )
    with time_machine.travel(at("2030-03-09", "08:45"), tick=False):
        client = page_client(learner)  # the earlier sign-in has long expired by then
        page = client.get(_detail(session))
        assert page.context["join_link_visible"]
        assert session.join_url in page.content.decode()
        training = client.get(reverse("attendance:my-training"))
        assert session.join_url in training.content.decode()
        other = page_client(stranger).get(_detail(session))
        assert session.join_url not in other.content.decode()


def test_the_waitlist_email_link_lets_a_learner_leave_the_waitlist(
    page_client, learner, learners, schedule
):
    """ "Not interested": the waitlisted email carries a link; GET asks, POST leaves."""
    import re

    from django.conf import settings as django_settings
    from django.core import mail

    from notifications.services import outbox_dispatch

    session = schedule(status="scheduled", capacity=1)
    registration_create(session_id=session.pk, learner=learners(1)[0], now=NOW)
    waiting = registration_create(session_id=session.pk, learner=learner, now=NOW).row()
    mail.outbox.clear()
    outbox_dispatch(now=NOW)
    (email,) = [m for m in mail.outbox if m.to == [learner.email]]
    assert "position 1" in email.subject
    link = re.search(r"Leave the waitlist: (\S+)", email.body).group(1)
    html = email.alternatives[0][0]
    assert "Leave the waitlist</a>" in html
    path = link.removeprefix(django_settings.SITE_URL)
    client = page_client(learner)

    for _visit in range(2):  # a mail scanner and the learner both open it
        page = client.get(path)
        assert page.status_code == 200
        assert "Leave the waitlist" in page.content.decode()
    waiting.refresh_from_db()
    assert waiting.status == RegistrationStatus.WAITLISTED

    response = client.post(path)

    assert response["Location"] == reverse("attendance:my-training")
    assert _messages(response)[0] == (
        "success",
        f"You left the waitlist for {session.course.title}.",
    )
    waiting.refresh_from_db()
    assert waiting.status == RegistrationStatus.CANCELLED
    assert waiting.cancelled_by == learner
    assert "Not interested" in waiting.cancellation_reason
    again = client.get(path)
    assert again.status_code == 200
    assert "You are no longer on the waitlist" in again.content.decode()


def test_the_leave_link_does_nothing_once_the_learner_has_a_seat(page_client, learner, offered):
    from attendance.tokens import offer_token

    url = reverse("attendance:offer", args=[offer_token(offered.pk, "leave")])
    client = page_client(learner)

    page = client.get(url)
    client.post(url)

    assert page.status_code == 400
    assert "You are no longer waiting for this session" in page.content.decode()
    offered.refresh_from_db()
    assert offered.status == RegistrationStatus.OFFERED


def test_the_any_date_waitlist_email_link_lets_a_learner_leave(
    page_client, learner, course, outsider
):
    import re

    from django.conf import settings as django_settings
    from django.core import mail

    from attendance.models import CourseWaitlistStatus
    from attendance.services.registration import course_waitlist_join
    from notifications.services import outbox_dispatch

    entry = course_waitlist_join(course_id=course.pk, learner=learner, now=NOW)
    mail.outbox.clear()
    outbox_dispatch(now=NOW)
    (email,) = mail.outbox
    path = re.search(r"Leave the waitlist: (\S+)", email.body).group(1)
    path = path.removeprefix(django_settings.SITE_URL)
    assert "Leave the waitlist</a>" in email.alternatives[0][0]

    assert page_client(outsider).get(path).status_code == 403  # not theirs (no role)
    client = page_client(learner)
    page = client.get(path)
    assert page.status_code == 200
    assert "Leave the waitlist" in page.content.decode()
    entry.refresh_from_db()
    assert entry.status == CourseWaitlistStatus.WAITING

    response = client.post(path)

    assert response["Location"] == reverse("attendance:my-training")
    entry.refresh_from_db()
    assert entry.status == CourseWaitlistStatus.WITHDRAWN
    assert "You are no longer on the waitlist" in client.get(path).content.decode()
    assert client.get(path[:-3] + "xx/").status_code == 400  # a tampered link
