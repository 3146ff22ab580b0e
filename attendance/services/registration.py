"""Registering, cancelling, offers and the waitlist: every seat change goes through here.

Seats are given only by the seat door (`attendance.services.seats.take_seat`). Freeing a seat
locks the session row and hands the seat to the head of the line in the same transaction
(`attendance.services.promotion.waitlist_promote_locked`), so the line is served first come,
first served whether or not a worker is running.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from attendance.models import (
    ACTIVE,
    SEAT_HOLDING,
    CourseWaitlistEntry,
    CourseWaitlistStatus,
    Registration,
    RegistrationSource,
    RegistrationStatus,
    WaitlistMove,
)
from attendance.prerequisites import missing_prerequisites
from attendance.services import notices
from attendance.services.notices import DoorCall
from attendance.services.promotion import (
    release_course_entry,
    waitlist_promote_locked,
    withdraw_other_course_places,
)
from attendance.services.seats import (
    SeatRequest,
    SeatTaken,
    SessionSnapshot,
    lock_session_for_seats,
    next_waitlist_rank,
    snapshot_for_registration,
    take_seat,
    waitlist_position,
)
from notifications.services import kick_dispatcher_on_commit
from scheduling.models import Course, Session, SessionBlock, SessionStatus
from tms.exceptions import (
    AlreadyRegistered,
    Busy,
    DomainError,
    InvalidTransition,
    PrerequisitesMissing,
    RegistrationClosed,
    RuleViolation,
    ScheduleClash,
)
from tms.roles import Role


class RegistrationWindow(StrEnum):
    OPEN = "open"
    NOT_YET = "not_yet"
    CLOSED = "closed"


def registration_window(session: Any, now: dt.datetime) -> RegistrationWindow:
    """Where `now` falls in the session's self-service registration window."""
    if session.registration_opens_at and now < session.registration_opens_at:
        return RegistrationWindow.NOT_YET
    if session.registration_closes_at and now >= session.registration_closes_at:
        return RegistrationWindow.CLOSED
    return RegistrationWindow.OPEN


def _check_open(session: Any, zone: str, now: dt.datetime, *, by_coordinator: bool) -> None:
    """Published, not started, and (for self-service) inside the registration window."""
    if session.status != SessionStatus.SCHEDULED:
        raise RegistrationClosed(_("This session is not open for registration."))
    if session.starts_at is None or session.starts_at <= now:
        raise RegistrationClosed(_("This session has already started."))
    if by_coordinator:
        return  # coordinators may enrol outside the self-service window
    window = registration_window(session, now)
    if window == RegistrationWindow.NOT_YET:
        opens = session.registration_opens_at.astimezone(zoneinfo.ZoneInfo(zone))
        raise RegistrationClosed(
            _("Registration opens on %s.") % opens.strftime("%a %d %b %Y, %H:%M %Z")
        )
    if window == RegistrationWindow.CLOSED:
        raise RegistrationClosed(_("Registration for this session has closed."))


def _check_prerequisites(course: Course, learner_id: int) -> None:
    """The rule is `attendance.prerequisites.missing_prerequisites` (the pages show it too)."""
    missing = missing_prerequisites(learner_id, [course.pk]).get(course.pk, [])
    if missing:
        names = ", ".join(f"{c.code} {c.title}" for c in missing)
        raise PrerequisitesMissing(
            _("Complete these courses first: %s.") % names,
            fields={"prerequisites": [f"{c.code} {c.title}" for c in missing]},
            extra={"missing": [c.pk for c in missing]},
        )


@dataclass(frozen=True)
class Registered:
    """What registering gave: the registration as written (no half-filled model), the
    session as read, and the place in the line when waitlisted."""

    registration_id: int
    status: str
    source: str
    position: int | None
    created_at: dt.datetime
    confirmed_at: dt.datetime | None
    offer_expires_at: dt.datetime | None
    session: SessionSnapshot
    learner: User

    @property
    def confirmed(self) -> bool:
        return self.status == RegistrationStatus.CONFIRMED

    def row(self) -> Registration:
        """The registration as it is in the database now (one query)."""
        return Registration.objects.select_related("session__course", "learner").get(
            pk=self.registration_id
        )


