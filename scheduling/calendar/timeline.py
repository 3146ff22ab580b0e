"""The coordinator's resource calendar: rooms, instructors or host accounts as rows over a day
or a week, in the viewer's zone.

Layout without inline styles (the CSP forbids them): the window is cut into 15-minute slots
counted from its start in real time (so a day with a clock change has 92 or 100 slots and every
bar keeps its true length), and each bar names its first and last grid line with classes of the
static stylesheet `static/css/timeline.css` (`tl-s<n>`, `tl-e<n>`, `tl-n<slots>`). Bars are
list items holding real links and text, so screen readers and keyboards get the same content.

Free time is shown per day between `DAY_FROM` and `DAY_TO` (the viewer's wall clock) where a
row holds nothing for at least `MIN_FREE`.
"""

from __future__ import annotations

import datetime as dt
import math
import zoneinfo
from collections import Counter
from dataclasses import dataclass, field
from functools import cached_property
from html import escape
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import dateformat, timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from scheduling.calendar.resources import Filters, ResourceRow, RowKind, resource_rows
from scheduling.forms.fields import DateInput, delivery_mode_filter
from scheduling.models import Course, SessionStatus
from scheduling.selectors import course_list_for
from tms.timezones import (
    NonexistentLocalTime,
    local_instant,
    local_label,
    preferred_zone,
)
from tms.views import can, policy_required
from venues.models import Site

SLOT = dt.timedelta(minutes=15)
DAY_FROM, DAY_TO = dt.time(7), dt.time(20)
MIN_FREE = dt.timedelta(hours=1)
SPANS = ("day", "week")


