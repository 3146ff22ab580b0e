"""A learner's own bookings for their home page: offers waiting for an answer (with their
deadline), upcoming confirmed seats and waitlist places (with the position), soonest first.
One query for the registrations (positions annotated) and one for their sessions' blocks,
whatever the number of bookings."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Prefetch

from attendance.models import ACTIVE, Registration, RegistrationStatus
from attendance.selectors import registrations_of, with_waitlist_positions
from scheduling.models import SessionBlock, SessionStatus

HOME_BOOKINGS = 8


@dataclass
class Bookings:
    offers: list[Registration] = field(default_factory=list)
    upcoming: list[Registration] = field(default_factory=list)
    waiting: list[Registration] = field(default_factory=list)
    # How many more upcoming seats and waitlist places than shown ("My training" has them).
    more: int = 0

    @property
    def empty(self) -> bool:
        return not (self.offers or self.upcoming or self.waiting)


def learner_bookings(user: Any, *, now: dt.datetime, limit: int = HOME_BOOKINGS) -> Bookings:
    """The learner's open registrations in sessions still to end, by what they need."""
    rows = list(
        with_waitlist_positions(registrations_of(user))
        .filter(status__in=ACTIVE, session__ends_at__gt=now)
        .exclude(session__status=SessionStatus.CANCELLED)
        .prefetch_related(
            Prefetch(
                "session__blocks",
                queryset=SessionBlock.objects.select_related("room__site").order_by("starts_at"),
            )
        )
        .order_by("session__starts_at", "pk")
    )
    bookings = Bookings()
    for registration in rows:
        if registration.status == RegistrationStatus.OFFERED:
            bookings.offers.append(registration)
        elif registration.status == RegistrationStatus.WAITLISTED:
            bookings.waiting.append(registration)
        else:
            bookings.upcoming.append(registration)
    bookings.more = max(len(bookings.upcoming) - limit, 0) + max(len(bookings.waiting) - limit, 0)
    bookings.upcoming = bookings.upcoming[:limit]
    bookings.waiting = bookings.waiting[:limit]
    return bookings
