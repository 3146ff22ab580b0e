"""iCalendar text written directly, for feeds of hundreds of events (RFC 5545).

Building an `icalendar.Event` per block costs far more than the text it produces, so feeds write
the lines themselves, here and nowhere else: TEXT values escaped (3.3.11: backslash, semicolon,
comma, newline), lines folded at 75 octets without splitting a UTF-8 character (3.1), CRLF line
ends. Times are written as `notifications.ical.wall_time` says (the zone's wall time, or UTC
where clients would misread it), with the same VTIMEZONE as the invites
(`notifications.vtimezone`), one per zone used. UIDs come from `notifications.ical.block_uid`, so
a block in a feed and in an emailed invite is one event.
"""

from __future__ import annotations

import datetime as dt
import functools
import zoneinfo
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from notifications.ical import PRODID, wall_time
from notifications.vtimezone import vtimezone

CRLF = "\r\n"
FOLD_OCTETS = 75


class EventStatus:
    CONFIRMED = "CONFIRMED"
    TENTATIVE = "TENTATIVE"
    CANCELLED = "CANCELLED"


@dataclass(frozen=True, slots=True)
class FeedEvent:
    """One VEVENT of a feed: plain values, times as aware instants."""

    uid: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    time_zone: str
    summary: str
    sequence: int
    last_modified: dt.datetime
    status: str = EventStatus.CONFIRMED
    location: str = ""
    description: str = ""
    url: str = ""


def escape_text(value: str) -> str:
    """A TEXT value (RFC 5545 3.3.11): backslash, semicolon and comma escaped, newlines as \\n."""
    return (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\r", "\\n")
        .replace("\n", "\\n")
    )


def fold(line: str) -> str:
    """One content line folded at 75 octets (RFC 5545 3.1), never inside a UTF-8 character;
    each continuation starts with a space, which counts toward its 75. With CRLF."""
    if len(line) <= FOLD_OCTETS and line.isascii():
        return line + CRLF
    encoded = line.encode()
    if len(encoded) <= FOLD_OCTETS:
        return line + CRLF
    parts = []
    start, limit = 0, FOLD_OCTETS
    while len(encoded) - start > limit:
        end = start + limit
        while encoded[end] & 0xC0 == 0x80:  # a continuation byte: step back to its lead byte
            end -= 1
        parts.append(encoded[start:end].decode())
        start, limit = end, FOLD_OCTETS - 1
    parts.append(encoded[start:].decode())
    return (CRLF + " ").join(parts) + CRLF


def utc_stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def _date_time(name: str, moment: dt.datetime, zone: zoneinfo.ZoneInfo) -> str:
    shown = wall_time(moment, zone)
    if shown.tzinfo is dt.UTC:
        return f"{name}:{shown:%Y%m%dT%H%M%S}Z{CRLF}"
    return f"{name};TZID={zone.key}:{shown:%Y%m%dT%H%M%S}{CRLF}"


@functools.cache
def _zone(name: str) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(name)


@functools.lru_cache(maxsize=256)
def vtimezone_text(name: str, first_year: int, last_year: int) -> str:
    """The invites' VTIMEZONE for `name`, right from 1 January of `first_year` to the end of
    `last_year` (and later, where the zone's rule is an RRULE). Cached: a span widened to whole
    years is still right, and the same few zones come back on every fetch."""
    start = dt.datetime(first_year, 1, 1, tzinfo=dt.UTC)
    end = dt.datetime(last_year, 12, 31, 23, 59, tzinfo=dt.UTC)
    text: str = vtimezone(name, start=start, end=end).to_ical().decode()
    return text


def vevent(event: FeedEvent) -> str:
    """The text of one VEVENT. DTSTAMP is LAST-MODIFIED: in a calendar without METHOD, RFC 5545
    (3.8.7.2) makes it the time the event last changed, and so the same event reads the same
    on every fetch (the ETag is a strong one)."""
    zone = _zone(event.time_zone)
    stamp = utc_stamp(event.last_modified)
    lines = [
        "BEGIN:VEVENT" + CRLF,
        fold("UID:" + escape_text(event.uid)),
        f"SEQUENCE:{event.sequence}{CRLF}",
        f"DTSTAMP:{stamp}{CRLF}",
        f"LAST-MODIFIED:{stamp}{CRLF}",
        _date_time("DTSTART", event.starts_at, zone),
        _date_time("DTEND", event.ends_at, zone),
        fold("SUMMARY:" + escape_text(event.summary)),
    ]
    if event.location:
        lines.append(fold("LOCATION:" + escape_text(event.location)))
    if event.description:
        lines.append(fold("DESCRIPTION:" + escape_text(event.description)))
    if event.url:
        lines.append(fold("URL:" + event.url))  # a URI, not TEXT: nothing to escape
    lines.append(f"STATUS:{event.status}{CRLF}")
    lines.append(
        ("TRANSP:TRANSPARENT" if event.status == EventStatus.CANCELLED else "TRANSP:OPAQUE") + CRLF
    )
    lines.append("END:VEVENT" + CRLF)
    return "".join(lines)


def calendar_text(events: Sequence[FeedEvent], *, name: str) -> str:
    """A whole feed: VCALENDAR (no METHOD: a published calendar, not an iTIP message), one
    VTIMEZONE per zone used, then the events in the order given."""
    parts = [
        "BEGIN:VCALENDAR" + CRLF,
        "VERSION:2.0" + CRLF,
        fold("PRODID:" + PRODID),
        "CALSCALE:GREGORIAN" + CRLF,
        fold("X-WR-CALNAME:" + escape_text(name)),
    ]
    parts += [vtimezone_text(*span) for span in _zone_spans(events)]
    parts += [vevent(event) for event in events]
    parts.append("END:VCALENDAR" + CRLF)
    return "".join(parts)


def _zone_spans(events: Iterable[FeedEvent]) -> list[tuple[str, int, int]]:
    spans: dict[str, tuple[int, int]] = {}
    for event in events:
        first, last = event.starts_at.year - 1, event.ends_at.year + 1
        known = spans.get(event.time_zone)
        if known is not None:
            first, last = min(first, known[0]), max(last, known[1])
        spans[event.time_zone] = (first, last)
    return [(zone, first, last) for zone, (first, last) in sorted(spans.items())]
