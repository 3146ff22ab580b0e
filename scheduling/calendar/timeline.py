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
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import dateformat, timezone
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
    reader_span,
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


@dataclass
class Row:
    name: str
    detail: str
    bars: list[Bar] = field(default_factory=list)


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

    @property
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


def _clock(moment: dt.datetime, zone: zoneinfo.ZoneInfo) -> str:
    return f"{moment.astimezone(zone):%H:%M}"


def _when(starts_at: dt.datetime, ends_at: dt.datetime, reader: str, venue: str) -> str:
    span = reader_span(starts_at, ends_at, reader=reader, venue=venue)
    text = span.reader.text(year=False)
    if span.venue is not None:
        text += " " + _("(%(times)s session time)") % {"times": span.venue_text()}
    return text


def _free_bars(row: ResourceRow, window: Window) -> list[Bar]:
    busy = sorted(
        [(b.held_from, b.held_until) for b in row.bookings]
        + [(a.starts_at, a.ends_at) for a in row.absences]
    )
    tz = zoneinfo.ZoneInfo(window.zone)
    bars = []
    for day in window.days:
        try:
            opens = local_instant(day.day, DAY_FROM, window.zone)
            closes = local_instant(day.day, DAY_TO, window.zone)
        except NonexistentLocalTime:  # pragma: no cover - no zone skips 07:00 or 20:00
            continue
        cursor = opens
        for starts_at, ends_at in [*busy, (closes, closes)]:
            if ends_at <= cursor:
                continue
            gap_end = min(starts_at, closes)
            if gap_end - cursor >= MIN_FREE:
                start, end = window.span(cursor, gap_end)
                text = _("Free %(day)s %(start)s\N{EN DASH}%(end)s") % {
                    "day": dateformat.format(day.day, "D j M"),
                    "start": _clock(cursor, tz),
                    "end": _clock(gap_end, tz),
                }
                bars.append(Bar("free", start, end, _("free"), text))
            cursor = max(cursor, ends_at)
            if cursor >= closes:
                break
    return bars


def layout(
    rows: list[ResourceRow], window: Window, *, kind: str, link: Any, show_buffers: bool
) -> list[Row]:
    """Rows of bars for the template. `link(booking)` is the URL of a block's bar."""
    tz = zoneinfo.ZoneInfo(window.zone)
    out = []
    for resource in rows:
        row = Row(resource.name, resource.detail)
        for absence in resource.absences:
            start, end = window.span(absence.starts_at, absence.ends_at)
            what = _("Closed") if kind == RowKind.ROOMS else _("Unavailable")
            when = _when(absence.starts_at, absence.ends_at, window.zone, window.zone)
            text = f"{what}: {absence.label}, {when}"
            row.bars.append(
                Bar("closure" if kind == RowKind.ROOMS else "away", start, end, what, text)
            )
        for booking in resource.bookings:
            if show_buffers and booking.held_from < booking.starts_at:
                start, end = window.span(booking.held_from, booking.starts_at)
                minutes = int((booking.starts_at - booking.held_from).total_seconds() // 60)
                text = _("Setup %(n)s min before %(code)s (%(start)s)") % {
                    "n": minutes,
                    "code": booking.course_code,
                    "start": _clock(booking.starts_at, tz),
                }
                row.bars.append(Bar("setup", start, end, "", text, muted=not booking.matches))
            if show_buffers and booking.held_until > booking.ends_at:
                start, end = window.span(booking.ends_at, booking.held_until)
                minutes = int((booking.held_until - booking.ends_at).total_seconds() // 60)
                text = _("Teardown %(n)s min after %(code)s (%(end)s)") % {
                    "n": minutes,
                    "code": booking.course_code,
                    "end": _clock(booking.ends_at, tz),
                }
                row.bars.append(Bar("teardown", start, end, "", text, muted=not booking.matches))
            start, end = window.span(booking.starts_at, booking.ends_at)
            status = ""
            if booking.session_status == SessionStatus.DRAFT:
                status = " " + _("(draft)")
            text = _("%(title)s, session #%(pk)s%(status)s, %(when)s, %(where)s") % {
                "title": booking.course_title,
                "pk": booking.session_id,
                "status": status,
                "when": _when(booking.starts_at, booking.ends_at, window.zone, booking.time_zone),
                "where": booking.where,
            }
            row.bars.append(
                Bar(
                    "block",
                    start,
                    end,
                    booking.course_code,
                    text,
                    url=link(booking),
                    muted=not booking.matches,
                )
            )
        row.bars.extend(_free_bars(resource, window))
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
            bars.append(Bar("hour", start, min(start + 4, window.slots + 1), f"{local:%H}", ""))
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
@policy_required("resource_calendar", "view")
def resource_calendar(request: HttpRequest) -> HttpResponse:
    """Rooms of a site, instructors or host accounts over a day or a week; a block links to
    its move form (coordinators) or to its session (auditors)."""
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

    def link(booking: Any) -> str:
        if may_move:
            url = reverse(
                "scheduling:timeline-block-move", args=[booking.session_id, booking.block_id]
            )
            return url + "?" + urlencode({"back": here})
        return reverse("scheduling:session-detail", args=[booking.session_id])

    step = dt.timedelta(days=7 if span == "week" else 1)
    site_zone = site.time_zone if site else None
    label = local_label(window.starts_at.astimezone(zone))
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
