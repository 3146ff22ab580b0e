"""VTIMEZONE components (RFC 5545 3.6.5) built from the IANA data Python's zoneinfo reads.

Written so that icalendar, vobject (dateutil) and Mozilla's ical.js (Thunderbird) all place a
local time at the instant Python's zoneinfo does:

- each change of UTC offset is its own STANDARD or DAYLIGHT sub-component whose DTSTART is
  the local wall time just *before* the change, in TZOFFSETFROM (RFC 5545 3.8.3.3, 3.8.2.4).
  No comma-separated RDATE lists: ical.js and vobject read only their first date;
- the zone's current yearly rule (the POSIX TZ string that ends its TZif file, RFC 8536 3.3)
  becomes sub-components with an open-ended RRULE, starting where the rule took over
  (America/New_York: 2007), which covers every later year (the API accepts dates up to 2999)
  in a few lines, whatever the span. A change whose day can cross the month's edge gets one
  RRULE per month (Africa/Cairo: 24:00 on the last Thursday of October is a Friday from 26
  October to 1 November); one that moves with 29 February would be written change by change;
- changes before that (history) are written one by one, only where the span needs them.

Sub-component names follow the clocks, not tzdata's flags: a change that moves clocks forward
into or out of daylight-saving time is DAYLIGHT, every other one STANDARD. So Europe/Dublin,
whose winter tzdata calls "daylight saving" with a negative save, gets an Irish Standard Time
DAYLIGHT (+01:00) and a GMT STANDARD (+00:00), as calendar clients expect.
"""

from __future__ import annotations

import bisect
import calendar
import datetime as dt
import functools
import importlib.resources
import os
import re
import struct
import zoneinfo
from dataclasses import dataclass

import icalendar

DAY = 86400
EPOCH = dt.datetime(1970, 1, 1)  # noqa: DTZ001 - VTIMEZONE onsets are naive local wall times
# Local wall time of a made-up first onset, for a span that starts before a zone's first change.
BEFORE_ANY_CHANGE = dt.datetime(1800, 1, 1)  # noqa: DTZ001 - naive local wall time
ICAL_WEEKDAYS = ("SU", "MO", "TU", "WE", "TH", "FR", "SA")  # POSIX weekday numbers: Sunday = 0


@dataclass(frozen=True)
class Change:
    """One change of UTC offset; `at` in Unix seconds, offsets in seconds east of UTC."""

    at: int
    before: int
    after: int
    name: str  # abbreviation in force after the change
    daylight: bool  # clocks move forward into or out of daylight-saving time

    @property
    def local_before(self) -> dt.datetime:
        return EPOCH + dt.timedelta(seconds=self.at + self.before)


@dataclass(frozen=True)
class YearlyChange:
    """One of the two changes a POSIX TZ rule makes every year (RFC 8536 3.3.1)."""

    month: int
    week: int  # 1-4, or 5 for the last
    weekday: int  # 0 = Sunday
    seconds: int  # local time of day before the change, may be < 0 or >= 24 h
    before: int
    after: int
    name: str
    daylight: bool

    def in_year(self, year: int) -> Change:
        first = dt.date(year, self.month, 1)
        day = 1 + (self.weekday - (first.weekday() + 1)) % 7 + 7 * (self.week - 1)
        while day > calendar.monthrange(year, self.month)[1]:
            day -= 7
        local = (dt.date(year, self.month, day) - EPOCH.date()).days * DAY + self.seconds
        return Change(local - self.before, self.before, self.after, self.name, self.daylight)

    def rrules(self) -> list[dict[str, object]] | None:
        """RRULEs naming this change's day: one, or two where a time of day past midnight (or
        before it) moves the day across the month's edge (Africa/Cairo: 24:00 on the last
        Thursday of October is a Friday from 26 October to 1 November). None where February's
        length gets in the way."""
        shift = self.seconds // DAY
        weekday = ICAL_WEEKDAYS[(self.weekday + shift) % 7]
        if shift == 0:
            ordinal = -1 if self.week == 5 else self.week
            return [{"freq": "yearly", "bymonth": self.month, "byday": f"{ordinal}{weekday}"}]
        month_days = {m: calendar.monthrange(2001, m)[1] for m in range(1, 13)}
        last = month_days[self.month]
        # Day numbers from the start of the month: ical.js misreads negative BYMONTHDAY.
        first = last - 6 if self.week == 5 else 7 * (self.week - 1) + 1
        days = range(first + shift, first + shift + 7)
        previous, following = (self.month - 2) % 12 + 1, self.month % 12 + 1
        windows = {
            previous: [d + month_days[previous] for d in days if d < 1],
            self.month: [d for d in days if 1 <= d <= last],
            following: [d - last for d in days if d > last],
        }
        if (self.month == 2 and (self.week == 5 or days[-1] > 28)) or (
            self.month == 3 and days[0] < 1
        ):
            return None  # a window that moves with 29 February
        return [
            {"freq": "yearly", "bymonth": month, "bymonthday": in_month, "byday": weekday}
            for month, in_month in windows.items()
            if in_month
        ]


