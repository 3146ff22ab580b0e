"""iCalendar invites (RFC 5545 / iTIP RFC 5546): one VEVENT per block, stable UIDs.

REQUEST for new and updated invites (a higher SEQUENCE replaces the previous version in the
attendee's calendar), CANCEL with the same UIDs to remove them, PUBLISH for a download ("Add to
calendar": the same UIDs, so an imported copy and an emailed one are one event; no ATTENDEE, as
RFC 5546 has it for PUBLISH). Times are wall times in the
session's zone with our own VTIMEZONE (notifications/vtimezone.py), so that every calendar
client reads the same instants.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass

import icalendar
from django.conf import settings

from notifications.vtimezone import vtimezone

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
    """An iTIP message (METHOD:REQUEST, CANCEL or PUBLISH) with VTIMEZONE data for
    `time_zone`."""
    if method not in {"REQUEST", "CANCEL", "PUBLISH"}:
        raise ValueError(f"Unsupported iTIP method {method!r}")
    zone = zoneinfo.ZoneInfo(time_zone)
    starts = [item.starts_at for item in events] or [now]
    ends = [item.ends_at for item in events] or [now]
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method)
    calendar.add_component(vtimezone(time_zone, start=min(starts), end=max(ends)))
    organizer = icalendar.vCalAddress(f"mailto:{settings.INVITE_ORGANIZER_EMAIL}")
    organizer.params["cn"] = icalendar.vText(settings.INVITE_ORGANIZER_NAME)
    for item in events:
        event = icalendar.Event()
        event.add("uid", item.uid)
        event.add("sequence", sequence)
        event.add("dtstamp", now.astimezone(dt.UTC))
        event.add("dtstart", wall_time(item.starts_at, zone))
        event.add("dtend", wall_time(item.ends_at, zone))
        event.add("summary", item.summary)
        if item.location:
            event.add("location", item.location)
        if item.description:
            event.add("description", item.description)
        if item.url:
            event.add("url", item.url)
        event["organizer"] = organizer
        if method != "PUBLISH":
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
    return calendar.to_ical().decode()


def wall_time(moment: dt.datetime, zone: zoneinfo.ZoneInfo) -> dt.datetime:
    """`moment` as a wall time in `zone`, or in UTC where clients would misread that:

    - a wall time that comes twice (in the hour repeated when clocks go back): RFC 5545
      (3.3.5) reads it as the first, but ical.js takes the one in standard time;
    - a UTC offset with seconds (local mean time, before about 1920): ical.js drops them.
    """
    local = moment.astimezone(zone)
    offset = local.utcoffset()
    if (
        offset is None
        or offset.seconds % 60
        or local.replace(fold=1 - local.fold).utcoffset() != offset
    ):
        return moment.astimezone(dt.UTC)
    return local
