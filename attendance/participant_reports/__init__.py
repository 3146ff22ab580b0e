"""Participant reports of video meetings (Zoom, Microsoft Teams): reading the files into
rows, and the interval arithmetic the import uses. Pure functions, no database; the import
itself is attendance/services/participant_import.py (parse → rows → import), so a fetcher of
a provider's API (BigBlueButton, Zoom) can feed it rows directly."""

from attendance.participant_reports.intervals import (
    Interval,
    clip_intervals,
    merge_intervals,
    total_seconds,
)
from attendance.participant_reports.reading import (
    ParsedReport,
    ParticipantRow,
    ReportError,
    decode_report,
    file_sha256,
    parse_report,
)

__all__ = [
    "Interval",
    "ParsedReport",
    "ParticipantRow",
    "ReportError",
    "clip_intervals",
    "decode_report",
    "file_sha256",
    "merge_intervals",
    "parse_report",
    "total_seconds",
]