@dataclass(frozen=True)
class ZoneData:
    changes: tuple[Change, ...]  # from the TZif file, offset changes only
    initial: tuple[int, str]  # offset and abbreviation before the first change
    rule: tuple[YearlyChange, YearlyChange] | None  # after the last change; None: no DST

    def ruled_changes(self, last_year: int) -> list[Change]:
        """The rule's changes after the last listed one, up to the end of `last_year`."""
        if self.rule is None:
            return []
        after = self.changes[-1].at if self.changes else None
        first_year = _year(after) if after is not None else 1800
        ruled = [
            part.in_year(year) for year in range(first_year, last_year + 1) for part in self.rule
        ]
        return sorted((c for c in ruled if after is None or c.at > after), key=lambda c: c.at)


def vtimezone(name: str, *, start: dt.datetime, end: dt.datetime) -> icalendar.Timezone:
    """A VTIMEZONE for IANA zone `name`, right for every instant from `start` to `end` and,
    in zones with a yearly rule that an RRULE can say, for every instant after that.

    Raises zoneinfo.ZoneInfoNotFoundError for an unknown zone.
    """
    data = zone_data(name)
    first, last = int(start.timestamp()) - DAY, int(end.timestamp()) + DAY
    rules = _zone_rrules(name)
    if rules is None:  # every change written out, the rule's too
        changes = [*data.changes, *data.ruled_changes(_year(last))]
        takeover = None
    else:
        changes = list(data.changes)
        takeover = rules[0][1].at
    # The change in force at the start of the span, and every later one up to the span's end
    # or up to where the rule takes over.
    in_force = bisect.bisect_right([c.at for c in changes], first) - 1
    onsets = [_before_any_change(data)] if in_force < 0 else []
    onsets += [
        c
        for c in changes[max(in_force, 0) :]
        if c.at <= last and (takeover is None or c.at < takeover)
    ]
    zone = icalendar.Timezone()
    zone.add("tzid", name)
    for change in onsets:
        zone.add_component(_component(change, rrule=None))
    for rrule, change in rules or ():
        zone.add_component(_component(change, rrule=rrule))
    return zone


def _before_any_change(data: ZoneData) -> Change:
    """A made-up onset long ago, for a span that starts before the zone's first change."""
    offset, abbreviation = data.initial
    at = int((BEFORE_ANY_CHANGE - EPOCH).total_seconds()) - offset
    return Change(at, offset, offset, abbreviation, daylight=False)


@functools.cache
def _zone_rrules(name: str) -> list[tuple[dict[str, object], Change]] | None:
    """The rule as (RRULE, its first change) pairs from where it took over, in order; None
    where the zone has no yearly rule or an RRULE cannot say it."""
    data = zone_data(name)
    if data.rule is None:
        return None
    pairs = []
    takeover = _rule_takeover(data.changes, data.rule)
    for part in data.rule:
        rrules = part.rrules()
        if rrules is None:
            return None
        for rrule in rrules:
            year = _year(takeover)
            while not _starts(rrule, change := part.in_year(year)) or change.at < takeover:
                year += 1
            pairs.append((rrule, change))
    return sorted(pairs, key=lambda pair: pair[1].at)


def _starts(rrule: dict[str, object], change: Change) -> bool:
    """Whether `change` falls in the month `rrule` names."""
    return change.local_before.month == rrule["bymonth"]


def _rule_takeover(changes: tuple[Change, ...], rule: tuple[YearlyChange, ...]) -> int:
    """The earliest change from which on every change is one the rule makes: files may list
    the rule's changes for years (up to 2037) before their footer takes over."""
    if not changes:
        return min(part.in_year(1800).at for part in rule)
    takeover = changes[-1].at + 1
    for change in reversed(changes):
        year = _year(change.at)
        ruled = {
            (c.at, c.before, c.after)
            for c in (part.in_year(y) for part in rule for y in (year - 1, year, year + 1))
        }
        if (change.at, change.before, change.after) not in ruled:
            break
        takeover = change.at
    return takeover


def _component(change: Change, *, rrule: dict[str, object] | None) -> icalendar.Component:
    part = icalendar.TimezoneDaylight() if change.daylight else icalendar.TimezoneStandard()
    part.add("dtstart", change.local_before)
    if rrule:
        part.add("rrule", dict(rrule))  # a copy: the cached rule stays as it is
    part.add("tzoffsetfrom", dt.timedelta(seconds=change.before))
    part.add("tzoffsetto", dt.timedelta(seconds=change.after))
    part.add("tzname", change.name)
    return part


def _year(timestamp: int) -> int:
    return (EPOCH + dt.timedelta(seconds=timestamp)).year


# --- Reading the zone's TZif file, the one Python's zoneinfo reads ------------------------------


