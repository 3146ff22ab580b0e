"""Move a block and change the session's instructors in one go (the timeline's move form).

One transaction, one check: the block's new time and room (the same validation as
`session_reschedule`) and the final instructors (the lead and the co-facilitators as chosen)
make one proposal, evaluated once by `planning.evaluate` (through `raise_for_report`); only
then is anything written. Refused, nothing changes: neither the time nor the instructors, and
no invite is queued. Accepted, bookings follow, and the instructors hear of it in the same
transaction: a removed instructor gets a CANCEL, a new one a REQUEST (ASSIGNED), the others a
REQUEST at the new schedule version when the block moved or changed room.
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
    AssignmentRole,
    InstructorAssignment,
    InstructorBooking,
    Session,
)
from scheduling.services.blocks import (
    BlockChange,
    apply_block_changes,
    proposal_for_session,
    refresh_span_locked,
    require_editable,
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
from scheduling.services.planning import Finding, Proposal, ProposedInstructor, block_range
from tms.exceptions import RuleViolation


@dataclass(frozen=True)
class Staffing:
    """The instructors a session should have after the change."""

    lead: Instructor | None
    co_facilitators: Sequence[Instructor] = ()

    def people(self) -> list[ProposedInstructor]:
        people = [ProposedInstructor(self.lead, AssignmentRole.LEAD)] if self.lead else []
        people += [
            ProposedInstructor(p, AssignmentRole.CO_FACILITATOR) for p in self.co_facilitators
        ]
        return people


def _check_staffing(staffing: Staffing) -> None:
    co_ids = [p.pk for p in staffing.co_facilitators]
    if len(set(co_ids)) != len(co_ids):
        raise RuleViolation(
            _("Choose each co-facilitator once."),
            fields={"co_facilitators": [_("Chosen more than once.")]},
        )
    if staffing.lead is not None and staffing.lead.pk in co_ids:
        raise RuleViolation(
            _("The lead instructor is already assigned."),
            fields={"co_facilitators": [_("The lead instructor is already assigned.")]},
        )


@retry_once_on_lock_timeout
def session_block_move(
    *,
    session_id: int,
    change: BlockChange,
    staffing: Staffing | None = None,
    now: dt.datetime | None = None,
) -> tuple[Session, list[Finding]]:
    """Move and/or re-room one block and, with `staffing`, replace the instructors: all or
    nothing, checked once as a whole. Without `staffing` this is `session_reschedule` of one
    block. Locks the session row."""
    now = now or timezone.now()
    if staffing is not None:
        _check_staffing(staffing)
    with transaction.atomic(durable=True):
        session = lock_session(session_id)
        require_editable(session)
        blocks = {b.pk: b for b in session.blocks.select_related("room")}
        before = {pk: (b.starts_at, b.ends_at, b.room_id) for pk, b in blocks.items()}
        old = before.get(change.block_id)
        if old is not None and (change.starts_at, change.ends_at) == old[:2]:
            change = BlockChange(block_id=change.block_id, room=change.room)  # not moved
        touched = apply_block_changes(blocks, [change], now=now)
        moved = [b for b in touched if before[b.pk] != (b.starts_at, b.ends_at, b.room_id)]
        active = [b for b in blocks.values() if b.is_active]

        current = list(session.assignments.select_related("instructor__user"))
        wanted = staffing.people() if staffing is not None else None
        if wanted is None:
            wanted = [ProposedInstructor(a.instructor, a.role) for a in current]
        wanted_roles = {p.instructor.pk: p.role for p in wanted}
        removed = [a for a in current if a.instructor_id not in wanted_roles]
        kept = [a for a in current if a.instructor_id in wanted_roles]
        held = {a.instructor_id for a in current}
        added = [p for p in wanted if p.instructor.pk not in held]
        if (
            not moved
            and not removed
            and not added
            and all(a.role == wanted_roles[a.instructor_id] for a in kept)
        ):
            return session, []

        # New people are booked (and checked) for the blocks still to come, as when assigned
        # on the session page; a session's history is not re-checked.
        checked_blocks = active if not added else [b for b in active if b.ends_at > now]

        def proposal() -> Proposal:
            return proposal_for_session(session, blocks=checked_blocks, instructors=wanted)

        warnings = raise_for_report(proposal(), now=now)

        if removed:
            instructor_cancels_enqueue_locked(
                session, reason=InviteReason.REMOVED, assignments=removed, now=now
            )
            InstructorAssignment.objects.filter(pk__in=[a.pk for a in removed]).delete()
        # Demote before promoting: a session has one lead at a time.
        for a in sorted(kept, key=lambda a: wanted_roles[a.instructor_id] == AssignmentRole.LEAD):
            if a.role != wanted_roles[a.instructor_id]:
                a.role = wanted_roles[a.instructor_id]
                a.save(update_fields=["role"])
        if moved:
            unbook_blocks([b.pk for b in moved])
            for block in moved:
                block.save()
            with constraint_guard(proposal, now=now):
                book_blocks_locked(session, moved, kept)
            refresh_span_locked(session, now=now)  # REQUESTs at the new version for `kept`
        if added:
            new = [
                InstructorAssignment.objects.create(
                    session=session, instructor=p.instructor, role=p.role
                )
                for p in added
            ]
            upcoming = [b for b in active if b.ends_at > now]
            with constraint_guard(proposal, now=now):
                InstructorBooking.objects.bulk_create(
                    [
                        InstructorBooking(
                            session=session,
                            assignment=a,
                            block=b,
                            instructor=a.instructor,
                            during=block_range(b.starts_at, b.ends_at),
                        )
                        for a in new
                        for b in upcoming
                    ]
                )
            instructor_invites_enqueue_locked(
                session, reason=InviteReason.ASSIGNED, assignments=new, now=now
            )
    return session, warnings
