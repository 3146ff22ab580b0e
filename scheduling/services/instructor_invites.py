"""Instructors hear about their teaching: calendar invites queued in the changing transaction.

- Assignment (a new session with instructors, or an instructor added): a REQUEST.
- Any change of the schedule (a block moved, re-roomed, added, cancelled or restored): every
  assigned instructor gets a REQUEST at the new `schedule_version`.
- Removal, or the session cancelled: a CANCEL of the assignment's events.

The invite's SEQUENCE is the session's `schedule_version` for a REQUEST, so each reschedule
replaces the previous one; a CANCEL carries the version at the time plus one (a change of
STATUS must raise SEQUENCE, RFC 5545 3.8.7.4; the learners' cancellations do the same). The
UIDs are `block_uid(block, "a<assignment id>")`, as in the instructor's feed.

Each helper expects the caller's transaction with the session row locked (`*_locked`): the
rows are written with the change or not at all. The event keys include the version, so a
repeat writes nothing; what is sent is built at send time (scheduling/emails.py), where a
REQUEST whose version is no longer the session's is skipped as superseded.

Sessions are only cancelled through `session_transition` (the admin is view-only); a raw SQL
update of the status would cancel the learners (their trigger) but queue no instructor CANCEL.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from enum import StrEnum

from django.contrib.auth.models import User
from django.utils.translation import gettext as _

from instructors.models import Instructor
from notifications import events
from notifications.services import MessageSpec, messages_enqueue
from scheduling.models import InstructorAssignment, Session

INVITE_TEMPLATE = "instructor_invite"
CANCEL_TEMPLATE = "instructor_cancel"


class InviteReason(StrEnum):
    """Why an instructor is sent an invite; the email's wording follows it."""

    ASSIGNED = "assigned"
    RESCHEDULED = "rescheduled"
    REMOVED = "removed"
    SESSION_CANCELLED = "session_cancelled"


def _rule(reason: InviteReason) -> str:
    """The ledger's "why" of the message."""
    return {
        InviteReason.ASSIGNED: _("instructor assigned"),
        InviteReason.RESCHEDULED: _("session rescheduled (instructor)"),
        InviteReason.REMOVED: _("instructor removed"),
        InviteReason.SESSION_CANCELLED: _("session cancelled (instructor)"),
    }[reason]


def _with_people(
    session: Session, assignments: Iterable[InstructorAssignment] | None
) -> list[InstructorAssignment]:
    """The assignments with each instructor's user loaded: one query for all of them, not one
    per instructor (a new session's assignments arrive without their users)."""
    if assignments is None:
        return list(session.assignments.select_related("instructor__user"))
    rows = list(assignments)
    unloaded = [a.instructor for a in rows if not Instructor.user.is_cached(a.instructor)]
    if unloaded:
        users = User.objects.in_bulk({person.user_id for person in unloaded})
        for person in unloaded:
            person.user = users[person.user_id]
    return rows


def instructor_invites_enqueue_locked(
    session: Session,
    *,
    reason: InviteReason,
    assignments: Iterable[InstructorAssignment] | None = None,
    now: dt.datetime | None = None,
) -> int:
    """Queue a REQUEST at the session's current schedule version for `assignments` (default:
    every instructor of the session). Session row locked by the caller; returns rows written."""
    version = session.schedule_version
    specs = [
        MessageSpec(
            address=a.instructor.user.email,
            recipient_id=a.instructor.user_id,
            event_key=events.instructor_invite(a.pk, version),
            template=INVITE_TEMPLATE,
            rule=_rule(reason),
            context={
                "assignment_id": a.pk,
                "session_id": session.pk,
                "version": version,
                "reason": str(reason),
            },
        )
        for a in _with_people(session, assignments)
    ]
    return messages_enqueue(specs, now=now)


def instructor_cancels_enqueue_locked(
    session: Session,
    *,
    reason: InviteReason,
    assignments: Iterable[InstructorAssignment] | None = None,
    now: dt.datetime | None = None,
) -> int:
    """Queue a CANCEL of every block the instructors were invited to (the session's blocks as
    they are now; none is ever deleted). Call before the assignments are deleted; session row
    locked by the caller. The facts are kept in the message, as the assignment may be gone by
    the time it is sent."""
    block_ids = list(session.blocks.order_by("starts_at", "pk").values_list("pk", flat=True))
    sequence = session.schedule_version + 1
    specs = [
        MessageSpec(
            address=a.instructor.user.email,
            recipient_id=a.instructor.user_id,
            event_key=events.instructor_cancel(a.pk),
            template=CANCEL_TEMPLATE,
            rule=_rule(reason),
            context={
                "assignment_id": a.pk,
                "session_id": session.pk,
                "block_ids": block_ids,
                "sequence": sequence,
                "role": a.role,
                "reason": str(reason),
            },
        )
        for a in _with_people(session, assignments)
    ]
    return messages_enqueue(specs, now=now)
