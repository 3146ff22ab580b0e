"""Waitlist promotion and offer expiry: idempotent, re-derived from database state.

`waitlist_promote` may run any number of times, concurrently: it locks the session row, counts
free seats in SQL, and walks the queue (priority by rank, then pk), re-checking per entry. The
same task delivered twice finds no free seat the second time.
"""

from __future__ import annotations

import datetime as dt
import heapq
from dataclasses import dataclass, field

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
from attendance.services import messages
from attendance.services.registration import (
    release_course_entry,
    withdraw_other_course_places,
)
from attendance.services.seats import (
    clashing_block_id,
    lock_session_for_seats,
    seat_limit,
    seats_taken,
)
from scheduling.models import Session, SessionStatus, WaitlistPolicy

# An offer shorter than this is pointless: the seat then stays free.
MIN_OFFER_WINDOW = dt.timedelta(minutes=30)


@dataclass(order=True)
class _Candidate:
    rank: int
    pk: int
    registration: Registration | None = field(default=None, compare=False)
    entry: CourseWaitlistEntry | None = field(default=None, compare=False)


def _candidates(session: Session, limit: int) -> list[_Candidate]:
    """The session's queue and the course's any-date queue, merged in arrival order."""
    queued = (
        Registration.objects.filter(session_id=session.pk, status=RegistrationStatus.WAITLISTED)
        .select_related("learner")
        .order_by("waitlist_rank", "pk")[:limit]
    )
    # Any-date learners with no open or past offer in this session already.
    known = Registration.objects.filter(session_id=session.pk, learner_id=OuterRef("learner_id"))
    any_date = (
        CourseWaitlistEntry.objects.filter(
            course_id=session.course_id, status=CourseWaitlistStatus.WAITING
        )
        .filter(~Exists(known))
        .select_related("learner")
        .order_by("waitlist_rank", "pk")[:limit]
    )
    own = [_Candidate(r.waitlist_rank or 0, r.pk, registration=r) for r in queued]
    course = [_Candidate(e.waitlist_rank, -e.pk, entry=e) for e in any_date]
    return list(heapq.merge(own, course))


def waitlist_promote(*, session_id: int, now: dt.datetime | None = None) -> list[Registration]:
    """Fill free seats from the waitlist (auto-confirm or offer, by the session's policy).

    No promotion once the session has started or within its promotion cut-off; an offer's
    window shrinks to end at the cut-off, and if less than MIN_OFFER_WINDOW remains the seat
    stays free. Learners who now have a clashing seat elsewhere are skipped.
    """
    now = now or timezone.now()
    promoted: list[Registration] = []
    with transaction.atomic(durable=True):
        session = lock_session_for_seats(session_id)
        if session.status != SessionStatus.SCHEDULED or session.starts_at is None:
            return []
        cutoff = session.starts_at - dt.timedelta(hours=session.promotion_cutoff_hours)
        if now >= cutoff:
            return []
        free = seat_limit(session.pk) - seats_taken(session.pk)
        if free <= 0:
            return []
        offering = session.waitlist_policy == WaitlistPolicy.OFFER
        deadline = min(now + dt.timedelta(hours=session.offer_hours), cutoff)
        if offering and deadline - now < MIN_OFFER_WINDOW:
            return []
        for candidate in _candidates(session, limit=free + 50):
            if free == 0:
                break
            learner = (candidate.registration or candidate.entry).learner  # type: ignore[union-attr]
            if clashing_block_id(learner.pk, session.pk) is not None:
                continue
            registration = _promote_one(session, candidate, offering, deadline, now)
            promoted.append(registration)
            free -= 1
    return promoted


def _promote_one(
    session: Session,
    candidate: _Candidate,
    offering: bool,
    deadline: dt.datetime,
    now: dt.datetime,
) -> Registration:
    """Confirm or offer one queued learner (session lock held)."""
    registration = candidate.registration
    if registration is None:
        entry = candidate.entry
        assert entry is not None  # noqa: S101 - one of the two is always set
        registration = Registration(
            session=session,
            learner=entry.learner,
            source=RegistrationSource.COURSE_WAITLIST,
            course_entry=entry,
        )
        entry.status = CourseWaitlistStatus.OFFERED
        entry.save(update_fields=["status", "updated_at"])
    registration.session = session
    if offering:
        registration.status = RegistrationStatus.OFFERED
        registration.offer_expires_at = deadline
    else:
        registration.status = RegistrationStatus.CONFIRMED
        registration.confirmed_at = now
        registration.invite_version = session.schedule_version
    registration.save()
    if not offering:
        withdraw_other_course_places(registration, now=now)
    messages.queue_promotion(registration, now=now)
    return registration


def offers_expire(*, now: dt.datetime | None = None) -> int:
    """Expire offers past their deadline; each seat passes to the next learner."""
    now = now or timezone.now()
    session_ids = list(
        Registration.objects.filter(status=RegistrationStatus.OFFERED, offer_expires_at__lte=now)
        .values_list("session_id", flat=True)
        .distinct()
    )
    expired = 0
    for session_id in session_ids:
        with transaction.atomic(durable=True):
            lock_session_for_seats(session_id)
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
                registration.save()
                release_course_entry(registration, now=now)
                messages.queue_offer_expired(registration, now=now)
            expired += len(due)
        waitlist_promote(session_id=session_id, now=now)
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
    """The periodic safety net: promote wherever seats are free and someone waits."""
    now = now or timezone.now()
    return sum(
        len(waitlist_promote(session_id=pk, now=now)) for pk in sessions_needing_promotion(now=now)
    )