# Reads of a session that changed before its seat could be taken, before giving up.
SNAPSHOT_ATTEMPTS = 3


def registration_create(
    *,
    session_id: int,
    learner: User,
    enrolled_by: User | None = None,
    source: str = RegistrationSource.SELF,
    viewer: User | None = None,
    now: dt.datetime | None = None,
) -> Registered:
    """Take a seat, or a place at the end of the line when the session is full or others are
    waiting for its free seats.

    One read of the session and the learner's standing in it, checked here (visible to
    `viewer`, open, not a duplicate, prerequisites met); then one call of the seat door, which
    locks the session, makes sure it is still as read, checks the learner's clash with their
    other seats, counts, and writes the registration and its message. "Full" is a success
    (waitlisted at position N), not an error. When the learner was queued behind others for a
    free seat, promotion runs at once (a transaction of its own), serving the line in order.
    """
    now = now or timezone.now()
    if enrolled_by is not None:
        _refuse_non_learner(learner)
    for _attempt in range(SNAPSHOT_ATTEMPTS):
        snapshot = snapshot_for_registration(session_id, learner.pk, viewer=viewer)
        _check_open(snapshot, snapshot.time_zone, now, by_coordinator=enrolled_by is not None)
        _check_learner(snapshot, learner)
        seat = _take_new_seat(snapshot, learner, enrolled_by, source, now)
        if seat.written:
            kick_dispatcher_on_commit()
            if seat.outcome == "queued":
                return _after_queueing(seat, snapshot, learner, source, now)
            return _registered(seat, snapshot, learner, source, now)
        if seat.outcome == "clash" and seat.clashing_block_id is not None:
            raise _clash(learner, seat.clashing_block_id)
        if seat.outcome == "missing":
            raise Session.DoesNotExist
        # "changed": the session was edited since it was read; read and check it again.
    raise Busy(_("This session is changing right now; please try again."))


def _take_new_seat(
    snapshot: SessionSnapshot,
    learner: User,
    enrolled_by: User | None,
    source: str,
    now: dt.datetime,
) -> SeatTaken:
    """The door, for a newcomer: one statement, its own transaction; a savepoint when the
    caller has one open, so a refusal by the database leaves the caller's transaction usable."""
    nested = transaction.atomic() if connection.in_atomic_block else nullcontext()
    request = SeatRequest(
        session_id=snapshot.id,
        learner_id=learner.pk,
        learner_email=getattr(learner, "email", ""),
        messages_json=notices.door_messages(DoorCall.REGISTER),
        now=now,
        snapshot=snapshot,
        source=source,
        enrolled_by_id=enrolled_by.pk if enrolled_by is not None else None,
    )
    try:
        with nested:
            return take_seat(request)
    except IntegrityError as error:  # the same learner twice at once: the constraint refuses
        if "one_active_registration" not in str(error):
            raise
        raise AlreadyRegistered(_("Already registered for this session.")) from error


def _registered(
    seat: SeatTaken,
    snapshot: SessionSnapshot,
    learner: User,
    source: str,
    now: dt.datetime,
) -> Registered:
    """What the door wrote, as the caller reports it (no read back)."""
    assert seat.registration_id is not None  # noqa: S101 - a written seat has an id
    assert seat.status is not None  # noqa: S101 - and a status
    confirmed_at = now if seat.status == RegistrationStatus.CONFIRMED else None
    return _report(snapshot, learner, source, seat.registration_id, seat.status,
                   seat.waitlist_rank, now, confirmed_at, None)  # fmt: skip


def _after_queueing(
    seat: SeatTaken,
    snapshot: SessionSnapshot,
    learner: User,
    source: str,
    now: dt.datetime,
) -> Registered:
    """The learner joined the line behind others while seats are free: serve the line now,
    in order (the learner may be served too), then report where they stand."""
    with transaction.atomic():
        session = lock_session_for_seats(snapshot.id)
        waitlist_promote_locked(session, now=now)
    assert seat.registration_id is not None  # noqa: S101 - a queued newcomer was written
    row = Registration.objects.get(pk=seat.registration_id)
    return _report(snapshot, learner, source, row.pk, row.status, row.waitlist_rank,
                   row.created_at, row.confirmed_at, row.offer_expires_at)  # fmt: skip


