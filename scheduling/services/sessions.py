"""Create sessions, change their status and settings."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import Enum

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from notifications.services import kick_dispatcher_on_commit
from scheduling.models import (
    SESSION_TRANSITIONS,
    AssignmentRole,
    BlockStatus,
    Course,
    DeliveryMode,
    InstructorAssignment,
    Session,
    SessionBlock,
    SessionStatus,
)
from scheduling.services.blocks import proposal_for_session, require_editable
from scheduling.services.booking import (
    book_blocks_locked,
    constraint_guard,
    lock_session,
    raise_for_report,
    retry_once_on_lock_timeout,
    set_lock_timeout,
    unbook_blocks,
)
from scheduling.services.instructor_invites import (
    InviteReason,
    instructor_cancels_enqueue_locked,
    instructor_invites_enqueue_locked,
)
from scheduling.services.planning import (
    FINDINGS_OF_SETTING,
    Finding,
    Proposal,
    ProposedBlock,
    ProposedInstructor,
)
from tms.exceptions import InvalidTransition, RuleViolation
from tms.validators import validate_time_zone
from venues.models import HostAccount
from venues.providers import meeting_url_for


@dataclass
class SessionInput:
    """Everything a coordinator chooses when scheduling a session."""

    course: Course
    delivery_mode: str
    capacity: int
    time_zone: str
    blocks: Sequence[ProposedBlock]
    instructors: Sequence[ProposedInstructor] = ()
    host_account: HostAccount | None = None
    join_url: str = ""
    min_attendees: int = 0
    registration_opens_at: dt.datetime | None = None
    registration_closes_at: dt.datetime | None = None
    notes: str = ""
    wanted_features: Sequence[str] | None = None
    status: str = SessionStatus.DRAFT
    warnings: list[Finding] = field(default_factory=list)

    def proposal(self) -> Proposal:
        return Proposal(
            course=self.course,
            delivery_mode=self.delivery_mode,
            capacity=self.capacity,
            time_zone=self.time_zone,
            blocks=self.blocks,
            instructors=self.instructors,
            host_account=self.host_account,
            wanted_features=self._wanted_features(),
        )

    def _wanted_features(self) -> list[str]:
        if self.wanted_features is None:
            return list(self.course.wanted_room_features)
        return list(self.wanted_features)


def _check_inputs(data: SessionInput) -> None:
    fields: dict[str, list[str]] = {}
    if data.capacity < 1:
        fields["capacity"] = [_("Capacity must be at least 1.")]
    if data.min_attendees < 0 or data.min_attendees > data.capacity:
        fields["min_attendees"] = [_("Minimum attendees must be between 0 and the capacity.")]
    opens, closes = data.registration_opens_at, data.registration_closes_at
    if opens and closes and closes <= opens:
        fields["registration_closes_at"] = [_("Registration must close after it opens.")]
    try:
        validate_time_zone(data.time_zone)
    except ValidationError as error:
        fields["time_zone"] = list(error.messages)
    roles = {p.role for p in data.instructors}
    if not roles <= set(AssignmentRole.values):
        fields["instructors"] = [_("Role must be one of: %s.") % ", ".join(AssignmentRole.values)]
    if data.delivery_mode not in DeliveryMode.values:
        fields["delivery_mode"] = [_("Choose ILT or VILT.")]
    if data.status not in (SessionStatus.DRAFT, SessionStatus.SCHEDULED):
        fields["status"] = [_("A new session is a draft or scheduled.")]
    if fields:
        raise RuleViolation(next(iter(fields.values()))[0], fields=fields)


@retry_once_on_lock_timeout
def session_create(
    *,
    data: SessionInput,
    created_by: User | None = None,
    now: dt.datetime | None = None,
) -> Session:
    """Schedule a session with its blocks, room or host account, and instructors.

    Rules: see `planning.evaluate` (errors refuse, warnings are returned on `data.warnings`).
    Nothing is locked up front: the exclusion constraints serialise competing bookings, and a
    constraint violation from a race becomes the same 409 as a conflict found by the check.
    A rival still open after the lock timeout costs one retry, then `Busy`.
    """
    now = now or timezone.now()
    _check_inputs(data)
    with transaction.atomic(durable=True):
        set_lock_timeout()
        proposal = data.proposal()
        data.warnings = raise_for_report(proposal, now=now)
        if data.status == SessionStatus.SCHEDULED:
            _require_publishable(
                data.delivery_mode, data.blocks, data.instructors, data.host_account
            )
        blocks = sorted(data.blocks, key=lambda b: b.starts_at)
        session = Session.objects.create(
            course=data.course,
            delivery_mode=data.delivery_mode,
            status=data.status,
            capacity=data.capacity,
            min_attendees=data.min_attendees,
            registration_opens_at=data.registration_opens_at,
            registration_closes_at=data.registration_closes_at,
            time_zone=data.time_zone,
            notes=data.notes,
            wanted_features=proposal.wanted_features,
            host_account=data.host_account,
            join_url=_join_url(data),
            starts_at=blocks[0].starts_at,
            ends_at=max(b.ends_at for b in blocks),
            created_by=created_by,
        )
        rows = SessionBlock.objects.bulk_create(
            [
                SessionBlock(session=session, starts_at=b.starts_at, ends_at=b.ends_at, room=b.room)
                for b in blocks
            ]
        )
        assignments = InstructorAssignment.objects.bulk_create(
            [
                InstructorAssignment(session=session, instructor=p.instructor, role=p.role)
                for p in data.instructors
            ]
        )
        with constraint_guard(data.proposal, now=now):
            book_blocks_locked(session, rows, assignments)
        instructor_invites_enqueue_locked(
            session, reason=InviteReason.ASSIGNED, assignments=assignments, now=now
        )
    return session


def _join_url(data: SessionInput) -> str:
    if data.delivery_mode != DeliveryMode.VILT or data.host_account is None:
        return ""
    try:
        return meeting_url_for(data.host_account, manual_url=data.join_url)
    except ValueError as error:
        raise RuleViolation(str(error), fields={"join_url": [str(error)]}) from None


def _require_publishable(
    mode: str,
    blocks: Sequence[ProposedBlock | SessionBlock],
    instructors: Sequence[ProposedInstructor | InstructorAssignment],
    host_account: HostAccount | None,
) -> None:
    fields: dict[str, list[str]] = {}
    if not blocks:
        fields["blocks"] = [_("A scheduled session needs at least one block.")]
    if mode == DeliveryMode.ILT and any(b.room is None for b in blocks):
        fields["blocks"] = [_("Every block of a room session needs a room before publishing.")]
    if mode == DeliveryMode.VILT and host_account is None:
        fields["host_account"] = [_("A video-call session needs a host account before publishing.")]
    if not any(p.role == AssignmentRole.LEAD for p in instructors):
        fields["instructors"] = [_("Assign a lead instructor before publishing.")]
    if fields:
        raise RuleViolation(next(iter(fields.values()))[0], fields=fields)


@retry_once_on_lock_timeout
def session_transition(
    *,
    session_id: int,
    to_status: str,
    reason: str = "",
    now: dt.datetime | None = None,
) -> Session:
    """Move a session along draft → scheduled → completed, or cancel it (with a reason).

    Locks the session row. Cancelling frees every booking of every block in the same
    transaction, and the database cancels the session's registrations and queues the
    learners' messages in it too (attendance/sql/attendance_session_cancelled.sql); the
    instructors' CANCELs are queued here, in the same transaction (scheduling owns them).
    """
    now = now or timezone.now()
    with transaction.atomic(durable=True):
        session = lock_session(session_id)
        if to_status not in SESSION_TRANSITIONS.get(session.status, set()):
            raise InvalidTransition(
                _("A %(from)s session cannot become %(to)s.")
                % {"from": session.get_status_display().lower(), "to": to_status},
                fields={"status": [_("Not allowed from %s.") % session.status]},
            )
        active_blocks = list(session.blocks.filter(status=BlockStatus.ACTIVE))
        if to_status == SessionStatus.SCHEDULED:
            if any(b.starts_at < now for b in active_blocks):
                raise RuleViolation(
                    _("A session that has already started cannot be published."),
                    fields={"status": [_("Blocks lie in the past.")]},
                )
            _require_publishable(
                session.delivery_mode,
                active_blocks,
                list(session.assignments.all()),
                session.host_account,
            )
        elif to_status == SessionStatus.COMPLETED:
            if session.ends_at is None or session.ends_at > now:
                raise RuleViolation(
                    _("A session can be completed once its last block has ended."),
                    fields={"status": [_("The session has not ended yet.")]},
                )
        elif to_status == SessionStatus.CANCELLED:
            if not reason.strip():
                raise RuleViolation(
                    _("Give a reason for cancelling."),
                    fields={"reason": [_("This field is required.")]},
                )
            session.cancellation_reason = reason.strip()
            unbook_blocks([b.pk for b in session.blocks.all()])
            instructor_cancels_enqueue_locked(
                session, reason=InviteReason.SESSION_CANCELLED, now=now
            )
            kick_dispatcher_on_commit()
        session.status = to_status
        session.save(update_fields=["status", "cancellation_reason", "updated_at"])
    return session


# Raised by the database (attendance/sql/attendance_capacity_covers_seats.sql) when a capacity
# would go below the seats learners hold; its DETAIL is the number of seats held.
CAPACITY_COVERS_SEATS = "session_capacity_covers_seats_held"


def _save_settings(session: Session) -> None:
    try:
        with transaction.atomic():
            session.save()
    except IntegrityError as error:
        diag = getattr(error.__cause__, "diag", None)
        if getattr(diag, "constraint_name", "") != CAPACITY_COVERS_SEATS:
            raise
        held = getattr(diag, "message_detail", "") or "?"
        raise RuleViolation(
            _(
                "%(held)s learners hold seats in this session: a capacity of %(capacity)s is too "
                "small. Cancel or move registrations first."
            )
            % {"held": held, "capacity": session.capacity},
            fields={"capacity": [_("At least %s (the seats held).") % held]},
        ) from error


class Keep(Enum):
    """A setting `session_update` was not given: it keeps its value (None clears one)."""

    KEEP = "keep"


KEEP = Keep.KEEP


@retry_once_on_lock_timeout
def session_update(
    *,
    session_id: int,
    capacity: int | Keep = KEEP,
    min_attendees: int | Keep = KEEP,
    registration_opens_at: dt.datetime | Keep | None = KEEP,
    registration_closes_at: dt.datetime | Keep | None = KEEP,
    notes: str | Keep = KEEP,
    wanted_features: Sequence[str] | Keep = KEEP,
    now: dt.datetime | None = None,
) -> tuple[Session, list[Finding]]:
    """Change a session's settings: those given change (None clears a registration time),
    the others keep their values.

    A completed or cancelled session is refused, as for every other edit. Only what changed is
    checked again (`planning.FINDINGS_OF_SETTING`): a larger capacity against the rooms, other
    wanted features against them (warnings). Notes and the registration window book nothing,
    so they stay editable after the course was retired or a room withdrawn. Locks the session
    row.
    """
    now = now or timezone.now()
    features = wanted_features if isinstance(wanted_features, Keep) else list(wanted_features)
    given: dict[str, object] = {
        "capacity": capacity,
        "min_attendees": min_attendees,
        "registration_opens_at": registration_opens_at,
        "registration_closes_at": registration_closes_at,
        "notes": notes,
        "wanted_features": features,
    }
    with transaction.atomic(durable=True):
        session = lock_session(session_id)
        require_editable(session)
        changed: set[str] = set()
        for name, value in given.items():
            if value is not KEEP and getattr(session, name) != value:
                setattr(session, name, value)
                changed.add(name)
        _check_inputs(
            SessionInput(
                course=session.course,
                delivery_mode=session.delivery_mode,
                capacity=session.capacity,
                time_zone=session.time_zone,
                blocks=(),
                min_attendees=session.min_attendees,
                registration_opens_at=session.registration_opens_at,
                registration_closes_at=session.registration_closes_at,
            )
        )
        rechecked = frozenset().union(*(FINDINGS_OF_SETTING.get(name, ()) for name in changed))
        warnings: list[Finding] = []
        if rechecked:
            proposal = proposal_for_session(session)
            proposal.check_host_account = False
            proposal.check_instructors = False
            warnings = raise_for_report(proposal, now=now, only=rechecked)
        _save_settings(session)
    return session, warnings
