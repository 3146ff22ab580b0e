"""Check a proposed schedule against every rule, in a fixed number of queries.

`evaluate()` is the single place where scheduling rules live. It is used to preview a plan
(the form shows errors and warnings before saving) and, inside the write transaction, by every
service that books something. Errors refuse the write; warnings are shown but allowed.

The database has the last word: exclusion constraints on the booking tables refuse any
double-booking that slips past these checks in a race (see `booking.py`).
"""

from __future__ import annotations

import datetime as dt
import itertools
import zoneinfo
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import BigIntegerField, Q, Value
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext as _
from psycopg2.extras import DateTimeTZRange

from instructors.models import Instructor, Qualification, Unavailability, WorkingHours
from scheduling.models import (
    AssignmentRole,
    Course,
    DeliveryMode,
    HostAccountBooking,
    InstructorBooking,
    RoomBooking,
)
from scheduling.services.local_times import warn_repeated_times, warn_zone_differs
from venues.models import HostAccount, Room, RoomClosure, RoomFeature


@dataclass(frozen=True)
class ProposedBlock:
    starts_at: dt.datetime
    ends_at: dt.datetime
    room: Room | None = None
    # Position in the request (for field errors such as "blocks[1].room").
    index: int = 0


@dataclass(frozen=True)
class ProposedInstructor:
    instructor: Instructor
    role: str = AssignmentRole.CO_FACILITATOR


@dataclass
class Proposal:
    """What the session would look like after the change."""

    course: Course
    delivery_mode: str
    capacity: int
    time_zone: str
    blocks: Sequence[ProposedBlock]
    instructors: Sequence[ProposedInstructor] = ()
    host_account: HostAccount | None = None
    wanted_features: Sequence[str] = ()
    # The session being changed; its own bookings never conflict with the proposal.
    session_id: int | None = None
    # Blocks of a new session (or new times of moved blocks) may not lie in the past.
    check_past: bool = True
    # A new session's course must be active and offered in its mode; a saved session keeps
    # its course and mode through every edit, so a course retired since does not freeze it.
    check_course: bool = True
    # Which resources the change books; unchanged ones are not re-checked.
    check_rooms: bool = True
    check_host_account: bool = True
    check_instructors: bool = True


@dataclass(frozen=True)
class RoomRequest:
    """What the room rules need of a proposal: the blocks with their rooms, the seats, the
    wanted features. A room search asks with no course (`check_rooms` accepts either)."""

    blocks: Sequence[ProposedBlock]
    capacity: int
    time_zone: str
    wanted_features: Sequence[str] = ()
    session_id: int | None = None


@dataclass(frozen=True)
class Finding:
    code: str
    message: str
    field: str = "non_field_errors"
    conflict: dict[str, Any] | None = None
    # The room or instructor the finding is about (None: the session as a whole), so that one
    # evaluation of many candidates (`availability.py`) can tell each one why it is excluded.
    subject_id: int | None = None
    # Facts behind the message (dates, hours), for pages and the API to show structured.
    detail: dict[str, Any] | None = None


