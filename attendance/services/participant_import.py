"""Importing a meeting's participant report for one block: parse → rows → import(rows).

`participant_report_import` takes the uploaded file (bytes): it reads it
(attendance/participant_reports, pure functions) into `ParticipantRow`s and hands them to
`participant_rows_import`, which a fetcher of a provider's API (BigBlueButton, Zoom: later)
calls with the rows it fetched, under a fingerprint of its own.

Rules kept here, in one transaction that locks the block row (so two imports of one block,
or an import and a resolution, run one after the other: the second sees the first's report,
so the same file twice at once is one import and two different reports at once merge as if
imported in turn; tests/attendance/test_participant_import_race.py, with the control that
shows a lost merge without the lock):

- **The same file again** (same SHA-256 for the same block) changes nothing: the result says
  when it was imported and by whom. The unique constraint on (block, file_sha256) backs it.
- **Who is who.** A report's rows are grouped per person (by email, else by name: Zoom writes
  one row per join). Each person is matched to a confirmed registration of the session by
  email (case-insensitive), else by their normalised name (case, accents, punctuation, word
  order ignored; Zoom's original name tried too) when exactly one learner has it, flagged
  `name` for the instructor to check. The session's own instructors are set aside as
  `ignored` (they are in every report and are no learners). Everyone else is `unmatched`,
  listed until the instructor resolves them to a registration or ignores them
  (`participant_entry_resolve`); nobody is dropped. A later report of the same block reuses
  what the instructor said about the same participant (same email, else same name).
- **Minutes.** A learner's intervals from every report of the block (a second, different
  report is merged with the earlier ones: rejoins recorded on two devices or by two hosts)
  and every entry matched to them are merged (overlaps counted once) and clipped to the
  block; the seconds credited are never more than the durations the reports state.
- **Status**, from the course's `attendance_threshold_percent` of the block's length: at
  least that share → attended: `late` when the first join was more than `GRACE_MINUTES`
  after the start, else `left_early` when the last leave was more than `GRACE_MINUTES`
  before the end, else `present`; below it → `absent`, with the minutes kept. A confirmed
  learner who is in no report is `absent` with 0 minutes (resolving an unmatched row to them
  marks them again).
- **Hand-made marks win.** A record marked on the roster or by self check-in is not changed
  by a report; the result lists it as kept, with what the report says.
- Attendance is written only through `attendance_mark` (after sign-off a reason is required
  and the change is a late edit). A report none of whose times fall within the block is
  refused (another meeting or day); a malformed file is refused naming the line and nothing
  is written.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
import zoneinfo
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from attendance.models import (
    AttendanceRecord,
    AttendanceSource,
    AttendanceStatus,
    ParticipantMatch,
    ParticipantReport,
    ParticipantReportEntry,
    Registration,
    RegistrationStatus,
)
from attendance.participant_reports import (
    Interval,
    ParticipantRow,
    clip_intervals,
    file_sha256,
    merge_intervals,
    parse_report,
    total_seconds,
)
from attendance.participant_reports.reading import ReportError
from attendance.services.marking import Mark, attendance_mark
from scheduling.models import BlockStatus, DeliveryMode, InstructorAssignment, SessionBlock
from tms.exceptions import InvalidTransition, RuleViolation

# Joining later than this after the start, or leaving earlier than this before the end,
# makes an attended block `late` or `left_early` (it still counts as attended).
GRACE_MINUTES = 10
MAX_FILE_BYTES = 5 * 1024 * 1024
HAND_MADE = (AttendanceSource.ROSTER, AttendanceSource.CHECK_IN)


@dataclass(frozen=True)
class Outcome:
    """What the import decided for one confirmed learner of the block."""

    registration: Registration
    status: str
    minutes: int
    kept: AttendanceRecord | None = None  # a hand-made record left as it was


@dataclass
class ImportResult:
    report: ParticipantReport
    already_imported: bool = False
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def message(self) -> str:
        if self.already_imported:
            return _(
                "This file was already imported for this block on %(when)s UTC by %(who)s: "
                "nothing changed."
            ) % {
                "when": f"{self.report.created_at:%Y-%m-%d %H:%M}",
                "who": _who(self.report.imported_by),
            }
        return _("The report was imported: %(n)d participant(s).") % {
            "n": self.report.entries.count()
        }


def _who(user: User) -> str:
    return str(user.get_full_name() or user.get_username())


# --- Names ------------------------------------------------------------------------------


def normalise_name(name: str) -> str:
    """A name for comparing: no accents, case or punctuation, words sorted ("Lovelace, Ada"
    and "ada lovelace" are the same)."""
    decomposed = unicodedata.normalize("NFKD", name)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    words = re.findall(r"\w+", plain)
    return " ".join(sorted(words))


# --- People in a report -----------------------------------------------------------------


@dataclass
class _Person:
    name: str
    email: str
    original_names: set[str]
    role: str
    lines: list[int]
    intervals: list[Interval]
    stated_seconds: int | None  # None: some row had no duration


def _people(rows: Iterable[ParticipantRow]) -> list[_Person]:
    people: dict[str, _Person] = {}
    for row in rows:
        key = _person_key(row.name, row.email)
        person = people.get(key)
        if person is None:
            person = people[key] = _Person(row.name, row.email, set(), row.role, [], [], 0)
        person.name = person.name or row.name
        if row.original_name:
            person.original_names.add(row.original_name)
        person.role = person.role or row.role
        person.lines.append(row.line)
        if row.waiting_room:  # listed, but waiting to be let in is no attendance
            continue
        if row.joined_at is not None and row.left_at is not None:
            person.intervals.append((row.joined_at, row.left_at))
        if row.duration_seconds is None or person.stated_seconds is None:
            person.stated_seconds = None
        else:
            person.stated_seconds += row.duration_seconds
    return list(people.values())


def _credited_seconds(
    intervals: Sequence[Interval], stated: int | None, block: SessionBlock
) -> int:
    """Seconds inside the block: the clipped union, never more than the stated durations;
    a report of durations only is credited its durations, at most the block's length."""
    length = int((block.ends_at - block.starts_at).total_seconds())
    if not intervals:
        return min(stated or 0, length)
    inside = total_seconds(clip_intervals(intervals, start=block.starts_at, end=block.ends_at))
    return inside if stated is None else min(inside, stated)


