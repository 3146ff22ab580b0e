"""What learners see: no capacity internals; the catalog by course with each course's next
dates; Register only for those who may register; a missing prerequisite linked to that
course's sessions; their own bookings on the home page."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from attendance.models import Completion, CompletionStatus, Registration, RegistrationStatus
from attendance.services.registration import registration_create
from scheduling.models import Session
from tests import factories
from tests.conftest import NOW, at
from tms.models import Profile

pytestmark = pytest.mark.django_db

INTERNALS = ("binding", "Host account", "host account", "Limited by", "Smallest room")


def _html(response: Any) -> str:
    assert response.status_code == 200
    return str(response.content.decode())


def _on(day: int, *, course: Any, capacity: int = 12, schedule: Any, **kwargs: Any) -> Session:
    return schedule(  # type: ignore[no-any-return]
        [(at(f"2030-03-{day:02d}", "09:00"), at(f"2030-03-{day:02d}", "12:00"))],
        the_course=course,
        status="scheduled",
        capacity=capacity,
        rooms=[factories.RoomFactory()],
        instructors=[factories.InstructorFactory()],
        **kwargs,
    )


# --- No capacity internals ------------------------------------------------------------------


def test_learners_see_no_capacity_internals_coordinators_still_do(
    page_client, learner, coordinator, schedule, host_account, course
):
    online = schedule(
        [(at("2030-03-09", "09:00"), at("2030-03-09", "12:00"))],
        mode="vilt",
        host_account=host_account,
        instructors=[factories.InstructorFactory()],
        status="scheduled",
        capacity=60,  # the host account's 50 is the limit
    )
    in_room = _on(10, course=course, schedule=schedule)
    client = page_client(learner)
    pages = [
        reverse("attendance:catalog"),
        reverse("scheduling:session-detail", args=[online.pk]),
        reverse("scheduling:session-detail", args=[in_room.pk]),
        reverse("home"),
    ]
    for url in pages:
        html = _html(client.get(url))
        for word in INTERNALS:
            assert word not in html, (url, word)
    detail = _html(client.get(reverse("scheduling:session-detail", args=[online.pk])))
    assert "50 seats left" in detail

    staff = _html(
        page_client(coordinator).get(reverse("scheduling:session-detail", args=[online.pk]))
    )
    assert "Host account limit" in staff
    assert "binding" in staff


# --- The catalog by course --------------------------------------------------------------------


def test_the_catalog_groups_sessions_by_course_with_the_next_dates(
    page_client, learner, schedule, course
):
    first_aid = factories.CourseFactory(code="AID-1", title="First aid")
    safety = [_on(day, course=course, schedule=schedule) for day in (5, 6, 7, 8, 9, 10)]
    aid = _on(3, course=first_aid, schedule=schedule, capacity=3)
    client = page_client(learner)

    page = client.get(reverse("attendance:catalog"))

    groups = page.context["groups"]
    # Soonest next date first: first aid on the 3rd, then safety from the 5th.
    assert [g.course for g in groups] == [first_aid, course]
    assert [d.session for d in groups[0].dates] == [aid]
    assert [d.session for d in groups[1].dates] == safety[:4]
    assert groups[1].more == 2
    html = _html(page)
    assert "3 seats left" in html
    assert "2 more dates" in html
    assert "2 courses with open sessions" in html
    # A course's own catalog lists all its dates.
    own = client.get(reverse("attendance:catalog"), {"course": course.pk})
    assert [d.session for d in own.context["groups"][0].dates] == safety
    assert own.context["groups"][0].more == 0


def test_catalog_query_count_is_the_same_for_one_and_twenty_sessions(
    page_client, learner, learners, schedule, course
):
    def queries() -> int:
        client = page_client(learner)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("attendance:catalog")).status_code == 200
        return len(captured)

    basics = factories.CourseFactory(code="BAS-1", title="Basics")
    course.prerequisites.add(basics)
    _on(2, course=course, schedule=schedule, capacity=1)
    one = queries()
    others = [factories.CourseFactory(code="X-1"), factories.CourseFactory(code="X-2")]
    for n in range(19):
        session = _on(3 + n, course=others[n % 2], schedule=schedule)
        registration_create(session_id=session.pk, learner=learners(1)[0], now=NOW)
    registration_create(session_id=session.pk, learner=learner, now=NOW)
    assert Session.objects.filter(status="scheduled").count() == 20
    assert queries() == one == 15
    page = page_client(learner).get(reverse("attendance:catalog"))
    assert sum(len(g.dates) + g.more for g in page.context["groups"]) == 20


# --- Who sees Register ---------------------------------------------------------------------------


def _action(client: Any, session: Session) -> str:
    page = client.get(reverse("attendance:catalog"), {"course": session.course_id})
    dates = [d for g in page.context["groups"] for d in g.dates if d.session.pk == session.pk]
    return str(dates[0].action)


def test_register_shows_only_to_those_who_may_register(
    page_client, learner, learners, coordinator, schedule, course
):
    open_one = _on(5, course=course, schedule=schedule)
    full = _on(6, course=course, schedule=schedule, capacity=1)
    registration_create(session_id=full.pk, learner=learners(1)[0], now=NOW)
    closed = _on(7, course=course, schedule=schedule)
    # The pages read the real clock: the window closed a day ago.
    Session.objects.filter(pk=closed.pk).update(
        registration_closes_at=timezone.now() - dt.timedelta(days=1)
    )
    later = _on(8, course=course, schedule=schedule)
    Session.objects.filter(pk=later.pk).update(
        registration_opens_at=dt.datetime(2030, 3, 2, 8, 0, tzinfo=dt.UTC)
    )
    mine = _on(9, course=course, schedule=schedule)
    registration_create(session_id=mine.pk, learner=learner, now=NOW)
    client = page_client(learner)

    assert _action(client, open_one) == "register"
    assert _action(client, full) == "waitlist"
    assert _action(client, closed) == "closed"
    assert _action(client, later) == "not_yet"
    assert _action(client, mine) == "registered"

    html = _html(client.get(reverse("attendance:catalog"), {"course": course.pk}))
    assert html.count(">Register<") == 1
    assert html.count(">Join the waitlist<") == 1
    assert "Registration closed" in html
    assert "Registration opens" in html
    register = reverse("attendance:registration-create", args=[open_one.pk])
    assert register in html
    assert reverse("attendance:registration-create", args=[closed.pk]) not in html
    assert reverse("attendance:registration-create", args=[mine.pk]) not in html

    # The session page agrees.
    panel = _html(client.get(reverse("scheduling:session-detail", args=[full.pk])))
    assert "Join the waitlist" in panel
    closed_panel = _html(client.get(reverse("scheduling:session-detail", args=[closed.pk])))
    assert reverse("attendance:registration-create", args=[closed.pk]) not in closed_panel

    # Not a learner: nothing to register with.
    staff = page_client(coordinator).get(reverse("attendance:catalog"))
    assert {str(d.action) for g in staff.context["groups"] for d in g.dates} == {"none"}
    assert "registration-create" not in _html(staff)
    assert "/register/" not in _html(staff)


def test_a_missing_prerequisite_links_to_that_courses_upcoming_sessions(
    page_client, learner, schedule, course
):
    basics = factories.CourseFactory(code="BAS-1", title="Basics")
    course.prerequisites.add(basics)
    advanced = _on(6, course=course, schedule=schedule)
    basics_session = _on(4, course=basics, schedule=schedule)
    client = page_client(learner)
    link = f"{reverse('attendance:catalog')}?course={basics.pk}"

    catalog = client.get(reverse("attendance:catalog"))
    group = next(g for g in catalog.context["groups"] if g.course == course)
    assert group.missing == [basics]
    assert [str(d.action) for d in group.dates] == ["prerequisites"]
    html = _html(catalog)
    assert link in html
    assert "Complete first:" in html
    assert reverse("attendance:registration-create", args=[advanced.pk]) not in html

    detail = _html(client.get(reverse("scheduling:session-detail", args=[advanced.pk])))
    assert link in detail
    assert "Before you can register, complete:" in detail
    assert reverse("attendance:registration-create", args=[advanced.pk]) not in detail

    # The link leads to the prerequisite's upcoming sessions.
    target = client.get(reverse("attendance:catalog"), {"course": basics.pk})
    assert [d.session for g in target.context["groups"] for d in g.dates] == [basics_session]

    # Once completed, Register appears.
    done = registration_create(session_id=basics_session.pk, learner=learner, now=NOW).row()
    Completion.objects.create(registration=done, status=CompletionStatus.COMPLETED, recorded_at=NOW)
    assert _action(client, advanced) == "register"


# --- The learner's home ---------------------------------------------------------------------------


def test_the_learner_home_shows_their_bookings_in_their_zone(
    page_client, learner, learners, schedule, course
):
    Profile.objects.create(user=learner, time_zone="America/New_York")
    seat = _on(5, course=course, schedule=schedule)
    registration_create(session_id=seat.pk, learner=learner, now=NOW)
    full = _on(6, course=course, schedule=schedule, capacity=1)
    registration_create(session_id=full.pk, learner=learners(1)[0], now=NOW)
    registration_create(session_id=full.pk, learner=learners(1)[0], now=NOW)
    registration_create(session_id=full.pk, learner=learner, now=NOW)
    offered = _on(7, course=course, schedule=schedule, capacity=1)
    offer = registration_create(session_id=offered.pk, learner=learner, now=NOW).row()
    Registration.objects.filter(pk=offer.pk).update(
        status=RegistrationStatus.OFFERED, offer_expires_at=at("2030-03-02", "18:00")
    )
    elsewhere = _on(8, course=course, schedule=schedule)
    registration_create(session_id=elsewhere.pk, learner=learners(1)[0], now=NOW)

    page = page_client(learner).get(reverse("home"))

    bookings = page.context["bookings"]
    assert [r.session for r in bookings.upcoming] == [seat]
    assert [(r.session, r.position) for r in bookings.waiting] == [(full, 2)]
    assert [r.session for r in bookings.offers] == [offered]
    html = _html(page)
    assert "Your bookings" in html
    assert "Waitlist, position 2" in html
    # 09:00 in Paris is 03:00 in New York; the offer's 18:00 Paris deadline is 12:00 EST.
    assert "03:00" in html
    assert "Accept by Sat 2 Mar, 12:00 EST" in html
    assert reverse("attendance:offer-accept", args=[offer.pk]) in html
    assert reverse("scheduling:session-detail", args=[elsewhere.pk]) in html  # catalog list
    assert html.count(reverse("scheduling:session-detail", args=[seat.pk])) >= 1


def test_the_learner_home_query_count_does_not_grow_with_bookings(
    page_client, learner, schedule, course
):
    def queries() -> int:
        client = page_client(learner)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("home")).status_code == 200
        return len(captured)

    first = _on(2, course=course, schedule=schedule)
    registration_create(session_id=first.pk, learner=learner, now=NOW)
    one = queries()
    for day in range(3, 22):
        session = _on(day, course=factories.CourseFactory(), schedule=schedule, capacity=1)
        registration_create(session_id=session.pk, learner=learner, now=NOW)
    assert Registration.objects.filter(learner=learner).count() == 20
    assert queries() == one == 8
