"""The calendar grid: entries (instants) laid out for one viewer's zone as a week, a month or an
agenda. Pure computation: no queries, no templates; the pages draw what this returns.

How the week draws time. The hour axis is wall-clock time in the viewer's zone, one row per
`ROW_MINUTES`, and every entry is cut into the runs of real time it covers on each local day,
each run placed at its wall-clock start with its real length:

- an entry across midnight becomes one piece per local day, marked as continuing;
- on a day the clocks go forward (a 23-hour day) the skipped wall-clock hour is drawn hatched
  on that day ("02:00-03:00 does not exist"), and an entry across it is drawn in two parts,
  before and after, so its coloured length is its true length;
- in a week with a day the clocks go back (a 25-hour day) the axis gets the repeated hour a
  second time, labelled with the zone's abbreviation each time ("02:00 CEST", "02:00 CET");
  the other days have no such hour, so it is hatched on them and their entries skip it.

Positions are CSS classes (`cal-at-N` starts at row N, `cal-span-N` spans N rows, `cal-lane-I`
and `cal-lanes-K` for side-by-side entries) from the static stylesheet that `stylesheet()`
writes (static/css/calendar-grid.css): the CSP forbids inline styles.
"""

from __future__ import annotations

import calendar as pycalendar
import datetime as dt
import enum
import math
import zoneinfo
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.utils import dateformat
from django.utils.translation import gettext as _

from tms.timezones import local_label, reader_span

ROW_MINUTES = 5
DAY_MINUTES = 24 * 60
# The longest axis: 24 hours and a repeated stretch of up to 2 hours (Antarctica/Troll).
MAX_AXIS_MINUTES = DAY_MINUTES + 120
MAX_ROWS = MAX_AXIS_MINUTES // ROW_MINUTES
MAX_LANES = 6
ONE_DAY = dt.timedelta(days=1)


class View(enum.StrEnum):
    WEEK = "week"
    MONTH = "month"
    AGENDA = "agenda"


class EntryKind(enum.StrEnum):
    SESSION = "session"
    UNAVAILABLE = "unavailable"
    WORKING_HOURS = "working_hours"
    CLOSURE = "closure"


@dataclass(frozen=True)
class Entry:
    """Something to show from `starts_at` to `ends_at` (aware instants).

    `venue_zone`: the zone of the place it happens in (its time is shown where its clock reads
    differently from the viewer's); `online` says "session time" rather than "at the venue".
    Working hours are shading: drawn behind the week's entries and named as text per day.
    """

    starts_at: dt.datetime
    ends_at: dt.datetime
    title: str
    kind: EntryKind = EntryKind.SESSION
    url: str = ""
    details: tuple[str, ...] = ()
    join_url: str = ""
    venue_zone: str | None = None
    online: bool = False
    note: str = ""
    key: str = ""
    # Further (label, url) links, e.g. "Add to calendar".
    links: tuple[tuple[str, str], ...] = ()

    @property
    def is_shade(self) -> bool:
        return self.kind == EntryKind.WORKING_HOURS


@dataclass(frozen=True)
class Segment:
    """Rows of the week grid: starts at row `at` (1-based) and spans `span` rows."""

    at: int
    span: int

    @property
    def end(self) -> int:
        return self.at + self.span


@dataclass
class Piece:
    """An entry's part on one local day (the whole entry when it starts and ends that day)."""

    entry: Entry
    starts: dt.datetime  # viewer's zone, clipped to the day
    ends: dt.datetime
    continues_before: bool
    continues_after: bool
    time_text: str
    venue_text: str
    segments: list[Segment] = field(default_factory=list)
    lane: int = 1
    lanes: int = 1

    @property
    def start_label(self) -> str:
        """ "09:00" """
        return f"{self.starts:%H:%M}"

    @property
    def first(self) -> Segment | None:
        return self.segments[0] if self.segments else None

    @property
    def more(self) -> list[Segment]:
        return self.segments[1:]


