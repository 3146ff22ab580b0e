"""Registering, cancelling, offers and the waitlist: every seat change goes through here.

Every function that takes or frees a seat locks the session row first (`lock_session_for_seats`),
counts seats in SQL, writes, and queues its messages in the same transaction. Promotion after a
freed seat runs after commit (and in a periodic sweep).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from attendance.models import (
    SEAT_HOLDING,
    CourseWaitlistEntry,
    CourseWaitlistStatus,
    Registration,
    RegistrationSource,
    RegistrationStatus,
    WaitlistMove,
)
from attendance.services import messages
from attendance.services.seats import (
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


@dataclass
class RegistrationOutcome:
    registration: Registration
    position: int | None = None

    @property
    def confirmed(self) -> bool:
        return self.registration.status == RegistrationStatus.CONFIRMED


def _check_open(session: Any, zone: str, now: dt.datetime, *, by_coordinator: bool) -> None:
    """Published, not started, and (for self-service) inside the registration window."""
    if session.status != SessionStatus.SCHEDULED:
        raise RegistrationClosed(_("This session is not open for registration."))
    if session.starts_at is None or session.starts_at <= now:
        raise RegistrationClosed(_("This session has already started."))
    if by_coordinator:
        return  # coordinators may enrol outside the self-service window
    if session.registration_opens_at and now < session.registration_opens_at:
        opens = session.registration_opens_at.astimezone(zoneinfo.ZoneInfo(zone))
        raise RegistrationClosed(
            _("Registration opens on %s.") % opens.strftime("%a %d %b %Y, %H:%M %Z")
        )
    if session.registration_closes_at and now >= session.registration_closes_at:
        raise RegistrationClosed(_("Registration for this session has closed."))


def _check_prerequisites(course: Course, learner_id: int) -> None:
    """Completed earlier sessions of each prerequisite course count (LMS completions later)."""
    required = list(course.prerequisites.all())
    done = set(
        Registration.objects.filter(learner_id=learner_id, session__course__in=required)
        .filter(
            Q(status=RegistrationStatus.ATTENDED)
            | Q(status=RegistrationStatus.CONFIRMED, session__status=SessionStatus.COMPLETED)
        )
        .values_list("session__course_id", flat=True)
    )
    missing = [c for c in required if c.pk not in done]
    if missing:
        names = ", ".join(f"{c.code} {c.title}" for c in missing)
        raise PrerequisitesMissing(
            _("Complete these courses first: %s.") % names,
            fields={"prerequisites": [f"{c.code} {c.title}" for c in missing]},
            extra={"missing": [c.pk for c in missing]},
        )


def registration_create(
    *,
    session_id: int,
    learner: AbstractBaseUser,
    enrolled_by: AbstractBaseUser | None = None,
    source: str = RegistrationSource.SELF,
    viewer: AbstractBaseUser | None = None,
    now: dt.datetime | None = None,
) -> RegistrationOutcome:
    """Take a seat, or a place on the waitlist when the session is full.

    One read of the session and the learner's standing in it, checked here (visible to
    `viewer`, open, not a duplicate, prerequisites met). Then one call of the database function
    `attendance_take_seat` locks the session row, makes sure the session is still as it was
    read, checks the learner's clash with other seats under a learner lock, counts the seats,
    and writes the registration and its outbox message, all in one transaction. "Full" is a
    success (waitlisted at position N), not an error.
    """
    now = now or timezone.now()
    for _attempt in range(SNAPSHOT_ATTEMPTS):
        snapshot = snapshot_for_registration(session_id, learner.pk, viewer=viewer)
        _check_open(snapshot, snapshot.time_zone, now, by_coordinator=enrolled_by is not None)
        _check_learner(snapshot, learner)
        seat = _take_seat(snapshot, learner, enrolled_by, source, now)
        if seat.outcome == "taken":
            kick_dispatcher_on_commit()
            registration = _registration_from(seat, snapshot, learner, source, enrolled_by, now)
            # Counted after commit, outside the session lock: the queue grows with a rush,
            # and the answer ("you are number N") is the same a moment later, or better.
            return RegistrationOutcome(registration, waitlist_position(registration))
        if seat.outcome == "clash":
            raise _clash(learner, seat.clashing_block_id)
        if seat.outcome == "missing":
            raise Session.DoesNotExist
        # "changed": the session was edited since it was read; read and check it again.
    raise Busy(_("This session is changing right now; please try again."))


# Reads of a session that changed before its seat could be taken, before giving up.
SNAPSHOT_ATTEMPTS = 3


def _take_seat(
    snapshot: SessionSnapshot,
    learner: AbstractBaseUser,
    enrolled_by: AbstractBaseUser | None,
    source: str,
    now: dt.datetime,
) -> SeatTaken:
    """One statement, its own transaction; a savepoint when the caller has one open, so a
    refusal by the database leaves the caller's transaction usable."""
    nested = transaction.atomic() if connection.in_atomic_block else nullcontext()
    try:
        with nested:
            return take_seat(
                snapshot,
                learner_id=learner.pk,
                learner_email=getattr(learner, "email", ""),
                source=source,
                enrolled_by_id=enrolled_by.pk if enrolled_by is not None else None,
                messages_json=messages.registration_messages_json(),
                now=now,
            )
    except IntegrityError as error:  # the same learner twice at once: the constraint refuses
        if "one_active_registration" not in str(error):
            raise
        raise AlreadyRegistered(_("Already registered for this session.")) from error


