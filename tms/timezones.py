"""Time zones, each rule once: whose zone a person reads times in, and how a local wall-clock
time becomes an instant.

- `reader_zone(user, fallback)`: the zone a person reads times in — the zone chosen on their
  settings page, else an instructor's home zone, else `fallback` (the session's zone, i.e. the
  venue's). Pages may also pass the browser's zone, tried before the fallback. Emails, invites
  and pages all ask this one function.
- `local_instant(day, clock, zone)`: the one rule for clock changes, used by every path that
  turns a typed date and time into an instant (session form, block moves, weekly repeats in
  forms and API, registration windows, availability searches):
    * a time the clocks skip (spring forward) does not exist: it is refused with a message
      naming the change, e.g. "02:30 does not exist on Sun 31 Mar 2030 in Europe/Paris: clocks
      go forward from 02:00 to 03:00." — never silently moved, so a block cannot shrink,
      become empty or end before it starts;
    * a time the clocks repeat (fall back) means its first occurrence (`fold=0`, still on the
      earlier offset). `repeated_time(instant, zone)` tells whether an instant's wall-clock
      reading happens twice, so the schedule check can warn about it.
- `local_label(moment)`: the name of a zone at an instant as people read it ("CET", or
  "UTC+10:30" where the tz database has no letters).
- `reader_span(starts, ends, reader=, venue=)`: a block as one reader sees it, in their zone
  and in the venue's where its clock differs ("Mon 4 Mar 2030, 03:00-06:00 EST" and
  "09:00-12:00 CET"); pages render it with `{% load reader_time %}`, emails may use its text.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass
from typing import Any

from django.utils import dateformat
from django.utils.translation import gettext as _

from tms.exceptions import RuleViolation
from tms.validators import known_time_zones

# --- Whose zone -------------------------------------------------------------------------------


def _valid(name: Any) -> str | None:
    """`name` if it is a known IANA zone (a cookie may hold anything)."""
    return name if isinstance(name, str) and name in known_time_zones() else None


def preferred_zone(user: Any, *, browser_zone: str | None = None) -> str | None:
    """The zone `user` asked for or implies: their settings, an instructor's home zone, then
    (pages only) the browser's zone; None when there is none. Reads `user.profile` and
    `user.instructor_profile` (the sign-in backend loads both with the user)."""
    if user is not None and getattr(user, "is_authenticated", False):
        profile = getattr(user, "profile", None)
        chosen = _valid(getattr(profile, "time_zone", None))
        if chosen:
            return chosen
        instructor = getattr(user, "instructor_profile", None)
        home = _valid(getattr(instructor, "home_time_zone", None))
        if home:
            return home
    return _valid(browser_zone)


def reader_zone(user: Any, fallback: str, *, browser_zone: str | None = None) -> str:
    """The zone `user` reads times in: settings → instructor home zone → (pages: the browser's
    zone) → `fallback`, normally the session's zone (the venue's). `user` may be None."""
    return preferred_zone(user, browser_zone=browser_zone) or fallback


# --- Local wall-clock time → instant ----------------------------------------------------------


@dataclass(frozen=True)
class ClockChange:
    """A change of a zone's UTC offset: at `instant` the wall clock jumps from `before` to
    `after` (forward in spring, back in autumn)."""

    zone: str
    day: dt.date
    instant: dt.datetime
    before: dt.time
    after: dt.time
    offset_before: dt.timedelta
    offset_after: dt.timedelta

    @property
    def forward(self) -> bool:
        return self.offset_after > self.offset_before

    def describe(self) -> str:
        """ "clocks go forward from 02:00 to 03:00" """
        values = {"before": f"{self.before:%H:%M}", "after": f"{self.after:%H:%M}"}
        if self.forward:
            return _("clocks go forward from %(before)s to %(after)s") % values
        return _("clocks go back from %(before)s to %(after)s") % values


class NonexistentLocalTime(RuleViolation):
    """A typed local time that the clocks skip in that zone on that day."""

    code = "nonexistent_local_time"

    def __init__(self, message: str, *, change: ClockChange, field: str) -> None:
        super().__init__(message, fields={field: [message]})
        self.change = change


def day_label(day: dt.date) -> str:
    """ "Sun 31 Mar 2030" (translated day and month names)."""
    return dateformat.format(day, "D j M Y")


def _change_between(
    zone: zoneinfo.ZoneInfo, earlier: dt.datetime, later: dt.datetime
) -> dt.datetime:
    """The instant (to the second) between `earlier` and `later` (UTC, offsets differ) at
    which `zone` changes its UTC offset."""
    low, high = int(earlier.timestamp()), int(later.timestamp())
    first = earlier.astimezone(zone).utcoffset()
    while high - low > 1:
        middle = (low + high) // 2
        moment = dt.datetime.fromtimestamp(middle, dt.UTC)
        if moment.astimezone(zone).utcoffset() == first:
            low = middle
        else:
            high = middle
    return dt.datetime.fromtimestamp(high, dt.UTC)


def _clock_change_at(local: dt.datetime, zone_name: str) -> ClockChange | None:
    """The change that makes `local` (a naive-looking reading with tzinfo=zone) skipped or
    repeated; None when the two folds agree (an ordinary time)."""
    zone = zoneinfo.ZoneInfo(zone_name)
    first, second = local.replace(fold=0), local.replace(fold=1)
    before, after = first.utcoffset(), second.utcoffset()
    if before is None or after is None or before == after:
        return None
    # fold=0 reads the wall clock with the offset before the change, fold=1 with the one after:
    # the change lies between the two candidate instants.
    candidates = sorted([first.astimezone(dt.UTC), second.astimezone(dt.UTC)])
    instant = _change_between(zone, candidates[0], candidates[1])
    wall_before = (instant + before).replace(tzinfo=None)
    wall_after = (instant + after).replace(tzinfo=None)
    return ClockChange(
        zone=zone_name,
        day=local.date(),
        instant=instant,
        before=wall_before.time(),
        after=wall_after.time(),
        offset_before=before,
        offset_after=after,
    )


def local_instant(
    day: dt.date, clock: dt.time, zone: str, *, field: str = "non_field_errors"
) -> dt.datetime:
    """The instant of wall-clock `clock` on `day` in `zone` (an IANA name).

    Refuses a time skipped by a clock change (`NonexistentLocalTime`, a 400 naming the change,
    on `field`); a repeated time is its first occurrence. Returns the instant in UTC: Python
    compares and subtracts two datetimes of the same zone by their wall clocks (ignoring
    `fold`), which is wrong across a clock change.
    """
    tz = zoneinfo.ZoneInfo(zone)
    local = dt.datetime.combine(day, clock.replace(tzinfo=None), tzinfo=tz)
    # A reading that does not survive a round trip through UTC lies in a gap.
    if local.astimezone(dt.UTC).astimezone(tz).replace(tzinfo=None) != local.replace(tzinfo=None):
        change = _clock_change_at(local, zone)
        if change is None:  # pragma: no cover - a gap always has two offsets
            raise ValueError(f"{local} does not exist in {zone}")
        message = _("%(time)s does not exist on %(day)s in %(zone)s: %(change)s.") % {
            "time": f"{clock:%H:%M}",
            "day": day_label(day),
            "zone": zone,
            "change": change.describe(),
        }
        raise NonexistentLocalTime(message, change=change, field=field)
    return local.replace(fold=0).astimezone(dt.UTC)


def repeated_time(moment: dt.datetime, zone: str) -> tuple[ClockChange, dt.datetime] | None:
    """When the wall-clock reading of `moment` in `zone` happens twice (clocks going back):
    the change and `moment` read in `zone` (its `fold` says which occurrence: 0 the first,
    1 the second). None for an ordinary time."""
    local = moment.astimezone(zoneinfo.ZoneInfo(zone))
    change = _clock_change_at(local, zone)
    return (change, local) if change is not None else None


# --- Naming a zone ----------------------------------------------------------------------------


def utc_offset_label(moment: dt.datetime) -> str:
    """ "UTC+10:30", "UTC-05:00", "UTC+11" for an aware datetime."""
    offset = moment.utcoffset() or dt.timedelta(0)
    sign = "-" if offset < dt.timedelta(0) else "+"
    minutes = abs(int(offset.total_seconds())) // 60
    hours, rest = divmod(minutes, 60)
    return f"UTC{sign}{hours:02d}:{rest:02d}"


def local_label(moment: dt.datetime) -> str:
    """The zone's abbreviation at `moment` (CET, EDT, AEDT), or its UTC offset where the tz
    database has only digits ("+1030" in Australia/Lord_Howe becomes "UTC+10:30")."""
    name = moment.tzname() or ""
    return name if any(c.isalpha() for c in name) else utc_offset_label(moment)


# --- A span of time as a reader sees it -------------------------------------------------------

DASH = "\N{EN DASH}"
ONE_DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class LocalSpan:
    """A start (and maybe an end) read in one zone."""

    starts: dt.datetime
    ends: dt.datetime | None
    zone: str

    @property
    def one_day(self) -> bool:
        return (
            self.ends is None
            or self.ends.date() == self.starts.date()
            or (self.ends.time() == dt.time(0) and self.ends.date() == self.starts.date() + ONE_DAY)
        )

    def date_text(self, *, year: bool = True) -> str:
        return dateformat.format(self.starts, "D j M Y" if year else "D j M")

    def times_text(self) -> str:
        """ "09:00-12:00 CET", "22:00 - Tue 5 Mar, 01:00 CET", "09:00 CET" (with en dashes)."""
        start, label = f"{self.starts:%H:%M}", local_label(self.starts)
        if self.ends is None:
            return f"{start} {label}"
        end, end_label = f"{self.ends:%H:%M}", local_label(self.ends)
        if not self.one_day:
            end = f"{dateformat.format(self.ends, 'D j M')}, {end}"
        first = start if end_label == label else f"{start} {label}"
        dash = DASH if self.one_day else f" {DASH} "
        return f"{first}{dash}{end} {end_label}"

    def text(self, *, year: bool = True) -> str:
        return f"{self.date_text(year=year)}, {self.times_text()}"


@dataclass(frozen=True)
class ReaderSpan:
    """A block (or a session's start) for one reader: in their zone, and in the venue's zone
    when the venue's clock reads differently (`venue` is None when it reads the same)."""

    reader: LocalSpan
    venue: LocalSpan | None

    @property
    def venue_on_another_day(self) -> bool:
        return self.venue is not None and self.venue.starts.date() != self.reader.starts.date()

    def venue_text(self) -> str:
        """The venue's reading, with its day when that differs from the reader's."""
        if self.venue is None:
            return ""
        if self.venue_on_another_day:
            return self.venue.text(year=False)
        return self.venue.times_text()


def reader_span(
    starts: dt.datetime, ends: dt.datetime | None, *, reader: str, venue: str
) -> ReaderSpan:
    """`starts` to `ends` read in the `reader`'s zone, and in the `venue`'s where its clock
    differs at the start or the end (same offsets, as Paris and Berlin: one reading)."""

    def read(zone: str) -> LocalSpan:
        tz = zoneinfo.ZoneInfo(zone)
        return LocalSpan(starts.astimezone(tz), ends.astimezone(tz) if ends else None, zone)

    mine, theirs = read(reader), read(venue)
    same = mine.starts.utcoffset() == theirs.starts.utcoffset() and (
        mine.ends is None or mine.ends.utcoffset() == theirs.ends.utcoffset()  # type: ignore[union-attr]
    )
    return ReaderSpan(mine, None if same else theirs)