@dataclass
class Day:
    date: dt.date
    starts_at: dt.datetime  # first instant of the local day (UTC)
    ends_at: dt.datetime
    is_today: bool
    in_period: bool = True
    pieces: list[Piece] = field(default_factory=list)
    shades: list[Piece] = field(default_factory=list)
    # Rows of the axis that this day does not have (skipped hour, another day's repeated hour).
    missing: list[Segment] = field(default_factory=list)
    clock_change: str = ""

    @property
    def iso(self) -> str:
        return self.date.isoformat()

    @property
    def slug(self) -> str:
        return f"{self.date:%Y%m%d}"

    @property
    def hours(self) -> float:
        return (self.ends_at - self.starts_at).total_seconds() / 3600

    @property
    def label(self) -> str:
        return dateformat.format(self.date, "D j M")

    @property
    def long_label(self) -> str:
        return dateformat.format(self.date, "l j F Y")

    @property
    def entries(self) -> list[Piece]:
        """Pieces that are not shading, in order (month and agenda lists)."""
        return self.pieces

    @property
    def lanes(self) -> int:
        return max((p.lanes for p in self.pieces), default=1)


@dataclass(frozen=True)
class AxisLabel:
    row: int
    text: str


@dataclass
class Layout:
    view: View
    zone: str
    zone_label: str  # "Europe/Berlin (CET)"
    anchor: dt.date
    first_day: dt.date
    last_day: dt.date
    starts_at: dt.datetime
    ends_at: dt.datetime
    title: str
    days: list[Day]
    rows: int = 0
    axis: list[AxisLabel] = field(default_factory=list)
    previous: dt.date | None = None
    next: dt.date | None = None

    @property
    def weeks(self) -> list[list[Day]]:
        return [self.days[i : i + 7] for i in range(0, len(self.days), 7)]

    @property
    def busy_days(self) -> list[Day]:
        return [d for d in self.days if d.pieces and d.in_period]

    @property
    def is_empty(self) -> bool:
        return not any(d.pieces for d in self.days if d.in_period)


# --- Days in a zone ----------------------------------------------------------------------------


def day_start(day: dt.date, zone: zoneinfo.ZoneInfo) -> dt.datetime:
    """The first instant (UTC) of local date `day`: local midnight, or the end of a clock
    change that skips midnight (fold=0 reads a skipped time with the earlier offset, which puts
    midnight exactly at the change)."""
    return dt.datetime.combine(day, dt.time(0), tzinfo=zone).astimezone(dt.UTC)


def _offset(moment: dt.datetime, zone: zoneinfo.ZoneInfo) -> dt.timedelta:
    return moment.astimezone(zone).utcoffset() or dt.timedelta(0)


def _change_in(start: dt.datetime, end: dt.datetime, zone: zoneinfo.ZoneInfo) -> dt.datetime | None:
    """The instant in [start, end) at which `zone` changes its offset (one change a day at
    most), to the second; None when the offset holds."""
    last = end - dt.timedelta(seconds=1)
    if _offset(start, zone) == _offset(last, zone):
        return None
    low, high = start, last
    first = _offset(start, zone)
    while (high - low) > dt.timedelta(seconds=1):
        middle = low + (high - low) / 2
        middle = middle.replace(microsecond=0)
        if _offset(middle, zone) == first:
            low = middle
        else:
            high = middle
    return high


@dataclass(frozen=True)
class Run:
    """Real time [starts, ends) of one local day during which the offset holds, with its
    wall-clock start in minutes after the day's midnight."""

    starts: dt.datetime
    ends: dt.datetime
    wall: float
    # Wall minutes at the run's beginning that the day reads a second time (clocks went back).
    repeated: float = 0.0