def _registration_from(
    seat: SeatTaken,
    snapshot: SessionSnapshot,
    learner: AbstractBaseUser,
    source: str,
    enrolled_by: AbstractBaseUser | None,
    now: dt.datetime,
) -> Registration:
    """The written row as a model instance, without reading it back."""
    session = Session(
        pk=snapshot.id,
        course_id=snapshot.course_id,
        status=snapshot.status,
        delivery_mode=snapshot.delivery_mode,
        starts_at=snapshot.starts_at,
        ends_at=snapshot.ends_at,
        time_zone=snapshot.time_zone,
    )
    session.course = Course(
        pk=snapshot.course_id, code=snapshot.course_code, title=snapshot.course_title
    )
    confirmed = seat.status == RegistrationStatus.CONFIRMED
    registration = Registration(
        pk=seat.registration_id,
        session=session,
        learner=learner,
        status=seat.status,
        source=source,
        waitlist_rank=seat.waitlist_rank,
        confirmed_at=now if confirmed else None,
        enrolled_by=enrolled_by,
        invite_version=seat.invite_version,
        created_at=now,
        updated_at=now,
    )
    registration._state.adding = False
    return registration


def _clash(learner: AbstractBaseUser, block_id: int | None) -> ScheduleClash:
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


def _check_learner(snapshot: SessionSnapshot, learner: AbstractBaseUser) -> None:
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
    enrolled_by: AbstractBaseUser,
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
    users = {}
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
    return session, Registration.objects.select_related("learner").get(pk=registration_id)


