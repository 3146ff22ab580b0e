"""Reads for registrations: seats, rosters, waitlists, "my training", the message preview."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.models import User as Account
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    When,
    prefetch_related_objects,
)
from django.utils import timezone

from attendance.models import (
    SEAT_HOLDING,
    AttendanceRecord,
    AttendanceSignOff,
    CourseWaitlistEntry,
    CourseWaitlistStatus,
    Registration,
    RegistrationStatus,
)
from attendance.services.reminders import due_offset, reminder_time
from scheduling.models import (
    BlockStatus,
    InstructorAssignment,
    Session,
    SessionBlock,
    SessionStatus,
)
from scheduling.selectors import effective_capacity, session_is_taught_by
from tms.permissions import Scope
from tms.roles import Role, roles_of

User = Account | AnonymousUser


def awaiting_sign_off(sessions: QuerySet[Session], *, ended_by: dt.datetime) -> QuerySet[Session]:
    """The sessions of `sessions` whose attendance is still to be submitted: held (scheduled
    or completed), over by `ended_by`, with a confirmed learner, not signed off; oldest
    first. The sign-off reminders and the home page read the same rule."""
    confirmed = Registration.objects.filter(
        session=OuterRef("pk"), status=RegistrationStatus.CONFIRMED
    )
    return (
        sessions.filter(
            status__in=[SessionStatus.SCHEDULED, SessionStatus.COMPLETED], ends_at__lte=ended_by
        )
        .filter(Exists(confirmed))
        .exclude(Exists(AttendanceSignOff.objects.filter(session=OuterRef("pk"))))
        .order_by("ends_at", "pk")
    )


@dataclass(frozen=True)
class Seats:
    limit: int
    taken: int
    waitlisted: int

    @property
    def left(self) -> int:
        return max(self.limit - self.taken, 0)

    @property
    def full(self) -> bool:
        return self.left == 0


def seats_for(session: Session) -> Seats:
    """Seats of one session (limit derived from session, rooms and host account)."""
    counts = Registration.objects.filter(session=session).aggregate(
        taken=Count("pk", filter=Q(status__in=SEAT_HOLDING)),
        waitlisted=Count("pk", filter=Q(status=RegistrationStatus.WAITLISTED)),
    )
    return Seats(effective_capacity(session).value, counts["taken"], counts["waitlisted"])


def seats_by_session(sessions: list[Session]) -> dict[int, Seats]:
    """Seats for a page of sessions in one query (blocks/rooms must be prefetched)."""
    rows = (
        Registration.objects.filter(session__in=sessions)
        .values("session_id")
        .annotate(
            taken=Count("pk", filter=Q(status__in=SEAT_HOLDING)),
            waitlisted=Count("pk", filter=Q(status=RegistrationStatus.WAITLISTED)),
        )
    )
    counts = {r["session_id"]: r for r in rows}
    return {
        s.pk: Seats(
            effective_capacity(s).value,
            counts.get(s.pk, {}).get("taken", 0),
            counts.get(s.pk, {}).get("waitlisted", 0),
        )
        for s in sessions
    }


def roster_for(session: Session) -> QuerySet[Registration]:
    """Seat holders (confirmed and offered), in the order they got their seat."""
    return (
        Registration.objects.filter(session=session, status__in=SEAT_HOLDING)
        .select_related("learner")
        .order_by("confirmed_at", "pk")
    )


class QueuePosition(Func):
    """`attendance_queue_position(session, rank)`: the one definition of a place in line."""

    function = "attendance_queue_position"
    output_field = IntegerField()


def _position() -> Case:
    return Case(
        When(
            status=RegistrationStatus.WAITLISTED,
            then=QueuePosition(F("session_id"), F("waitlist_rank")),
        ),
        default=None,
        output_field=IntegerField(),
    )


def waitlist_for(session: Session) -> QuerySet[Registration]:
    """The session's waitlisted learners with each one's 1-based place in line (`position`;
    any-date learners ahead count too)."""
    return (
        Registration.objects.filter(session=session, status=RegistrationStatus.WAITLISTED)
        .select_related("learner")
        .annotate(position=_position())
        .order_by("waitlist_rank", "pk")
    )


def with_waitlist_positions(registrations: QuerySet[Registration]) -> QuerySet[Registration]:
    """Annotate `position` (1-based place in the session's line; null unless waitlisted)."""
    return registrations.annotate(position=_position())


def registrations_of(user: User) -> QuerySet[Registration]:
    """ "My training": the learner's registrations, newest sessions first."""
    if not user.is_authenticated:
        return Registration.objects.none()
    return (
        Registration.objects.filter(learner_id=user.pk)
        .select_related("session__course", "session__host_account", "completion")
        .order_by("-session__starts_at", "-pk")
    )


@dataclass(frozen=True)
class BlockAttendance:
    """One block of a past session as its learner reads it: the block and its record (None
    until someone marks it)."""

    block: SessionBlock
    record: AttendanceRecord | None


def with_attendance_records(registrations: list[Registration]) -> None:
    """Give each registration `block_attendance` (every block of its session, in order, with
    the registration's record for it) and its completion's certificates: two queries for any
    number of registrations (none for an empty list). The registrations must come with
    `session__blocks` prefetched and `completion` selected (see `registrations_of`)."""
    if not registrations:
        return
    records: dict[tuple[int, int], AttendanceRecord] = {
        (record.registration_id, record.block_id): record
        for record in AttendanceRecord.objects.filter(
            registration__in=[r.pk for r in registrations]
        )
    }
    completions = [
        r.completion for r in registrations if getattr(r, "completion", None) is not None
    ]
    # The certificates are compliance's rows; prefetching them by their relation keeps
    # attendance free of compliance's code (it depends on attendance, not the reverse).
    prefetch_related_objects(completions, "certificates")
    for registration in registrations:
        registration.block_attendance = [  # type: ignore[attr-defined]
            BlockAttendance(block=block, record=records.get((registration.pk, block.pk)))
            for block in registration.session.blocks.all()
        ]


def registrations_visible(user: Any, scope: Scope) -> QuerySet[Registration]:
    """Every registration ("all"), or the user's own: their registrations as a learner and,
    for an instructor, the registrations in the sessions they teach."""
    if scope == Scope.ALL:
        rows = Registration.objects.order_by("-session__starts_at", "-pk")
    elif Role.INSTRUCTOR in roles_of(user):
        teaching = InstructorAssignment.objects.filter(
            session=OuterRef("session_id"), instructor__user_id=user.pk
        )
        rows = Registration.objects.filter(Q(learner_id=user.pk) | Q(Exists(teaching))).order_by(
            "-session__starts_at", "-pk"
        )
    else:
        rows = registrations_of(user)
    return rows.select_related("session__course", "learner")


def registration_read(registration_id: int) -> Registration:
    """A registration ready for output (session, course, learner, waitlist position)."""
    return with_waitlist_positions(
        Registration.objects.select_related("session__course", "learner")
    ).get(pk=registration_id)


def registration_of(user: User, session: Session) -> Registration | None:
    if not user.is_authenticated:
        return None
    return (
        Registration.objects.filter(session=session, learner_id=user.pk)
        .exclude(status=RegistrationStatus.CANCELLED)
        .first()
    )


def course_waitlist_of(user: User) -> QuerySet[CourseWaitlistEntry]:
    if not user.is_authenticated:
        return CourseWaitlistEntry.objects.none()
    return CourseWaitlistEntry.objects.filter(
        learner_id=user.pk,
        status__in=[CourseWaitlistStatus.WAITING, CourseWaitlistStatus.OFFERED],
    ).select_related("course")


def join_link_visible(session: Session, user: User, *, now: dt.datetime | None = None) -> bool:
    """The join link shows to confirmed learners (and instructors, coordinators) from a
    configurable time before the start."""
    now = now or timezone.now()
    if not session.join_url or session.starts_at is None:
        return False
    opens = session.starts_at - dt.timedelta(minutes=settings.JOIN_LINK_VISIBLE_MINUTES)
    if now < opens:
        return False  # decided without reading the viewer's registration
    held = roles_of(user)
    allowed = bool(held & {Role.COORDINATOR}) or session_is_taught_by(session, user)
    if not allowed:
        mine = registration_of(user, session)
        allowed = mine is not None and mine.status == RegistrationStatus.CONFIRMED
    return allowed


def messages_preview(*, now: dt.datetime | None = None, hours: int = 48) -> list[dict[str, Any]]:
    """What the reminder sweep will send in the next `hours`, for the coordinators' ledger."""
    now = now or timezone.now()
    until = now + dt.timedelta(hours=hours)
    horizon = until + dt.timedelta(hours=max(settings.REMINDER_OFFSETS_HOURS, default=0) + 2)
    blocks = (
        SessionBlock.objects.filter(
            status=BlockStatus.ACTIVE,
            session__status=SessionStatus.SCHEDULED,
            starts_at__gt=now,
            starts_at__lte=horizon,
        )
        .select_related("session__course")
        .annotate(
            learners=Count(
                "session__registrations",
                filter=Q(session__registrations__status=RegistrationStatus.CONFIRMED),
                distinct=True,
            ),
            instructors=Count("session__assignments", distinct=True),
        )
        .order_by("starts_at")
    )
    preview = []
    for block in blocks:
        for hours_before in settings.REMINDER_OFFSETS_HOURS:
            at = reminder_time(block.starts_at, hours_before, block.session.time_zone)
            already = due_offset(block.starts_at, block.session.time_zone, now)
            if at <= now and already != hours_before:
                continue
            if at > until:
                continue
            preview.append(
                {
                    "when": max(at, now),
                    "rule": f"reminder {hours_before} h before",
                    "session": block.session,
                    "block_starts_at": block.starts_at,
                    "recipients": block.learners + block.instructors,
                }
            )
    return sorted(preview, key=lambda item: item["when"])
