"""Write booking rows, and turn a constraint violation from a race into the same 409.

Bookings are written in a fixed order (rooms, host accounts, instructors; each by resource id)
so that two transactions wanting the same resources queue behind each other instead of
deadlocking.

Waiting is bounded: one lock wait lasts at most `LOCK_TIMEOUT`, and a service that gave up
waiting runs once more in a fresh transaction (`retry_once_on_lock_timeout`) before it answers
"busy, try again". A user who loses a race for a room to a slow (not stuck) rival therefore
gets the conflict naming the rival's session, not "busy".
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager
from typing import ParamSpec, TypeVar

from django.db import DatabaseError, IntegrityError, OperationalError, connection, transaction
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from psycopg2 import errorcodes

from scheduling.models import (
    BookingConstraint,
    HostAccountBooking,
    InstructorAssignment,
    InstructorBooking,
    RoomBooking,
    Session,
    SessionBlock,
)
from scheduling.services.planning import Finding, Proposal, block_range, evaluate, room_range
from tms.exceptions import Busy, ResourceConflict, RuleViolation

StrOrPromise = str | Promise
# The longest one attempt waits for one lock (a row, or a rival's uncommitted booking that an
# exclusion constraint must see settled).
LOCK_TIMEOUT = "3s"
# Ways PostgreSQL gives up waiting for another transaction; worth one more attempt.
GAVE_UP_WAITING = (errorcodes.LOCK_NOT_AVAILABLE, errorcodes.DEADLOCK_DETECTED)

T = TypeVar("T")
P = ParamSpec("P")


def set_lock_timeout() -> None:
    """Waiting on another transaction's booking is bounded: a timeout becomes `Busy`."""
    with connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")


def _pgcode(error: BaseException) -> str | None:
    """The SQLSTATE behind `error` (ours wraps Django's, which wraps psycopg2's), if any."""
    seen: BaseException | None = error
    while seen is not None:
        code = getattr(seen, "pgcode", None)
        if code:
            return str(code)
        seen = seen.__cause__
    return None


@contextmanager
def busy_on_lock_timeout(message: StrOrPromise | None = None) -> Iterator[None]:
    """Turn a lock wait that ran past `LOCK_TIMEOUT` into `Busy` (a 409) instead of a 500."""
    try:
        yield
    except OperationalError as error:
        if _pgcode(error) == errorcodes.LOCK_NOT_AVAILABLE:
            default = _("Another change is in progress; please try again.")
            raise Busy(str(message) if message else default) from error
        raise


