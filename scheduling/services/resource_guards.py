"""Scheduling's answer to "is this room or instructor booked during this period?" (asked by
venues and instructors through tms.hooks, which do not import scheduling)."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from psycopg2.extras import DateTimeTZRange

from scheduling.models import InstructorBooking, RoomBooking
from scheduling.services.planning import CONFLICT_FIELDS, conflict_payload
from tms.exceptions import ResourceConflict

# A clash message names a few sessions; the `conflicts` list carries up to this many.
MAX_NAMED_CONFLICTS = 20


def refuse_booked_resource(resource: str, obj: Any, period: DateTimeTZRange, message: str) -> None:
    """Raise a 409 naming the sessions whose bookings of `obj` overlap `period`, if any."""
    bookings: QuerySet[RoomBooking] | QuerySet[InstructorBooking]
    if resource == "room":
        bookings = RoomBooking.objects.filter(room_id=obj.pk, during__overlap=period)
    elif resource == "instructor":
        bookings = InstructorBooking.objects.filter(instructor_id=obj.pk, during__overlap=period)
    else:
        raise ValueError(f"no bookings of {resource!r}")
    _refuse_booked(bookings, resource=resource, obj=obj, message=message)


def _refuse_booked(
    bookings: QuerySet[Any], *, resource: str, obj: models.Model, message: str
) -> None:
    """Raise a 409 naming the sessions of `bookings` (booking rows of one resource), if any.

    The conflicts have the same shape as the planner's (`planning.conflict_payload`).
    """
    rows = list(bookings.order_by("during").values(*CONFLICT_FIELDS)[:MAX_NAMED_CONFLICTS])
    if not rows:
        return
    conflicts = [conflict_payload(resource, obj.pk, str(obj), row) for row in rows]
    named = ", ".join(f"#{c['session_id']} ({c['course_code']})" for c in conflicts[:5])
    raise ResourceConflict(f"{message} " + _("Sessions: %s.") % named, conflicts=conflicts)