def _report(
    snapshot: SessionSnapshot,
    learner: User,
    source: str,
    registration_id: int,
    status: str,
    rank: int | None,
    created_at: dt.datetime,
    confirmed_at: dt.datetime | None,
    offer_expires_at: dt.datetime | None,
) -> Registered:
    # Counted after commit, outside the session lock: the line grows with a rush, and the
    # answer ("you are number N") is the same a moment later, or better.
    position = waitlist_position(session_id=snapshot.id, status=status, rank=rank)
    return Registered(
        registration_id=registration_id,
        status=status,
        source=source,
        position=position,
        created_at=created_at,
        confirmed_at=confirmed_at,
        offer_expires_at=offer_expires_at,
        session=snapshot,
        learner=learner,
    )


def _clash(learner: User, block_id: int) -> ScheduleClash:
    """The error for a learner who already holds a seat in an overlapping block."""
    block = SessionBlock.objects.select_related("session__course").get(pk=block_id)
    return ScheduleClash(
        _("%(who)s already has a seat in session #%(other)s at the same time.")
        % {"who": learner, "other": block.session_id},
        conflicts=[
            {
                "resource": "learner",
                "resource_id": learner.pk,
                "resource_name": str(learner),
                "session_id": block.session_id,
                "course_code": block.session.course.code,
                "course_title": block.session.course.title,
                "block_id": block.pk,
                "starts_at": block.starts_at.isoformat(),
                "ends_at": block.ends_at.isoformat(),
            }
        ],
    )


def _refuse_non_learner(person: User) -> None:
    """Only accounts with the learner role are enrolled by someone else (a coordinator, a
    bulk list): an instructor's or an auditor's address is refused, not silently enrolled.
    Self-service needs the role already (the policy table)."""
    if not person.groups.filter(name=Role.LEARNER).exists():
        message = _("%(who)s does not have the learner role and cannot be enrolled.") % {
            "who": _who(person)
        }
        raise RuleViolation(message, fields={"learner": [message]})


def _check_learner(snapshot: SessionSnapshot, learner: User) -> None:
    if snapshot.existing_status is not None:
        raise AlreadyRegistered(
            _("%(who)s is already registered for this session (%(status)s).")
            % {"who": learner, "status": RegistrationStatus(snapshot.existing_status).label.lower()}
        )
    if snapshot.has_prerequisites:
        _check_prerequisites(Course.objects.get(pk=snapshot.course_id), learner.pk)


@dataclass
class BulkOutcome:
    confirmed: list[str] = field(default_factory=list)
    waitlisted: list[tuple[str, int]] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)


def registration_bulk_enrol(
    *,
    session_id: int,
    emails: Sequence[str],
    enrolled_by: User,
    now: dt.datetime | None = None,
) -> BulkOutcome:
    """Enrol learners by email, each in its own transaction; unknown emails are reported."""
    now = now or timezone.now()
    wanted: list[str] = []
    for raw in emails:
        email = raw.strip().lower()
        if email and email not in wanted:
            wanted.append(email)
    lookup = Q()
    for email in wanted:
        lookup |= Q(email__iexact=email)
    users: dict[str, User] = {}
    if wanted:
        for user in get_user_model().objects.filter(lookup).order_by("pk"):
            users.setdefault(user.email.lower(), user)
    outcome = BulkOutcome()
    for email in wanted:
        learner = users.get(email)
        if learner is None:
            outcome.unknown.append(email)
            continue
        try:
            result = registration_create(
                session_id=session_id,
                learner=learner,
                enrolled_by=enrolled_by,
                source=RegistrationSource.BULK,
                now=now,
            )
        except DomainError as error:
            outcome.refused.append((email, error.message))
            continue
        if result.confirmed:
            outcome.confirmed.append(email)
        else:
            outcome.waitlisted.append((email, result.position or 0))
    return outcome