def registration_cancel(
    *,
    registration_id: int,
    cancelled_by: AbstractBaseUser | None,
    reason: str = "",
    now: dt.datetime | None = None,
) -> Registration:
    """Cancel (learner or coordinator, with who and why); a freed seat goes to the waitlist
    after commit. Late cancellations are allowed but marked."""
    now = now or timezone.now()
    with transaction.atomic(durable=True):
        session, registration = _registration_locked(registration_id)
        if registration.status not in (*SEAT_HOLDING, RegistrationStatus.WAITLISTED):
            raise InvalidTransition(
                _("A %s registration cannot be cancelled.")
                % registration.get_status_display().lower()
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
        registration.save()
        release_course_entry(registration, now=now)
        messages.queue_cancellation(registration, send_calendar_cancel=was_confirmed, now=now)
        if freed:
            messages.promote_after_commit(session.pk)
    return registration


def offer_accept(
    *, registration_id: int, learner: AbstractBaseUser, now: dt.datetime | None = None
) -> Registration:
    """The learner takes the offered seat before its deadline; for an any-date waitlist, their
    other waitlist places for the course are withdrawn."""
    now = now or timezone.now()
    with transaction.atomic(durable=True):
        session, registration = _registration_locked(registration_id)
        _own_offer(registration, learner)
        if registration.offer_expires_at and registration.offer_expires_at <= now:
            raise InvalidTransition(_("This offer has expired."))
        registration.status = RegistrationStatus.CONFIRMED
        registration.confirmed_at = now
        registration.offer_expires_at = None
        registration.invite_version = session.schedule_version
        registration.save()
        withdraw_other_course_places(registration, now=now)
        messages.queue_registration_event(registration, position=None, now=now, accepted=True)
    return registration


def offer_decline(
    *, registration_id: int, learner: AbstractBaseUser, now: dt.datetime | None = None
) -> Registration:
    """ "Not interested": the seat passes to the next learner after commit."""
    now = now or timezone.now()
    with transaction.atomic(durable=True):
        _locked, registration = _registration_locked(registration_id)
        _own_offer(registration, learner)
        registration.status = RegistrationStatus.CANCELLED
        registration.cancelled_at = now
        registration.cancelled_by = learner
        registration.cancellation_reason = _("Declined the offered seat")
        registration.offer_expires_at = None
        registration.save()
        release_course_entry(registration, now=now)
        messages.promote_after_commit(registration.session_id)
    return registration


def _own_offer(registration: Registration, learner: AbstractBaseUser) -> None:
    if registration.learner_id != learner.pk:
        raise Registration.DoesNotExist
    if registration.status != RegistrationStatus.OFFERED:
        raise InvalidTransition(
            _("There is no open offer on this registration (it is %s).")
            % registration.get_status_display().lower()
        )


def release_course_entry(registration: Registration, *, now: dt.datetime) -> None:
    """An any-date learner's offer ended without a seat (declined, expired, cancelled): their
    place on the course's waitlist is theirs again. Only an entry still "offered" goes back:
    one the learner left, or that a confirmed seat fulfilled, stays as it is."""
    if registration.course_entry_id is None:
        return
    CourseWaitlistEntry.objects.filter(
        pk=registration.course_entry_id, status=CourseWaitlistStatus.OFFERED
    ).update(status=CourseWaitlistStatus.WAITING, updated_at=now)


def withdraw_other_course_places(registration: Registration, *, now: dt.datetime) -> None:
    """After an any-date learner gets a seat: close their course entry and other waitlists."""
    if registration.course_entry_id is None:
        return
    CourseWaitlistEntry.objects.filter(pk=registration.course_entry_id).update(
        status=CourseWaitlistStatus.FULFILLED, updated_at=now
    )
    # Waitlisted places do not hold seats: withdrawing them frees nothing and needs no lock.
    Registration.objects.filter(
        learner_id=registration.learner_id,
        session__course_id=registration.session.course_id,
        status=RegistrationStatus.WAITLISTED,
    ).exclude(pk=registration.pk).update(
        status=RegistrationStatus.CANCELLED,
        cancelled_at=now,
        cancellation_reason=_("Got a seat in another session of this course"),
        updated_at=now,
    )


def waitlist_move(
    *,
    registration_id: int,
    to_position: int,
    moved_by: AbstractBaseUser,
    reason: str,
    now: dt.datetime | None = None,
) -> Registration:
    """A coordinator moves a learner up or down the waitlist; the reason is kept."""
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
    *, course_id: int, learner: AbstractBaseUser, now: dt.datetime | None = None
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
        messages.queue_course_waitlist_joined(entry, now=now)
    return entry


def course_waitlist_leave(
    *, entry_id: int, learner: AbstractBaseUser, now: dt.datetime | None = None
) -> None:
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
    "RegistrationOutcome",
    "course_waitlist_join",
    "course_waitlist_leave",
    "offer_accept",
    "offer_decline",
    "registration_bulk_enrol",
    "registration_cancel",
    "registration_create",
    "waitlist_move",
    "waitlist_position",
]
