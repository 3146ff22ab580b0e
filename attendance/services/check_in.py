"""Self check-in: a signed-in learner types (or scans) the code the instructor shows.

The learner gives only the code; the service finds the block among the blocks of the learner's
own sessions near `now` whose code it is, then records attendance through the one door,
`attendance.services.marking.attendance_mark` (source "check_in", recorded by the learner):
present, or late when checking in more than `LATE_AFTER` (5 minutes) after the block's start.

Refusals, each a `DomainError` with its own code and a message naming times in the learner's
zone: a malformed code (400 with a field message), too many tries (429), check-in not open yet,
a code that expired (an older window, or the block's check-in closed), a code of another session
(or of a session the learner has no confirmed seat in), a second check-in ("You checked in at
09:02 CET.") and a wrong code. An attendance record the instructor (or a report) already wrote
is never replaced by a check-in.

Rate limit: every well-formed try counts, `MAX_TRIES` per learner in any `TRY_PERIOD` (a
sliding window), counted in PostgreSQL (`CheckInTry`, one row per try) so the limit holds
across every web process and server, with or without Redis. A try is counted in a transaction
of its own, committed *before* the code is checked, under a per-learner advisory lock: parallel
tries of one learner count one after the other, so the eleventh is refused whichever process it
reaches. Six digits at 10 tries per 10 minutes: a learner guessing through a three-hour block
has about a 0.04 % chance.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from http import HTTPStatus

from django.contrib.auth.models import User
from django.db import connection, transaction
from django.db.models import Q
from django.utils import dateformat
from django.utils.translation import gettext as _

from attendance.checkin_codes import (
    CODE_DIGITS,
    LATE_AFTER,
    check_in_window,
    grace,
    matches_now,
    matching_window,
    normalise,
    window_index,
    window_starts,
)
from attendance.models import (
    AttendanceRecord,
    AttendanceSignOff,
    AttendanceSource,
    AttendanceStatus,
    CheckInTry,
    Registration,
    RegistrationStatus,
)
from attendance.services.marking import Mark, attendance_mark
from scheduling.models import BlockStatus, DeliveryMode, SessionBlock, SessionStatus
from tms.exceptions import DomainError
from tms.timezones import local_label, reader_zone

MAX_TRIES = 10
TRY_PERIOD = dt.timedelta(minutes=10)
# pg_advisory_xact_lock namespace of one learner's tries (7301: the seat door's learner lock).
TRY_LOCK = 7302
# Tries this much older than the period are pruned, at most 100 per try written.
_PRUNE_AFTER = TRY_PERIOD + dt.timedelta(hours=1)
_PRUNE_SQL = """
DELETE FROM attendance_checkintry WHERE id IN (
    SELECT id FROM attendance_checkintry WHERE tried_at < %s
     ORDER BY tried_at LIMIT 100 FOR UPDATE SKIP LOCKED)
"""
# Blocks this far beyond their check-in window are still looked at, to tell a learner that
# check-in opens later or closed (rather than "wrong code").
_LOOK_AHEAD = dt.timedelta(hours=1)
_LOOK_BACK = dt.timedelta(hours=2)


# --- Refusals ------------------------------------------------------------------------------------


class CheckInRefused(DomainError):
    status_code = HTTPStatus.CONFLICT
    code = "check_in_refused"


class CheckInNotOpen(CheckInRefused):
    code = "check_in_not_open"


class CheckInCodeExpired(CheckInRefused):
    code = "check_in_code_expired"


class CheckInOtherSession(CheckInRefused):
    code = "check_in_other_session"


class CheckInNotRegistered(CheckInRefused):
    status_code = HTTPStatus.FORBIDDEN
    code = "check_in_not_registered"


class AlreadyCheckedIn(CheckInRefused):
    code = "already_checked_in"


class CheckInWrongCode(DomainError):
    code = "check_in_wrong_code"


class TooManyCheckInTries(DomainError):
    status_code = HTTPStatus.TOO_MANY_REQUESTS
    code = "too_many_tries"


@dataclass(frozen=True)
class CheckIn:
    """A successful check-in: the record written and what it says."""

    record: AttendanceRecord
    block: SessionBlock
    late: bool


# --- Helpers -------------------------------------------------------------------------------------


def clock_text(moment: dt.datetime, zone: str, now: dt.datetime) -> str:
    """ "10:15 CET", or "Tue 5 Mar, 10:15 CET" when that is not today where the reader is."""
    tz = zoneinfo.ZoneInfo(zone)
    local = moment.astimezone(tz)
    text = f"{local:%H:%M} {local_label(local)}"
    if local.date() != now.astimezone(tz).date():
        text = f"{dateformat.format(local, 'D j M')}, {text}"
    return text


def _lock_tries_locked(learner_id: int) -> None:
    """Take the learner's try lock until the transaction ends (the caller's transaction)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [TRY_LOCK, learner_id % 2**31])