def _intervals_json(intervals: Sequence[Interval]) -> list[list[str]]:
    return [[a.isoformat(), b.isoformat()] for a, b in merge_intervals(intervals)]


def _intervals_from(data: Sequence[Sequence[str]]) -> list[Interval]:
    return [(dt.datetime.fromisoformat(a), dt.datetime.fromisoformat(b)) for a, b in data]


# --- Matching ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Directory:
    by_email: dict[str, Registration]
    by_name: dict[str, list[Registration]]
    instructor_emails: set[str]
    instructor_names: set[str]


def _directory(block: SessionBlock) -> _Directory:
    registrations = Registration.objects.filter(
        session_id=block.session_id, status=RegistrationStatus.CONFIRMED
    ).select_related("learner")
    by_email: dict[str, Registration] = {}
    by_name: dict[str, list[Registration]] = defaultdict(list)
    for registration in registrations:
        learner = registration.learner
        if learner.email:
            by_email[learner.email.strip().casefold()] = registration
        full = normalise_name(learner.get_full_name())
        if full:
            by_name[full].append(registration)
    teachers = [
        a.instructor.user
        for a in InstructorAssignment.objects.filter(session_id=block.session_id).select_related(
            "instructor__user"
        )
    ]
    return _Directory(
        by_email,
        by_name,
        {u.email.strip().casefold() for u in teachers if u.email},
        {normalise_name(u.get_full_name()) for u in teachers if u.get_full_name()},
    )


def _person_key(name: str, email: str) -> str:
    return f"email:{email.strip().casefold()}" if email else f"name:{normalise_name(name)}"


def _earlier_decisions(block: SessionBlock) -> dict[str, ParticipantReportEntry]:
    """What the instructor said about participants of earlier reports of this block (matched
    to a learner, or ignored), by person: a later report of the same meeting reuses it."""
    decided = ParticipantReportEntry.objects.filter(
        report__block=block, resolved_by__isnull=False
    ).order_by("pk")
    return {_person_key(e.name, e.email): e for e in decided}


def _match(person: _Person, directory: _Directory) -> tuple[str, Registration | None]:
    email = person.email.strip().casefold()
    if email and email in directory.by_email:
        return ParticipantMatch.EMAIL, directory.by_email[email]
    for name in (person.name, *sorted(person.original_names)):
        candidates = directory.by_name.get(normalise_name(name), [])
        if len(candidates) == 1:
            return ParticipantMatch.NAME, candidates[0]
    names = {normalise_name(n) for n in (person.name, *person.original_names)}
    if (email and email in directory.instructor_emails) or names & directory.instructor_names:
        return ParticipantMatch.IGNORED, None
    return ParticipantMatch.UNMATCHED, None


# --- Marks ------------------------------------------------------------------------------


