"""The one door for attendance per block: the roster, self check-in and participant reports
all write `AttendanceRecord`s through `attendance_mark`.

Rules kept here: only a confirmed registration of the block's own session is marked; a
cancelled block is not; minutes cannot exceed the block's length; once the session's
attendance is signed off, a change needs a reason and is kept as a late edit. Marking never
touches the enrolment status, so it never frees or takes a seat.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db import transaction
from django.utils.translation import gettext as _

from attendance.models import (
    AttendanceRecord,
    AttendanceSignOff,
    AttendanceSource,
    AttendanceStatus,
    Registration,
    RegistrationStatus,
)
from scheduling.models import BlockStatus, SessionBlock
from tms.exceptions import InvalidTransition, RuleViolation


@dataclass(frozen=True)
class Mark:
    """What is recorded for one learner in one block."""

    status: str
    minutes_attended: int | None = None
    notes: str = ""


def block_minutes(block: SessionBlock) -> int:
    return int((block.ends_at - block.starts_at).total_seconds() // 60)


def _check_mark(mark: Mark, block: SessionBlock) -> None:
    if mark.status not in AttendanceStatus.values:
        raise RuleViolation(
            _("Choose present, late, left early, absent or excused."),
            fields={"status": [_("Unknown attendance status.")]},
        )
    if mark.minutes_attended is not None and not 0 <= mark.minutes_attended <= block_minutes(block):
        raise RuleViolation(
            _("Minutes attended must be between 0 and the block's %(minutes)d minutes.")
            % {"minutes": block_minutes(block)},
            fields={"minutes_attended": [_("Out of range for this block.")]},
        )


def attendance_mark(
    *,
    registration: Registration,
    block: SessionBlock,
    mark: Mark,
    source: str,
    recorded_by: User | None,
    now: dt.datetime,
    reason: str = "",
) -> AttendanceRecord:
    """Record (or change) one learner's attendance in one block. Call inside the caller's
    transaction when marking many rows at once; it takes the registration's row lock so two
    writers of the same record serialise."""
    if source not in AttendanceSource.values:
        raise RuleViolation(_("Unknown attendance source."))
    _check_mark(mark, block)
    with transaction.atomic():
        locked = Registration.objects.select_for_update().get(pk=registration.pk)
        if locked.session_id != block.session_id:
            raise RuleViolation(
                _("This block belongs to another session."), fields={"block": [_("Not here.")]}
            )
        if locked.status != RegistrationStatus.CONFIRMED:
            raise InvalidTransition(_("Only learners with a confirmed seat have attendance."))
        if block.status != BlockStatus.ACTIVE:
            raise InvalidTransition(_("This block is cancelled: there is no attendance to take."))
        signed_off = AttendanceSignOff.objects.filter(session_id=block.session_id).exists()
        reason = reason.strip()
        if signed_off and not reason:
            raise RuleViolation(
                _("Attendance was signed off: give a reason for the change."),
                fields={"reason": [_("A reason is required after sign-off.")]},
            )
        record = AttendanceRecord.objects.filter(registration=locked, block=block).first()
        if record is None:
            record = AttendanceRecord(registration=locked, block=block)
        elif (
            record.status == mark.status
            and record.minutes_attended == mark.minutes_attended
            and record.notes == mark.notes
        ):
            return record  # nothing changed: no write, no late edit, no audit entry
        record.status = mark.status
        record.minutes_attended = mark.minutes_attended
        record.notes = mark.notes
        record.source = source
        record.recorded_by = recorded_by
        record.recorded_at = now
        if signed_off:
            record.late_edit = True
            record.late_edit_reason = reason
        record.save()
    return record