def _count_try(learner_id: int, now: dt.datetime) -> None:
    """Count this try, or refuse it (429) if the learner already made `MAX_TRIES` in the
    `TRY_PERIOD` before `now`; a refused try is not counted.

    Its own durable transaction, committed before the code is checked (a wrong code must still
    count). The learner's advisory lock makes count-then-insert atomic across connections:
    the next try of the same learner waits here and then sees this one committed. Old tries
    (of anyone) are pruned in small batches, skipping rows another try has locked."""
    with transaction.atomic(durable=True):
        _lock_tries_locked(learner_id)
        counted = list(
            CheckInTry.objects.filter(
                learner_id=learner_id, tried_at__gt=now - TRY_PERIOD, tried_at__lte=now
            )
            .order_by("tried_at")
            .values_list("tried_at", flat=True)[:MAX_TRIES]
        )
        if len(counted) >= MAX_TRIES:
            # Free again once the oldest counted try leaves the period.
            retry_at = counted[0] + TRY_PERIOD
            raise TooManyCheckInTries(
                _("Too many tries. Wait %(minutes)d minute(s), then enter the code shown now.")
                % {"minutes": max(1, round((retry_at - now).total_seconds() / 60))},
                extra={"retry_at": retry_at.isoformat()},
            )
        CheckInTry.objects.create(learner_id=learner_id, tried_at=now)
        with connection.cursor() as cursor:
            cursor.execute(_PRUNE_SQL, [now - _PRUNE_AFTER])


def _near(now: dt.datetime) -> Q:
    """Active ILT blocks of scheduled sessions whose check-in window is near `now`."""
    return Q(
        status=BlockStatus.ACTIVE,
        session__status=SessionStatus.SCHEDULED,
        session__delivery_mode=DeliveryMode.ILT,
        starts_at__lte=now + grace() + _LOOK_AHEAD,
        ends_at__gte=now - grace() - _LOOK_BACK,
    )


def _own_blocks(learner: User, now: dt.datetime) -> list[tuple[SessionBlock, Registration]]:
    """Blocks near `now` of sessions the learner is registered for (any status), each with the
    learner's registration there (a seat-holding one before a cancelled one); two queries."""
    registrations: dict[int, Registration] = {}
    for registration in (
        Registration.objects.filter(learner=learner)
        .filter(session__blocks__in=SessionBlock.objects.filter(_near(now)))
        .order_by("-created_at", "-pk")
    ):
        kept = registrations.get(registration.session_id)
        if kept is None or (
            kept.status == RegistrationStatus.CANCELLED
            and registration.status != RegistrationStatus.CANCELLED
        ):
            registrations[registration.session_id] = registration
    blocks = (
        SessionBlock.objects.filter(_near(now), session_id__in=list(registrations))
        .select_related("session__course")
        .order_by("starts_at", "pk")
    )
    return [(block, registrations[block.session_id]) for block in blocks]


def _open_elsewhere(exclude_sessions: Iterable[int], now: dt.datetime) -> list[int]:
    """Ids of blocks anyone can check in to now, outside the learner's sessions."""
    return list(
        SessionBlock.objects.filter(
            _near(now), starts_at__lte=now + grace(), ends_at__gte=now - grace()
        )
        .exclude(session_id__in=list(exclude_sessions))
        .values_list("pk", flat=True)
    )


def _title(block: SessionBlock) -> str:
    return str(block.session.course.title)


# --- The service ---------------------------------------------------------------------------------