def _registration_locked(registration_id: int) -> tuple[Session, Registration]:
    session_id = (
        Registration.objects.filter(pk=registration_id).values_list("session_id", flat=True).first()
    )
    if session_id is None:
        raise Registration.DoesNotExist
    session = lock_session_for_seats(session_id)
    # Read after taking the lock: every change to this session's registrations is serialised.
    return session, Registration.objects.select_related("learner", "session__course").get(
        pk=registration_id
    )


def registration_cancel(
    *,
    registration_id: int,
    cancelled_by: User | None,
    reason: str = "",
    now: dt.datetime | None = None,
) -> Registration:
    """Cancel a place, recording who and why: learners their own (the reason is optional),
    anyone else only with a reason. A freed seat goes to the head of the line in the same
    transaction. Late cancellations are allowed but marked."""
    now = now or timezone.now()
    with transaction.atomic(durable=True):
        session, registration = _registration_locked(registration_id)
        if registration.status not in ACTIVE:
            raise InvalidTransition(
                _("A %s registration cannot be cancelled.")
                % registration.get_status_display().lower()
            )
        if (
            cancelled_by is not None
            and cancelled_by.pk != registration.learner_id
            and not reason.strip()
        ):
            raise RuleViolation(
                _("Give a reason for cancelling %(who)s's place.")
                % {"who": _who(registration.learner)},
                fields={"reason": [_("Required when cancelling someone else's place.")]},
            )
        freed = registration.status in SEAT_HOLDING
        if session.starts_at is not None and session.starts_at <= now:
            raise InvalidTransition(
                _("The session has started: record attendance (or a no-show) instead.")
            )
        cutoff = (
            session.starts_at - dt.timedelta(hours=session.late_cancellation_hours)
            if session.starts_at
            else None
        )
        was_confirmed = registration.status == RegistrationStatus.CONFIRMED
        registration.status = RegistrationStatus.CANCELLED
        registration.cancelled_at = now
        registration.cancelled_by = cancelled_by
        registration.cancellation_reason = reason.strip()
        registration.late_cancellation = bool(freed and cutoff and now > cutoff)
        registration.offer_expires_at = None
        registration.save()
        release_course_entry(registration, now=now)
        notices.queue_cancellation(registration, send_calendar_cancel=was_confirmed, now=now)
        if freed:
            waitlist_promote_locked(session, now=now)
    return registration


def _who(user: Any) -> str:
    return str(user.get_full_name() or user.get_username())


def offer_accept(
    *, registration_id: int, learner: User, now: dt.datetime | None = None
) -> Registration:
    """The learner takes the offered seat before its deadline (through the seat door); for an
    any-date learner, their other places in the course's lines are withdrawn."""
    now = now or timezone.now()
    with transaction.atomic(durable=True):
        _session, registration = _registration_locked(registration_id)
        _own_offer(registration, learner)
        seat = take_seat(
            SeatRequest(
                session_id=registration.session_id,
                learner_id=registration.learner_id,
                learner_email=registration.learner.email,
                messages_json=notices.door_messages(DoorCall.ACCEPT),
                now=now,
                registration_id=registration.pk,
            )
        )
        if seat.outcome == "expired":
            raise InvalidTransition(_("This offer has expired."))
        if not seat.written:
            raise InvalidTransition(_("There is no open offer on this registration."))
        registration.refresh_from_db()
        withdraw_other_course_places(registration, now=now)
    return registration


def offer_decline(
    *, registration_id: int, learner: User, now: dt.datetime | None = None
) -> Registration:
    """ "Not interested": the seat passes to the next in line in the same transaction."""
    now = now or timezone.now()
    with transaction.atomic(durable=True):
        session, registration = _registration_locked(registration_id)
        _own_offer(registration, learner)
        registration.status = RegistrationStatus.CANCELLED
        registration.cancelled_at = now
        registration.cancelled_by = learner
        registration.cancellation_reason = _("Declined the offered seat")
        registration.offer_expires_at = None
        registration.save()
        release_course_entry(registration, now=now)
        waitlist_promote_locked(session, now=now)
    return registration