def _decide(block: SessionBlock, intervals: list[Interval], seconds: int) -> str:
    length = (block.ends_at - block.starts_at).total_seconds()
    threshold = block.session.course.attendance_threshold_percent
    if seconds * 100 < threshold * length:
        return AttendanceStatus.ABSENT
    inside = clip_intervals(intervals, start=block.starts_at, end=block.ends_at)
    grace = dt.timedelta(minutes=GRACE_MINUTES)
    if inside and inside[0][0] > block.starts_at + grace:
        return AttendanceStatus.LATE
    if inside and inside[-1][1] < block.ends_at - grace:
        return AttendanceStatus.LEFT_EARLY
    return AttendanceStatus.PRESENT


def block_marks_apply_locked(
    *, block: SessionBlock, by: User, now: dt.datetime, reason: str = ""
) -> list[Outcome]:
    """Mark every confirmed learner of the block from all its reports' matched entries.
    Needs the block's row lock (held by the callers, inside their transaction)."""
    entries = ParticipantReportEntry.objects.filter(
        report__block=block,
        registration__isnull=False,
        match__in=[ParticipantMatch.EMAIL, ParticipantMatch.NAME, ParticipantMatch.RESOLVED],
    )
    per_registration: dict[int, list[ParticipantReportEntry]] = defaultdict(list)
    for entry in entries:
        if entry.registration_id is not None:
            per_registration[entry.registration_id].append(entry)
    records = {r.registration_id: r for r in AttendanceRecord.objects.filter(block=block)}
    # In primary-key order: `attendance_mark` locks each registration, and sign-off and "all
    # present" lock the same rows in that order, so an import racing them waits, never
    # deadlocks.
    registrations = (
        Registration.objects.filter(
            session_id=block.session_id, status=RegistrationStatus.CONFIRMED
        )
        .select_related("learner")
        .order_by("pk")
    )
    outcomes = []
    for registration in registrations:
        mine = per_registration.get(registration.pk, [])
        intervals = [i for e in mine for i in _intervals_from(e.intervals)]
        inside = total_seconds(clip_intervals(intervals, start=block.starts_at, end=block.ends_at))
        credited = sum(e.seconds for e in mine)
        seconds = min(inside, credited) if intervals else credited
        length = int((block.ends_at - block.starts_at).total_seconds())
        seconds = min(seconds, length)
        status = _decide(block, intervals, seconds) if mine else AttendanceStatus.ABSENT
        minutes = seconds // 60
        record = records.get(registration.pk)
        if record is not None and record.source in HAND_MADE:
            outcomes.append(Outcome(registration, status, minutes, kept=record))
            continue
        attendance_mark(
            registration=registration,
            block=block,
            mark=Mark(status, minutes, record.notes if record is not None else ""),
            source=AttendanceSource.REPORT,
            recorded_by=by,
            now=now,
            reason=reason,
        )
        outcomes.append(Outcome(registration, status, minutes))
    return outcomes


# --- The services -----------------------------------------------------------------------


def _lock_block(block_id: int) -> SessionBlock:
    block = (
        SessionBlock.objects.select_for_update(of=("self",))
        .select_related("session__course")
        .get(pk=block_id)
    )
    if block.status != BlockStatus.ACTIVE:
        raise InvalidTransition(_("This block is cancelled: there is no attendance to take."))
    if block.session.delivery_mode != DeliveryMode.VILT:
        raise RuleViolation(
            _("Participant reports are for sessions on a video call (VILT)."),
            fields={"file": [_("This session takes place in a room.")]},
        )
    return block


def _already(block_id: int, sha256: str) -> ParticipantReport | None:
    return (
        ParticipantReport.objects.select_related("imported_by")
        .filter(block_id=block_id, file_sha256=sha256)
        .first()
    )


def block_zone(block: SessionBlock) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(block.session.time_zone)


def participant_report_import(
    *,
    block_id: int,
    file_name: str,
    data: bytes,
    by: User,
    now: dt.datetime,
    reason: str = "",
) -> ImportResult:
    """Import an uploaded participant report (Zoom or Teams CSV) for one block: read it
    (times in the session's zone unless the report names its own; an ambiguous date order
    settled by the block's date), then `participant_rows_import`. Raises
    SessionBlock.DoesNotExist for an unknown block, ReportError for a malformed file."""
    if len(data) > MAX_FILE_BYTES:
        raise ReportError(_("The file is too large (at most 5 MB)."))
    sha256 = file_sha256(data)
    block = SessionBlock.objects.select_related("session__course").get(pk=block_id)
    earlier = _already(block_id, sha256)
    if earlier is not None:
        return ImportResult(earlier, already_imported=True)
    zone = block_zone(block)
    parsed = parse_report(data, zone=zone, block_date=block.starts_at.astimezone(zone).date())
    return participant_rows_import(
        block_id=block_id,
        rows=parsed.rows,
        file_format=parsed.file_format,
        file_name=file_name,
        fingerprint=sha256,
        by=by,
        now=now,
        reason=reason,
    )


