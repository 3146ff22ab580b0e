"""What the resource timeline reads: resources as rows, with their bookings and absences.

Rows are the rooms of a site, the active instructors (those qualified for the course when one
is chosen) or the host accounts. For a window of time each row gets the blocks that hold it
(room bookings carry their setup and teardown buffers) and its absences (room closures,
instructor unavailability). Bookings outside the course/mode/site filter stay on the row,
marked as not matching: the resource is busy then whatever the filter says.

Three queries whatever the number of rows and blocks: the rows, the bookings, the absences
(host accounts have none). Only coordinators and auditors see this (the policy table), and they
see every session, so there is no per-object visibility to apply.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from psycopg2.extras import DateTimeTZRange

from instructors.models import Instructor, Unavailability
from scheduling.models import HostAccountBooking, InstructorBooking, RoomBooking
from venues.models import HostAccount, Room, RoomClosure, Site


class RowKind:
    ROOMS = "rooms"
    INSTRUCTORS = "instructors"
    HOST_ACCOUNTS = "hosts"
    ALL = (ROOMS, INSTRUCTORS, HOST_ACCOUNTS)


@dataclass(frozen=True)
class Filters:
    site: Site | None = None
    course_id: int | None = None
    delivery_mode: str | None = None


@dataclass(frozen=True)
class Booking:
    """One active block holding a resource; `held_*` include a room's buffers."""

    session_id: int
    block_id: int
    course_code: str
    course_title: str
    session_status: str
    delivery_mode: str
    time_zone: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    held_from: dt.datetime
    held_until: dt.datetime
    where: str
    matches: bool


@dataclass(frozen=True)
class Absence:
    """A room closure or an instructor's unavailability."""

    starts_at: dt.datetime
    ends_at: dt.datetime
    label: str


@dataclass
class ResourceRow:
    pk: int
    name: str
    detail: str
    bookings: list[Booking] = field(default_factory=list)
    absences: list[Absence] = field(default_factory=list)


_BOOKING_FIELDS = (
    "session_id",
    "block_id",
    "session__course_id",
    "session__course__code",
    "session__course__title",
    "session__status",
    "session__delivery_mode",
    "session__time_zone",
    "block__starts_at",
    "block__ends_at",
    "during",
)


def _booking(
    values: dict[str, Any], filters: Filters, *, where: str, site_id: int | None
) -> Booking:
    during: DateTimeTZRange = values["during"]
    matches = (filters.course_id is None or values["session__course_id"] == filters.course_id) and (
        not filters.delivery_mode or values["session__delivery_mode"] == filters.delivery_mode
    )
    if filters.site is not None and site_id is not None and site_id != filters.site.pk:
        matches = False
    return Booking(
        session_id=values["session_id"],
        block_id=values["block_id"],
        course_code=values["session__course__code"],
        course_title=values["session__course__title"],
        session_status=values["session__status"],
        delivery_mode=values["session__delivery_mode"],
        time_zone=values["session__time_zone"],
        starts_at=values["block__starts_at"],
        ends_at=values["block__ends_at"],
        # Bookings are always written with both bounds (planning._bounds).
        held_from=during.lower or values["block__starts_at"],
        held_until=during.upper or values["block__ends_at"],
        where=where,
        matches=matches,
    )


def _rows_by_pk(rows: list[ResourceRow]) -> dict[int, ResourceRow]:
    return {row.pk: row for row in rows}


def room_rows(
    site: Site, *, starts_at: dt.datetime, ends_at: dt.datetime, filters: Filters
) -> list[ResourceRow]:
    """The rooms of `site` with their bookings and closures overlapping the window."""
    rooms = list(Room.objects.filter(site=site).order_by("name", "pk"))
    rows = [ResourceRow(r.pk, r.name, _room_detail(r)) for r in rooms]
    by_pk = _rows_by_pk(rows)
    window = DateTimeTZRange(starts_at, ends_at, "[)")
    bookings = RoomBooking.objects.filter(room_id__in=list(by_pk), during__overlap=window)
    for values in bookings.values("room_id", *_BOOKING_FIELDS).order_by("during"):
        row = by_pk[values["room_id"]]
        row.bookings.append(_booking(values, filters, where=row.name, site_id=None))
    closures = RoomClosure.objects.filter(
        room_id__in=list(by_pk), starts_at__lt=ends_at, ends_at__gt=starts_at
    ).order_by("starts_at")
    for closure in closures:
        by_pk[closure.room_id].absences.append(
            Absence(closure.starts_at, closure.ends_at, closure.reason)
        )
    return rows


