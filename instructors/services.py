"""Writes for instructors: profiles, qualifications, working hours, unavailability.

One transaction per function; model rules come back as a 400 naming the field (see
`tms.writes.clean_and_save`). Unavailability may not cover sessions the instructor is
booked for: the instructor row is locked, their bookings are checked, and a clash is a 409
naming the sessions, so they can be re-staffed first.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import Group, User
from django.db import transaction
from django.utils.translation import gettext as _
from psycopg2.extras import DateTimeTZRange

from instructors.models import Instructor, Qualification, Unavailability, WorkingHours
from tms.hooks import refuse_if_booked
from tms.roles import Role
from tms.writes import apply_changes, clean_and_save, delete_unless_used

INSTRUCTOR_FIELDS = frozenset(
    {"home_time_zone", "weekly_hour_limit", "day_rate", "currency", "active"}
)
QUALIFICATION_FIELDS = frozenset({"expires_on"})
WORKING_HOURS_FIELDS = frozenset({"weekday", "starts", "ends"})
UNAVAILABILITY_FIELDS = frozenset({"starts_at", "ends_at", "kind", "note"})


def _lock_instructor(instructor_id: int) -> Instructor:
    """Lock the instructor: changes to one person's availability are serialised."""
    return (
        Instructor.objects.select_for_update(of=("self",))
        .select_related("user")
        .get(pk=instructor_id)
    )


# --- Profiles ---------------------------------------------------------------------------------


def instructor_create(
    *,
    user: User,
    home_time_zone: str,
    weekly_hour_limit: int = 40,
    day_rate: Decimal = Decimal("0"),
    currency: str = "EUR",
    active: bool = True,
    grant_role: bool = False,
) -> Instructor:
    """Give a user an instructor profile (one per user). Roles stay as they are unless
    `grant_role`: then the user also gets the Instructor role, in the same transaction."""
    with transaction.atomic(durable=True):
        person = clean_and_save(
            Instructor(
                user=user,
                home_time_zone=home_time_zone,
                weekly_hour_limit=weekly_hour_limit,
                day_rate=day_rate,
                currency=currency,
                active=active,
            )
        )
        if grant_role:
            user.groups.add(Group.objects.get_or_create(name=Role.INSTRUCTOR)[0])
        return person


def instructor_update(*, instructor_id: int, changes: Mapping[str, Any]) -> Instructor:
    with transaction.atomic(durable=True):
        person = _lock_instructor(instructor_id)
        return clean_and_save(apply_changes(person, changes, INSTRUCTOR_FIELDS))


def instructor_delete(*, instructor_id: int) -> None:
    with transaction.atomic(durable=True):
        person = _lock_instructor(instructor_id)
        delete_unless_used(person, hint=_("Mark the profile inactive instead."))


# --- Qualifications -------------------------------------------------------------------------


def qualification_create(
    *, instructor: Instructor, course: Any, expires_on: dt.date | None = None
) -> Qualification:
    with transaction.atomic(durable=True):
        person = _lock_instructor(instructor.pk)
        return clean_and_save(
            Qualification(instructor=person, course=course, expires_on=expires_on)
        )


def qualification_update(*, qualification_id: int, changes: Mapping[str, Any]) -> Qualification:
    with transaction.atomic(durable=True):
        qualification = Qualification.objects.select_for_update().get(pk=qualification_id)
        return clean_and_save(apply_changes(qualification, changes, QUALIFICATION_FIELDS))


def qualification_delete(*, qualification_id: int) -> None:
    with transaction.atomic(durable=True):
        Qualification.objects.filter(pk=qualification_id).delete()


# --- Working hours ----------------------------------------------------------------------------


def working_hours_create(
    *, instructor: Instructor, weekday: int, starts: dt.time, ends: dt.time
) -> WorkingHours:
    with transaction.atomic(durable=True):
        person = _lock_instructor(instructor.pk)
        return clean_and_save(
            WorkingHours(instructor=person, weekday=weekday, starts=starts, ends=ends)
        )


def working_hours_update(*, working_hours_id: int, changes: Mapping[str, Any]) -> WorkingHours:
    with transaction.atomic(durable=True):
        hours = WorkingHours.objects.select_for_update().get(pk=working_hours_id)
        return clean_and_save(apply_changes(hours, changes, WORKING_HOURS_FIELDS))


def working_hours_delete(*, working_hours_id: int) -> None:
    with transaction.atomic(durable=True):
        WorkingHours.objects.filter(pk=working_hours_id).delete()


# --- Unavailability ---------------------------------------------------------------------------


def unavailability_create(
    *,
    instructor: Instructor,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    kind: str,
    note: str = "",
) -> Unavailability:
    """Record leave or other duties. Refused (409) while the instructor is booked then."""
    with transaction.atomic(durable=True):
        person = _lock_instructor(instructor.pk)
        absence = Unavailability(
            instructor=person, starts_at=starts_at, ends_at=ends_at, kind=kind, note=note
        )
        return _save_unavailability(absence)


def unavailability_update(*, unavailability_id: int, changes: Mapping[str, Any]) -> Unavailability:
    with transaction.atomic(durable=True):
        absence = Unavailability.objects.get(pk=unavailability_id)
        absence.instructor = _lock_instructor(absence.instructor_id)
        apply_changes(absence, changes, UNAVAILABILITY_FIELDS)
        return _save_unavailability(absence)


def unavailability_delete(*, unavailability_id: int) -> None:
    with transaction.atomic(durable=True):
        Unavailability.objects.filter(pk=unavailability_id).delete()


def _save_unavailability(absence: Unavailability) -> Unavailability:
    """Assumes the instructor row is locked."""
    refuse_absence_over_bookings(absence)
    return clean_and_save(absence)


def refuse_absence_over_bookings(absence: Unavailability) -> None:
    """Raise a 409 naming the sessions the instructor teaches during the absence (the check is
    scheduling's, which owns the bookings: see tms.hooks). The admin's forms call it too."""
    if absence.starts_at and absence.ends_at and absence.ends_at > absence.starts_at:
        refuse_if_booked(
            "instructor",
            absence.instructor,
            DateTimeTZRange(absence.starts_at, absence.ends_at, "[)"),
            _("%s teaches during this period.") % absence.instructor,
        )
