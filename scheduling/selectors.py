"""Reads: who may see which sessions, availability searches, derived capacity."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.models import User as Account
from django.db import connection
from django.db.models import (
    Exists,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
)

from instructors.models import Instructor, Qualification
from scheduling.models import (
    BlockStatus,
    Course,
    InstructorAssignment,
    Session,
    SessionBlock,
    SessionStatus,
)
from scheduling.services.availability import (
    EXCLUDING_WARNINGS,
    instructors_for_session,
    room_candidates,
    rooms_for_session,
)
from tms.roles import Role, roles_of
from venues.models import Room

# Whoever asks: a signed-in account (Django's user model, as on `request.user`) or a visitor.
User = Account | AnonymousUser


# --- Visibility ---------------------------------------------------------------------------------


def course_list_for(user: User) -> QuerySet[Course]:
    """Coordinators and auditors see every course; others the active catalog."""
    held = roles_of(user)
    courses = Course.objects.prefetch_related("prerequisites").order_by("code")
    if held & {Role.COORDINATOR, Role.AUDITOR}:
        return courses
    if held & {Role.INSTRUCTOR, Role.LEARNER}:
        return courses.filter(active=True)
    return courses.none()


def session_list_for(user: User) -> QuerySet[Session]:
    """Sessions the user may see, ready for listing (blocks, rooms, instructors prefetched).

    Coordinators and auditors: all. Instructors: the sessions they teach, plus the published
    catalog. Learners: the published catalog (scheduled sessions of active courses).
    """
    held = roles_of(user)
    sessions = Session.objects.select_related("course", "host_account").prefetch_related(
        Prefetch(
            "blocks",
            queryset=SessionBlock.objects.select_related("room__site").order_by("starts_at"),
        ),
        Prefetch(
            "assignments",
            queryset=InstructorAssignment.objects.select_related("instructor__user"),
        ),
    )
    if held & {Role.COORDINATOR, Role.AUDITOR}:
        return sessions
    published = Q(status=SessionStatus.SCHEDULED, course__active=True)
    if Role.INSTRUCTOR in held and user.is_authenticated:
        teaching = Exists(
            InstructorAssignment.objects.filter(session=OuterRef("pk"), instructor__user=user)
        )
        return sessions.filter(published | Q(teaching))
    if Role.LEARNER in held:
        return sessions.filter(published)
    return sessions.none()


def session_get_for(user: User, pk: int) -> Session:
    """One visible session; raises Session.DoesNotExist (→ 404) when it is not visible."""
    return session_list_for(user).get(pk=pk)


# The visibility rule of `session_list_for` as a condition on `scheduling_session s` joined to
# `scheduling_course c`, with the parameters from `visibility_params`. Registering embeds it in
# its own read of the session (one statement per registration in a sales rush).
VISIBLE_CONDITION = """(%(all)s
        OR (%(catalog)s AND s.status = 'scheduled' AND c.active)
        OR (%(teacher)s AND EXISTS (
              SELECT 1 FROM scheduling_instructorassignment a
                JOIN instructors_instructor i ON i.id = a.instructor_id
               WHERE a.session_id = s.id AND i.user_id = %(user)s)))"""

VISIBLE_SQL = """
SELECT 1 FROM scheduling_session s JOIN scheduling_course c ON c.id = s.course_id
 WHERE s.id = %(session)s AND {visible}