def day_runs(day: dt.date, zone: zoneinfo.ZoneInfo) -> tuple[list[Run], str]:
    """The day's runs of constant offset, and a note naming its clock change ("" if none)."""
    start, end = day_start(day, zone), day_start(day + ONE_DAY, zone)
    change = _change_in(start, end, zone)
    if change is None:
        return [Run(start, end, _wall(start, day, zone))], ""
    before, after = _offset(start, zone), _offset(change, zone)
    shift = (after - before).total_seconds() / 60
    first = Run(start, change, _wall(start, day, zone))
    second_wall = first.wall + (change - start).total_seconds() / 60 + shift
    second = Run(change, end, second_wall, repeated=max(0.0, -shift))
    wall_before = (change + before).astimezone(dt.UTC).replace(tzinfo=None)
    wall_after = (change + after).astimezone(dt.UTC).replace(tzinfo=None)
    values = {
        "before": f"{wall_before:%H:%M}",
        "after": f"{wall_after:%H:%M}",
        "hours": _hours_text((end - start).total_seconds() / 3600),
    }
    if shift > 0:
        note = _("Clocks go forward from %(before)s to %(after)s: a %(hours)s-hour day.") % values
    else:
        note = _("Clocks go back from %(before)s to %(after)s: a %(hours)s-hour day.") % values
    runs = [r for r in (first, second) if r.ends > r.starts]
    return runs, note


def _hours_text(hours: float) -> str:
    return str(int(hours)) if hours == int(hours) else f"{hours:g}"


def _wall(moment: dt.datetime, day: dt.date, zone: zoneinfo.ZoneInfo) -> float:
    local = moment.astimezone(zone)
    return (
        (local.date() - day).days * DAY_MINUTES
        + local.hour * 60
        + local.minute
        + (local.second / 60)
    )


# --- The week's axis ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Band:
    """A stretch of the axis: wall minutes [start, end), the second reading if `again`."""

    start: float
    end: float
    again: bool
    offset: float  # axis minutes before it


def _bands(repeats: Iterable[tuple[float, float]]) -> list[Band]:
    """Wall-clock axis 00:00-24:00, with each repeated stretch inserted again after itself."""
    cuts: list[tuple[float, float, bool]] = []
    at = 0.0
    for start, end in sorted(set(repeats)):
        if start < at or end > DAY_MINUTES:
            continue  # overlapping or odd repeats: drawn once
        cuts += [(at, end, False), (start, end, True)]
        at = end
    cuts.append((at, DAY_MINUTES, False))
    bands, offset = [], 0.0
    for start, end, again in cuts:
        if end > start:
            bands.append(Band(start, end, again, offset))
            offset += end - start
    return bands


def _place(wall: float, length: float, again: bool, bands: Sequence[Band]) -> list[Segment]:
    """Rows for wall minutes [wall, wall+length) read once (`again`: the second reading)."""
    segments: list[Segment] = []
    for band in bands:
        if band.again != again:
            continue
        low, high = max(wall, band.start), min(wall + length, band.end)
        if high <= low:
            continue
        top = band.offset + low - band.start
        bottom = band.offset + high - band.start
        row = math.floor(top / ROW_MINUTES) + 1
        end_row = max(row + 1, math.ceil(bottom / ROW_MINUTES) + 1)
        if segments and segments[-1].end >= row:
            merged = segments.pop()
            segments.append(Segment(merged.at, max(end_row, merged.end) - merged.at))
        else:
            segments.append(Segment(row, end_row - row))
    return segments


def _segments_of(
    starts: dt.datetime, ends: dt.datetime, runs: Sequence[Run], bands: Sequence[Band]
) -> list[Segment]:
    """Rows for real time [starts, ends) of one day (runs: the day's constant-offset runs)."""
    found: list[Segment] = []
    for run in runs:
        low, high = max(starts, run.starts), min(ends, run.ends)
        if high <= low:
            continue
        wall = run.wall + (low - run.starts).total_seconds() / 60
        length = (high - low).total_seconds() / 60
        # The part of the run read a second time is on the repeated band.
        repeated_end = run.wall + run.repeated
        parts = []
        if wall < repeated_end:
            first = min(length, repeated_end - wall)
            parts.append((wall, first, True))
            wall, length = wall + first, length - first
        if length > 0:
            parts.append((wall, length, False))
        for part_wall, part_length, again in parts:
            for segment in _place(part_wall, part_length, again, bands):
                if found and found[-1].end >= segment.at:
                    last = found.pop()
                    found.append(Segment(last.at, max(segment.end, last.end) - last.at))
                else:
                    found.append(segment)
    return found


