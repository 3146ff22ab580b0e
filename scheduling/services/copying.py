"""Copy a session to a new start date: same course and settings, the blocks shifted by whole
days in the session's zone, the room and instructors kept where they are free then.

The copy is planned here and created by `session_create` (so every rule of a new session holds);
`session_copy_plan` says what can be kept and why the rest is left out, `session_copy` creates
the draft when nothing needs a choice from the coordinator.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass, field

from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from instructors.models import Instructor
from scheduling.models import (
    BlockStatus,
    DeliveryMode,
    InstructorAssignment,
    Session,
    SessionBlock,
    SessionStatus,
)
from scheduling.services.availability import (
    EXCLUDING_WARNINGS,
    instructors_for_session,
    rooms_for_session,
)
from scheduling.services.planning import (
    Finding,
    Proposal,
    ProposedBlock,
    ProposedInstructor,
    Report,
    check_host_account,
)
from scheduling.services.sessions import SessionInput, session_create
from tms.exceptions import RuleViolation
from tms.timezones import local_instant
from venues.models import HostAccount, Room


@dataclass(frozen=True)
class CopiedBlock:
    """A block of the copy as wall-clock times in the session's zone, and its instants."""

    day: dt.date
    starts: dt.time
    ends: dt.time
    starts_at: dt.datetime
    ends_at: dt.datetime
    room: Room | None


@dataclass
class CopyPlan:
    source: Session
    blocks: list[CopiedBlock]
    instructors: list[ProposedInstructor]
    host_account: HostAccount | None = None
    # The registration window moved with the blocks (None: open / closed by default).
    registration_opens_at: dt.datetime | None = None
    registration_closes_at: dt.datetime | None = None
    # What the copy leaves out and why (a room or instructor not free then), for the reader.
    dropped: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        """Whether the copy has everything a session needs (a room for every block of a room
        session, a host account for a video call): then it can be saved as it is."""
        if self.source.delivery_mode == DeliveryMode.VILT:
            return self.host_account is not None
        return all(b.room is not None for b in self.blocks)

    def to_input(self) -> SessionInput:
        source = self.source
        return SessionInput(
            course=source.course,
            delivery_mode=source.delivery_mode,
            capacity=source.capacity,
            min_attendees=source.min_attendees,
            time_zone=source.time_zone,
            blocks=[
                ProposedBlock(b.starts_at, b.ends_at, b.room, index=i)
                for i, b in enumerate(self.blocks)
            ],
            instructors=self.instructors,
            host_account=self.host_account,
            notes=source.notes,
            registration_opens_at=self.registration_opens_at,
            registration_closes_at=self.registration_closes_at,
            wanted_features=list(source.wanted_features),
            status=SessionStatus.DRAFT,
        )


def _shifted_blocks(source: Session, first_day: dt.date) -> list[CopiedBlock]:
    """The source's active blocks moved by whole days so that the first one falls on
    `first_day`: the same wall-clock times and the same gaps in days, in the session's zone,
    whatever clock change lies between (instants are recomputed from the wall times)."""
    zone = zoneinfo.ZoneInfo(source.time_zone)
    active = sorted(
        (b for b in source.blocks.all() if b.status == BlockStatus.ACTIVE),
        key=lambda b: b.starts_at,
    )
    if not active:
        raise RuleViolation(
            _("Session #%s has no active block to copy.") % source.pk,
            fields={"first_day": [_("The session has no active block.")]},
        )
    shift = first_day - active[0].starts_at.astimezone(zone).date()
    copied = []
    for block in active:
        start = block.starts_at.astimezone(zone)
        end = block.ends_at.astimezone(zone)
        day, end_day = start.date() + shift, end.date() + shift
        copied.append(
            CopiedBlock(
                day=day,
                starts=start.time(),
                ends=end.time(),
                starts_at=local_instant(day, start.time(), source.time_zone, field="first_day"),
                ends_at=local_instant(end_day, end.time(), source.time_zone, field="first_day"),
                room=block.room,
            )
        )
    return copied


