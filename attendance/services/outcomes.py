"""Outcomes of attending, apart from enrolment: recording one never frees a seat.

A `Completion` says what came of a registration once its session is over. Sign-off derives
it from attendance per block by the course's rule (`completions_derive_locked`), and a late
edit of attendance derives that learner's again in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from attendance.models import (
    AttendanceRecord,
    Completion,
    CompletionStatus,
    Registration,
    RegistrationStatus,
)
from attendance.services.completion_rules import (
    Attended,
    BlockLength,
    block_minutes,
    completion_status,
)
from scheduling.models import BlockStatus, Session, SessionBlock
from tms.exceptions import InvalidTransition, RuleViolation


def completion_record(
    *,
    registration_id: int,
    status: str,
    recorded_by: User | None,
    now: dt.datetime | None = None,
) -> Completion:
    """Record (or correct) whether a confirmed learner completed a session that has ended.

    The registration keeps its enrolment status: its seat stays held and counted."""
    now = now or timezone.now()
    if status not in CompletionStatus.values:
        raise RuleViolation(
            _("Choose completed or not completed."), fields={"status": [_("Unknown outcome.")]}
        )
    with transaction.atomic(durable=True):
        registration = (
            Registration.objects.select_for_update()
            .select_related("session")
            .get(pk=registration_id)
        )
        if registration.status != RegistrationStatus.CONFIRMED:
            raise InvalidTransition(_("Only a confirmed seat has an outcome."))
        ends_at = registration.session.ends_at
        if ends_at is None or ends_at > now:
            raise InvalidTransition(_("The session has not ended yet."))
        completion, _created = Completion.objects.update_or_create(
            registration=registration,
            defaults={"status": status, "recorded_at": now, "recorded_by": recorded_by},
        )
    return completion


# --- Derived outcomes: sign-off and late edits ---------------------------------------------------


@dataclass(frozen=True)
class CompletionChange:
    """A completion created or changed by sign-off or a late edit: what callers act on
    (certifications, xAPI statements). `before` is None when it was created."""

    registration_id: int
    learner_id: int
    session_id: int
    before: str | None
    after: str

    @property
    def completed(self) -> bool:
        return self.after == CompletionStatus.COMPLETED


def session_block_lengths(session_id: int) -> list[BlockLength]:
    """The session's active blocks and their minutes, in order."""
    return [
        BlockLength(block.pk, block_minutes(block))
        for block in SessionBlock.objects.filter(
            session_id=session_id, status=BlockStatus.ACTIVE
        ).order_by("starts_at", "pk")
    ]


def completions_derive_locked(
    *,
    session: Session,
    registrations: Iterable[Registration],
    recorded_by: User | None,
    now: dt.datetime,
) -> list[CompletionChange]:
    """Write each registration's `Completion` as the course's rule derives it from its
    attendance records; returns those created or changed. The caller holds the registrations'
    row locks (sign-off, or the late edit of one of them). Three queries plus one write per
    completion that changes."""
    registrations = list(registrations)
    if not registrations:
        return []
    course = session.course
    blocks = session_block_lengths(session.pk)
    active = {block.block_id for block in blocks}
    records: dict[int, dict[int, Attended]] = {r.pk: {} for r in registrations}
    for record in AttendanceRecord.objects.filter(
        registration__in=registrations, block_id__in=active
    ).only("registration_id", "block_id", "status", "minutes_attended"):
        records[record.registration_id][record.block_id] = Attended(
            record.status, record.minutes_attended
        )
    existing = {
        completion.registration_id: completion
        for completion in Completion.objects.filter(registration__in=registrations)
    }
    changes = []
    for registration in registrations:
        after = completion_status(
            rule=course.completion_rule,
            percent=course.completion_percent,
            blocks=blocks,
            records=records[registration.pk],
        )
        completion = existing.get(registration.pk)
        before = completion.status if completion else None
        if before == after:
            continue
        if completion is None:
            Completion.objects.create(
                registration=registration, status=after, recorded_at=now, recorded_by=recorded_by
            )
        else:
            completion.status = after
            completion.recorded_at = now
            completion.recorded_by = recorded_by
            completion.save(update_fields=["status", "recorded_at", "recorded_by", "updated_at"])
        changes.append(
            CompletionChange(
                registration_id=registration.pk,
                learner_id=registration.learner_id,
                session_id=session.pk,
                before=before,
                after=after,
            )
        )
    return changes