def _missing(runs: Sequence[Run], bands: Sequence[Band]) -> list[Segment]:
    """Axis rows the day does not have."""
    rows = math.ceil(sum(b.end - b.start for b in bands) / ROW_MINUTES)
    covered = [False] * (rows + 2)
    for run in runs:
        for segment in _segments_of(run.starts, run.ends, [run], bands):
            for row in range(segment.at, min(segment.end, rows + 1)):
                covered[row] = True
    missing, row = [], 1
    while row <= rows:
        if covered[row]:
            row += 1
            continue
        start = row
        while row <= rows and not covered[row]:
            row += 1
        missing.append(Segment(start, row - start))
    return missing


def _axis(
    bands: Sequence[Band], zone: zoneinfo.ZoneInfo, days: Sequence[dt.date]
) -> list[AxisLabel]:
    """Hour labels; in a repeated stretch both readings carry the zone's abbreviation."""
    repeated = [b for b in bands if b.again]
    labels = []
    for band in bands:
        hour = math.ceil(band.start / 60) * 60
        while hour < band.end:
            text = f"{int(hour) // 60:02d}:00"
            if any(r.start <= hour < r.end for r in repeated):
                text = f"{text} {_abbreviation(zone, days, hour, band.again)}"
            labels.append(
                AxisLabel(int((band.offset + hour - band.start) // ROW_MINUTES) + 1, text)
            )
            hour += 60
    return labels


def _abbreviation(
    zone: zoneinfo.ZoneInfo, days: Sequence[dt.date], minutes: float, again: bool
) -> str:
    for day in days:
        wall = dt.datetime.combine(day, dt.time(0)) + dt.timedelta(minutes=minutes)
        local = wall.replace(tzinfo=zone, fold=1 if again else 0)
        if local.replace(fold=0).utcoffset() != local.replace(fold=1).utcoffset():
            return local_label(local)
    return ""


# --- Pieces ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Phrases:
    """Translated phrases, looked up once per layout (not once per entry)."""

    session_time: str
    at_venue: str

    @classmethod
    def now(cls) -> _Phrases:
        return cls(_("%(times)s session time"), _("%(times)s at the venue"))


def _texts(entry: Entry, zone: str, phrases: _Phrases) -> tuple[str, str]:
    span = reader_span(entry.starts_at, entry.ends_at, reader=zone, venue=entry.venue_zone or zone)
    time_text = span.reader.times_text() if span.reader.one_day else span.reader.text(year=False)
    if span.venue is None:
        return time_text, ""
    phrase = phrases.session_time if entry.online else phrases.at_venue
    return time_text, phrase % {"times": span.venue_text()}


def _pieces(
    entry: Entry, days: dict[dt.date, Day], zone: zoneinfo.ZoneInfo, phrases: _Phrases
) -> list[tuple[Day, Piece]]:
    """The entry's part on each of `days` (by local date) it overlaps."""
    starts_at, ends_at = entry.starts_at.astimezone(dt.UTC), entry.ends_at.astimezone(dt.UTC)
    if ends_at <= starts_at:
        return []
    date = starts_at.astimezone(zone).date()
    last = (ends_at - dt.timedelta(microseconds=1)).astimezone(zone).date()
    texts: tuple[str, str] | None = None
    found = []
    while date <= last:
        day = days.get(date)
        date += ONE_DAY
        if day is None:
            continue
        if texts is None:
            texts = _texts(entry, zone.key, phrases)
        starts, ends = max(starts_at, day.starts_at), min(ends_at, day.ends_at)
        piece = Piece(
            entry=entry,
            starts=starts.astimezone(zone),
            ends=ends.astimezone(zone),
            continues_before=starts_at < day.starts_at,
            continues_after=ends_at > day.ends_at,
            time_text=texts[0],
            venue_text=texts[1],
        )
        found.append((day, piece))
    return found


def _assign_lanes(pieces: list[Piece]) -> None:
    """Side by side where pieces overlap: greedy lanes per cluster of overlapping pieces."""
    placed = [p for p in pieces if p.segments]
    placed.sort(key=lambda p: (p.segments[0].at, -p.segments[-1].end))
    cluster: list[Piece] = []
    ends: list[int] = []
    cluster_end = 0

    def close() -> None:
        lanes = min(MAX_LANES, max((p.lane for p in cluster), default=1))
        for p in cluster:
            p.lanes = lanes
            p.lane = min(p.lane, lanes)

    for piece in placed:
        top, bottom = piece.segments[0].at, piece.segments[-1].end
        if cluster and top >= cluster_end:
            close()
            cluster, ends = [], []
        free = next((i for i, end in enumerate(ends) if end <= top), None)
        if free is None:
            ends.append(bottom)
            piece.lane = len(ends)
        else:
            ends[free] = bottom
            piece.lane = free + 1
        cluster.append(piece)
        cluster_end = max(cluster_end, bottom)
    if cluster:
        close()


# --- Building a view ---------------------------------------------------------------------------


def week_start(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def _month_shift(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def period(view: View, anchor: dt.date) -> tuple[dt.date, dt.date, dt.date, dt.date]:
    """(first day drawn, last day drawn, previous anchor, next anchor) of a view."""
    if view == View.MONTH:
        first_of_month = anchor.replace(day=1)
        last_of_month = first_of_month.replace(
            day=pycalendar.monthrange(anchor.year, anchor.month)[1]
        )
        first = week_start(first_of_month)
        last = week_start(last_of_month) + dt.timedelta(days=6)
        return first, last, _month_shift(anchor, -1), _month_shift(anchor, 1)
    first = week_start(anchor)
    return (
        first,
        first + dt.timedelta(days=6),
        first - dt.timedelta(days=7),
        first + dt.timedelta(days=7),
    )


def window(view: View, anchor: dt.date, zone: str) -> tuple[dt.datetime, dt.datetime]:
    """The instants a view shows: what to fetch entries for."""
    first, last, _previous, _next = period(view, anchor)
    tz = zoneinfo.ZoneInfo(zone)
    return day_start(first, tz), day_start(last + ONE_DAY, tz)


def _title(view: View, anchor: dt.date, first: dt.date, last: dt.date) -> str:
    if view == View.MONTH:
        return dateformat.format(anchor, "F Y")
    if first.year != last.year:
        return f"{dateformat.format(first, 'j M Y')} \N{EN DASH} {dateformat.format(last, 'j M Y')}"
    if first.month != last.month:
        return f"{dateformat.format(first, 'j M')} \N{EN DASH} {dateformat.format(last, 'j M Y')}"
    return f"{first.day}\N{EN DASH}{dateformat.format(last, 'j M Y')}"


def zone_label(zone: str, moment: dt.datetime) -> str:
    """ "Europe/Berlin (CET)" """
    return f"{zone} ({local_label(moment.astimezone(zoneinfo.ZoneInfo(zone)))})"


def build(
    view: View | str,
    *,
    entries: Iterable[Entry],
    zone: str,
    anchor: dt.date,
    now: dt.datetime,
) -> Layout:
    """Lay `entries` out for a viewer in `zone`: the week, month or agenda around `anchor`.

    Week and agenda: Monday to Sunday of the anchor's week. Month: the weeks (Monday to
    Sunday) that hold the anchor's month; days outside the month are drawn but listed empty.
    """
    view = View(view)
    tz = zoneinfo.ZoneInfo(zone)
    first, last, previous, following = period(view, anchor)
    today = now.astimezone(tz).date()
    dates = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
    runs_of: dict[dt.date, list[Run]] = {}
    days = []
    for date in dates:
        runs, note = day_runs(date, tz)
        runs_of[date] = runs
        in_period = view != View.MONTH or date.month == anchor.month
        days.append(
            Day(
                date=date,
                starts_at=runs[0].starts,
                ends_at=runs[-1].ends,
                is_today=date == today,
                in_period=in_period,
                clock_change=note,
            )
        )
    layout = Layout(
        view=view,
        zone=zone,
        zone_label=zone_label(zone, max(now, days[0].starts_at) if days else now),
        anchor=anchor,
        first_day=first,
        last_day=last,
        starts_at=days[0].starts_at,
        ends_at=days[-1].ends_at,
        title=_title(view, anchor, first, last),
        days=days,
        previous=previous,
        next=following,
    )
    by_day: dict[dt.date, Day] = {d.date: d for d in days}
    phrases = _Phrases.now()
    shown = {d.date: d for d in days if d.in_period}
    for entry in sorted(entries, key=lambda e: (e.starts_at, e.ends_at, e.title)):
        for day, piece in _pieces(entry, shown, tz, phrases):
            (day.shades if entry.is_shade else day.pieces).append(piece)
    if view == View.WEEK:
        repeats = [
            (r.wall, r.wall + r.repeated) for runs in runs_of.values() for r in runs if r.repeated
        ]
        bands = _bands(repeats)
        layout.rows = math.ceil(sum(b.end - b.start for b in bands) / ROW_MINUTES)
        layout.axis = _axis(bands, tz, dates)
        for date in dates:
            day = by_day[date]
            for piece in [*day.pieces, *day.shades]:
                piece.segments = _segments_of(
                    piece.starts.astimezone(dt.UTC),
                    piece.ends.astimezone(dt.UTC),
                    runs_of[date],
                    bands,
                )
            day.missing = _missing(runs_of[date], bands)
            _assign_lanes(day.pieces)
    return layout


def agenda_days(entries: Iterable[Entry], *, zone: str, now: dt.datetime) -> list[Day]:
    """An agenda with no period: every entry that has not ended by `now`, on each local day
    (in `zone`) it covers, days in order (a learner's upcoming sessions)."""
    tz = zoneinfo.ZoneInfo(zone)
    today = now.astimezone(tz).date()
    phrases = _Phrases.now()
    days: dict[dt.date, Day] = {}
    for entry in sorted(entries, key=lambda e: (e.starts_at, e.ends_at, e.title)):
        if entry.ends_at <= now or entry.ends_at <= entry.starts_at:
            continue
        date = entry.starts_at.astimezone(tz).date()
        last = (entry.ends_at - dt.timedelta(microseconds=1)).astimezone(tz).date()
        while date <= last:
            if date not in days:
                runs, note = day_runs(date, tz)
                days[date] = Day(
                    date=date,
                    starts_at=runs[0].starts,
                    ends_at=runs[-1].ends,
                    is_today=date == today,
                    clock_change=note,
                )
            date += ONE_DAY
        for day, piece in _pieces(entry, days, tz, phrases):
            day.pieces.append(piece)
    return [days[d] for d in sorted(days)]


# --- The stylesheet ----------------------------------------------------------------------------


def stylesheet() -> str:
    """static/css/calendar-grid.css: the row, span and lane classes the week grid uses
    (tests/scheduling/test_calendar_grid.py checks the file is up to date)."""
    lines = [
        "/* Generated by scheduling.calendar.grid.stylesheet(): do not edit by hand.",
        f"   One row is {ROW_MINUTES} minutes; the week grid has at most {MAX_ROWS} rows. */",
        "",
    ]
    lines += [f".cal-at-{n}{{grid-row-start:{n}}}" for n in range(1, MAX_ROWS + 2)]
    lines += [f".cal-span-{n}{{grid-row-end:span {n}}}" for n in range(1, MAX_ROWS + 1)]
    # The axis is a day (288 rows) and at most one repeated stretch.
    lines += [
        f".cal-rows-{n}{{grid-template-rows:repeat({n},var(--cal-row))}}"
        for n in range(DAY_MINUTES // ROW_MINUTES, MAX_ROWS + 1)
    ]
    lines += [f".cal-lane-{n}{{grid-column:{n}}}" for n in range(1, MAX_LANES + 1)]
    lines += [
        f".cal-lanes-{n}{{grid-template-columns:repeat({n},minmax(0,1fr))}}"
        for n in range(1, MAX_LANES + 1)
    ]
    return "\n".join(lines) + "\n"
