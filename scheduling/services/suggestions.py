"""The next free slots for a plan that conflicts, keeping its weekday and wall-clock pattern.

The rule (one for a new session and for a moved block):

- a candidate is the plan with its shifted blocks moved `k` whole weeks later (k = 1, 2, ...):
  each block keeps its local weekday and its wall-clock start and end in the *session's* zone
  (`tms.timezones.local_instant`, the one clock-change rule), so across a daylight-saving change
  09:00 stays 09:00 and the instant moves by an hour;
- a candidate where one of those wall-clock times does not exist (clocks skip it) is skipped,
  as the forms would refuse it;
- a candidate is offered only when `planning.evaluate` — the very check every write makes —
  finds no error at all (warnings are shown with it);
- week by week also for a single block: the coordinator picked a weekday and a time, and the
  suggestion keeps both (day by day would keep only the time).

Bounded: at most `horizon_weeks` evaluations (each a fixed number of queries, whatever the
number of bookings), stopping as soon as `count` slots are found. Nothing is written here; the
chosen slot is applied through the ordinary services, which check everything again.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import zoneinfo
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from scheduling.models import BlockStatus, Session, SessionBlock
from scheduling.services.blocks import BlockChange, proposal_for_session
from scheduling.services.planning import (
    Finding,
    Proposal,
    ProposedBlock,
    ProposedInstructor,
    Report,
    evaluate,
)
from tms.timezones import NonexistentLocalTime, local_instant

# Errors that another week may not have: bookings, closures and absences. Any other error
# (room too small, instructor not qualified...) is the same every week, so nothing is searched.
TIME_BOUND_ERRORS = frozenset(
    {
        "room_conflict",
        "room_closed",
        "host_account_conflict",
        "instructor_conflict",
        "instructor_unavailable",
    }
)
SUGGESTION_COUNT = 5
HORIZON_WEEKS = 26


@dataclass(frozen=True)
class Suggestion:
    """The plan `weeks` weeks later; `blocks` are the shifted blocks (instants, UTC)."""

    weeks: int
    blocks: tuple[ProposedBlock, ...]
    warnings: tuple[Finding, ...]
    time_zone: str

    @property
    def starts_at(self) -> dt.datetime:
        return min(b.starts_at for b in self.blocks)

    @property
    def ends_at(self) -> dt.datetime:
        return max(b.ends_at for b in self.blocks)

    @property
    def days(self) -> int:
        return self.weeks * 7

    def local(self, moment: dt.datetime) -> dt.datetime:
        return moment.astimezone(zoneinfo.ZoneInfo(self.time_zone))


def worth_searching(report: Report) -> bool:
    """Whether another week could cure the report: it has errors, all of them time-bound."""
    return bool(report.errors) and all(f.code in TIME_BOUND_ERRORS for f in report.errors)


def shift_wall_clock(moment: dt.datetime, zone: str, days: int) -> dt.datetime:
    """`moment` `days` later on the wall clock of `zone` (same local time, UTC result).
    Raises `NonexistentLocalTime` when that reading is skipped by a clock change."""
    local = moment.astimezone(zoneinfo.ZoneInfo(zone))
    return local_instant(local.date() + dt.timedelta(days=days), local.time(), zone)


def _shifted(
    blocks: Sequence[ProposedBlock], moved: Collection[int], zone: str, days: int
) -> list[ProposedBlock] | None:
    out = []
    for block in blocks:
        if block.index not in moved:
            out.append(block)
            continue
        try:
            starts = shift_wall_clock(block.starts_at, zone, days)
            ends = shift_wall_clock(block.ends_at, zone, days)
        except NonexistentLocalTime:
            return None
        out.append(dataclasses.replace(block, starts_at=starts, ends_at=ends))
    return out


def next_free_slots(
    proposal: Proposal,
    *,
    now: dt.datetime,
    moved: Collection[int] | None = None,
    count: int = SUGGESTION_COUNT,
    horizon_weeks: int = HORIZON_WEEKS,
) -> list[Suggestion]:
    """Up to `count` later weeks in which `proposal` (with the blocks whose `index` is in
    `moved` shifted; default: all) passes `evaluate` without error. See the module's rule."""
    indexes = {b.index for b in proposal.blocks} if moved is None else set(moved)
    zone = proposal.time_zone
    found: list[Suggestion] = []
    for weeks in range(1, horizon_weeks + 1):
        blocks = _shifted(proposal.blocks, indexes, zone, weeks * 7)
        if blocks is None:
            continue
        shifted = tuple(b for b in blocks if b.index in indexes)
        if any(b.starts_at < now for b in shifted):
            continue
        report = evaluate(dataclasses.replace(proposal, blocks=blocks), now=now)
        if report.ok:
            found.append(Suggestion(weeks, shifted, tuple(report.warnings), zone))
            if len(found) >= count:
                break
    return found


def plan_suggestions(
    proposal: Proposal, report: Report, *, now: dt.datetime, count: int = SUGGESTION_COUNT
) -> list[Suggestion]:
    """For a new session's checked plan: later weeks for all its blocks, if a week can help."""
    if not worth_searching(report):
        return []
    return next_free_slots(proposal, now=now, count=count)


def block_move_suggestions(
    *,
    session: Session,
    change: BlockChange,
    now: dt.datetime,
    count: int = SUGGESTION_COUNT,
    instructors: Sequence[ProposedInstructor] | None = None,
) -> list[Suggestion] | None:
    """For a refused move of one block to `change`'s time and room: later weeks for that block
    alone, the session's other active blocks staying where they are — the same proposal
    `session_reschedule` checks (`proposal_for_session` with the moved block). None when no
    week could help (the refusal is not about bookings, closures or absences). With
    `instructors`, the session as it would be staffed (the timeline's combined move)."""
    active = list(session.blocks.filter(status=BlockStatus.ACTIVE).select_related("room"))
    blocks: list[SessionBlock] = []
    moved_index: int | None = None
    for index, block in enumerate(active):
        if block.pk == change.block_id:
            block = SessionBlock(
                pk=block.pk,
                session=session,
                starts_at=change.starts_at or block.starts_at,
                ends_at=change.ends_at or block.ends_at,
                room=change.room or block.room,
            )
            moved_index = index
        blocks.append(block)
    if moved_index is None:
        return None
    proposal = proposal_for_session(session, blocks=blocks, instructors=instructors)
    if not worth_searching(evaluate(proposal, now=now)):
        return None
    return next_free_slots(proposal, now=now, moved={moved_index}, count=count)
