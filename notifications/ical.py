"""iCalendar invites (RFC 5545 / iTIP RFC 5546): one VEVENT per block, stable UIDs.

REQUEST for new and updated invites (a higher SEQUENCE replaces the previous version in the
attendee's calendar), CANCEL with the same UIDs to remove them.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass

import icalendar
from django.conf import settings

PRODID = "-//TMS//Training Management System//EN"


def block_uid(block_id: int, owner: str) -> str:
    """The UID of one block in one person's calendar (`owner`: "r42" for registration 42).

    Stable across updates (a later REQUEST with a higher SEQUENCE replaces the event); per
    registration, so a learner who cancels and registers again gets fresh events rather than
    cancelled ones. Invites and feeds use the same UIDs."""
    return f"tms-block-{block_id}-{owner}@{settings.INVITE_UID_DOMAIN}"


@dataclass(frozen=True)
class InviteEvent:
    uid: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    summary: str
    location: str = ""
    description: str = ""
    url: str = ""
    cancelled: bool = False


def invite(
    *,
    method: str,
    events: Sequence[InviteEvent],
    sequence: int,
    time_zone: str,
    attendee_email: str,
    attendee_name: str = "",
    now: dt.datetime,
) -> str:
    """An iTIP message (METHOD:REQUEST or CANCEL) with VTIMEZONE data for `time_zone`."""
    if method not in {"REQUEST", "CANCEL"}:
        raise ValueError(f"Unsupported iTIP method {method!r}")
    zone = zoneinfo.ZoneInfo(time_zone)
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method)
    organizer = icalendar.vCalAddress(f"mailto:{settings.INVITE_ORGANIZER_EMAIL}")
    organizer.params["cn"] = icalendar.vText(settings.INVITE_ORGANIZER_NAME)
    for item in events:
        event = icalendar.Event()
        event.add("uid", item.uid)
        event.add("sequence", sequence)
        event.add("dtstamp", now.astimezone(dt.UTC))
        event.add("dtstart", item.starts_at.astimezone(zone))
        event.add("dtend", item.ends_at.astimezone(zone))
        event.add("summary", item.summary)
        if item.location:
            event.add("location", item.location)
        if item.description:
            event.add("description", item.description)
        if item.url:
            event.add("url", item.url)
        event["organizer"] = organizer
        attendee = icalendar.vCalAddress(f"mailto:{attendee_email}")
        attendee.params["cn"] = icalendar.vText(attendee_name or attendee_email)
        attendee.params["role"] = icalendar.vText("REQ-PARTICIPANT")
        attendee.params["partstat"] = icalendar.vText(
            "DECLINED" if method == "CANCEL" else "ACCEPTED"
        )
        event.add("attendee", attendee, encode=0)
        cancelled = method == "CANCEL" or item.cancelled
        event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
        event.add("transp", "OPAQUE")
        calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical().decode()