def _own_offer(registration: Registration, learner: User) -> None:
    if registration.learner_id != learner.pk:
        raise Registration.DoesNotExist
    if registration.status != RegistrationStatus.OFFERED:
        raise InvalidTransition(
            _("There is no open offer on this registration (it is %s).")
            % registration.get_status_display().lower()
        )


def waitlist_move(
    *,
    registration_id: int,
    to_position: int,
    moved_by: User,
    reason: str,
    now: dt.datetime | None = None,
) -> Registration:
    """A coordinator moves a learner up or down the session's waitlist; the reason is kept."""
    now = now or timezone.now()
    if not reason.strip():
        raise RuleViolation(
            _("Give a reason for moving a learner."), fields={"reason": [_("Required.")]}
        )
    with transaction.atomic(durable=True):
        _locked, registration = _registration_locked(registration_id)
        if registration.status != RegistrationStatus.WAITLISTED:
            raise InvalidTransition(_("Only waitlisted learners can be moved."))
        queue = list(
            Registration.objects.filter(
                session_id=registration.session_id, status=RegistrationStatus.WAITLISTED
            ).order_by("waitlist_rank", "pk")
        )
        if not 1 <= to_position <= len(queue):
            raise RuleViolation(
                _("Choose a position between 1 and %d.") % len(queue),
                fields={"to_position": [_("Out of range.")]},
            )
        ranks = [r.waitlist_rank for r in queue]
        from_position = next(i for i, r in enumerate(queue) if r.pk == registration.pk) + 1
        moving = queue.pop(from_position - 1)
        queue.insert(to_position - 1, moving)
        # Keep the same set of ranks (so any-date entries keep their relative place) and
        # hand them out in the new order.
        for rank, entry in zip(ranks, queue, strict=True):
            if entry.waitlist_rank != rank:
                entry.waitlist_rank = rank
                entry.save(update_fields=["waitlist_rank", "updated_at"])
        WaitlistMove.objects.create(
            registration=moving,
            moved_by=moved_by,
            from_position=from_position,
            to_position=to_position,
            reason=reason.strip(),
        )
    registration.refresh_from_db()
    return registration


def course_waitlist_join(
    *, course_id: int, learner: User, now: dt.datetime | None = None
) -> CourseWaitlistEntry:
    """Wait for the first seat that frees in any upcoming session of the course."""
    now = now or timezone.now()
    with transaction.atomic(durable=True):
        course = Course.objects.filter(pk=course_id, active=True).first()
        if course is None:
            raise RuleViolation(
                _("This course is not open for an any-date waitlist."),
                fields={"course": [_("Unknown or inactive course.")]},
            )
        try:
            with transaction.atomic():
                entry = CourseWaitlistEntry.objects.create(
                    course=course, learner=learner, waitlist_rank=next_waitlist_rank()
                )
        except IntegrityError as error:
            raise AlreadyRegistered(
                _("You are already on the waitlist for this course.")
            ) from error
        notices.queue_course_waitlist_joined(entry, now=now)
    return entry


def course_waitlist_leave(*, entry_id: int, learner: User, now: dt.datetime | None = None) -> None:
    now = now or timezone.now()
    changed = CourseWaitlistEntry.objects.filter(
        pk=entry_id,
        learner_id=learner.pk,
        status__in=[CourseWaitlistStatus.WAITING, CourseWaitlistStatus.OFFERED],
    ).update(
        status=CourseWaitlistStatus.WITHDRAWN,
        withdrawn_reason=_("Left the waitlist"),
        updated_at=now,
    )
    if not changed:
        raise InvalidTransition(_("You are not on this waitlist."))


__all__ = [
    "BulkOutcome",
    "Registered",
    "RegistrationWindow",
    "course_waitlist_join",
    "course_waitlist_leave",
    "offer_accept",
    "offer_decline",
    "registration_bulk_enrol",
    "registration_cancel",
    "registration_create",
    "registration_window",
    "waitlist_move",
]