class TimelineForm(forms.Form):
    """The filters and the window; every field optional (defaults: first site, this week)."""

    rows = forms.ChoiceField(
        label=gettext_lazy("Rows"),
        required=False,
        choices=[
            (RowKind.ROOMS, gettext_lazy("Rooms of the site")),
            (RowKind.INSTRUCTORS, gettext_lazy("Instructors")),
            (RowKind.HOST_ACCOUNTS, gettext_lazy("Host accounts")),
        ],
    )
    site = forms.ModelChoiceField(
        label=gettext_lazy("Site"),
        queryset=Site.objects.none(),
        required=False,
        empty_label=gettext_lazy("Any site"),
    )
    course = forms.ModelChoiceField(
        label=gettext_lazy("Course"),
        queryset=Course.objects.none(),
        required=False,
        empty_label=gettext_lazy("Any course"),
    )
    mode = delivery_mode_filter()
    span = forms.ChoiceField(
        label=gettext_lazy("Show"),
        required=False,
        choices=[("week", gettext_lazy("Week")), ("day", gettext_lazy("Day"))],
    )
    date = forms.DateField(label=gettext_lazy("Date"), required=False, widget=DateInput())

    def __init__(self, *args: Any, sites: Any, courses: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, queryset in (("site", sites), ("course", courses)):
            choice = self.fields[name]
            if isinstance(choice, forms.ModelChoiceField):
                choice.queryset = queryset


@dataclass(frozen=True)
class Bar:
    kind: str  # block, setup, teardown, closure, away, free, day
    start: int  # first grid line (1-based)
    end: int  # grid line after the last slot
    label: str  # visible text
    description: str  # the rest, for screen readers (and the tooltip)
    url: str = ""
    muted: bool = False

    @property
    def classes(self) -> str:
        names = [f"tl-item tl-{self.kind} tl-s{self.start} tl-e{self.end}"]
        if self.muted:
            names.append("tl-muted")
        if self.end - self.start < 8:
            names.append("tl-narrow")
        return " ".join(names)

    def html(self) -> str:
        """The bar as a list item: a link (a block) or text, its full description for screen
        readers. Built here rather than in a template loop: a week has thousands of bars."""
        label, description = escape(self.label), escape(self.description)
        if self.url:
            inner = (
                f'<a href="{escape(self.url)}" title="{description}">'
                f'<span class="tl-label">{label}</span> '
                f'<span class="visually-hidden">{description}</span></a>'
            )
        else:
            inner = (
                f'<span title="{description}"><span class="tl-label" aria-hidden="true">'
                f'{label}</span><span class="visually-hidden">{description}</span></span>'
            )
        return f'<li class="{self.classes}">{inner}</li>'


@dataclass
class Row:
    name: str
    detail: str
    bars: list[Bar] = field(default_factory=list)
    html: str = ""  # the lane's items, escaped (see `Bar.html`)


@dataclass(frozen=True)
class Day:
    day: dt.date
    starts_at: dt.datetime
    ends_at: dt.datetime


def _midnight(day: dt.date, zone: str) -> dt.datetime:
    """The first instant of `day` in `zone` (where midnight is skipped, the first hour that is
    not)."""
    for hour in range(3):
        try:
            return local_instant(day, dt.time(hour), zone)
        except NonexistentLocalTime:
            continue
    return local_instant(day, dt.time(3), zone)  # pragma: no cover - no zone skips 3 hours


@dataclass
class Window:
    days: list[Day]
    zone: str

    @property
    def starts_at(self) -> dt.datetime:
        return self.days[0].starts_at

    @property
    def ends_at(self) -> dt.datetime:
        return self.days[-1].ends_at

    @cached_property
    def slots(self) -> int:
        return math.ceil((self.ends_at - self.starts_at) / SLOT)

    def line(self, moment: dt.datetime, *, up: bool = False) -> int:
        """The grid line of `moment`, clamped to the window (rounded down, or up)."""
        offset = (moment - self.starts_at) / SLOT
        slot = math.ceil(offset) if up else math.floor(offset)
        return max(0, min(self.slots, slot)) + 1

    def span(self, starts_at: dt.datetime, ends_at: dt.datetime) -> tuple[int, int]:
        start = self.line(starts_at)
        end = max(self.line(ends_at, up=True), start + 1)
        return start, min(end, self.slots + 1)


def window_for(first: dt.date, span: str, zone: str) -> Window:
    count = 7 if span == "week" else 1
    days = []
    for i in range(count):
        day = first + dt.timedelta(days=i)
        days.append(Day(day, _midnight(day, zone), _midnight(day + dt.timedelta(days=1), zone)))
    return Window(days, zone)


class _Texts:
    """Translated phrases and day labels, looked up once per page rather than once per bar
    (a week of 50 rooms has thousands of bars)."""

    def __init__(self, window: Window) -> None:
        self.tz = zoneinfo.ZoneInfo(window.zone)
        self.closed = _("Closed")
        self.unavailable = _("Unavailable")
        self.free = _("free")
        self.free_text = _("Free %(day)s %(start)s\N{EN DASH}%(end)s")
        self.setup = _("Setup %(n)s min before %(code)s (%(start)s)")
        self.teardown = _("Teardown %(n)s min after %(code)s (%(end)s)")
        self.block = _("%(title)s, session #%(pk)s%(status)s, %(when)s, %(where)s")
        self.draft = " " + _("(draft)")
        self.session_time = _("(%(times)s session time)")
        self._days: dict[dt.date, str] = {}
        self._zones: dict[str, zoneinfo.ZoneInfo] = {}

    def day(self, day: dt.date) -> str:
        label = self._days.get(day)
        if label is None:
            label = self._days[day] = dateformat.format(day, "D j M")
        return label

    def zone(self, name: str) -> zoneinfo.ZoneInfo:
        zone = self._zones.get(name)
        if zone is None:
            zone = self._zones[name] = zoneinfo.ZoneInfo(name)
        return zone

    def times(self, starts: dt.datetime, ends: dt.datetime) -> str:
        """As `tms.timezones.LocalSpan.times_text` (same output), with cached day labels."""
        one_day = ends.date() == starts.date() or (
            ends.time() == dt.time(0) and ends.date() == starts.date() + dt.timedelta(days=1)
        )
        start, label = f"{starts:%H:%M}", local_label(starts)
        end, end_label = f"{ends:%H:%M}", local_label(ends)
        if not one_day:
            end = f"{self.day(ends.date())}, {end}"
        first = start if end_label == label else f"{start} {label}"
        dash = "\N{EN DASH}" if one_day else " \N{EN DASH} "
        return f"{first}{dash}{end} {end_label}"

    def when(self, starts_at: dt.datetime, ends_at: dt.datetime, venue: str) -> str:
        """As `reader_span(...).reader.text(year=False)` plus the venue's reading where it
        differs (the same words as the session pages)."""
        mine_s, mine_e = starts_at.astimezone(self.tz), ends_at.astimezone(self.tz)
        text = f"{self.day(mine_s.date())}, {self.times(mine_s, mine_e)}"
        zone = self.zone(venue)
        theirs_s, theirs_e = starts_at.astimezone(zone), ends_at.astimezone(zone)
        if (
            theirs_s.utcoffset() == mine_s.utcoffset()
            and theirs_e.utcoffset() == mine_e.utcoffset()
        ):
            return text
        venue_text = self.times(theirs_s, theirs_e)
        if theirs_s.date() != mine_s.date():
            venue_text = f"{self.day(theirs_s.date())}, {venue_text}"
        return f"{text} " + self.session_time % {"times": venue_text}

    def clock(self, moment: dt.datetime) -> str:
        return f"{moment.astimezone(self.tz):%H:%M}"


def _free_bars(
    row: ResourceRow,
    window: Window,
    texts: _Texts,
    hours: list[tuple[Day, dt.datetime, dt.datetime]],
) -> list[Bar]:
    busy = sorted(
        [(b.held_from, b.held_until) for b in row.bookings]
        + [(a.starts_at, a.ends_at) for a in row.absences]
    )
    bars = []
    for day, opens, closes in hours:
        cursor = opens
        for starts_at, ends_at in [*busy, (closes, closes)]:
            if ends_at <= cursor:
                continue
            gap_end = min(starts_at, closes)
            if gap_end - cursor >= MIN_FREE:
                start, end = window.span(cursor, gap_end)
                text = texts.free_text % {
                    "day": texts.day(day.day),
                    "start": texts.clock(cursor),
                    "end": texts.clock(gap_end),
                }
                bars.append(Bar("free", start, end, texts.free, text))
            cursor = max(cursor, ends_at)
            if cursor >= closes:
                break
    return bars


def _opening_hours(window: Window) -> list[tuple[Day, dt.datetime, dt.datetime]]:
    """Each day's DAY_FROM and DAY_TO as instants (the span where free time is shown)."""
    hours = []
    for day in window.days:
        try:
            opens = local_instant(day.day, DAY_FROM, window.zone)
            closes = local_instant(day.day, DAY_TO, window.zone)
        except NonexistentLocalTime:  # pragma: no cover - no zone skips 07:00 or 20:00
            continue
        hours.append((day, opens, closes))
    return hours


def layout(
    rows: list[ResourceRow], window: Window, *, kind: str, link: Any, show_buffers: bool
) -> list[Row]:
    """Rows of bars for the template. `link(booking)` is the URL of a block's bar."""
    texts = _Texts(window)
    hours = _opening_hours(window)
    rooms = kind == RowKind.ROOMS
    out = []
    for resource in rows:
        row = Row(resource.name, resource.detail)
        for absence in resource.absences:
            start, end = window.span(absence.starts_at, absence.ends_at)
            what = texts.closed if rooms else texts.unavailable
            when = texts.when(absence.starts_at, absence.ends_at, window.zone)
            text = f"{what}: {absence.label}, {when}"
            row.bars.append(Bar("closure" if rooms else "away", start, end, what, text))
        for booking in resource.bookings:
            muted = not booking.matches
            if show_buffers and booking.held_from < booking.starts_at:
                start, end = window.span(booking.held_from, booking.starts_at)
                minutes = int((booking.starts_at - booking.held_from).total_seconds() // 60)
                text = texts.setup % {
                    "n": minutes,
                    "code": booking.course_code,
                    "start": texts.clock(booking.starts_at),
                }
                row.bars.append(Bar("setup", start, end, "", text, muted=muted))
            if show_buffers and booking.held_until > booking.ends_at:
                start, end = window.span(booking.ends_at, booking.held_until)
                minutes = int((booking.held_until - booking.ends_at).total_seconds() // 60)
                text = texts.teardown % {
                    "n": minutes,
                    "code": booking.course_code,
                    "end": texts.clock(booking.ends_at),
                }
                row.bars.append(Bar("teardown", start, end, "", text, muted=muted))
            start, end = window.span(booking.starts_at, booking.ends_at)
            text = texts.block % {
                "title": booking.course_title,
                "pk": booking.session_id,
                "status": texts.draft if booking.session_status == SessionStatus.DRAFT else "",
                "when": texts.when(booking.starts_at, booking.ends_at, booking.time_zone),
                "where": booking.where,
            }
            bar = Bar("block", start, end, booking.course_code, text, link(booking), muted)
            row.bars.append(bar)
        row.bars.extend(_free_bars(resource, window, texts, hours))
        row.html = mark_safe("".join(bar.html() for bar in row.bars))  # noqa: S308 (escaped in Bar.html)
        out.append(row)
    return out


def day_bars(window: Window) -> list[Bar]:
    tz = zoneinfo.ZoneInfo(window.zone)
    today = timezone.now().astimezone(tz).date()
    bars = []
    for i, day in enumerate(window.days):
        start, end = window.span(day.starts_at, day.ends_at)
        label = dateformat.format(day.day, "D j M")
        text = _("today") if day.day == today else ""
        kind = "day tl-day--today" if day.day == today else ("day tl-day--odd" if i % 2 else "day")
        bars.append(Bar(kind, start, end, label, text))
    return bars


def hour_bars(window: Window) -> list[Bar]:
    """Hour marks: every 3 hours in a day view, 06/12/18 in a week view."""
    tz = zoneinfo.ZoneInfo(window.zone)
    step = 3 if len(window.days) == 1 else 6
    bars = []
    moment = window.starts_at
    while moment < window.ends_at:
        local = moment.astimezone(tz)
        if local.minute == 0 and local.hour % step == 0 and (local.hour or len(window.days) == 1):
            start = window.line(moment)
            end = min(start + step * 4, window.slots + 1)  # up to the next mark
            bars.append(Bar("hour", start, end, f"{local:%H}:00", ""))
        moment += dt.timedelta(hours=1)
    return bars


def _common_zone(sites: list[Site]) -> str:
    """The zone most sites use (the server's default when there are none)."""
    zones = Counter(site.time_zone for site in sites)
    return min(zones, key=lambda z: (-zones[z], z)) if zones else settings.TIME_ZONE


# --- The page -----------------------------------------------------------------------------------


def timeline_url(params: dict[str, Any]) -> str:
    query = {k: v for k, v in params.items() if v not in (None, "")}
    return reverse("scheduling:resource-calendar") + ("?" + urlencode(query) if query else "")


@require_GET
@policy_required("availability", "rooms")
def resource_calendar(request: HttpRequest) -> HttpResponse:
    """Rooms of a site, instructors or host accounts over a day or a week; a block links to
    its move form (coordinators) or to its session (auditors). Reading who is free when is an
    availability read: the same rule as the free-room search (coordinators and auditors)."""
    sites = Site.objects.order_by("name")
    courses = course_list_for(request.user).prefetch_related(None)
    form = TimelineForm(request.GET or None, sites=sites, courses=courses)
    # A filter that is not understood falls back to its default (and the page says so).
    status = 400 if form.is_bound and not form.is_valid() else 200
    data: dict[str, Any] = getattr(form, "cleaned_data", {})
    kind = data.get("rows") or RowKind.ROOMS
    span = data.get("span") or "week"
    site_list = list(sites)
    site = data.get("site") or (site_list[0] if kind == RowKind.ROOMS and site_list else None)
    # The viewer's zone; without a preference, the site's (where the rooms are), else the
    # server's default.
    chosen_zone = preferred_zone(request.user, browser_zone=request.COOKIES.get("tz"))
    fallback = site.time_zone if site else _common_zone(site_list)
    zone = zoneinfo.ZoneInfo(chosen_zone or fallback)
    today = timezone.now().astimezone(zone).date()
    chosen = data.get("date") or today
    first = chosen - dt.timedelta(days=chosen.weekday()) if span == "week" else chosen
    course = data.get("course")
    filters = Filters(
        site=site, course_id=course.pk if course else None, delivery_mode=data.get("mode") or None
    )
    window = window_for(first, span, zone.key)

    resources = resource_rows(
        kind, starts_at=window.starts_at, ends_at=window.ends_at, filters=filters
    )
    params = {
        "rows": kind,
        "site": site.pk if site else "",
        "course": course.pk if course else "",
        "mode": filters.delivery_mode or "",
        "span": span,
    }
    here = timeline_url({**params, "date": first.isoformat()})
    may_move = can(request.user, "session", "reschedule")

    # URLs built once with stand-in ids, then filled per block (reverse() per bar is slow).
    session_mark, block_mark = 987654321, 123456789
    if may_move:
        pattern = reverse("scheduling:timeline-block-move", args=[session_mark, block_mark])
        pattern += "?" + urlencode({"back": here})
    else:
        pattern = reverse("scheduling:session-detail", args=[session_mark])

    def link(booking: Any) -> str:
        return pattern.replace(str(session_mark), str(booking.session_id)).replace(
            str(block_mark), str(booking.block_id)
        )

    step = dt.timedelta(days=7 if span == "week" else 1)
    site_zone = site.time_zone if site else None
    label = local_label(window.starts_at.astimezone(zone))
    if not form.errors:
        # Show the filters as applied (the default site, this week...), not as typed.
        shown = {**params, "date": chosen}
        form = TimelineForm(initial=shown, sites=sites, courses=courses)
    context = {
        "form": form,
        "kind": kind,
        "span": span,
        "site": site,
        "window": window,
        "first": first,
        "last": window.days[-1].day,
        "rows": layout(resources, window, kind=kind, link=link, show_buffers=kind == RowKind.ROOMS),
        "days": day_bars(window),
        "hours": hour_bars(window),
        "zone": zone.key,
        "zone_label": label,
        "site_zone": site_zone if site_zone and site_zone != zone.key else None,
        "prev_url": timeline_url({**params, "date": (first - step).isoformat()}),
        "next_url": timeline_url({**params, "date": (first + step).isoformat()}),
        "today_url": timeline_url({**params, "date": today.isoformat()}),
        "day_url": timeline_url({**params, "span": "day", "date": first.isoformat()}),
        "week_url": timeline_url({**params, "span": "week", "date": first.isoformat()}),
        "may_move": may_move,
    }
    return render(request, "scheduling/calendar/timeline.html", context, status=status)