def _room_detail(room: Room) -> str:
    parts = [_("%s seats") % room.capacity]
    if room.setup_buffer_minutes or room.teardown_buffer_minutes:
        parts.append(
            _("buffers %(setup)s/%(teardown)s min")
            % {"setup": room.setup_buffer_minutes, "teardown": room.teardown_buffer_minutes}
        )
    if not room.bookable:
        parts.append(_("not bookable"))
    return ", ".join(parts)


def _instructors(filters: Filters) -> QuerySet[Instructor]:
    people = Instructor.objects.select_related("user").filter(active=True)
    if filters.course_id is not None:
        people = people.filter(qualifications__course_id=filters.course_id).distinct()
    return people.order_by("user__last_name", "user__first_name", "user__username", "pk")


def instructor_rows(
    *, starts_at: dt.datetime, ends_at: dt.datetime, filters: Filters
) -> list[ResourceRow]:
    """Active instructors (qualified for the course, if one is chosen) with their bookings
    and unavailability overlapping the window."""
    rows = [ResourceRow(p.pk, p.display_name, p.home_time_zone) for p in _instructors(filters)]
    by_pk = _rows_by_pk(rows)
    window = DateTimeTZRange(starts_at, ends_at, "[)")
    bookings = InstructorBooking.objects.filter(
        instructor_id__in=list(by_pk), during__overlap=window
    )
    fields = (
        "instructor_id",
        "block__room__name",
        "block__room__site_id",
        "block__room__site__name",
    )
    for values in bookings.values(*fields, *_BOOKING_FIELDS).order_by("during"):
        room = values["block__room__name"]
        where = f"{values['block__room__site__name']} / {room}" if room else _("Online")
        by_pk[values["instructor_id"]].bookings.append(
            _booking(values, filters, where=where, site_id=values["block__room__site_id"])
        )
    absences = Unavailability.objects.filter(
        instructor_id__in=list(by_pk), starts_at__lt=ends_at, ends_at__gt=starts_at
    ).order_by("starts_at")
    for absence in absences:
        label = absence.get_kind_display()
        if absence.note:
            label = f"{label}: {absence.note}"
        by_pk[absence.instructor_id].absences.append(
            Absence(absence.starts_at, absence.ends_at, str(label))
        )
    return rows


def host_account_rows(
    *, starts_at: dt.datetime, ends_at: dt.datetime, filters: Filters
) -> list[ResourceRow]:
    """Active host accounts with the blocks they host in the window."""
    accounts = HostAccount.objects.filter(active=True).order_by("name", "pk")
    rows = [
        ResourceRow(
            a.pk,
            a.name,
            _("%(provider)s, up to %(limit)s")
            % {"provider": a.get_provider_display(), "limit": a.participant_limit},
        )
        for a in accounts
    ]
    by_pk = _rows_by_pk(rows)
    window = DateTimeTZRange(starts_at, ends_at, "[)")
    bookings = HostAccountBooking.objects.filter(
        host_account_id__in=list(by_pk), during__overlap=window
    )
    for values in bookings.values("host_account_id", *_BOOKING_FIELDS).order_by("during"):
        row = by_pk[values["host_account_id"]]
        row.bookings.append(_booking(values, filters, where=_("Online"), site_id=None))
    return rows


def resource_rows(
    kind: str, *, starts_at: dt.datetime, ends_at: dt.datetime, filters: Filters
) -> list[ResourceRow]:
    """The rows of `kind` for the window [starts_at, ends_at); rooms need a site."""
    if kind == RowKind.ROOMS:
        if filters.site is None:
            return []
        return room_rows(filters.site, starts_at=starts_at, ends_at=ends_at, filters=filters)
    if kind == RowKind.INSTRUCTORS:
        return instructor_rows(starts_at=starts_at, ends_at=ends_at, filters=filters)
    return host_account_rows(starts_at=starts_at, ends_at=ends_at, filters=filters)