""".replace("{visible}", VISIBLE_CONDITION)


def visibility_params(user: User | None) -> dict[str, int | bool | None]:
    """Parameters of VISIBLE_CONDITION for this user (None: a service acting for nobody in
    particular sees everything). A user with no role sees nothing."""
    if user is None:
        return {"user": None, "all": True, "catalog": False, "teacher": False}
    held = roles_of(user)
    return {
        "user": user.pk,
        "all": bool(held & {Role.COORDINATOR, Role.AUDITOR}),
        "catalog": bool(held & {Role.INSTRUCTOR, Role.LEARNER}),
        "teacher": Role.INSTRUCTOR in held,
    }


def session_is_visible(user: User, pk: int) -> bool:
    """The same rule as `session_list_for`, for one id, in one cheap statement."""
    with connection.cursor() as cursor:
        cursor.execute(VISIBLE_SQL, {"session": pk, **visibility_params(user)})
        return cursor.fetchone() is not None


def session_is_taught_by(session: Session, user: User) -> bool:
    return any(a.instructor.user_id == user.pk for a in session.assignments.all())


# --- Derived capacity -------------------------------------------------------------------


@dataclass(frozen=True)
class EffectiveCapacity:
    value: int
    binding: str  # "session", "room" or "host_account"
    session_capacity: int
    room_capacity: int | None
    host_account_limit: int | None


def effective_capacity(session: Session) -> EffectiveCapacity:
    """The smallest of the session's cap, its rooms' capacity and the host account's limit.

    On a tie the session's own cap is named as binding (it is what the coordinator set).
    """
    rooms = [
        b.room.capacity for b in session.blocks.all() if b.status == BlockStatus.ACTIVE and b.room
    ]
    room_capacity = min(rooms) if rooms else None
    host_limit = session.host_account.participant_limit if session.host_account else None
    value, binding = session.capacity, "session"
    if room_capacity is not None and room_capacity < value:
        value, binding = room_capacity, "room"
    if host_limit is not None and host_limit < value:
        value, binding = host_limit, "host_account"
    return EffectiveCapacity(value, binding, session.capacity, room_capacity, host_limit)


# --- Availability ------------------------------------------------------------------------------


def rooms_available(
    *,
    blocks: Sequence[tuple[dt.datetime, dt.datetime]],
    min_capacity: int = 1,
    features: Sequence[str] = (),
    site_id: int | None = None,
    exclude_session_id: int | None = None,
) -> QuerySet[Room]:
    """Bookable rooms with capacity ≥ N and all `features`, free (buffers included) for every
    block and not closed then: the planner's room rules (`services.availability`)."""
    candidates = rooms_for_session(
        blocks=blocks,
        time_zone="UTC",  # only the wording of the reasons, which are not shown here
        capacity=min_capacity,
        features=features,
        # Narrowed in SQL first (fewer rows to check); the planner asks again.
        rooms=room_candidates(site_id).filter(
            capacity__gte=min_capacity, features__contains=list(features)
        ),
        session_id=exclude_session_id,
    )
    free = [c.pk for c in candidates if c.available]
    return (
        Room.objects.select_related("site")
        .filter(pk__in=free)
        .order_by("site__name", "capacity", "name")
    )


def instructors_available(
    *,
    course: Course,
    blocks: Sequence[tuple[dt.datetime, dt.datetime]],
    time_zone: str,
    exclude_session_id: int | None = None,
) -> QuerySet[Instructor]:
    """Active instructors qualified for `course` on every block's date, with no booking and no
    unavailability overlapping any block: the planner's refusals (`services.availability`);
    its warnings (weekly load, working hours) do not leave anyone out of this list.

    The dates are those of a session held in `time_zone`, as the planner reads them: near
    midnight the UTC date is another day.
    """
    candidates = instructors_for_session(
        course=course, blocks=blocks, time_zone=time_zone, session_id=exclude_session_id
    )
    free = [
        c.pk
        for c in candidates
        if not [r for r in c.reasons if r.code not in EXCLUDING_WARNINGS]
        and (blocks or c.pk in qualified_for(course))
    ]
    return (
        Instructor.objects.select_related("user")
        .filter(pk__in=free)
        .order_by(F("user__last_name").asc(nulls_last=True), "user__username")
    )


def qualified_for(course: Course) -> set[int]:
    return set(Qualification.objects.filter(course=course).values_list("instructor_id", flat=True))
