"""The one place seats are counted: lock the session row, count in SQL."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from django.db.models import Count, IntegerField, Min, OuterRef, Subquery
from django.utils.translation import gettext as _

from attendance.models import SEAT_HOLDING, Registration, RegistrationStatus
from scheduling.models import BlockStatus, Course, Session, SessionBlock
from tms.exceptions import Busy

LOCK_TIMEOUT = "3s"


@dataclass
class LockedSession:
    session: Session
    seat_limit: int
    has_prerequisites: bool


def lock_session_for_seats(session_id: int, *, lock: bool = True) -> LockedSession:
    """Lock the session row (serialises every seat change of this session) and read its limit.

    The limit is the smallest of the session's capacity, its rooms' capacity and the host
    account's participant limit. The lock can be switched off only by a test setting, to prove
    the concurrency test catches overselling.
    """
    if lock:
        with connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
    smallest_room = (
        SessionBlock.objects.filter(
            session=OuterRef("pk"), status=BlockStatus.ACTIVE, room__isnull=False
        )
        .order_by()
        .values("session")
        .annotate(smallest=Min("room__capacity"))
        .values("smallest")
    )
    prerequisites = (
        Course.prerequisites.through.objects.filter(from_course=OuterRef("course_id"))
        .order_by()
        .values("from_course")
        .annotate(n=Count("pk"))
        .values("n")
    )
    sessions = Session.objects.select_related("course", "host_account").annotate(
        smallest_room=Subquery(smallest_room, output_field=IntegerField()),
        prerequisite_count=Subquery(prerequisites, output_field=IntegerField()),
    )
    if lock and settings.ATTENDANCE_SEAT_LOCK:
        sessions = sessions.select_for_update(of=("self",))
    try:
        session = sessions.get(pk=session_id)
    except Session.DoesNotExist:
        raise
    except Exception as error:
        if getattr(getattr(error, "__cause__", None), "pgcode", None) == "55P03":
            raise Busy(_("This session is very busy right now; please try again.")) from error
        raise
    limit = session.capacity
    for other in (session.smallest_room, getattr(session.host_account, "participant_limit", None)):
        if other is not None and other < limit:
            limit = other
    return LockedSession(session, limit, bool(session.prerequisite_count))


def seats_taken(session_id: int) -> int:
    """Confirmed and offered registrations hold seats (caller holds the session lock)."""
    return Registration.objects.filter(session_id=session_id, status__in=SEAT_HOLDING).count()


def next_waitlist_rank() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval('attendance_waitlist_rank')")
        return int(cursor.fetchone()[0])


def next_waitlist_place(session_id: int) -> tuple[int, int]:
    """A new queue rank and the position it gets (caller holds the session lock)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval('attendance_waitlist_rank'), "
            "(SELECT count(*) FROM attendance_registration "
            "WHERE session_id = %s AND status = 'waitlisted')",
            [session_id],
        )
        rank, ahead = cursor.fetchone()
    return int(rank), int(ahead) + 1


def waitlist_position(registration: Registration) -> int | None:
    """1-based place in the session's queue, derived from ranks (always contiguous)."""
    if registration.status != RegistrationStatus.WAITLISTED or registration.waitlist_rank is None:
        return None
    ahead = Registration.objects.filter(
        session_id=registration.session_id,
        status=RegistrationStatus.WAITLISTED,
        waitlist_rank__lt=registration.waitlist_rank,
    ).count()
    return ahead + 1


def first_block_start(session: Session) -> dt.datetime | None:
    return session.starts_at