def attendance_check_in(
    *, learner: User, code: str, now: dt.datetime, zone: str | None = None
) -> CheckIn:
    """Check `learner` in to the block whose current code is `code`.

    `zone` is the browser's zone (pages), for the times in the messages: they are read in the
    learner's settings' zone, else that one, else the session's (`tms.timezones.reader_zone`).
    One transaction for the write: the registration row is locked (by `attendance_mark`, and
    first here so that two check-ins of the same learner cannot both see "no record yet").
    """
    typed = normalise(code)
    if typed is None:
        raise DomainError(
            _("Enter the %(n)d-digit code your instructor shows.") % {"n": CODE_DIGITS},
            fields={"code": [_("%(n)d digits, e.g. 123456.") % {"n": CODE_DIGITS}]},
        )
    _count_try(learner.pk, now)
    own = _own_blocks(learner, now)

    def when(moment: dt.datetime, block: SessionBlock) -> str:
        reader = reader_zone(learner, block.session.time_zone, browser_zone=zone)
        return clock_text(moment, reader, now)

    # 1. The current (or previous) code of one of the learner's blocks.
    for block, registration in own:
        if matches_now(block.pk, typed, now):
            return _check_in_to(block, registration, learner=learner, now=now, when=when)

    # 2. An older code of one of the learner's blocks: say when it expired.
    current = window_index(now)
    for block, registration in own:
        window = check_in_window(block)
        last = min(current - 2, window_index(window.closes))
        index = matching_window(block.pk, typed, window_index(window.opens), last)
        if index is None or registration.status != RegistrationStatus.CONFIRMED:
            continue
        expired = min(window_starts(index + 2), window.closes)
        if window.state(now) == "after":
            message = _("This code expired at %(time)s: check-in for %(course)s has closed.")
        else:
            message = _("This code expired at %(time)s: enter the code shown now.")
        raise CheckInCodeExpired(
            message % {"time": when(expired, block), "course": _title(block)},
            extra={"block_id": block.pk, "expired_at": expired.isoformat()},
        )

    # 3. A code of some other session running now.
    mine = {block.session_id for block, _registration in own}
    if any(matches_now(pk, typed, now) for pk in _open_elsewhere(mine, now)):
        attending = [
            block
            for block, registration in own
            if registration.status == RegistrationStatus.CONFIRMED
            and check_in_window(block).state(now) == "open"
        ]
        if attending:
            raise CheckInOtherSession(
                _(
                    "This code is for another session. You are registered for %(course)s: "
                    "check that you are in the right room, or ask your instructor."
                )
                % {"course": _title(attending[0])}
            )
        raise CheckInNotRegistered(
            _("This code is for a session you are not registered for. Ask your instructor.")
        )

    raise CheckInWrongCode(
        _("This is not the code of any session of yours now. Check the code and try again."),
        fields={"code": [_("Not a current code.")]},
    )


def _check_in_to(
    block: SessionBlock,
    registration: Registration,
    *,
    learner: User,
    now: dt.datetime,
    when: Callable[[dt.datetime, SessionBlock], str],
) -> CheckIn:
    if registration.status != RegistrationStatus.CONFIRMED:
        state = RegistrationStatus(registration.status).label.lower()
        raise CheckInNotRegistered(
            _(
                "Only learners with a confirmed seat can check in to %(course)s: your "
                "registration is %(state)s."
            )
            % {"course": _title(block), "state": state}
        )
    window = check_in_window(block)
    state = window.state(now)
    if state == "before":
        raise CheckInNotOpen(
            _("Check-in for %(course)s opens at %(time)s.")
            % {"course": _title(block), "time": when(window.opens, block)},
            extra={"block_id": block.pk, "opens_at": window.opens.isoformat()},
        )
    if state == "after":
        raise CheckInCodeExpired(
            _("This code expired at %(time)s: check-in for %(course)s has closed.")
            % {"course": _title(block), "time": when(window.closes, block)},
            extra={"block_id": block.pk, "expired_at": window.closes.isoformat()},
        )
    with transaction.atomic():
        locked = Registration.objects.select_for_update().get(pk=registration.pk)
        existing = AttendanceRecord.objects.filter(registration=locked, block=block).first()
        if existing is not None:
            if existing.source == AttendanceSource.CHECK_IN:
                message = _("You already checked in at %(time)s.") % {
                    "time": when(existing.recorded_at, block)
                }
            else:
                message = _(
                    "Your attendance in this block is already recorded (%(status)s) by your "
                    "instructor; ask them if it needs changing."
                ) % {"status": AttendanceStatus(existing.status).label.lower()}
            raise AlreadyCheckedIn(
                message,
                extra={"block_id": block.pk, "checked_in_at": existing.recorded_at.isoformat()},
            )
        if AttendanceSignOff.objects.filter(session_id=block.session_id).exists():
            raise CheckInRefused(
                _("Attendance for this session was already submitted: ask your instructor.")
            )
        late = now > block.starts_at + LATE_AFTER
        record = attendance_mark(
            registration=locked,
            block=block,
            mark=Mark(status=AttendanceStatus.LATE if late else AttendanceStatus.PRESENT),
            source=AttendanceSource.CHECK_IN,
            recorded_by=learner,
            now=now,
        )
    return CheckIn(record=record, block=block, late=late)