def retry_once_on_lock_timeout(service: Callable[P, T]) -> Callable[P, T]:
    """Run a booking service once more, in a fresh transaction, if it gave up waiting.

    A wait mostly runs out because the transaction we queue behind is slow (a loaded machine,
    a slow disk at commit), not stuck: by the second attempt it has usually finished, and the
    second attempt's checks see its booking and name it in the 409. If the second attempt has
    to give up too, the contention is real and `Busy` stands. `service` must be one durable
    transaction with its side effects after commit, so a failed attempt leaves nothing behind.
    """

    @functools.wraps(service)
    def run(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return service(*args, **kwargs)
        except Busy as error:
            if _pgcode(error) not in GAVE_UP_WAITING:
                raise
        return service(*args, **kwargs)

    return run


SHARE_LOCK_SQL = """
WITH rooms AS (SELECT id FROM venues_room WHERE id = ANY(%s) FOR SHARE),
     people AS (SELECT id FROM instructors_instructor WHERE id = ANY(%s) FOR SHARE)
SELECT (SELECT count(*) FROM rooms), (SELECT count(*) FROM people)
"""


def share_lock_resources(proposal: Proposal) -> None:
    """Hold the booked rooms and instructors FOR SHARE until commit.

    Room closures and instructor unavailability are written under FOR UPDATE on the same row,
    so a closure cannot slip in between our check and our commit. Bookings of the same room
    share the lock and do not wait for each other (the exclusion constraint handles those).
    """
    room_ids = sorted({b.room.pk for b in proposal.blocks if b.room is not None})
    people = sorted({p.instructor.pk for p in proposal.instructors})
    if not room_ids and not people:
        return
    with busy_on_lock_timeout(), connection.cursor() as cursor:
        cursor.execute(SHARE_LOCK_SQL, [room_ids, people])


def lock_session(session_id: int) -> Session:
    """Lock the session row: edits of one session are serialised."""
    set_lock_timeout()
    with busy_on_lock_timeout():
        return (
            Session.objects.select_for_update(of=("self",))
            .select_related("course", "host_account")
            .get(pk=session_id)
        )


def raise_for_report(
    proposal: Proposal, *, now: dt.datetime, only: Collection[str] | None = None
) -> list[Finding]:
    """Lock the resources (FOR SHARE), evaluate the proposal; raise the right error, else
    return the warnings. With `only`, just the findings with those codes count."""
    share_lock_resources(proposal)
    report = evaluate(proposal, now=now)
    if only is not None:
        report = report.only(only)
    if report.conflicts:
        first = next(f for f in report.errors if f.conflict is not None)
        raise ResourceConflict(
            first.message, fields=report.field_errors(), conflicts=report.conflicts
        )
    if report.errors:
        raise RuleViolation(report.errors[0].message, fields=report.field_errors())
    return report.warnings


@contextmanager
def constraint_guard(recheck: Callable[[], Proposal], *, now: dt.datetime) -> Iterator[None]:
    """Run booking writes in a savepoint; map database refusals to domain errors.

    A concurrent transaction may book the same resource between our check and our insert.
    The exclusion constraint then refuses our row (after the other commits). We re-run the
    check, which now sees the committed booking, so the client gets the same 409 naming the
    conflicting session as if the check had caught it. If the other transaction is still open
    after `LOCK_TIMEOUT`, we give up waiting (`Busy`) and the service's retry asks again.
    """
    try:
        with transaction.atomic():
            yield
    except IntegrityError as error:
        cause = error.__cause__
        code = getattr(cause, "pgcode", None)
        if code != errorcodes.EXCLUSION_VIOLATION:
            raise
        constraint = getattr(getattr(cause, "diag", None), "constraint_name", "") or ""
        raise_for_report(recheck(), now=now)
        # The rival's row is gone again (it rolled back after refusing us): report generically.
        raise ResourceConflict(_describe_constraint(constraint)) from error
    except DatabaseError as error:
        if _pgcode(error) in GAVE_UP_WAITING:
            raise Busy(
                _("Another change to the same resources is in progress; try again.")
            ) from error
        raise


def _describe_constraint(name: str) -> str:
    return {
        BookingConstraint.ROOM: _("The room was booked by someone else a moment ago."),
        BookingConstraint.HOST_ACCOUNT: _(
            "The host account was booked by someone else a moment ago."
        ),
        BookingConstraint.INSTRUCTOR: _("The instructor was booked by someone else a moment ago."),
    }.get(name, _("Another booking overlaps this one."))


def book_blocks_locked(
    session: Session, blocks: Sequence[SessionBlock], assignments: Sequence[InstructorAssignment]
) -> None:
    """Write room, host-account and instructor bookings for `blocks`.

    Assumes the caller holds the session lock (or created the session in this transaction)
    and has deleted any previous bookings of these blocks.
    """
    active = [b for b in blocks if b.is_active]
    rooms = sorted(
        ((b, b.room) for b in active if b.room is not None),
        key=lambda pair: (pair[1].pk, pair[0].starts_at),
    )
    RoomBooking.objects.bulk_create(
        [
            RoomBooking(
                session=session,
                block=b,
                room=room,
                during=room_range(room, b.starts_at, b.ends_at),
            )
            for b, room in rooms
        ]
    )
    if session.host_account_id is not None:
        HostAccountBooking.objects.bulk_create(
            [
                HostAccountBooking(
                    session=session,
                    block=b,
                    host_account_id=session.host_account_id,
                    during=block_range(b.starts_at, b.ends_at),
                )
                for b in active
            ]
        )
    people = sorted(assignments, key=lambda a: a.instructor_id)
    InstructorBooking.objects.bulk_create(
        [
            InstructorBooking(
                session=session,
                assignment=a,
                block=b,
                instructor_id=a.instructor_id,
                during=block_range(b.starts_at, b.ends_at),
            )
            for a in people
            for b in active
        ]
    )


def unbook_blocks(block_ids: Sequence[int]) -> None:
    RoomBooking.objects.filter(block_id__in=block_ids).delete()
    HostAccountBooking.objects.filter(block_id__in=block_ids).delete()
    InstructorBooking.objects.filter(block_id__in=block_ids).delete()
