"""The one place seats are counted: lock the session row, count in SQL.

Two doors, one rule: registering takes its seat through the database function
`attendance_take_seat` (one round trip in a sales rush); cancelling, offers and promotion lock
the session with `lock_session_for_seats` and count with `seats_taken`. Both read the seat
limit from `scheduling_seat_limit`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import connection
from django.utils.translation import gettext_lazy as _

from attendance.models import SEAT_HOLDING, Registration, RegistrationStatus
from scheduling.models import Session
from scheduling.selectors import VISIBLE_CONDITION, visibility_params
from scheduling.services.booking import busy_on_lock_timeout, set_lock_timeout
from tms.db import PreparedStatement

# The lock timeout of seat changes is scheduling's LOCK_TIMEOUT (attendance_take_seat sets the
# same 3 s for itself).
BUSY = _("This session is very busy right now; please try again.")


def lock_session_for_seats(session_id: int) -> Session:
    """Lock the session row: every seat change of this session is serialised behind it. The
    lock can be switched off only by a test setting, to prove the concurrency test catches
    overselling. The seat limit is `seat_limit`, read after this."""
    set_lock_timeout()
    sessions = Session.objects.select_related("course", "host_account")
    if settings.ATTENDANCE_SEAT_LOCK:
        sessions = sessions.select_for_update(of=("self",))
    with busy_on_lock_timeout(BUSY):
        return sessions.get(pk=session_id)


def seat_limit(session_id: int) -> int:
    """`scheduling_seat_limit`, read in a statement of its own: after the session lock it sees
    every change committed before the lock was granted."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT scheduling_seat_limit(%s)", [session_id])
        return cursor.fetchone()[0]


def seats_taken(session_id: int) -> int:
    """Confirmed and offered registrations hold seats (caller holds the session lock)."""
    return Registration.objects.filter(session_id=session_id, status__in=SEAT_HOLDING).count()


def next_waitlist_rank() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval('attendance_waitlist_rank')")
        return int(cursor.fetchone()[0])


def clashing_block_id(learner_id: int, session_id: int) -> int | None:
    """A block of another session, overlapping this one, in which the learner holds a seat.

    Locks the learner until the transaction ends (as seat taking does), so that two seats for
    one learner in overlapping sessions cannot be given at once. Call it with the session lock
    held: sessions first, then learners, everywhere.
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT attendance_learner_clash(%s, %s)", [learner_id, session_id])
        return cursor.fetchone()[0]


def waitlist_position(registration: Registration) -> int | None:
    """1-based place in the session's queue, derived from ranks (always contiguous)."""
    if registration.status != RegistrationStatus.WAITLISTED or registration.waitlist_rank is None:
        return None
    with connection.cursor() as cursor:
        QUEUE_PLACE.execute(cursor, [registration.session_id, registration.waitlist_rank])
        return int(cursor.fetchone()[0])


# --- The registration hot path: one read, then one call that takes the seat --------------------
# A sales rush spends its time here. The read is plain SQL; the seat is taken by the database
# function `attendance_take_seat` (attendance/migrations/0002_seat_functions.py), which locks,
# checks, counts and writes in one round trip, so the session lock is never held across a
# round trip to Python.

PRE_CHECK_SQL = """
SELECT s.status, s.starts_at, s.registration_opens_at, s.registration_closes_at, s.time_zone,
       s.course_id, c.active, c.code, c.title, s.delivery_mode, s.ends_at,
       EXISTS (SELECT 1 FROM scheduling_course_prerequisites p WHERE p.from_course_id = c.id),
       (SELECT r.status FROM attendance_registration r
         WHERE r.session_id = s.id AND r.learner_id = %(learner)s AND r.status <> 'cancelled'
         LIMIT 1),
       {visible}
  FROM scheduling_session s JOIN scheduling_course c ON c.id = s.course_id
 WHERE s.id = %(session)s
""".replace("{visible}", VISIBLE_CONDITION)

TAKE_SEAT_SQL = """
SELECT outcome, registration_id, seat_status, rank, version, clash_block
  FROM attendance_take_seat(
      %(session)s, %(learner)s, %(email)s, %(source)s, %(enrolled_by)s, %(now)s,
      %(status)s, %(starts)s, %(opens)s, %(closes)s, %(messages)s, %(lock)s, %(race_delay)s)
"""
# Prepared once per database connection (tms.db): parsing and planning these cost more than
# running them.
PRE_CHECK = PreparedStatement("attendance_pre_check", PRE_CHECK_SQL)
TAKE_SEAT = PreparedStatement("attendance_take_seat", TAKE_SEAT_SQL)
QUEUE_PLACE = PreparedStatement(
    "attendance_queue_place",
    "SELECT count(*) FROM attendance_registration WHERE session_id = %s::bigint "
    "AND status = 'waitlisted' AND waitlist_rank <= %s::bigint",
)


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


def snapshot_for_registration(
    session_id: int, learner_id: int, *, viewer: AbstractBaseUser | None
) -> SessionSnapshot:
    """The session and this learner's standing in it, in one statement (no lock). A session
    the viewer may not see does not exist for them (None: no visibility check)."""
    params = {"session": session_id, "learner": learner_id, **visibility_params(viewer)}
    with connection.cursor() as cursor:
        PRE_CHECK.execute(cursor, params)
        row = cursor.fetchone()
    if row is None or not row[-1]:
        raise Session.DoesNotExist
    (status, starts, opens, closes, zone, course_id, active, code, title, mode, ends, prereq,
     existing, _visible) = row  # fmt: skip
    return SessionSnapshot(
        session_id, status, starts, ends, opens, closes, zone, course_id, active, code, title,
        mode, prereq, existing,
    )  # fmt: skip


@dataclass(frozen=True)
class SeatTaken:
    """What `attendance_take_seat` answered: `outcome` is taken, changed, clash or missing."""

    outcome: str
    registration_id: int | None = None
    status: str | None = None
    waitlist_rank: int | None = None
    invite_version: int | None = None
    clashing_block_id: int | None = None


def take_seat(
    snapshot: SessionSnapshot,
    *,
    learner_id: int,
    learner_email: str,
    source: str,
    enrolled_by_id: int | None,
    messages_json: str,
    now: dt.datetime,
) -> SeatTaken:
    """Lock the session, confirm the seat if one is free or queue the learner, and write the
    outbox message: one statement, its own transaction unless the caller has one open.

    Nothing is written ("changed") if the session's status, start or registration window no
    longer match `snapshot`, which the caller validated. `messages_json` names the events,
    templates and rules of both outcomes (attendance.services.messages).
    """
    params = {
        "session": snapshot.id,
        "learner": learner_id,
        "email": learner_email or "",
        "source": source,
        "enrolled_by": enrolled_by_id,
        "now": now,
        "status": snapshot.status,
        "starts": snapshot.starts_at,
        "opens": snapshot.registration_opens_at,
        "closes": snapshot.registration_closes_at,
        "messages": messages_json,
        "lock": settings.ATTENDANCE_SEAT_LOCK,
        "race_delay": settings.ATTENDANCE_SEAT_RACE_DELAY,
    }
    with busy_on_lock_timeout(BUSY), connection.cursor() as cursor:
        TAKE_SEAT.execute(cursor, params)
        row = cursor.fetchone()
    return SeatTaken(*row)
