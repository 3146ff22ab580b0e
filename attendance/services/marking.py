"""The one door for attendance per block: the roster, self check-in and participant reports
all write `AttendanceRecord`s through `attendance_mark`.

Rules kept here: only a confirmed registration of the block's own session is marked; a
cancelled block is not; minutes cannot exceed the block's length; once the session's
attendance is signed off, a change needs a reason and is kept as a late edit, and under the
course's minutes rule a late or left-early mark then needs its minutes (before sign-off it may
wait for them: sign-off names the marks that still lack them). Marking never
touches the enrolment status, so it never frees or takes a seat. A late edit derives that
learner's `Completion` again by the course's rule in the same transaction, and says what
changed (`attendance_mark_outcome`), so certifications can follow.
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
from attendance.services.completion_rules import Attended, block_minutes, needs_minutes
from attendance.services.outcomes import CompletionChange, completions_derive_locked
from scheduling.models import BlockStatus, SessionBlock
from tms.exceptions import InvalidTransition, RuleViolation


@dataclass(frozen=True)
class Mark:
    """What is recorded for one learner in one block."""

    status: str
    minutes_attended: int | None = None
    notes: str = ""


NOTES_MAX_LENGTH = 1000
REASON_MAX_LENGTH = 500

__all__ = [
    "Mark",
    "Marked",
    "attendance_mark",
    "attendance_mark_all_present",
    "attendance_mark_outcome",
    "block_minutes",
]


@dataclass(frozen=True)
class Marked:
    """What one mark did: the record (unchanged if the mark was the same), whether it was
    written, and the learner's completion when a late edit changed it."""

    record: AttendanceRecord
    written: bool
    completion: CompletionChange | None = None


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
    if len(mark.notes) > NOTES_MAX_LENGTH:
        raise RuleViolation(
            _("Notes are at most %(n)d characters.") % {"n": NOTES_MAX_LENGTH},
            fields={"notes": [_("Too long.")]},
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
    """Record (or change) one learner's attendance in one block; see
    `attendance_mark_outcome`, which also says what a late edit did to the completion."""
    return attendance_mark_outcome(
        registration=registration,
        block=block,
        mark=mark,
        source=source,
        recorded_by=recorded_by,
        now=now,
        reason=reason,
    ).record


def attendance_mark_outcome(
    *,
    registration: Registration,
    block: SessionBlock,
    mark: Mark,
    source: str,
    recorded_by: User | None,
    now: dt.datetime,
    reason: str = "",
) -> Marked:
    """Record (or change) one learner's attendance in one block. Call inside the caller's
    transaction when marking many rows at once; it takes the registration's row lock so two
    writers of the same record serialise (and a mark waiting behind sign-off, which locks the
    session's registrations, then sees the sign-off and needs a reason).

    After sign-off the change is a late edit with its reason, and the learner's completion
    is derived again in the same transaction."""
    if source not in AttendanceSource.values:
        raise RuleViolation(_("Unknown attendance source."))
    _check_mark(mark, block)
    reason = reason.strip()
    if len(reason) > REASON_MAX_LENGTH:
        raise RuleViolation(
            _("A reason is at most %(n)d characters.") % {"n": REASON_MAX_LENGTH},
            fields={"reason": [_("Too long.")]},
        )
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
        record = AttendanceRecord.objects.filter(registration=locked, block=block).first()
        if record is not None and (
            record.status == mark.status
            and record.minutes_attended == mark.minutes_attended
            and record.notes == mark.notes
        ):
            # Nothing changed: no write, no late edit, no audit entry (no reason needed).
            return Marked(record=record, written=False)
        if signed_off and not reason:
            raise RuleViolation(
                _("Attendance was signed off: give a reason for the change."),
                fields={"reason": [_("A reason is required after sign-off.")]},
            )
        if signed_off and needs_minutes(
            block.session.course.completion_rule, Attended(mark.status, mark.minutes_attended)
        ):
            # The outcome is derived from this mark now: it cannot wait for the minutes.
            message = _(
                "This course completes by minutes attended: give the minutes of a late or "
                "left-early mark."
            )
            raise RuleViolation(message, fields={"minutes_attended": [message]})
        if record is None:
            record = AttendanceRecord(registration=locked, block=block)
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
        change = None
        if signed_off:
            session = block.session
            changes = completions_derive_locked(
                session=session, registrations=[locked], recorded_by=recorded_by, now=now
            )
            change = changes[0] if changes else None
    return Marked(record=record, written=True, completion=change)


def attendance_mark_all_present(
    *,
    block: SessionBlock,
    recorded_by: User | None,
    now: dt.datetime,
    reason: str = "",
) -> list[Marked]:
    """ "All present" for one block: every confirmed learner of the block's session without a
    record in it is marked present (marks already taken stay: the exceptions come before or
    after). One transaction; the registrations are locked in primary-key order."""
    with transaction.atomic():
        unmarked = list(
            Registration.objects.select_for_update()
            .filter(session_id=block.session_id, status=RegistrationStatus.CONFIRMED)
            .exclude(attendance__block=block)
            .order_by("pk")
        )
        return [
            attendance_mark_outcome(
                registration=registration,
                block=block,
                mark=Mark(AttendanceStatus.PRESENT),
                source=AttendanceSource.ROSTER,
                recorded_by=recorded_by,
                now=now,
                reason=reason,
            )
            for registration in unmarked
        ]
