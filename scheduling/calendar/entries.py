"""What the calendar pages show, as grid entries: reads with visibility, a constant number of
queries whatever the number of entries.

- `schedule_entries(user, ...)`: the blocks of the sessions the user may see
  (`scheduling.selectors.session_list_for`), optionally filtered;
- `instructor_entries(instructor, ...)`: what an instructor teaches (room and site, or the join
  link for a video call), their unavailability, and their working hours (weekly windows in
  their home zone) projected onto the dates shown.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _

from instructors.models import Instructor, Unavailability, WorkingHours
from scheduling.calendar.grid import ONE_DAY, Entry, EntryKind
from scheduling.models import (
    AssignmentRole,
    BlockStatus,
    DeliveryMode,
    InstructorAssignment,
    SessionBlock,
    SessionStatus,
)
from scheduling.selectors import User, session_list_for
from tms.timezones import NonexistentLocalTime, local_instant


@dataclass(frozen=True)
class ScheduleFilter:
    course_id: int | None = None
    site_id: int | None = None
    delivery_mode: str = ""
    instructor_id: int | None = None


def _blocks(start: dt.datetime, end: dt.datetime) -> QuerySet[SessionBlock]:
    return (
        SessionBlock.objects.filter(status=BlockStatus.ACTIVE, starts_at__lt=end, ends_at__gt=start)
        .exclude(session__status=SessionStatus.CANCELLED)
        .select_related("session__course", "room__site")
        .order_by("starts_at", "pk")
    )


# The columns an instructor's calendar reads per block (values(): no model instances).
_ROW_FIELDS = (
    "id",
    "starts_at",
    "ends_at",
    "room_id",
    "room__name",
    "room__site__name",
    "session_id",
    "session__status",
    "session__time_zone",
    "session__delivery_mode",
    "session__join_url",
    "session__course__code",
    "session__course__title",
)


def _session_url() -> Callable[[int], str]:
    """The session page's path for a session id, reversing the route once per page."""
    sample = reverse("scheduling:session-detail", args=[_SAMPLE_PK])
    head, _sep, tail = sample.rpartition(str(_SAMPLE_PK))
    return lambda pk: f"{head}{pk}{tail}"


_SAMPLE_PK = 987654321


def _row_entry(row: dict[str, Any], url: Callable[[int], str], labels: dict[str, str]) -> Entry:
    """An Entry from one of the `_ROW_FIELDS` rows (same texts as `_block_entry`)."""
    online = row["session__delivery_mode"] == DeliveryMode.VILT
    if online:
        details: tuple[str, ...] = (labels["video"],)
        join = row["session__join_url"]
    elif row["room_id"] is None:
        details, join = (labels["no_room"],), ""
    else:
        details, join = (f"{row['room__name']}, {row['room__site__name']}",), ""
    status = row["session__status"]
    return Entry(
        starts_at=row["starts_at"],
        ends_at=row["ends_at"],
        title=f"{row['session__course__code']} {row['session__course__title']}",
        kind=EntryKind.SESSION,
        url=url(row["session_id"]),
        details=details,
        join_url=join,
        venue_zone=row["session__time_zone"],
        online=online,
        note="" if status == SessionStatus.SCHEDULED else str(SessionStatus(status).label),
        key=f"block-{row['id']}",
    )


def _where(block: SessionBlock, *, show_join_link: bool) -> tuple[tuple[str, ...], str]:
    """The block's place: room and site (and address) or, online, the join link."""
    session = block.session
    if session.delivery_mode == DeliveryMode.VILT:
        join = session.join_url if show_join_link else ""
        return (_("Video call"),), join
    if block.room is None:
        return (_("No room yet"),), ""
    return (f"{block.room.name}, {block.room.site.name}",), ""


def _block_entry(
    block: SessionBlock,
    *,
    show_join_link: bool,
    extra: Iterable[str] = (),
    url: Callable[[int], str] | None = None,
) -> Entry:
    session = block.session
    details, join = _where(block, show_join_link=show_join_link)
    note = "" if session.status == SessionStatus.SCHEDULED else session.get_status_display()
    return Entry(
        starts_at=block.starts_at,
        ends_at=block.ends_at,
        title=f"{session.course.code} {session.course.title}",
        kind=EntryKind.SESSION,
        url=(url or _session_url())(session.pk),
        details=(*details, *extra),
        join_url=join,
        venue_zone=session.time_zone,
        online=session.delivery_mode == DeliveryMode.VILT,
        note=note,
        key=f"block-{block.pk}",
    )


