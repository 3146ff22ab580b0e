"""`manage.py seed_demo`: the promised organisation, built through the services, loaded once."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from io import StringIO
from typing import Any

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command
from django.test import RequestFactory
from django.utils import timezone
from rest_framework.authtoken.models import Token

from instructors.models import Instructor, Qualification, Unavailability, WorkingHours
from scheduling.management.demo import expected_status_counts, remove_demo_data
from scheduling.management.demo_data import DEMO_PASSWORD
from scheduling.models import (
    AssignmentRole,
    BlockStatus,
    Course,
    DeliveryMode,
    HostAccountBooking,
    InstructorBooking,
    RoomBooking,
    Session,
    SessionStatus,
)
from tms.roles import Role
from venues.models import HostAccount, Room, RoomClosure, Site

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


@pytest.fixture(scope="module")
def demo(django_db_setup: Any, django_db_blocker: Any) -> Iterator[dict[str, Any]]:
    """Seed once for the module (it takes seconds), committed; removed again afterwards."""
    with django_db_blocker.unblock():
        out = StringIO()
        started = timezone.now()
        try:
            call_command("seed_demo", stdout=out)
            yield {"output": out.getvalue(), "started": started}
        finally:
            # Committed rows would leak into every later test: remove them even after a failure.
            remove_demo_data()


def test_demo_organisation_has_the_promised_size(demo: dict[str, Any]) -> None:
    assert Site.objects.count() == 3
    assert {s.time_zone for s in Site.objects.all()} == {
        "Europe/London",
        "Europe/Paris",
        "America/New_York",
    }
    assert all(s.address for s in Site.objects.all())
    rooms = list(Room.objects.all())
    assert len(rooms) == 12
    assert min(r.capacity for r in rooms) >= 8
    assert max(r.capacity for r in rooms) <= 40
    assert sum(not r.bookable for r in rooms) == 1
    assert RoomClosure.objects.exists()
    accounts = list(HostAccount.objects.all())
    assert len(accounts) == 4
    assert {a.provider for a in accounts} == {"url", "manual"}
    assert all(25 <= a.participant_limit <= 300 for a in accounts)
    assert Instructor.objects.count() == 25
    assert Instructor.objects.filter(user__groups__name=Role.INSTRUCTOR).count() == 25
    assert WorkingHours.objects.count() == 25 * 5
    assert Unavailability.objects.exists()
    assert Qualification.objects.filter(expires_on__isnull=False).exists()
    assert Course.objects.count() == 40
    assert Course.objects.filter(prerequisites__isnull=False).distinct().count() >= 3
    assert Session.objects.count() == 300


def test_demo_sessions_are_mostly_scheduled_with_some_drafts_and_cancellations(
    demo: dict[str, Any],
) -> None:
    statuses = Counter(Session.objects.values_list("status", flat=True))
    assert statuses == expected_status_counts()
    assert statuses == {
        SessionStatus.SCHEDULED: 255,
        SessionStatus.DRAFT: 30,
        SessionStatus.CANCELLED: 15,
    }
    modes = Counter(Session.objects.values_list("delivery_mode", flat=True))
    assert modes[DeliveryMode.ILT] > 100
    assert modes[DeliveryMode.VILT] > 50
    assert "300 sessions" in demo["output"]


def test_demo_sessions_lie_in_the_next_three_months_with_one_to_three_blocks(
    demo: dict[str, Any],
) -> None:
    started = demo["started"]
    for session in Session.objects.prefetch_related("blocks"):
        blocks = list(session.blocks.all())
        assert 1 <= len(blocks) <= 3
        assert all(b.status == BlockStatus.ACTIVE for b in blocks)
        assert started < session.starts_at
        assert session.ends_at is not None
        assert session.ends_at < started + dt.timedelta(days=93)


def _overlaps(rows: Iterable[tuple[int, Any, int]]) -> list[tuple[int, int]]:
    """Pairs of sessions holding one resource at overlapping times."""
    by_resource: dict[int, list[tuple[Any, int]]] = defaultdict(list)
    for resource_id, during, session_id in rows:
        by_resource[resource_id].append((during, session_id))
    clashes = []
    for held in by_resource.values():
        held.sort(key=lambda item: item[0].lower)
        for index, (during, session_id) in enumerate(held):
            for later, other in held[index + 1 :]:
                if later.lower >= during.upper:
                    break
                if other != session_id:
                    clashes.append((session_id, other))
    return clashes


def test_no_room_host_account_or_instructor_is_double_booked(demo: dict[str, Any]) -> None:
    rooms = RoomBooking.objects.values_list("room_id", "during", "session_id")
    accounts = HostAccountBooking.objects.values_list("host_account_id", "during", "session_id")
    people = InstructorBooking.objects.values_list("instructor_id", "during", "session_id")
    assert rooms.count() > 150
    assert accounts.count() > 50
    assert people.count() > 300
    assert _overlaps(rooms) == []
    assert _overlaps(accounts) == []
    assert _overlaps(people) == []


def test_demo_sessions_follow_the_scheduling_rules(demo: dict[str, Any]) -> None:
    sessions = Session.objects.select_related("course", "host_account").prefetch_related(
        "blocks__room", "assignments__instructor", "room_bookings", "instructor_bookings"
    )
    expiry = {(q.instructor_id, q.course_id): q.expires_on for q in Qualification.objects.all()}
    for session in sessions:
        blocks = list(session.blocks.all())
        assert session.delivery_mode in session.course.delivery_modes
        if session.delivery_mode == DeliveryMode.ILT:
            assert session.host_account is None
            assert all(b.room is not None and b.room.bookable for b in blocks)
            assert all(b.room.capacity >= session.capacity for b in blocks if b.room)
        else:
            assert session.host_account is not None
            assert session.join_url.startswith("https://")
            assert session.host_account.participant_limit >= session.capacity
        for assignment in session.assignments.all():
            key = (assignment.instructor_id, session.course_id)
            assert key in expiry
            assert expiry[key] is None or expiry[key] >= session.ends_at.date()
        roles = [a.role for a in session.assignments.all()]
        if session.status == SessionStatus.CANCELLED:
            assert session.cancellation_reason
            assert not session.room_bookings.all()
            assert not session.instructor_bookings.all()
        else:
            bookings = len(session.instructor_bookings.all())
            assert bookings == len(roles) * len(blocks)
        if session.status == SessionStatus.SCHEDULED:
            assert roles.count(AssignmentRole.LEAD) == 1


def test_seeding_again_loads_nothing(demo: dict[str, Any]) -> None:
    before = (Session.objects.count(), Course.objects.count(), get_user_model().objects.count())
    out = StringIO()
    call_command("seed_demo", stdout=out)
    assert "already loaded" in out.getvalue()
    after = (Session.objects.count(), Course.objects.count(), get_user_model().objects.count())
    assert after == before


@pytest.mark.parametrize(
    ("username", "role"),
    [
        ("coordinator", Role.COORDINATOR),
        ("instructor", Role.INSTRUCTOR),
        ("learner", Role.LEARNER),
        ("auditor", Role.AUDITOR),
        ("admin", None),
    ],
)
def test_demo_users_sign_in_with_the_published_password(
    demo: dict[str, Any], username: str, role: str | None
) -> None:
    request = RequestFactory().post("/accounts/login/")
    user = authenticate(request, username=username, password=DEMO_PASSWORD)
    assert user is not None
    if role is None:
        assert user.is_superuser
        assert user.is_staff
    else:
        assert list(user.groups.values_list("name", flat=True)) == [role]
        assert not user.is_superuser


def test_demo_instructor_is_one_of_the_instructors_and_teaches_sessions(
    demo: dict[str, Any],
) -> None:
    teacher = Instructor.objects.get(user__username="instructor")
    taught = Session.objects.filter(assignments__instructor=teacher)
    assert taught.filter(status=SessionStatus.SCHEDULED).count() >= 5


def test_coordinator_has_an_api_token(demo: dict[str, Any]) -> None:
    token = Token.objects.get(user__username="coordinator")
    assert token.key in demo["output"]


def test_removing_the_demo_leaves_none_of_it(demo: dict[str, Any]) -> None:
    # Runs inside this test's transaction: the module's demo data comes back afterwards.
    assert remove_demo_data() == 300
    assert not Session.objects.exists()
    assert not Course.objects.exists()
    assert not Site.objects.exists()
    assert not HostAccount.objects.exists()
    assert not Instructor.objects.exists()
    assert not get_user_model().objects.filter(username__in=["coordinator", "admin"]).exists()