def session_copy_plan(*, source: Session, first_day: dt.date, now: dt.datetime) -> CopyPlan:
    """Plan the copy of `source` (its blocks, rooms and assignments prefetched) starting on
    `first_day` (a date in the session's zone). A room not free for a block, or an instructor
    not free for the whole copy, is left out with the reason. Reads only; fixed query count."""
    blocks = _shifted_blocks(source, first_day)
    if blocks[0].starts_at < now:
        raise RuleViolation(
            _("The copy would start in the past."),
            fields={"first_day": [_("Choose a day from today on.")]},
        )
    times = [(b.starts_at, b.ends_at) for b in blocks]
    dropped: list[str] = []
    kept_blocks = blocks
    if source.delivery_mode == DeliveryMode.ILT:
        kept_blocks = []
        rooms = {b.room.pk: b.room for b in blocks if b.room is not None}
        # Each room is asked about the blocks it held, in one query for all rooms.
        verdicts = {
            c.pk: c
            for c in rooms_for_session(
                blocks=times,
                time_zone=source.time_zone,
                capacity=source.capacity,
                rooms=Room.objects.select_related("site").filter(pk__in=rooms),
            )
        }
        for index, block in enumerate(blocks):
            if block.room is None:
                kept_blocks.append(block)
                continue
            reasons = [
                r.message
                for r in verdicts[block.room.pk].reasons
                if r.field in (f"blocks[{index}].room", "blocks")
                and (r.code != "room_closed" or _closure_meets(r, block))
            ]
            if reasons:
                dropped.extend(reasons)
                kept_blocks.append(
                    CopiedBlock(
                        block.day, block.starts, block.ends, block.starts_at, block.ends_at, None
                    )
                )
            else:
                kept_blocks.append(block)
    assigned = list(source.assignments.all())
    verdicts_people = {
        c.pk: c
        for c in instructors_for_session(
            course=source.course,
            blocks=times,
            time_zone=source.time_zone,
            rooms=[b.room for b in kept_blocks],
            people=_people(assigned),
        )
    }
    instructors = []
    for assignment in assigned:
        verdict = verdicts_people.get(assignment.instructor_id)
        # Not free (booked, away, not qualified then, inactive) leaves them out; a weekly
        # load over the limit is the planner's warning, which the created copy reports.
        refusals = [
            r.message
            for r in (verdict.reasons if verdict else [])
            if r.code not in EXCLUDING_WARNINGS
        ]
        if verdict is None:
            dropped.append(_("%s is no longer an active instructor.") % assignment.instructor)
        elif refusals:
            dropped.extend(refusals)
        else:
            instructors.append(ProposedInstructor(assignment.instructor, assignment.role))
    host_account = _free_host_account(source, blocks, dropped)
    shift = blocks[0].day - _first_active(source).starts_at.astimezone(_zone(source)).date()
    return CopyPlan(
        source,
        kept_blocks,
        instructors,
        host_account,
        registration_opens_at=_moved(source.registration_opens_at, shift, source.time_zone),
        registration_closes_at=_moved(source.registration_closes_at, shift, source.time_zone),
        dropped=_unique(dropped),
    )


def _zone(source: Session) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(source.time_zone)


def _first_active(source: Session) -> SessionBlock:
    return min(
        (b for b in source.blocks.all() if b.status == BlockStatus.ACTIVE),
        key=lambda b: b.starts_at,
    )


def _moved(moment: dt.datetime | None, shift: dt.timedelta, zone: str) -> dt.datetime | None:
    """`moment` moved by whole days in `zone`, keeping its wall-clock time."""
    if moment is None:
        return None
    local = moment.astimezone(zoneinfo.ZoneInfo(zone))
    return local_instant(local.date() + shift, local.time(), zone, field="first_day")


def _free_host_account(
    source: Session, blocks: list[CopiedBlock], dropped: list[str]
) -> HostAccount | None:
    """The source's host account if it is free for the copy's blocks (else the reason is added
    to `dropped`)."""
    if source.delivery_mode != DeliveryMode.VILT or source.host_account is None:
        return None
    report = Report()
    check_host_account(
        Proposal(
            course=source.course,
            delivery_mode=source.delivery_mode,
            capacity=source.capacity,
            time_zone=source.time_zone,
            blocks=[ProposedBlock(b.starts_at, b.ends_at, index=i) for i, b in enumerate(blocks)],
            host_account=source.host_account,
        ),
        report,
    )
    dropped.extend(f.message for f in report.errors)
    return None if report.errors else source.host_account


def _closure_meets(finding: Finding, block: CopiedBlock) -> bool:
    detail = finding.detail or {}
    starts = dt.datetime.fromisoformat(detail["starts_at"])
    ends = dt.datetime.fromisoformat(detail["ends_at"])
    room = block.room
    if room is None:  # pragma: no cover - only blocks with a room are asked
        return False
    held_from = block.starts_at - dt.timedelta(minutes=room.setup_buffer_minutes)
    held_to = block.ends_at + dt.timedelta(minutes=room.teardown_buffer_minutes)
    return starts < held_to and ends > held_from


def _people(assigned: list[InstructorAssignment]) -> QuerySet[Instructor]:
    return Instructor.objects.select_related("user").filter(
        pk__in=[a.instructor_id for a in assigned]
    )


def _unique(messages: list[str]) -> list[str]:
    return list(dict.fromkeys(messages))


def session_copy(
    *, plan: CopyPlan, created_by: User | None = None, now: dt.datetime | None = None
) -> tuple[Session, list[Finding]]:
    """Create the planned copy as a draft through `session_create` (all its rules, locks and
    constraints). Returns the session and the planner's warnings."""
    data = plan.to_input()
    session = session_create(data=data, created_by=created_by, now=now or timezone.now())
    return session, data.warnings