def participant_rows_import(
    *,
    block_id: int,
    rows: Sequence[ParticipantRow],
    file_format: str,
    file_name: str,
    fingerprint: str,
    by: User,
    now: dt.datetime,
    reason: str = "",
) -> ImportResult:
    """Import participant rows for a block (see the module's docstring for the rules). The
    `fingerprint` (a file's SHA-256, or an API fetcher's hash of what it fetched) makes a
    repeat a no-op. One transaction, under the block's row lock."""
    if not rows:
        raise ReportError(_("The report has no participants."))
    try:
        with transaction.atomic():
            block = _lock_block(block_id)
            earlier = _already(block_id, fingerprint)
            if earlier is not None:
                return ImportResult(earlier, already_imported=True)
            people = _people(rows)
            timed = [i for p in people for i in p.intervals]
            if timed and not clip_intervals(timed, start=block.starts_at, end=block.ends_at):
                zone = block_zone(block)
                raise ReportError(
                    _(
                        "None of the report's times fall within this block (%(start)s\u2013%(end)s "
                        "%(zone)s): is it the report of another meeting or day?"
                    )
                    % {
                        "start": f"{block.starts_at.astimezone(zone):%a %d %b %Y %H:%M}",
                        "end": f"{block.ends_at.astimezone(zone):%H:%M}",
                        "zone": zone.key,
                    }
                )
            report = ParticipantReport.objects.create(
                block=block,
                file_name=file_name[:255],
                file_sha256=fingerprint,
                file_format=file_format[:32],
                imported_by=by,
                row_count=len(rows),
            )
            directory = _directory(block)
            decided = _earlier_decisions(block)
            entries = []
            for person in people:
                match, registration = _match(person, directory)
                earlier_entry = decided.get(_person_key(person.name, person.email))
                reused = match == ParticipantMatch.UNMATCHED and earlier_entry is not None
                if reused and earlier_entry is not None:
                    match, registration = earlier_entry.match, earlier_entry.registration
                seconds = _credited_seconds(person.intervals, person.stated_seconds, block)
                entries.append(
                    ParticipantReportEntry(
                        report=report,
                        name=person.name[:255],
                        email=person.email[:254],
                        lines=sorted(person.lines),
                        minutes=seconds // 60,
                        seconds=seconds,
                        intervals=_intervals_json(person.intervals),
                        role=person.role[:64],
                        match=match,
                        registration=registration,
                        resolved_by=earlier_entry.resolved_by if reused and earlier_entry else None,
                    )
                )
            ParticipantReportEntry.objects.bulk_create(entries)
            outcomes = block_marks_apply_locked(block=block, by=by, now=now, reason=reason)
    except IntegrityError:
        # The same report imported by someone else at the same moment: theirs stands.
        earlier = _already(block_id, fingerprint)
        if earlier is None:
            raise
        return ImportResult(earlier, already_imported=True)
    return ImportResult(report, outcomes=outcomes)


def participant_entry_resolve(
    *,
    entry_id: int,
    registration_id: int | None,
    by: User,
    now: dt.datetime,
    reason: str = "",
) -> ParticipantReportEntry:
    """The instructor says who a report's participant is: a confirmed registration of the
    block's session (`resolved`), or nobody, not a learner (`registration_id=None`:
    `ignored`). A name match can be corrected the same way. The block's marks are applied
    again at once (the learner's minutes now include this participant's intervals)."""
    with transaction.atomic():
        entry = ParticipantReportEntry.objects.select_related("report").get(pk=entry_id)
        block = _lock_block(entry.report.block_id)
        entry = ParticipantReportEntry.objects.select_for_update().get(pk=entry_id)
        if registration_id is None:
            entry.match = ParticipantMatch.IGNORED
            entry.registration = None
        else:
            registration = Registration.objects.filter(
                pk=registration_id,
                session_id=block.session_id,
                status=RegistrationStatus.CONFIRMED,
            ).first()
            if registration is None:
                message = _("Choose a learner with a confirmed seat in this session.")
                raise RuleViolation(message, fields={"registration": [message]})
            entry.match = ParticipantMatch.RESOLVED
            entry.registration = registration
        entry.resolved_by = by
        entry.save(update_fields=["match", "registration", "resolved_by"])
        block_marks_apply_locked(block=block, by=by, now=now, reason=reason)
    return entry