def schedule_entries(
    user: User, *, start: dt.datetime, end: dt.datetime, filters: ScheduleFilter | None = None
) -> list[Entry]:
    """Blocks between `start` and `end` of the sessions `user` may see (two queries)."""
    filters = filters or ScheduleFilter()
    visible = session_list_for(user)
    if filters.course_id:
        visible = visible.filter(course_id=filters.course_id)
    if filters.delivery_mode:
        visible = visible.filter(delivery_mode=filters.delivery_mode)
    if filters.instructor_id:
        visible = visible.filter(assignments__instructor_id=filters.instructor_id)
    blocks = _blocks(start, end).filter(session__in=visible.values("pk"))
    if filters.site_id:
        blocks = blocks.filter(room__site_id=filters.site_id)
    blocks = blocks.prefetch_related(
        Prefetch(
            "session__assignments",
            queryset=InstructorAssignment.objects.select_related("instructor__user").filter(
                role=AssignmentRole.LEAD
            ),
            to_attr="leads",
        )
    )
    entries = []
    url = _session_url()
    for block in blocks:
        leads = [a.instructor.display_name for a in getattr(block.session, "leads", [])]
        extra = [_("Lead: %s") % leads[0]] if leads else []
        entries.append(_block_entry(block, show_join_link=True, extra=extra, url=url))
    return entries


def instructor_entries(
    instructor: Instructor, *, start: dt.datetime, end: dt.datetime
) -> tuple[list[Entry], list[Unavailability]]:
    """An instructor's teaching, unavailability and working hours between `start` and `end`
    (three queries); also the unavailability rows, for the page's remove buttons."""
    rows = (
        _blocks(start, end).filter(session__assignments__instructor=instructor).values(*_ROW_FIELDS)
    )
    url = _session_url()
    labels = {"video": _("Video call"), "no_room": _("No room yet")}
    entries = [_row_entry(row, url, labels) for row in rows]
    absences = list(
        Unavailability.objects.filter(
            instructor=instructor, starts_at__lt=end, ends_at__gt=start
        ).order_by("starts_at", "pk")
    )
    entries += [
        Entry(
            starts_at=a.starts_at,
            ends_at=a.ends_at,
            title=a.get_kind_display(),
            kind=EntryKind.UNAVAILABLE,
            details=(a.note,) if a.note else (),
            note=_("Unavailable"),
            key=f"unavailability-{a.pk}",
        )
        for a in absences
    ]
    hours = list(WorkingHours.objects.filter(instructor=instructor).order_by("weekday", "starts"))
    entries += working_hours_entries(hours, instructor.home_time_zone, start=start, end=end)
    return entries, absences


def working_hours_entries(
    hours: Iterable[WorkingHours], zone: str, *, start: dt.datetime, end: dt.datetime
) -> list[Entry]:
    """Weekly windows (wall-clock times in `zone`) as instants on the dates between `start`
    and `end` as read in `zone`. A window's edge the clocks skip is moved to the change (the
    clocks read the window's own hours as well as they can that day)."""
    tz = zoneinfo.ZoneInfo(zone)
    first, last = start.astimezone(tz).date() - ONE_DAY, end.astimezone(tz).date() + ONE_DAY
    windows = list(hours)
    entries = []
    day = first
    while day <= last:
        for window in windows:
            if window.weekday != day.weekday():
                continue
            begins, ends = _edge(day, window.starts, zone), _edge(day, window.ends, zone)
            if ends > begins and begins < end and ends > start:
                entries.append(
                    Entry(
                        starts_at=begins,
                        ends_at=ends,
                        title=_("Working hours"),
                        kind=EntryKind.WORKING_HOURS,
                        key=f"hours-{window.pk}-{day.isoformat()}",
                    )
                )
        day += ONE_DAY
    return entries


def _edge(day: dt.date, clock: dt.time, zone: str) -> dt.datetime:
    try:
        return local_instant(day, clock, zone)
    except NonexistentLocalTime as gap:
        return gap.change.instant


def instructor_for(user: User, pk: int | None) -> Instructor | None:
    """The instructor whose calendar `user` asks for: their own (pk None), or anyone's for a
    reader of all instructors (the view checks the policy scope)."""
    people = Instructor.objects.select_related("user")
    if pk is None:
        if user.pk is None:
            return None
        return people.filter(user_id=user.pk).first()
    return people.filter(pk=pk).first()
