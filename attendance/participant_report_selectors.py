"""Reads for participant reports: a block with its session and instructors, and an import's
result (entries by match, the block's attendance) for the page and the API. Who may import
or read them: `attendance.access.may_use_reports`."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet

from attendance.models import (
    AttendanceRecord,
    ParticipantMatch,
    ParticipantReport,
    ParticipantReportEntry,
    Registration,
    RegistrationStatus,
)
from attendance.services.participant_import import HAND_MADE
from scheduling.models import InstructorAssignment, SessionBlock

# Matched entries first for the instructor to check (by name: flagged), then the rest.
MATCH_ORDER = [
    ParticipantMatch.UNMATCHED,
    ParticipantMatch.NAME,
    ParticipantMatch.EMAIL,
    ParticipantMatch.RESOLVED,
    ParticipantMatch.IGNORED,
]


def block_for_reports(pk: int) -> SessionBlock:
    """A block with its session, course and instructors (raises DoesNotExist)."""
    return (
        SessionBlock.objects.select_related("session__course", "session__host_account")
        .prefetch_related(
            Prefetch(
                "session__assignments",
                queryset=InstructorAssignment.objects.select_related("instructor__user"),
            )
        )
        .get(pk=pk)
    )


def report_get(pk: int) -> ParticipantReport:
    return ParticipantReport.objects.select_related("imported_by", "block").get(pk=pk)


def entry_get(pk: int) -> ParticipantReportEntry:
    return ParticipantReportEntry.objects.select_related("report").get(pk=pk)


@dataclass(frozen=True)
class BlockAttendance:
    registration: Registration
    record: AttendanceRecord | None

    @property
    def kept(self) -> bool:
        return self.record is not None and self.record.source in HAND_MADE


def report_entries(report: ParticipantReport) -> list[ParticipantReportEntry]:
    rows = list(
        report.entries.select_related("registration__learner", "resolved_by").order_by("name", "pk")
    )
    return sorted(rows, key=lambda e: MATCH_ORDER.index(ParticipantMatch(e.match)))


def block_attendance(block: SessionBlock) -> list[BlockAttendance]:
    """Every confirmed learner of the block's session with their record (or none yet)."""
    registrations = (
        Registration.objects.filter(
            session_id=block.session_id, status=RegistrationStatus.CONFIRMED
        )
        .select_related("learner")
        .order_by("learner__last_name", "learner__first_name", "pk")
    )
    records = {r.registration_id: r for r in AttendanceRecord.objects.filter(block=block)}
    return [BlockAttendance(r, records.get(r.pk)) for r in registrations]


def confirmed_registrations(block: SessionBlock) -> QuerySet[Registration]:
    """The choices for resolving an entry."""
    return (
        Registration.objects.filter(
            session_id=block.session_id, status=RegistrationStatus.CONFIRMED
        )
        .select_related("learner")
        .order_by("learner__last_name", "learner__first_name", "pk")
    )


def block_reports(block: SessionBlock) -> list[ParticipantReport]:
    return list(ParticipantReport.objects.filter(block=block).select_related("imported_by"))
