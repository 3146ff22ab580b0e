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


def clashing_block_id(learner_id: int, session_id: int) -> int | None:
    """A block of another session, overlapping this one, in which the learner holds a seat."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {CLASH_SUBQUERY}", {"session": session_id, "learner": learner_id})
        return cursor.fetchone()[0]


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


# --- The registration hot path, in a fixed number of plain statements ---------------------------
# A sales rush spends its time here; the ORM's query building cost more CPU than the database
# work itself, so these reads and the seat-taking write are written out in SQL.

# The learner's seat elsewhere that overlaps this session (one clashing block's id, or null).
CLASH_SUBQUERY = """(
    SELECT theirs.id
      FROM attendance_registration r
      JOIN scheduling_sessionblock theirs
        ON theirs.session_id = r.session_id AND theirs.status = 'active'
      JOIN scheduling_sessionblock ours
        ON ours.session_id = %(session)s AND ours.status = 'active'
     WHERE r.learner_id = %(learner)s AND r.status IN ('confirmed', 'offered')
       AND r.session_id <> %(session)s
       AND tstzrange(theirs.starts_at, theirs.ends_at)
           && tstzrange(ours.starts_at, ours.ends_at)
     LIMIT 1)"""

PRE_CHECK_SQL = """
SELECT s.status, s.starts_at, s.registration_opens_at, s.registration_closes_at, s.time_zone,
       s.course_id, c.active, c.code, c.title, s.delivery_mode, s.ends_at,
       EXISTS (SELECT 1 FROM scheduling_course_prerequisites p WHERE p.from_course_id = c.id),
       (SELECT r.status FROM attendance_registration r
         WHERE r.session_id = s.id AND r.learner_id = %(learner)s AND r.status <> 'cancelled'
         LIMIT 1),
       {clash}
  FROM scheduling_session s JOIN scheduling_course c ON c.id = s.course_id
 WHERE s.id = %(session)s
""".replace("{clash}", CLASH_SUBQUERY)

LOCK_SQL = """
SET LOCAL lock_timeout = '{timeout}';
SELECT s.status, s.starts_at, s.registration_opens_at, s.registration_closes_at, s.capacity,
       s.schedule_version,
       (SELECT min(room.capacity) FROM scheduling_sessionblock b
          JOIN venues_room room ON room.id = b.room_id
         WHERE b.session_id = s.id AND b.status = 'active'),
       (SELECT h.participant_limit FROM venues_hostaccount h WHERE h.id = s.host_account_id)
  FROM scheduling_session s
 WHERE s.id = %(session)s {lock}
