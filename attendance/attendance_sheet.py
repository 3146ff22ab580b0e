"""Reads for attendance: the sheet of one block (a row per confirmed learner with their
record), in a constant number of queries whatever the number of learners. Who may mark or
read it: `attendance.access`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Prefetch, QuerySet

from attendance.models import (
    AttendanceRecord,
    AttendanceSignOff,
    Completion,
    Registration,
    RegistrationStatus,
)
from attendance.services.completion_rules import Attended, needs_minutes
from scheduling.models import BlockStatus, Session, SessionBlock


@dataclass
class Row:
    """One learner's line for one block: what is recorded, or what they just typed (kept
    when a save is refused, with the messages)."""

    registration: Registration
    record: AttendanceRecord | None
    status: str = ""
    minutes: str = ""
    notes: str = ""
    reason: str = ""
    errors: dict[str, list[str]] = field(default_factory=dict)
    saved: bool = False
    # What a late edit did to the learner's completion (shown on the row once).
    completion: Any = None
    # Under the course's minutes rule, a late or left-early record without its minutes:
    # sign-off waits for them.
    minutes_needed: bool = False

    @property
    def learner_name(self) -> str:
        learner = self.registration.learner
        return str(learner.get_full_name() or learner.get_username())


def row_for(registration: Registration, record: AttendanceRecord | None, rule: str) -> Row:
    """The row of `registration`'s `record` in a session whose course has completion `rule`."""
    return Row(
        registration=registration,
        record=record,
        minutes_needed=record is not None
        and needs_minutes(rule, Attended(record.status, record.minutes_attended)),
        status=record.status if record else "",
        minutes=""
        if record is None or record.minutes_attended is None
        else str(record.minutes_attended),
        notes=record.notes if record else "",
    )


def confirmed_with_records(session: Session, block: SessionBlock) -> QuerySet[Registration]:
    """Confirmed registrations with their learner and their record in `block` (a list of at
    most one, `block_records`), by learner name. Two queries."""
    return (
        Registration.objects.filter(session=session, status=RegistrationStatus.CONFIRMED)
        .select_related("learner")
        .prefetch_related(
            Prefetch(
                "attendance",
                queryset=AttendanceRecord.objects.filter(block=block).select_related("recorded_by"),
                to_attr="block_records",
            )
        )
        .order_by("learner__last_name", "learner__first_name", "learner__username", "pk")
    )


def sheet_rows(session: Session, block: SessionBlock) -> list[Row]:
    rows = []
    for registration in confirmed_with_records(session, block):
        records = registration.block_records  # type: ignore[attr-defined]
        rows.append(
            row_for(registration, records[0] if records else None, session.course.completion_rule)
        )
    return rows


def row_get(session: Session, block: SessionBlock, registration_id: int) -> Row:
    """One row (the htmx answer to a change). Raises Registration.DoesNotExist."""
    registration = confirmed_with_records(session, block).get(pk=registration_id)
    records = registration.block_records  # type: ignore[attr-defined]
    return row_for(registration, records[0] if records else None, session.course.completion_rule)


def active_blocks(session: Session) -> list[SessionBlock]:
    return list(
        SessionBlock.objects.filter(session=session, status=BlockStatus.ACTIVE).order_by(
            "starts_at", "pk"
        )
    )


def default_block(blocks: list[SessionBlock], now: dt.datetime) -> SessionBlock | None:
    """The block under way, else the last one begun, else the first."""
    begun = [block for block in blocks if block.starts_at <= now]
    return begun[-1] if begun else (blocks[0] if blocks else None)


def unmarked_count(session: Session, blocks: list[SessionBlock], confirmed: int) -> int:
    """Marks still missing: every confirmed learner in every active block, less the records
    there are. One query."""
    if not blocks or not confirmed:
        return 0
    records = AttendanceRecord.objects.filter(
        block__in=blocks,
        registration__session=session,
        registration__status=RegistrationStatus.CONFIRMED,
    ).count()
    return len(blocks) * confirmed - records


def sign_off_of(session: Session) -> AttendanceSignOff | None:
    return AttendanceSignOff.objects.filter(session=session).select_related("signed_off_by").first()


def completions_of(session: Session) -> list[Completion]:
    return list(
        Completion.objects.filter(
            registration__session=session, registration__status=RegistrationStatus.CONFIRMED
        )
        .select_related("registration__learner")
        .order_by("registration__learner__last_name", "registration__learner__first_name", "pk")
    )


def attendance_records_of(session: Session) -> QuerySet[AttendanceRecord]:
    """Every record of the session (active and cancelled blocks), for the API."""
    return (
        AttendanceRecord.objects.filter(block__session=session)
        .select_related("registration")
        .order_by("block__starts_at", "block_id", "registration_id")
    )
