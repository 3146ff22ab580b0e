"""Serving the line: promotion into free seats, and offer expiry.

A freed seat goes to the head of the line (`attendance_queue`: the session's waitlist and the
course's any-date waitlist, in the order learners joined) in the transaction that frees it:
`registration_cancel`, `offer_decline` and `offers_expire` call `waitlist_promote_locked`
with the session locked. The periodic sweep calls `waitlist_promote` wherever seats are free
and someone waits (after a capacity rise, a room change), so nothing depends on a worker for
order. Idempotent: a second run finds no free seat.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from attendance.models import (
    CourseWaitlistEntry,
    CourseWaitlistStatus,
    Registration,
    RegistrationSource,
    RegistrationStatus,
)
from attendance.services import notices
from attendance.services.notices import DoorCall
from attendance.services.seats import (
    SeatRequest,
    free_seats,
    lock_session_for_seats,
    queue_of,
    take_seat,
)
from scheduling.models import Session, SessionStatus, WaitlistPolicy

# An offer shorter than this is pointless: the seat then stays free.
MIN_OFFER_WINDOW = dt.timedelta(minutes=30)
# How far past the free seats to look when the first in line cannot take one (a clash).
LOOK_AHEAD = 50


def promotion_deadline(session: Session, now: dt.datetime) -> tuple[bool, dt.datetime | None]:
    """Whether the line may be served now, and until when an offered seat is held (None: the
    session confirms the next learner). No promotion once the session has started or within
    its promotion cut-off; an offer's window ends at the cut-off at the latest, and if less
    than MIN_OFFER_WINDOW remains the seat stays free."""
    if session.status != SessionStatus.SCHEDULED or session.starts_at is None:
        return False, None
    cutoff = session.starts_at - dt.timedelta(hours=session.promotion_cutoff_hours)
    if now >= cutoff:
        return False, None
    if session.waitlist_policy != WaitlistPolicy.OFFER:
        return True, None
    deadline = min(now + dt.timedelta(hours=session.offer_hours), cutoff)
    return deadline - now >= MIN_OFFER_WINDOW, deadline


def waitlist_promote_locked(session: Session, *, now: dt.datetime) -> list[int]:
    """Fill the session's free seats from the head of its line, in order, each through the
    seat door (confirmed, or offered by the session's policy); learners who now hold a
    clashing seat elsewhere keep their place and are passed over. The caller holds the
    session lock (`lock_session_for_seats`). Returns the promoted registrations' ids."""
    may_promote, offer_until = promotion_deadline(session, now)
    if not may_promote:
        return []
    free = free_seats(session.pk)
    promoted: list[int] = []
    if free <= 0:
        return promoted
    messages = notices.door_messages(DoorCall.PROMOTE)
    line = queue_of(session.pk, limit=free + LOOK_AHEAD)
    learners = get_user_model().objects.in_bulk([waiting.learner_id for waiting in line])
    for waiting in line:
        learner: Any = learners[waiting.learner_id]
        seat = take_seat(
            SeatRequest(
                session_id=session.pk,
                learner_id=waiting.learner_id,
                learner_email=learner.email,
                messages_json=messages,
                now=now,
                registration_id=waiting.registration_id,
                entry_id=waiting.entry_id,
                offer_until=offer_until,
                source=RegistrationSource.COURSE_WAITLIST,
            )
        )
        if seat.outcome == "full":
            break
        if not seat.written:
            continue  # a clash elsewhere: the next in line
        assert seat.registration_id is not None  # noqa: S101 - written
        _after_promotion(seat.registration_id, waiting.entry_id, seat.status, now)
        promoted.append(seat.registration_id)
    return promoted


def _after_promotion(
    registration_id: int, entry_id: int | None, status: str | None, now: dt.datetime
) -> None:
    """An any-date learner offered a seat: their course entry is "offered"; confirmed: it is
    fulfilled and their other places in the course's lines are withdrawn."""
    if entry_id is not None and status == RegistrationStatus.OFFERED:
        CourseWaitlistEntry.objects.filter(pk=entry_id).update(
            status=CourseWaitlistStatus.OFFERED, updated_at=now
        )
    if status == RegistrationStatus.CONFIRMED:
        registration = Registration.objects.select_related("session").get(pk=registration_id)
        withdraw_other_course_places(registration, now=now)


def waitlist_promote(*, session_id: int, now: dt.datetime | None = None) -> list[int]:
    """Lock the session and serve its line (the sweep's and the task's entry point)."""
    now = now or timezone.now()
    with transaction.atomic(durable=True):
        session = lock_session_for_seats(session_id)
        return waitlist_promote_locked(session, now=now)


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
        cancellation_reason="Got a seat in another session of this course",
        updated_at=now,
    )


def offers_expire(*, now: dt.datetime | None = None) -> int:
    """Expire offers past their deadline; each seat passes to the next in line at once."""
    now = now or timezone.now()
    session_ids = list(
        Registration.objects.filter(status=RegistrationStatus.OFFERED, offer_expires_at__lte=now)
        .values_list("session_id", flat=True)
        .distinct()
    )
    expired = 0
    for session_id in session_ids:
        with transaction.atomic(durable=True):
            session = lock_session_for_seats(session_id)
            due = list(
                Registration.objects.filter(
                    session_id=session_id,
                    status=RegistrationStatus.OFFERED,
                    offer_expires_at__lte=now,
                ).select_related("learner", "session__course")
            )
            for registration in due:
                registration.status = RegistrationStatus.CANCELLED
                registration.cancelled_at = now
                registration.cancellation_reason = "Offer expired"
                registration.offer_expires_at = None
                registration.save()
                release_course_entry(registration, now=now)
                notices.queue_offer_expired(registration, now=now)
            expired += len(due)
            waitlist_promote_locked(session, now=now)
    return expired


def sessions_needing_promotion(*, now: dt.datetime) -> list[int]:
    """Upcoming published sessions with someone waiting (per session or any date)."""
    waiting = Registration.objects.filter(
        session_id=OuterRef("pk"), status=RegistrationStatus.WAITLISTED
    )
    any_date = CourseWaitlistEntry.objects.filter(
        course_id=OuterRef("course_id"), status=CourseWaitlistStatus.WAITING
    )
    return list(
        Session.objects.filter(status=SessionStatus.SCHEDULED, starts_at__gt=now)
        .filter(Q(Exists(waiting)) | Q(Exists(any_date)))
        .order_by("starts_at")
        .values_list("pk", flat=True)
    )


def waitlists_sweep(*, now: dt.datetime | None = None) -> int:
    """The periodic safety net: serve the line wherever seats are free and someone waits."""
    now = now or timezone.now()
    return sum(
        len(waitlist_promote(session_id=pk, now=now)) for pk in sessions_needing_promotion(now=now)
    )