@dataclass
class Report:
    errors: list[Finding] = field(default_factory=list)
    warnings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def conflicts(self) -> list[dict[str, Any]]:
        return [f.conflict for f in self.errors if f.conflict is not None]

    def error(
        self,
        code: str,
        message: str,
        field: str = "non_field_errors",
        *,
        subject_id: int | None = None,
        detail: dict[str, Any] | None = None,
        **conflict: Any,
    ) -> None:
        self.errors.append(Finding(code, message, field, conflict or None, subject_id, detail))

    def warn(
        self,
        code: str,
        message: str,
        field: str = "non_field_errors",
        *,
        subject_id: int | None = None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        self.warnings.append(Finding(code, message, field, None, subject_id, detail))

    def only(self, codes: Collection[str]) -> Report:
        """The findings with these codes."""
        return Report(
            errors=[f for f in self.errors if f.code in codes],
            warnings=[f for f in self.warnings if f.code in codes],
        )

    def field_errors(self) -> dict[str, list[str]]:
        fields: dict[str, list[str]] = defaultdict(list)
        for finding in self.errors:
            fields[finding.field].append(finding.message)
        return dict(fields)


# The findings a change of one setting of a saved session can cause. Everything else the
# planner checks (course active and offered so, rooms bookable, resources free, instructors
# qualified) is about the schedule, which a settings change leaves as it was: rules that
# guard new bookings apply only to what changed.
FINDINGS_OF_SETTING: dict[str, frozenset[str]] = {
    "capacity": frozenset({"room_too_small"}),
    "wanted_features": frozenset({"room_lacks_feature"}),
}


def as_bigint(pk: int) -> Cast:
    """Our keys are bigint; psycopg2 sends small ints as int4, and btree_gist cannot use an
    exclusion constraint's (bigint = int4, range &&) index for mixed types. Casting the
    parameter lets the per-resource lookup use the index instead of scanning by time alone."""
    return Cast(Value(pk), BigIntegerField())


def room_range(room: Room, starts_at: dt.datetime, ends_at: dt.datetime) -> DateTimeTZRange:
    """The time a room is held for a block: setup and teardown buffers folded in."""
    return DateTimeTZRange(
        starts_at - dt.timedelta(minutes=room.setup_buffer_minutes),
        ends_at + dt.timedelta(minutes=room.teardown_buffer_minutes),
        "[)",
    )


def block_range(starts_at: dt.datetime, ends_at: dt.datetime) -> DateTimeTZRange:
    return DateTimeTZRange(starts_at, ends_at, "[)")


def _local(moment: dt.datetime, zone: str) -> dt.datetime:
    return moment.astimezone(zoneinfo.ZoneInfo(zone))


def last_local_day(ends: Iterable[dt.datetime], zone: str) -> dt.date:
    """The last date the blocks ending at `ends` touch in the session's `zone`: a qualification
    that expires before it does not cover the session."""
    return max(_local(end, zone).date() for end in ends)


def _fmt(moment: dt.datetime, zone: str) -> str:
    return _local(moment, zone).strftime("%Y-%m-%d %H:%M %Z")


def evaluate(proposal: Proposal, *, now: dt.datetime) -> Report:
    """Check a proposal; returns errors (refuse) and warnings (allow, but tell)."""
    report = Report()
    _check_shape(proposal, report, now)
    if any(f.code == "naive_datetime" for f in report.errors):
        return report
    if proposal.delivery_mode == DeliveryMode.ILT and proposal.check_rooms:
        check_rooms(proposal, report)
    if proposal.delivery_mode == DeliveryMode.VILT and proposal.check_host_account:
        check_host_account(proposal, report)
    if proposal.check_instructors and proposal.instructors:
        check_instructors(proposal, report)
    if proposal.delivery_mode == DeliveryMode.ILT and proposal.check_rooms:
        warn_zone_differs(proposal.time_zone, [b.room for b in proposal.blocks], report)
    warn_repeated_times(proposal.time_zone, proposal.blocks, report)
    return report


def _check_shape(proposal: Proposal, report: Report, now: dt.datetime) -> None:
    course = proposal.course
    if proposal.check_course and not course.active:
        report.error("course_inactive", _("Course %s is not active.") % course.code, "course")
    if proposal.check_course and proposal.delivery_mode not in course.delivery_modes:
        report.error(
            "mode_not_offered",
            _("Course %(code)s does not run as %(mode)s.")
            % {"code": course.code, "mode": DeliveryMode(proposal.delivery_mode).label},
            "delivery_mode",
        )
    if not proposal.blocks:
        report.error("no_blocks", _("A session needs at least one block."), "blocks")
    naive = [
        b for b in proposal.blocks if timezone.is_naive(b.starts_at) or timezone.is_naive(b.ends_at)
    ]
    for block in naive:
        report.error(
            "naive_datetime",
            _("Give block times with a time zone offset (e.g. 2030-03-04T09:00:00+01:00)."),
            f"blocks[{block.index}]",
        )
    if naive:
        return  # aware and naive times cannot be compared; nothing else can be checked
    ordered = sorted(proposal.blocks, key=lambda b: b.starts_at)
    for block in ordered:
        where = f"blocks[{block.index}]"
        if block.ends_at <= block.starts_at:
            report.error("block_ends_before_start", _("A block must end after it starts."), where)
        if proposal.check_past and block.starts_at < now:
            report.error(
                "block_in_past",
                _("The block starting %s is in the past.")
                % _fmt(block.starts_at, proposal.time_zone),
                where,
            )
    for earlier, later in itertools.pairwise(ordered):
        if later.starts_at < earlier.ends_at:
            report.error(
                "blocks_overlap",
                _("Blocks of one session may not overlap (%(a)s and %(b)s).")
                % {
                    "a": _fmt(earlier.starts_at, proposal.time_zone),
                    "b": _fmt(later.starts_at, proposal.time_zone),
                },
                f"blocks[{later.index}]",
            )
    if proposal.delivery_mode == DeliveryMode.ILT and proposal.host_account is not None:
        report.error(
            "host_account_for_ilt", _("A room session does not use a host account."), "host_account"
        )
    if proposal.delivery_mode == DeliveryMode.VILT:
        for block in proposal.blocks:
            if block.room is not None:
                report.error(
                    "room_for_vilt",
                    _("A video-call session does not book rooms."),
                    f"blocks[{block.index}].room",
                )


def _conflict_message(kind: str, name: str, row: dict[str, Any], zone: str) -> str:
    return _(
        "%(kind)s %(name)s is already booked by session #%(session)s (%(course)s) "
        "from %(start)s to %(end)s."
    ) % {
        "kind": kind,
        "name": name,
        "session": row["session_id"],
        "course": row["session__course__code"],
        "start": _fmt(row["block__starts_at"], zone),
        "end": _fmt(row["block__ends_at"], zone),
    }


CONFLICT_FIELDS = (
    "session_id",
    "session__course__code",
    "session__course__title",
    "block_id",
    "block__starts_at",
    "block__ends_at",
)


def conflict_payload(
    resource: str, resource_id: int, name: str, row: dict[str, Any]
) -> dict[str, Any]:
    """One conflict as the API shows it, from a booking row's CONFLICT_FIELDS values."""
    return {
        "resource": resource,
        "resource_id": resource_id,
        "resource_name": name,
        "session_id": row["session_id"],
        "course_code": row["session__course__code"],
        "course_title": row["session__course__title"],
        "block_id": row["block_id"],
        "starts_at": row["block__starts_at"].isoformat(),
        "ends_at": row["block__ends_at"].isoformat(),
    }


def check_rooms(proposal: Proposal | RoomRequest, report: Report) -> None:
    """The rooms of the proposal's blocks: bookable, big enough, with the wanted features, free
    (buffers folded in) and not closed. Two queries however many blocks and rooms; each finding
    names its room (`subject_id`). A block may be listed once per candidate room (the
    availability search does): the checks are per (block, room) pair."""
    with_room = [b for b in proposal.blocks if b.room is not None and b.ends_at > b.starts_at]
    for block in proposal.blocks:
        if block.room is None:
            report.error(
                "room_required", _("Choose a room for every block."), f"blocks[{block.index}].room"
            )
    if not with_room:
        return
    wanted = set(proposal.wanted_features)
    for block in with_room:
        room = block.room
        if room is None:  # pragma: no cover - filtered above
            continue
        where = f"blocks[{block.index}].room"
        if not room.bookable:
            report.error(
                "room_not_bookable",
                _("Room %s is not bookable.") % room,
                where,
                subject_id=room.pk,
            )
        if room.capacity < proposal.capacity:
            report.error(
                "room_too_small",
                _("Room %(room)s holds %(cap)s, fewer than the session capacity of %(want)s.")
                % {"room": room, "cap": room.capacity, "want": proposal.capacity},
                where,
                subject_id=room.pk,
                detail={"capacity": room.capacity},
            )
        missing = wanted - set(room.features)
        if missing:
            labels = ", ".join(sorted(str(RoomFeature(f).label) for f in missing))
            report.warn(
                "room_lacks_feature",
                _("Room %(room)s lacks: %(f)s.") % {"room": room, "f": labels},
                where,
                subject_id=room.pk,
                detail={"missing": sorted(missing)},
            )

    overlap = Q()
    closure_overlap = Q()
    for block in with_room:
        if block.room is None:  # pragma: no cover - filtered above
            continue
        held = room_range(block.room, block.starts_at, block.ends_at)
        overlap |= Q(room_id=as_bigint(block.room.pk), during__overlap=held)
        closure_overlap |= Q(
            room_id=block.room.pk, starts_at__lt=held.upper, ends_at__gt=held.lower
        )

    rooms = {b.room.pk: b.room for b in with_room if b.room is not None}
    taken = RoomBooking.objects.filter(overlap)
    if proposal.session_id is not None:
        taken = taken.exclude(session_id=proposal.session_id)
    for row in taken.values("room_id", "during", *CONFLICT_FIELDS):
        room = rooms[row["room_id"]]
        index = _block_index_for(with_room, room.pk, row["during"])
        report.error(
            "room_conflict",
            _conflict_message(_("Room"), str(room), row, proposal.time_zone),
            f"blocks[{index}].room",
            subject_id=room.pk,
            **conflict_payload("room", room.pk, str(room), row),
        )
    for closure in RoomClosure.objects.filter(closure_overlap):
        room = rooms[closure.room_id]
        report.error(
            "room_closed",
            _("Room %(room)s is closed from %(start)s to %(end)s: %(reason)s.")
            % {
                "room": room,
                "start": _fmt(closure.starts_at, proposal.time_zone),
                "end": _fmt(closure.ends_at, proposal.time_zone),
                "reason": closure.reason,
            },
            "blocks",
            subject_id=room.pk,
            detail={
                "starts_at": closure.starts_at.isoformat(),
                "ends_at": closure.ends_at.isoformat(),
                "reason": closure.reason,
            },
        )


def _ranges_overlap(a: DateTimeTZRange, b: DateTimeTZRange) -> bool:
    """Whether two half-open ranges share a moment, as PostgreSQL's `&&` (a missing bound is
    unbounded on that side)."""
    return (a.lower is None or b.upper is None or a.lower < b.upper) and (
        b.lower is None or a.upper is None or b.lower < a.upper
    )


def _bounds(during: DateTimeTZRange) -> tuple[dt.datetime, dt.datetime]:
    """Start and end of a booking's range; bookings are always written with both."""
    if during.lower is None or during.upper is None:
        raise ValueError(f"booking range {during!r} has no start or no end")
    return during.lower, during.upper


def _block_index_for(blocks: Iterable[ProposedBlock], room_id: int, taken: DateTimeTZRange) -> int:
    """Which proposed block a conflicting room booking collides with (for the field name)."""
    for block in blocks:
        if (
            block.room is not None
            and block.room.pk == room_id
            and _ranges_overlap(room_range(block.room, block.starts_at, block.ends_at), taken)
        ):
            return block.index
    return 0


def check_host_account(proposal: Proposal, report: Report) -> None:
    """The proposal's host account: chosen, active, free for every block (one query)."""
    account = proposal.host_account
    if account is None:
        report.error(
            "host_account_required", _("Choose a virtual-classroom host account."), "host_account"
        )
        return
    if not account.active:
        report.error(
            "host_account_inactive", _("Host account %s is not active.") % account, "host_account"
        )
    blocks = [b for b in proposal.blocks if b.ends_at > b.starts_at]
    if not blocks:
        return
    overlap = Q()
    for block in blocks:
        overlap |= Q(during__overlap=block_range(block.starts_at, block.ends_at))
    taken = HostAccountBooking.objects.filter(overlap, host_account_id=as_bigint(account.pk))
    if proposal.session_id is not None:
        taken = taken.exclude(session_id=proposal.session_id)
    for row in taken.values(*CONFLICT_FIELDS):
        report.error(
            "host_account_conflict",
            _conflict_message(_("Host account"), str(account), row, proposal.time_zone),
            "host_account",
            **conflict_payload("host_account", account.pk, str(account), row),
        )


def check_instructors(proposal: Proposal, report: Report) -> None:
    """The proposal's instructors: active, qualified until the session's last local day, free,
    not away; warnings for working hours, weekly load and two sites a day. A fixed number of
    queries however many instructors; each finding about one person names them
    (`subject_id`)."""
    people = {p.instructor.pk: p.instructor for p in proposal.instructors}
    leads = [p for p in proposal.instructors if p.role == AssignmentRole.LEAD]
    if len(leads) > 1:
        report.error("several_leads", _("A session has one lead instructor."), "instructors")
    if len(people) != len(proposal.instructors):
        report.error("instructor_twice", _("Each instructor can be assigned once."), "instructors")
    for person in people.values():
        if not person.active:
            report.error(
                "instructor_inactive",
                _("%s is not an active instructor.") % person,
                "instructors",
                subject_id=person.pk,
            )

    blocks = [b for b in proposal.blocks if b.ends_at > b.starts_at]
    if not blocks:
        return
    _check_qualifications(proposal, people, blocks, report)

    # One (instructor, period) pair per condition: each is a single probe of the exclusion
    # constraint's index, so the cost does not grow with booking history.
    overlap = Q(pk__in=[])
    away = Q()
    for block in blocks:
        held = block_range(block.starts_at, block.ends_at)
        for pk in people:
            overlap |= Q(instructor_id=as_bigint(pk), during__overlap=held)
        away |= Q(starts_at__lt=block.ends_at, ends_at__gt=block.starts_at)
    taken = InstructorBooking.objects.filter(overlap)
    if proposal.session_id is not None:
        taken = taken.exclude(session_id=proposal.session_id)
    for row in taken.values("instructor_id", *CONFLICT_FIELDS):
        person = people[row["instructor_id"]]
        report.error(
            "instructor_conflict",
            _conflict_message(_("Instructor"), str(person), row, proposal.time_zone),
            "instructors",
            subject_id=person.pk,
            **conflict_payload("instructor", person.pk, str(person), row),
        )
    for absence in Unavailability.objects.filter(away, instructor_id__in=people):
        person = people[absence.instructor_id]
        report.error(
            "instructor_unavailable",
            _("%(who)s is unavailable (%(kind)s) from %(start)s to %(end)s.")
            % {
                "who": person,
                "kind": absence.get_kind_display(),
                "start": _fmt(absence.starts_at, person.home_time_zone),
                "end": _fmt(absence.ends_at, person.home_time_zone),
            },
            "instructors",
            subject_id=person.pk,
            detail={
                "kind": absence.kind,
                "starts_at": absence.starts_at.isoformat(),
                "ends_at": absence.ends_at.isoformat(),
            },
        )
    _warn_working_hours(people, blocks, report)
    _warn_load_and_sites(proposal, people, blocks, report)


def _check_qualifications(
    proposal: Proposal, people: dict[int, Instructor], blocks: list[ProposedBlock], report: Report
) -> None:
    expiry = dict(
        Qualification.objects.filter(instructor_id__in=people, course=proposal.course).values_list(
            "instructor_id", "expires_on"
        )
    )
    last_day = last_local_day((b.ends_at for b in blocks), proposal.time_zone)
    for pk, person in people.items():
        if pk not in expiry:
            report.error(
                "instructor_not_qualified",
                _("%(who)s is not qualified to teach %(code)s.")
                % {"who": person, "code": proposal.course.code},
                "instructors",
                subject_id=pk,
            )
        elif (expires_on := expiry[pk]) is not None and expires_on < last_day:
            report.error(
                "qualification_expired",
                _(
                    "%(who)s's qualification for %(code)s expires on %(day)s, "
                    "before the session ends."
                )
                % {"who": person, "code": proposal.course.code, "day": expires_on.isoformat()},
                "instructors",
                subject_id=pk,
                detail={"expires_on": expires_on.isoformat(), "last_day": last_day.isoformat()},
            )


def _warn_working_hours(
    people: dict[int, Instructor], blocks: list[ProposedBlock], report: Report
) -> None:
    windows: dict[int, list[WorkingHours]] = defaultdict(list)
    for hours in WorkingHours.objects.filter(instructor_id__in=people):
        windows[hours.instructor_id].append(hours)
    for pk, person in people.items():
        if not windows[pk]:
            continue  # no working hours recorded: nothing to compare with
        for block in blocks:
            start = _local(block.starts_at, person.home_time_zone)
            end = _local(block.ends_at, person.home_time_zone)
            fits = start.date() == end.date() or end.time() == dt.time(0)
            fits = fits and any(
                w.weekday == start.weekday()
                and w.starts <= start.time()
                and (
                    end.time() <= w.ends or (end.time() == dt.time(0) and w.ends == dt.time(23, 59))
                )
                for w in windows[pk]
            )
            if not fits:
                report.warn(
                    "outside_working_hours",
                    _("%(who)s does not normally work %(day)s %(start)s-%(end)s (their time).")
                    % {
                        "who": person,
                        "day": start.strftime("%a %Y-%m-%d"),
                        "start": start.strftime("%H:%M"),
                        "end": end.strftime("%H:%M"),
                    },
                    "instructors",
                    subject_id=pk,
                )


def _week_start(moment: dt.datetime, zone: str) -> dt.datetime:
    local = _local(moment, zone)
    monday = local.date() - dt.timedelta(days=local.weekday())
    return dt.datetime.combine(monday, dt.time(0), tzinfo=zoneinfo.ZoneInfo(zone))


def _warn_load_and_sites(
    proposal: Proposal, people: dict[int, Instructor], blocks: list[ProposedBlock], report: Report
) -> None:
    """Warn about weekly hour limits and about teaching at two sites on one day."""
    earliest = min(b.starts_at for b in blocks) - dt.timedelta(days=8)
    latest = max(b.ends_at for b in blocks) + dt.timedelta(days=8)
    window = DateTimeTZRange(earliest, latest, "[)")
    per_person = Q(pk__in=[])
    for pk in people:
        per_person |= Q(instructor_id=as_bigint(pk), during__overlap=window)
    existing = InstructorBooking.objects.filter(per_person)
    if proposal.session_id is not None:
        existing = existing.exclude(session_id=proposal.session_id)
    hours: dict[tuple[int, dt.datetime], float] = defaultdict(float)
    sites: dict[tuple[int, dt.date], set[int]] = defaultdict(set)
    for pk, during, site_id in existing.values_list(
        "instructor_id", "during", "block__room__site_id"
    ):
        zone = people[pk].home_time_zone
        starts_at, ends_at = _bounds(during)
        hours[(pk, _week_start(starts_at, zone))] += (ends_at - starts_at).total_seconds() / 3600
        if site_id is not None:
            sites[(pk, _local(starts_at, zone).date())].add(site_id)

    new_hours: dict[tuple[int, dt.datetime], float] = defaultdict(float)
    for pk, person in people.items():
        zone = person.home_time_zone
        for block in blocks:
            week = _week_start(block.starts_at, zone)
            new_hours[(pk, week)] += (block.ends_at - block.starts_at).total_seconds() / 3600
            block_site_id = block.room.site_id if block.room is not None else None
            day = _local(block.starts_at, zone).date()
            others = sites[(pk, day)] - {block_site_id} if block_site_id is not None else set()
            if others:
                report.warn(
                    "two_sites_one_day",
                    _("%(who)s also teaches at another site on %(day)s.")
                    % {"who": person, "day": day},
                    "instructors",
                    subject_id=pk,
                )
    for (pk, week), added in new_hours.items():
        person = people[pk]
        total = hours[(pk, week)] + added
        if total > person.weekly_hour_limit:
            report.warn(
                "over_weekly_hours",
                _("%(who)s would teach %(total).1f h in the week of %(week)s (limit %(limit)s h).")
                % {
                    "who": person,
                    "total": total,
                    "week": week.date().isoformat(),
                    "limit": person.weekly_hour_limit,
                },
                "instructors",
                subject_id=pk,
                detail={
                    "week": week.date().isoformat(),
                    "hours": round(total, 2),
                    "limit": person.weekly_hour_limit,
                },
            )