"""

# One statement after the lock: its snapshot is taken after the lock was granted, so the
# count includes every seat committed before us. Confirm if a seat is free, else queue.
TAKE_SEAT_SQL = """
WITH counts AS (
    SELECT count(*) AS taken FROM attendance_registration
     WHERE session_id = %(session)s AND status IN ('confirmed', 'offered')
), added AS (
    INSERT INTO attendance_registration
        (created_at, updated_at, session_id, learner_id, status, source, waitlist_rank,
         confirmed_at, enrolled_by_id, cancellation_reason, late_cancellation, invite_version)
    SELECT %(now)s, %(now)s, %(session)s, %(learner)s,
           CASE WHEN taken < %(limit)s THEN 'confirmed' ELSE 'waitlisted' END,
           %(source)s,
           CASE WHEN taken < %(limit)s THEN NULL ELSE nextval('attendance_waitlist_rank') END,
           CASE WHEN taken < %(limit)s THEN %(now)s END,
           %(enrolled_by)s, '', false,
           CASE WHEN taken < %(limit)s THEN %(version)s ELSE -1 END
      FROM counts
    RETURNING id, status, waitlist_rank, invite_version
), message AS (
    -- The confirmation or "waitlisted at N" email, in the outbox in the same statement: the
    -- session lock is held for as few round trips as possible.
    INSERT INTO notifications_outboxmessage
        (created_at, updated_at, recipient_id, to_email, event_key, template, context, rule,
         status, attempts, available_at, last_error, subject)
    SELECT %(now)s, %(now)s, %(learner)s, %(email)s,
           CASE WHEN added.status = 'confirmed' THEN %(confirmed_event)s
                ELSE %(waitlisted_event)s END || added.id,
           CASE WHEN added.status = 'confirmed' THEN %(confirmed_template)s
                ELSE %(waitlisted_template)s END,
           -- A waitlist position is worked out when the mail is sent (it can only improve).
           json_build_object('registration_id', added.id, 'version', added.invite_version),
           CASE WHEN added.status = 'confirmed' THEN %(confirmed_rule)s
                ELSE %(waitlisted_rule)s END,
           'queued', 0, %(now)s, '', ''
      FROM added
     WHERE %(email)s <> ''
    ON CONFLICT (to_email, event_key) DO NOTHING
)
SELECT added.id, added.status, added.waitlist_rank, added.invite_version FROM added
"""


@dataclass(frozen=True)
class SessionSnapshot:
    """What registering needs to know about a session (read without the lock)."""

    id: int
    status: str
    starts_at: dt.datetime | None
    ends_at: dt.datetime | None
    registration_opens_at: dt.datetime | None
    registration_closes_at: dt.datetime | None
    time_zone: str
    course_id: int
    course_active: bool
    course_code: str
    course_title: str
    delivery_mode: str
    has_prerequisites: bool
    existing_status: str | None
    clashing_block_id: int | None


def snapshot_for_registration(session_id: int, learner_id: int) -> SessionSnapshot:
    """The session and this learner's standing in it, in one statement (no lock)."""
    with connection.cursor() as cursor:
        cursor.execute(PRE_CHECK_SQL, {"session": session_id, "learner": learner_id})
        row = cursor.fetchone()
    if row is None:
        raise Session.DoesNotExist
    (status, starts, opens, closes, zone, course_id, active, code, title, mode, ends, prereq,
     existing, clash) = row  # fmt: skip
    return SessionSnapshot(
        session_id, status, starts, ends, opens, closes, zone, course_id, active, code, title,
        mode, prereq, existing, clash,
    )  # fmt: skip


@dataclass(frozen=True)
class SeatLock:
    status: str
    starts_at: dt.datetime | None
    registration_opens_at: dt.datetime | None
    registration_closes_at: dt.datetime | None
    seat_limit: int
    schedule_version: int


def lock_seats(session_id: int) -> SeatLock:
    """Lock the session row (one round trip with the lock timeout) and read its seat limit."""
    lock = "FOR UPDATE OF s" if settings.ATTENDANCE_SEAT_LOCK else ""
    sql = LOCK_SQL.format(timeout=LOCK_TIMEOUT, lock=lock)
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql, {"session": session_id})
            row = cursor.fetchone()
    except Exception as error:
        if getattr(getattr(error, "__cause__", None), "pgcode", None) == "55P03":
            raise Busy(_("This session is very busy right now; please try again.")) from error
        raise
    if row is None:
        raise Session.DoesNotExist
    status, starts, opens, closes, capacity, version, smallest_room, host_limit = row
    limit = min(x for x in (capacity, smallest_room, host_limit) if x is not None)
    return SeatLock(status, starts, opens, closes, limit, version)


@dataclass(frozen=True)
class SeatTaken:
    registration_id: int
    status: str
    waitlist_rank: int | None
    invite_version: int


def take_seat_locked(
    *,
    session_id: int,
    learner_id: int,
    learner_email: str,
    seat_limit: int,
    schedule_version: int,
    source: str,
    enrolled_by_id: int | None,
    message: dict[str, str],
    now: dt.datetime,
) -> SeatTaken:
    """Count seats, write the registration and its outbox message in one statement (session
    lock held). `message` names the events, templates and rules (attendance.services.messages)."""
    with connection.cursor() as cursor:
        cursor.execute(
            TAKE_SEAT_SQL,
            {
                "session": session_id,
                "learner": learner_id,
                "email": learner_email or "",
                "limit": seat_limit,
                "version": schedule_version,
                "source": source,
                "enrolled_by": enrolled_by_id,
                "now": now,
                **message,
            },
        )
        pk, status, rank, version = cursor.fetchone()
    return SeatTaken(pk, status, rank, version)