@functools.cache
def zone_data(name: str) -> ZoneData:
    zoneinfo.ZoneInfo(name)  # the same key checks and error as everywhere else
    return parse_tzif(_tzif_bytes(name))


def _tzif_bytes(name: str) -> bytes:
    # zoneinfo's own search order: the system's zone files first, then the tzdata package.
    for folder in zoneinfo.TZPATH:
        path = os.path.join(folder, name)
        if os.path.isfile(path):
            with open(path, "rb") as file:
                return file.read()
    return importlib.resources.files("tzdata").joinpath("zoneinfo", *name.split("/")).read_bytes()


def parse_tzif(data: bytes) -> ZoneData:
    """Transitions and footer of a TZif file (RFC 8536); the 64-bit part where there is one."""
    if data[:4] != b"TZif":
        raise ValueError("not a TZif file")
    counts = struct.unpack(">6l", data[20:44])
    position, time_size = 44, 4
    if data[4:5] >= b"2":  # skip the version 1 block, read the 64-bit one
        position += _block_length(counts, 4) + 44
        counts = struct.unpack(">6l", data[position - 24 : position])
        time_size = 8
    is_ut, is_std, leaps, times, types, chars = counts
    kind = "q" if time_size == 8 else "l"
    instants = struct.unpack(f">{times}{kind}", data[position : position + times * time_size])
    position += times * time_size
    indexes = data[position : position + times]
    position += times
    records = [struct.unpack_from(">lBB", data, position + 6 * i) for i in range(types)]
    position += 6 * types
    abbreviations = data[position : position + chars]
    position += chars + leaps * (time_size + 4) + is_std + is_ut

    def abbreviation(index: int) -> str:
        return abbreviations[index : abbreviations.index(b"\0", index)].decode()

    # Like zoneinfo: before the first transition, the first standard-time type.
    initial = next((r for r in records if not r[1]), records[0])
    changes: list[Change] = []
    offset, dst = initial[0], bool(initial[1])
    for instant, index in zip(instants, indexes, strict=True):
        after, after_dst, name = records[index][0], bool(records[index][1]), records[index][2]
        if after != offset:
            daylight = after > offset and (dst or after_dst)
            changes.append(Change(instant, offset, after, abbreviation(name), daylight))
        offset, dst = after, after_dst
    footer = data[position:].strip().decode() if time_size == 8 else ""
    return ZoneData(tuple(changes), (initial[0], abbreviation(initial[2])), _parse_rule(footer))


def _block_length(counts: tuple[int, ...], time_size: int) -> int:
    is_ut, is_std, leaps, times, types, chars = counts
    return times * (time_size + 1) + types * 6 + chars + leaps * (time_size + 4) + is_std + is_ut


# POSIX TZ string: std offset [dst [offset] ,start[/time],end[/time]]
_NAME = r"(?:<[^>]+>|[A-Za-z]{3,})"
_OFFSET = r"[+-]?\d{1,3}(?::\d{1,2}){0,2}"
_RULE = re.compile(
    rf"^(?P<std>{_NAME})(?P<std_offset>{_OFFSET})"
    rf"(?:(?P<dst>{_NAME})(?P<dst_offset>{_OFFSET})?"
    rf",M(?P<m1>\d+)\.(?P<w1>\d)\.(?P<d1>\d)(?:/(?P<t1>{_OFFSET}))?"
    rf",M(?P<m2>\d+)\.(?P<w2>\d)\.(?P<d2>\d)(?:/(?P<t2>{_OFFSET}))?)?$"
)


def _parse_rule(footer: str) -> tuple[YearlyChange, YearlyChange] | None:
    match = _RULE.match(footer)
    if match is None and "," in footer:
        # Jn or n day numbers, which tzdata does not use: fail loudly rather than be wrong.
        raise ValueError(f"unsupported POSIX TZ rule {footer!r}")
    if match is None or match["dst"] is None:
        return None  # no daylight saving time after the last listed change
    std = -_seconds(match["std_offset"])  # POSIX counts west of Greenwich as positive
    dst = -_seconds(match["dst_offset"]) if match["dst_offset"] else std + 3600
    std_name, dst_name = match["std"].strip("<>"), match["dst"].strip("<>")

    def part(n: str, before: int, after: int, name: str) -> YearlyChange:
        time = _seconds(match[f"t{n}"]) if match[f"t{n}"] else 7200
        month, week, weekday = int(match[f"m{n}"]), int(match[f"w{n}"]), int(match[f"d{n}"])
        return YearlyChange(month, week, weekday, time, before, after, name, after > before)

    return part("1", std, dst, dst_name), part("2", dst, std, std_name)


def _seconds(text: str) -> int:
    sign = -1 if text.startswith("-") else 1
    parts = [int(p) for p in text.lstrip("+-").split(":")] + [0, 0]
    return sign * (parts[0] * 3600 + parts[1] * 60 + parts[2])
