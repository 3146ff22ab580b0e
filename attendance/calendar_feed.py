"""The learner's calendar feed: the blocks of their own registrations, nobody else's.

Per registration and block one VEVENT with the emailed invite's UID (`r<registration id>`):
- confirmed: CONFIRMED, with the join link of a VILT session;
- waitlisted or offered: TENTATIVE, marked as such in the description, without the join link
  (not a confirmed seat yet: an offer still has to be accepted);
- cancelled (the registration, the block or the session): CANCELLED for 30 days after the
  cancellation, then gone. A learner who registers again gets fresh UIDs, as in the invites.
The window and the rest are the schedule feeds' (scheduling/calendar/feeds.py).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, F, Max, Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from attendance.models import ACTIVE, RegistrationStatus
from notifications.ical_text import EventStatus, FeedEvent
from scheduling.calendar.feeds import (
    Feed,
    block_event,
    cancelled_cutoff,
    feed_day,
    in_window,
    is_virtual,
    place,
    schedule_status,
    session_link,
)
from scheduling.models import FeedToken, SessionBlock

NOTES = {
    RegistrationStatus.WAITLISTED: gettext_lazy("On the waitlist: not a confirmed seat."),
    RegistrationStatus.OFFERED: gettext_lazy(
        "A seat is offered to you: accept it on the session page."
    ),
}


def learner_feed(token: FeedToken, *, now: dt.datetime) -> Feed:
    """The learner's registrations (see the module docstring). The registration conditions sit
    in one filter() so that the join they make is the one the annotations read."""
    learner = token.learner_id
    if learner is None:
        raise ValueError("this token has no such owner")
    cutoff = cancelled_cutoff(now)
    blocks = SessionBlock.objects.filter(in_window(now)).filter(
        Q(session__registrations__learner_id=learner)
        & (
            Q(session__registrations__status__in=ACTIVE)
            | Q(session__registrations__cancelled_at__gte=cutoff)
        )
    )
    link = session_link()

    def event(row: dict[str, Any]) -> FeedEvent:
        state = row["registration_status"]
        status = schedule_status(row)
        if state == RegistrationStatus.CANCELLED:
            status = EventStatus.CANCELLED
        elif state != RegistrationStatus.CONFIRMED and status == EventStatus.CONFIRMED:
            status = EventStatus.TENTATIVE
        confirmed = state == RegistrationStatus.CONFIRMED and status == EventStatus.CONFIRMED
        if is_virtual(row):
            location = row["session__join_url"] if confirmed else ""
        else:
            location = place(row)
        return block_event(
            row,
            owner=f"r{row['registration_id']}",
            link=link,
            status=status,
            location=location,
            last_modified=max(
                row["updated_at"], row["session__updated_at"], row["registration_updated_at"]
            ),
            note=str(NOTES.get(state, "")),
        )

    return Feed(
        name=lambda rows: _("My training"),
        salt=f"{token.pk}",
        day=feed_day(now),
        blocks=blocks,
        event=event,
        columns={
            "registration_id": F("session__registrations__id"),
            "registration_status": F("session__registrations__status"),
            "registration_updated_at": F("session__registrations__updated_at"),
        },
        aggregates={
            "registrations": Max("session__registrations__updated_at"),
            # The state decides status and join link: counted, should two changes share a
            # timestamp (services take `now` from their caller).
            **{
                f"in_{state}": Count("id", filter=Q(session__registrations__status=state))
                for state in RegistrationStatus.values
            },
        },
    )
