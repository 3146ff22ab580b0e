"""The seat door, from Python: every seat and every place in the line is given by one database
function, `attendance_take_seat` (attendance/sql/attendance_take_seat.sql).

Registering, enrolling, bulk enrolment, promotion and accepting an offer all call `take_seat`;
nothing else writes a seat-holding status. Freeing a seat (cancelling, declining, an expired
offer) locks the session with `lock_session_for_seats` and hands the seat on in the same
transaction (attendance.services.promotion). Free seats, the line and positions are each one
SQL function, read here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db import connection
from django.utils.translation import gettext_lazy as _

from attendance.models import RegistrationStatus
from scheduling.models import Session
from scheduling.selectors import VISIBLE_CONDITION, visibility_params
from scheduling.services.booking import busy_on_lock_timeout, set_lock_timeout
from tms.db import PreparedStatement

# The lock timeout of seat changes is scheduling's LOCK_TIMEOUT (attendance_take_seat sets the
# same 3 s for itself).
BUSY = _("This session is very busy right now; please try again.")


def lock_session_for_seats(session_id: int) -> Session:
    """Lock the session row: every seat change of this session is serialised behind it (the
    seat door takes the same lock). Read free seats with `free_seats` after this."""
    set_lock_timeout()
    sessions = Session.objects.select_related("course", "host_account").select_for_update(
        of=("self",), no_key=True
    )
    with busy_on_lock_timeout(BUSY):
        return sessions.get(pk=session_id)


def free_seats(session_id: int) -> int:
    """`attendance_free_seats`: the seat limit less the seats held. With the session locked,
    it stays true until commit."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT attendance_free_seats(%s)", [session_id])
        return int(cursor.fetchone()[0])


def seat_limit(session_id: int) -> int:
    """`scheduling_seat_limit`: how many seats the session has (rooms and host account
    included)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT scheduling_seat_limit(%s)", [session_id])
        return int(cursor.fetchone()[0])


@dataclass(frozen=True)
class InLine:
    """Someone waiting for a seat: a waitlisted registration, or an any-date entry."""

    rank: int
    registration_id: int | None
    entry_id: int | None
    learner_id: int


def queue_of(session_id: int, *, limit: int) -> list[InLine]:
    """The first `limit` in the session's line (`attendance_queue`), first in line first."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT rank, registration_id, entry_id, learner_id FROM attendance_queue(%s) "
            "ORDER BY rank LIMIT %s",
            [session_id, limit],
        )
        return [InLine(*row) for row in cursor.fetchall()]


def next_waitlist_rank() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval('attendance_waitlist_rank')")
        return int(cursor.fetchone()[0])


QUEUE_PLACE = PreparedStatement(
    "attendance_queue_place", "SELECT attendance_queue_position(%s::bigint, %s::bigint)"
)


def waitlist_position(*, session_id: int, status: str, rank: int | None) -> int | None:
    """The 1-based place in the session's line (`attendance_queue_position`), for a
    waitlisted registration; None otherwise."""
    if status != RegistrationStatus.WAITLISTED or rank is None:
        return None
    with connection.cursor() as cursor:
        QUEUE_PLACE.execute(cursor, [session_id, rank])
        return int(cursor.fetchone()[0])


# --- The registration hot path: one read, then the door ----------------------------------------
# A sales rush spends its time here: one prepared read, then one call of the door, which locks,
# checks, counts and writes in one round trip (the session lock is never held across a round
# trip to Python).

PRE_CHECK_SQL = """
SELECT s.status, s.starts_at, s.registration_opens_at, s.registration_closes_at, s.time_zone,
       s.course_id, c.active, c.code, c.title, s.delivery_mode, s.ends_at,
       EXISTS (SELECT 1 FROM scheduling_course_prerequisites p WHERE p.from_course_id = c.id),
       (SELECT r.status FROM attendance_registration r
         WHERE r.session_id = s.id AND r.learner_id = %(learner)s AND r.status <> %(cancelled)s
         LIMIT 1),
       {visible}
  FROM scheduling_session s JOIN scheduling_course c ON c.id = s.course_id
 WHERE s.id = %(session)s
""".replace("{visible}", VISIBLE_CONDITION)

TAKE_SEAT_SQL = """
SELECT outcome, registration_id, seat_status, rank, version, clash_block
  FROM attendance_take_seat(
      %(session)s, %(learner)s, %(registration)s, %(entry)s, %(offer_until)s, %(source)s,
      %(enrolled_by)s, %(email)s, %(now)s, %(status)s, %(starts)s, %(opens)s, %(closes)s,
      %(messages)s)
"""
# Prepared once per database connection (tms.db): parsing and planning these cost more than
# running them.
PRE_CHECK = PreparedStatement("attendance_pre_check", PRE_CHECK_SQL)
TAKE_SEAT = PreparedStatement("attendance_take_seat", TAKE_SEAT_SQL)


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
    session_id: int, learner_id: int, *, viewer: User | None
) -> SessionSnapshot:
    """The session and this learner's standing in it, in one statement (no lock). A session
    the viewer may not see does not exist for them (None: no visibility check)."""
    params = {
        "session": session_id,
        "learner": learner_id,
        "cancelled": RegistrationStatus.CANCELLED.value,
        **visibility_params(viewer),
    }
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
class SeatRequest:
    """What the door is asked (see the SQL file): a newcomer (`snapshot` given), a promotion
    (`registration_id` of a waitlisted one, or `entry_id`), or accepting an offer
    (`registration_id` of an offered one)."""

    session_id: int
    learner_id: int
    learner_email: str
    messages_json: str
    now: dt.datetime
    snapshot: SessionSnapshot | None = None
    registration_id: int | None = None
    entry_id: int | None = None
    offer_until: dt.datetime | None = None
    source: str = ""
    enrolled_by_id: int | None = None


@dataclass(frozen=True)
class SeatTaken:
    """What the door answered: `outcome` is taken, queued, full, clash, changed, gone,
    expired or missing (see attendance_take_seat.sql)."""

    outcome: str
    registration_id: int | None = None
    status: str | None = None
    waitlist_rank: int | None = None
    invite_version: int | None = None
    clashing_block_id: int | None = None

    @property
    def written(self) -> bool:
        return self.outcome in {"taken", "queued"}


def take_seat(request: SeatRequest) -> SeatTaken:
    """Ask the door: one statement, in the caller's transaction (its own if none is open).

    Lock timeouts become Busy; a second active registration of the same learner is refused by
    the database's unique constraint (IntegrityError, for the caller to name)."""
    snapshot = request.snapshot
    params = {
        "session": request.session_id,
        "learner": request.learner_id,
        "registration": request.registration_id,
        "entry": request.entry_id,
        "offer_until": request.offer_until,
        "source": request.source,
        "enrolled_by": request.enrolled_by_id,
        "email": request.learner_email or "",
        "now": request.now,
        "status": snapshot.status if snapshot else None,
        "starts": snapshot.starts_at if snapshot else None,
        "opens": snapshot.registration_opens_at if snapshot else None,
        "closes": snapshot.registration_closes_at if snapshot else None,
        "messages": request.messages_json,
    }
    with busy_on_lock_timeout(BUSY), connection.cursor() as cursor:
        TAKE_SEAT.execute(cursor, params)
        row = cursor.fetchone()
    return SeatTaken(*row)
