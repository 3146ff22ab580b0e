"""Availability for a whole session: which rooms and instructors fit every block, and why the
others do not.

The rules are the planner's (`planning.check_rooms`, `planning.check_instructors`): the search
asks them once about every candidate at the same time and sorts the findings by the room or
instructor they name. So a room the search offers is one the session form accepts, and an
excluded instructor is excluded for the reason the form would give. The number of queries is
fixed: it does not grow with the number of rooms, instructors or blocks.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from django.db.models import F, QuerySet

from instructors.models import Instructor
from scheduling.models import Course, DeliveryMode
from scheduling.services.planning import (
    Finding,
    Proposal,
    ProposedBlock,
    ProposedInstructor,
    Report,
    RoomRequest,
    check_instructors,
    check_rooms,
)
from venues.models import Room

# What keeps a candidate out of the results. Planner errors always do; of its warnings, a room
# without a wanted feature and an instructor over their weekly limit do too (the search asks
# for rooms with those features and instructors who can take the hours). The other warnings
# (working hours, two sites a day) are shown as notes on an available candidate.
EXCLUDING_WARNINGS = frozenset({"room_lacks_feature", "over_weekly_hours"})

T = TypeVar("T", Room, Instructor)


@dataclass
class Candidate(Generic[T]):
    """One room or instructor and what the planner said about them for these blocks."""

    resource: T
    reasons: list[Finding] = field(default_factory=list)
    notes: list[Finding] = field(default_factory=list)

    @property
    def available(self) -> bool:
        return not self.reasons

    @property
    def pk(self) -> int:
        return int(self.resource.pk)


@dataclass
class Availability:
    rooms: list[Candidate[Room]]
    instructors: list[Candidate[Instructor]]

    @property
    def free_rooms(self) -> list[Candidate[Room]]:
        return [c for c in self.rooms if c.available]

    @property
    def free_instructors(self) -> list[Candidate[Instructor]]:
        return [c for c in self.instructors if c.available]


def _sorted_findings(report: Report, candidates: dict[int, Candidate[T]]) -> None:
    """File each finding under the candidate it names, once per message (the same closure
    met by three blocks is one reason)."""
    seen: set[tuple[int, bool, str]] = set()
    findings = [(f, True) for f in report.errors] + [
        (f, f.code in EXCLUDING_WARNINGS) for f in report.warnings
    ]
    for finding, excludes in findings:
        candidate = candidates.get(finding.subject_id) if finding.subject_id else None
        key = (finding.subject_id or 0, excludes, finding.message)
        if candidate is None or key in seen:
            continue
        seen.add(key)
        (candidate.reasons if excludes else candidate.notes).append(finding)


def _ordered(candidates: dict[int, Candidate[T]]) -> list[Candidate[T]]:
    """Available ones first, each group in the order the candidates were listed."""
    listed = list(candidates.values())
    return [c for c in listed if c.available] + [c for c in listed if not c.available]


def room_candidates(site_id: int | None = None) -> QuerySet[Room]:
    rooms = Room.objects.select_related("site").filter(bookable=True)
    if site_id is not None:
        rooms = rooms.filter(site_id=site_id)
    return rooms.order_by("site__name", "capacity", "name")


def instructor_candidates() -> QuerySet[Instructor]:
    return (
        Instructor.objects.select_related("user")
        .filter(active=True)
        .order_by(F("user__last_name").asc(nulls_last=True), "user__first_name", "user__username")
    )


def rooms_for_session(
    *,
    blocks: Sequence[tuple[dt.datetime, dt.datetime]],
    time_zone: str,
    capacity: int,
    features: Sequence[str] = (),
    rooms: QuerySet[Room] | None = None,
    session_id: int | None = None,
) -> list[Candidate[Room]]:
    """Bookable rooms for every block (buffers folded in), each with why it does not fit:
    too small, lacking a wanted feature, booked by another session, closed. Three queries."""
    listed = {
        room.pk: Candidate(room) for room in (rooms if rooms is not None else room_candidates())
    }
    if not listed or not blocks:
        return list(listed.values())
    # One block per (room, time) pair: the planner checks each pair, in two queries in all.
    proposed = [
        ProposedBlock(start, end, candidate.resource, index=index)
        for candidate in listed.values()
        for index, (start, end) in enumerate(blocks)
    ]
    report = Report()
    check_rooms(
        RoomRequest(
            blocks=proposed,
            capacity=capacity,
            time_zone=time_zone,
            wanted_features=features,
            session_id=session_id,
        ),
        report,
    )
    _sorted_findings(report, listed)
    return _ordered(listed)


def instructors_for_session(
    *,
    course: Course,
    blocks: Sequence[tuple[dt.datetime, dt.datetime]],
    time_zone: str,
    rooms: Sequence[Room | None] = (),
    people: QuerySet[Instructor] | None = None,
    session_id: int | None = None,
) -> list[Candidate[Instructor]]:
    """Active instructors for every block, each with why they cannot teach it: booked by
    another session, unavailable (leave, other duty, sick), not qualified for the course or
    qualified only until before the session's last local day, over their weekly hour limit.
    Working-hours and two-sites warnings are notes. Six queries."""
    listed = {
        person.pk: Candidate(person)
        for person in (people if people is not None else instructor_candidates())
    }
    if not listed or not blocks:
        return list(listed.values())
    block_rooms = list(rooms) + [None] * (len(blocks) - len(rooms))
    report = Report()
    check_instructors(
        Proposal(
            course=course,
            delivery_mode=DeliveryMode.ILT,
            capacity=1,
            time_zone=time_zone,
            blocks=[
                ProposedBlock(start, end, block_rooms[index], index=index)
                for index, (start, end) in enumerate(blocks)
            ],
            instructors=[ProposedInstructor(c.resource) for c in listed.values()],
            session_id=session_id,
        ),
        report,
    )
    _sorted_findings(report, listed)
    return _ordered(listed)


def session_availability(
    *,
    course: Course,
    blocks: Sequence[tuple[dt.datetime, dt.datetime]],
    time_zone: str,
    capacity: int,
    features: Sequence[str] = (),
    site_id: int | None = None,
    session_id: int | None = None,
) -> Availability:
    """Rooms and instructors for a whole multi-block session (`blocks` as instants; the
    session is held in `time_zone`). `session_id`: an existing session, whose own bookings do
    not count against it."""
    return Availability(
        rooms=rooms_for_session(
            blocks=blocks,
            time_zone=time_zone,
            capacity=capacity,
            features=features,
            rooms=room_candidates(site_id),
            session_id=session_id,
        ),
        instructors=instructors_for_session(
            course=course, blocks=blocks, time_zone=time_zone, session_id=session_id
        ),
    )


def reasons_by_instructor(candidates: Sequence[Candidate[Instructor]]) -> dict[int, list[str]]:
    """pk → the messages that exclude them (empty for the available), for pickers."""
    return {candidate.pk: [r.message for r in candidate.reasons] for candidate in candidates}
