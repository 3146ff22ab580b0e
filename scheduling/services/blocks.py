"""Edit a session per block (move, re-room, cancel, restore, add) and its instructors.

Every edit locks the session row, re-checks the whole resulting schedule of the touched blocks
and rewrites their bookings in the same transaction: a rejected edit leaves everything as it
was. The VILT join link never changes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from instructors.models import Instructor
from scheduling.models import (
    EDITABLE_STATUSES,
    BlockStatus,
    InstructorAssignment,
    InstructorBooking,
    Session,
    SessionBlock,
)
from scheduling.services.booking import (
    book_blocks_locked,
    constraint_guard,
    lock_session,
    raise_for_report,
    retry_once_on_lock_timeout,
    unbook_blocks,
)
from scheduling.services.instructor_invites import (
    InviteReason,
    instructor_cancels_enqueue_locked,
    instructor_invites_enqueue_locked,
)
from scheduling.services.planning import (
    Finding,
    Proposal,
    ProposedBlock,
    ProposedInstructor,
    block_range,
)
from tms.exceptions import InvalidTransition, RuleViolation
from venues.models import Room


def proposal_for_session(
    session: Session,
    *,
    blocks: Sequence[SessionBlock] | None = None,
    instructors: Sequence[ProposedInstructor] | None = None,
) -> Proposal:
    """The session as it would be with `blocks` (default: its active blocks). Blocks already
    in the past are history, not a mistake: callers check the times they change themselves.
    The course's own rules (active, offered in this mode) guarded the session's creation and
    are not asked again: edits never change the course or the mode."""
    if blocks is None:
        blocks = list(session.blocks.filter(status=BlockStatus.ACTIVE).select_related("room"))
    if instructors is None:
        instructors = [
            ProposedInstructor(a.instructor, a.role)
            for a in session.assignments.select_related("instructor__user")
        ]
    return Proposal(
        course=session.course,
        delivery_mode=session.delivery_mode,
        capacity=session.capacity,
        time_zone=session.time_zone,
        blocks=[
            ProposedBlock(b.starts_at, b.ends_at, b.room, index=i) for i, b in enumerate(blocks)
        ],
        instructors=instructors,
        host_account=session.host_account,
        wanted_features=session.wanted_features,
        session_id=session.pk,
        check_past=False,
        check_course=False,
    )


def require_editable(session: Session) -> None:
    """Refuse any change to a session that is over (completed) or cancelled."""
    if session.status not in EDITABLE_STATUSES:
        raise InvalidTransition(
            _("A %s session cannot be edited.") % session.get_status_display().lower()
        )


def refresh_span_locked(session: Session, *, now: dt.datetime | None = None) -> None:
    """Recompute the session's span and bump its schedule version (lock held); every
    assigned instructor is sent the new version of their invite."""
    active = session.blocks.filter(status=BlockStatus.ACTIVE).order_by("starts_at")
    first, last = active.first(), active.order_by("-ends_at").first()
    session.starts_at = first.starts_at if first else None
    session.ends_at = last.ends_at if last else None
    session.schedule_version += 1
    session.save(update_fields=["starts_at", "ends_at", "schedule_version", "updated_at"])
    instructor_invites_enqueue_locked(session, reason=InviteReason.RESCHEDULED, now=now)


@dataclass(frozen=True)
class BlockChange:
    """New times and/or room for one existing block (None keeps the current value)."""

    block_id: int
    starts_at: dt.datetime | None = None
    ends_at: dt.datetime | None = None
    room: Room | None = None


def apply_block_changes(
    blocks: dict[int, SessionBlock], changes: Sequence[BlockChange], *, now: dt.datetime
) -> list[SessionBlock]:
    """Apply `changes` to the session's `blocks` (by pk) in memory, refusing unknown,
    repeated or cancelled blocks and moves into the past; returns the touched blocks. Nothing
    is saved or checked against resources: the caller evaluates the result."""
    touched: list[SessionBlock] = []
    seen: set[int] = set()
    for change in changes:
        if change.block_id in seen:
            raise RuleViolation(
                _("Block %s is changed more than once.") % change.block_id,
                fields={"block": [_("Change each block once.")]},
            )
        seen.add(change.block_id)
        block = blocks.get(change.block_id)
        if block is None:
            raise RuleViolation(
                _("Block %s is not part of this session.") % change.block_id,
                fields={"block": [_("Unknown block.")]},
            )
        if not block.is_active:
            raise InvalidTransition(_("Restore the cancelled block before changing it."))
        moved = change.starts_at is not None or change.ends_at is not None
        block.starts_at = change.starts_at or block.starts_at
        block.ends_at = change.ends_at or block.ends_at
        if change.room is not None:
            block.room = change.room
        touched.append(block)
        if moved and block.starts_at < now:
            raise RuleViolation(
                _("A block cannot be moved into the past."),
                fields={"starts_at": [_("In the past.")]},
            )
    return touched


@retry_once_on_lock_timeout
def session_reschedule(
    *, session_id: int, changes: Sequence[BlockChange], now: dt.datetime | None = None
) -> tuple[Session, list[Finding]]:
    """Move and/or re-room blocks of a session, all or nothing.

    Locks the session, re-checks every touched block against rooms, host account and
    instructors (the session's own bookings never conflict with it), then rewrites the touched
    blocks' bookings. New times may not lie in the past.
    """
    now = now or timezone.now()
    with transaction.atomic(durable=True):
        session = lock_session(session_id)
        require_editable(session)
        blocks = {b.pk: b for b in session.blocks.select_related("room")}
        touched = apply_block_changes(blocks, changes, now=now)
        active = [b for b in blocks.values() if b.is_active]
        warnings = _check_and_rebook(session, active, touched, now=now)
    return session, warnings


def _check_and_rebook(
    session: Session, active: list[SessionBlock], touched: list[SessionBlock], *, now: dt.datetime
) -> list[Finding]:
    """Check the session with its `active` blocks; rebook the `touched` ones. Lock held."""

    def proposal() -> Proposal:
        checked = proposal_for_session(session, blocks=active)
        return checked

    full = proposal()
    warnings = raise_for_report(full, now=now)
    ids = [b.pk for b in touched]
    unbook_blocks(ids)
    for block in touched:
        block.save()
    with constraint_guard(proposal, now=now):
        book_blocks_locked(session, touched, list(session.assignments.all()))
    refresh_span_locked(session, now=now)
    return warnings


@retry_once_on_lock_timeout
def block_cancel(*, session_id: int, block_id: int, reason: str) -> SessionBlock:
    """Cancel one block and free its bookings; the last active block cannot be cancelled."""
    with transaction.atomic(durable=True):
        session = lock_session(session_id)
        require_editable(session)
        block = _block_of(session, block_id)
        if not block.is_active:
            raise InvalidTransition(_("This block is already cancelled."))
        if not session.blocks.filter(status=BlockStatus.ACTIVE).exclude(pk=block.pk).exists():
            raise RuleViolation(
                _("This is the session's only block: cancel the session instead."),
                fields={"block": [_("Last active block.")]},
            )
        if not reason.strip():
            raise RuleViolation(
                _("Give a reason for cancelling."), fields={"reason": [_("Required.")]}
            )
        unbook_blocks([block.pk])
        block.status = BlockStatus.CANCELLED
        block.cancellation_reason = reason.strip()
        block.save(update_fields=["status", "cancellation_reason", "updated_at"])
        refresh_span_locked(session)
    return block


@retry_once_on_lock_timeout
def block_restore(
    *, session_id: int, block_id: int, now: dt.datetime | None = None
) -> tuple[SessionBlock, list[Finding]]:
    """Restore a cancelled block if its slot (room, host account, instructors) is still free."""
    now = now or timezone.now()
    with transaction.atomic(durable=True):
        session = lock_session(session_id)
        require_editable(session)
        block = _block_of(session, block_id)
        if block.is_active:
            raise InvalidTransition(_("This block is not cancelled."))
        if block.starts_at < now:
            raise RuleViolation(_("A block in the past cannot be restored."))
        block.status = BlockStatus.ACTIVE
        block.cancellation_reason = ""
        active = [*session.blocks.filter(status=BlockStatus.ACTIVE).select_related("room"), block]
        warnings = _check_and_rebook(session, active, [block], now=now)
    return block, warnings


@retry_once_on_lock_timeout
def block_add(
    *,
    session_id: int,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    room: Room | None = None,
    now: dt.datetime | None = None,
) -> tuple[SessionBlock, list[Finding]]:
    """Add a dated block to a session, booking its room/host account and instructors."""
    now = now or timezone.now()
    with transaction.atomic(durable=True):
        session = lock_session(session_id)
        require_editable(session)
        if starts_at < now:
            raise RuleViolation(
                _("A new block cannot lie in the past."), fields={"starts_at": [_("In the past.")]}
            )
        block = SessionBlock(session=session, starts_at=starts_at, ends_at=ends_at, room=room)
        active = [*session.blocks.filter(status=BlockStatus.ACTIVE).select_related("room"), block]
        full = proposal_for_session(session, blocks=active)
        if ends_at <= starts_at:
            raise RuleViolation(
                _("A block must end after it starts."), fields={"ends_at": [_("Before the start.")]}
            )
        warnings = raise_for_report(full, now=now)
        block.save()
        with constraint_guard(lambda: full, now=now):
            book_blocks_locked(session, [block], list(session.assignments.all()))
        refresh_span_locked(session, now=now)
    return block, warnings


def _block_of(session: Session, block_id: int) -> SessionBlock:
    try:
        return session.blocks.select_related("room").get(pk=block_id)
    except SessionBlock.DoesNotExist:
        raise RuleViolation(
            _("Block %s is not part of this session.") % block_id,
            fields={"block": [_("Unknown block.")]},
        ) from None


@retry_once_on_lock_timeout
def session_assign_instructor(
    *, session_id: int, instructor: Instructor, role: str, now: dt.datetime | None = None
) -> tuple[InstructorAssignment, list[Finding]]:
    """Assign an instructor to every active block (qualification, availability, conflicts)."""
    now = now or timezone.now()
    with transaction.atomic(durable=True):
        session = lock_session(session_id)
        require_editable(session)
        current = list(session.assignments.select_related("instructor__user"))
        people = [ProposedInstructor(a.instructor, a.role) for a in current]
        people.append(ProposedInstructor(instructor, role))
        blocks = list(session.blocks.filter(status=BlockStatus.ACTIVE).select_related("room"))
        upcoming = [b for b in blocks if b.ends_at > now]

        def proposal() -> Proposal:
            checked = proposal_for_session(session, blocks=upcoming, instructors=people)
            checked.check_rooms = checked.check_host_account = False
            return checked

        warnings = raise_for_report(proposal(), now=now)
        assignment = InstructorAssignment.objects.create(
            session=session, instructor=instructor, role=role
        )
        with constraint_guard(proposal, now=now):
            InstructorBooking.objects.bulk_create(
                [
                    InstructorBooking(
                        session=session,
                        assignment=assignment,
                        block=b,
                        instructor=instructor,
                        during=block_range(b.starts_at, b.ends_at),
                    )
                    for b in upcoming
                ]
            )
        instructor_invites_enqueue_locked(
            session, reason=InviteReason.ASSIGNED, assignments=[assignment], now=now
        )
    return assignment, warnings


@retry_once_on_lock_timeout
def session_unassign_instructor(
    *, session_id: int, assignment_id: int, now: dt.datetime | None = None
) -> None:
    """Remove an instructor from a session, freeing their bookings; they are sent a CANCEL of
    their events in the same transaction."""
    with transaction.atomic(durable=True):
        session = lock_session(session_id)
        require_editable(session)
        assignment = (
            InstructorAssignment.objects.filter(pk=assignment_id, session=session)
            .select_related("instructor__user")
            .first()
        )
        if assignment is None:
            raise RuleViolation(
                _("That instructor is not assigned to this session."),
                fields={"assignment": [_("Unknown assignment.")]},
            )
        instructor_cancels_enqueue_locked(
            session, reason=InviteReason.REMOVED, assignments=[assignment], now=now
        )
        assignment.delete()
