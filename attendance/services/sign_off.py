"""Sign-off: the lead instructor submits a session's attendance, and every confirmed
registration becomes completed or not completed by the course's rule
(`attendance.services.completion_rules`).

Rules kept here:
- Who: the session's lead instructor, or a coordinator on their behalf (a lead who is ill,
  a paper register typed in by the office); the sign-off records who did it. Co-facilitators
  mark attendance but do not submit it.
- When: once every active block has ended, and once per session (a second sign-off is
  refused; later changes are late edits with a reason, `attendance.services.marking`).
- Completeness: every confirmed learner needs a record in every active block. If some are
  unmarked, sign-off is refused naming them (409 `attendance_incomplete`, their ids in
  `extra`), unless the caller says that everyone unmarked was absent (`absent_unmarked`):
  then they are marked absent in the same transaction, by the signer.
- Minutes: under a course's minutes rule, a late or left-early mark without its minutes
  cannot be counted honestly (`completion_rules.needs_minutes`), so sign-off is refused
  naming those learners the same way (`minutes_missing` in `extra`); counting them absent
  does not help, typing their minutes does.

It locks the session row, then its confirmed registrations in primary-key order, so a mark
racing with the sign-off either lands before it (and counts) or waits and then needs a
reason. Outcomes are written in the same transaction and returned, so callers
(certifications, xAPI statements) act on exactly what changed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from http import HTTPStatus

from django.contrib.auth.models import User
from django.db import transaction
from django.utils.translation import gettext as _

from attendance.access import may_sign_off
from attendance.models import (
    AttendanceRecord,
    AttendanceSignOff,
    AttendanceSource,
    AttendanceStatus,
    Registration,
    RegistrationStatus,
)
from attendance.services.completion_rules import Attended, needs_minutes
from attendance.services.marking import Mark, attendance_mark
from attendance.services.outcomes import CompletionChange, completions_derive_locked
from scheduling.models import (
    BlockStatus,
    CompletionRule,
    Session,
    SessionBlock,
    SessionStatus,
)
from tms.exceptions import DomainError, InvalidTransition

# How many unmarked learners the refusal's message names (all of them are in `extra`).
NAMED_IN_MESSAGE = 5


class AttendanceIncomplete(DomainError):
    """Some confirmed learners have no record in some block: sign-off waits for them (or for
    the caller to count them absent)."""

    status_code = HTTPStatus.CONFLICT
    code = "attendance_incomplete"


@dataclass(frozen=True)
class Unmarked:
    """A learner and a block whose mark is missing (or, for `minutes_missing_in`, whose late
    or left-early mark lacks its minutes)."""

    registration_id: int
    learner_id: int
    learner: str
    block_id: int
    block_starts_at: dt.datetime


@dataclass(frozen=True)
class SignedOff:
    """What sign-off did: the sign-off row, the completions created or changed (one per
    confirmed registration the first time), and the records it marked absent."""

    sign_off: AttendanceSignOff
    completions: list[CompletionChange] = field(default_factory=list)
    marked_absent: list[AttendanceRecord] = field(default_factory=list)


def _name(user: User) -> str:
    return str(user.get_full_name() or user.get_username())


def _confirmed_with_attendance(session_id: int) -> tuple[list[SessionBlock], list[Registration]]:
    """The session's active blocks in order, and its confirmed registrations by learner name
    with their learner and records. Two queries."""
    blocks = list(
        SessionBlock.objects.filter(session_id=session_id, status=BlockStatus.ACTIVE).order_by(
            "starts_at", "pk"
        )
    )
    registrations = list(
        Registration.objects.filter(session_id=session_id, status=RegistrationStatus.CONFIRMED)
        .select_related("learner")
        .prefetch_related("attendance")
        .order_by("learner__last_name", "learner__first_name", "pk")
    )
    return blocks, registrations


def _gap(registration: Registration, block: SessionBlock) -> Unmarked:
    return Unmarked(
        registration_id=registration.pk,
        learner_id=registration.learner_id,
        learner=_name(registration.learner),
        block_id=block.pk,
        block_starts_at=block.starts_at,
    )


def unmarked_in(session_id: int) -> list[Unmarked]:
    """Confirmed learners without a record in an active block of the session, by block then
    learner. Two queries."""
    blocks, registrations = _confirmed_with_attendance(session_id)
    return [
        _gap(registration, block)
        for block in blocks
        for registration in registrations
        if not any(r.block_id == block.pk for r in registration.attendance.all())
    ]


def minutes_missing_in(session_id: int, rule: str) -> list[Unmarked]:
    """Under the minutes rule (`rule`, the course's), confirmed learners whose late or
    left-early record in an active block has no minutes, by block then learner. No query
    under the every-block rule, else two."""
    if rule != CompletionRule.MINUTES:
        return []
    blocks, registrations = _confirmed_with_attendance(session_id)
    return [
        _gap(registration, block)
        for block in blocks
        for registration in registrations
        for record in registration.attendance.all()
        if record.block_id == block.pk
        and needs_minutes(rule, Attended(record.status, record.minutes_attended))
    ]


def _named(gaps: list[Unmarked]) -> str:
    names = list(dict.fromkeys(gap.learner for gap in gaps))
    shown = ", ".join(names[:NAMED_IN_MESSAGE])
    if len(names) > NAMED_IN_MESSAGE:
        shown += " " + _("and %(n)d more") % {"n": len(names) - NAMED_IN_MESSAGE}
    return shown


def _ids(gaps: list[Unmarked]) -> list[dict[str, int]]:
    return [
        {"registration_id": g.registration_id, "learner_id": g.learner_id, "block_id": g.block_id}
        for g in gaps
    ]


def _refuse_incomplete(
    missing: list[Unmarked], minutes_missing: list[Unmarked]
) -> AttendanceIncomplete:
    """The refusal naming who is unmarked (`missing`) and whose late or left-early marks lack
    minutes (`minutes_missing`); either list may be empty, not both."""
    problems = []
    fields: dict[str, list[str]] = {}
    if missing:
        unmarked_message = _(
            "%(n)d attendance mark(s) are missing (%(who)s). Mark them, or count everyone "
            "unmarked as absent."
        ) % {"n": len(missing), "who": _named(missing)}
        problems.append(unmarked_message)
        fields["absent_unmarked"] = [unmarked_message]
    if minutes_missing:
        minutes_message = _(
            "This course completes by minutes attended: %(n)d late or left-early mark(s) "
            "need their minutes (%(who)s)."
        ) % {"n": len(minutes_missing), "who": _named(minutes_missing)}
        problems.append(minutes_message)
        fields["minutes_attended"] = [minutes_message]
    return AttendanceIncomplete(
        " ".join(problems),
        fields=fields,
        extra={"unmarked": _ids(missing), "minutes_missing": _ids(minutes_missing)},
    )


def attendance_sign_off(
    *,
    session_id: int,
    by: User,
    now: dt.datetime,
    absent_unmarked: bool = False,
) -> SignedOff:
    """Submit the session's attendance and derive every confirmed registration's completion
    (see the module's rules). Raises `Session.DoesNotExist` for an unknown session,
    `InvalidTransition` (409) when it is not the signer's to submit, not over, or already
    signed off, and `AttendanceIncomplete` (409) when marks are missing (and not counted
    absent) or, under the minutes rule, late or left-early marks lack their minutes."""
    # Not durable: the compliance app wraps this call to issue certifications in the same
    # transaction as the completions they follow from.
    with transaction.atomic():
        session = (
            Session.objects.select_for_update(of=("self",))
            .select_related("course")
            .get(pk=session_id)
        )
        if not may_sign_off(by, session):
            raise InvalidTransition(
                _("Only the session's lead instructor (or a coordinator) signs off attendance.")
            )
        if session.status not in (SessionStatus.SCHEDULED, SessionStatus.COMPLETED):
            raise InvalidTransition(
                _("Only a scheduled or completed session has attendance to sign off.")
            )
        if AttendanceSignOff.objects.filter(session=session).exists():
            raise InvalidTransition(
                _("Attendance is already signed off; change a mark with a reason instead.")
            )
        blocks = list(SessionBlock.objects.filter(session=session, status=BlockStatus.ACTIVE))
        if not blocks:
            raise InvalidTransition(_("This session has no blocks to take attendance in."))
        if any(block.ends_at > now for block in blocks):
            raise InvalidTransition(_("Attendance is signed off once every block has ended."))
        registrations = list(
            Registration.objects.select_for_update()
            .filter(session=session, status=RegistrationStatus.CONFIRMED)
            .order_by("pk")
        )
        missing = unmarked_in(session.pk)
        minutes_missing = minutes_missing_in(session.pk, session.course.completion_rule)
        absent: list[AttendanceRecord] = []
        if minutes_missing or (missing and not absent_unmarked):
            raise _refuse_incomplete([] if absent_unmarked else missing, minutes_missing)
        by_id = {registration.pk: registration for registration in registrations}
        by_block = {block.pk: block for block in blocks}
        for gap in missing:
            absent.append(
                attendance_mark(
                    registration=by_id[gap.registration_id],
                    block=by_block[gap.block_id],
                    mark=Mark(AttendanceStatus.ABSENT),
                    source=AttendanceSource.ROSTER,
                    recorded_by=by,
                    now=now,
                )
            )
        sign_off = AttendanceSignOff.objects.create(
            session=session, signed_off_by=by, signed_off_at=now
        )
        completions = completions_derive_locked(
            session=session, registrations=registrations, recorded_by=by, now=now
        )
    return SignedOff(sign_off=sign_off, completions=completions, marked_absent=absent)
