"""The course's completion rule, as one pure function: what a registration's attendance over
a session's active blocks comes to (completed or not completed). Sign-off and late edits both
ask it (`attendance.services.sign_off`), so there is one definition.

- `EVERY_BLOCK`: an attended record (present, late, left early: `ATTENDED`) in every active
  block.
- `MINUTES`: the minutes attended over all active blocks reach the course's
  `completion_percent` of their total minutes. A record with minutes counts them; a present
  record without minutes counts the whole block; absent, excused or no record counts 0.
  A late or left-early record says the learner missed part of the block but not how much, so
  under this rule it needs its minutes (`needs_minutes`): sign-off is refused until they are
  typed, and a late edit without them is refused. Should one be met anyway (the course's rule
  changed after sign-off), it counts 0 rather than the whole block it did not attend.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from attendance.models import ATTENDED, AttendanceStatus, CompletionStatus
from scheduling.models import CompletionRule, SessionBlock


def block_minutes(block: SessionBlock) -> int:
    """A block's length in whole minutes (real time: a block across a clock change counts
    the minutes that passed)."""
    return int((block.ends_at - block.starts_at).total_seconds() // 60)


@dataclass(frozen=True)
class BlockLength:
    block_id: int
    minutes: int


@dataclass(frozen=True)
class Attended:
    """What one record says, for the rule."""

    status: str
    minutes_attended: int | None = None


# Attended, but only part of the block: how much is what the minutes rule needs to know.
PART_ATTENDED = (AttendanceStatus.LATE, AttendanceStatus.LEFT_EARLY)


def needs_minutes(rule: str, record: Attended | None) -> bool:
    """Under the minutes rule, a late or left-early record without its minutes: the rule
    cannot tell how much of the block it counts."""
    return (
        rule == CompletionRule.MINUTES
        and record is not None
        and record.status in PART_ATTENDED
        and record.minutes_attended is None
    )


def minutes_counted(record: Attended | None, block_minutes: int) -> int:
    """The minutes one record contributes to the minutes rule."""
    if record is None or record.status not in ATTENDED:
        return 0
    if record.minutes_attended is None:
        # Present: the whole block. Late or left early: an unknown part of it, so nothing
        # (sign-off and late edits refuse such a record under this rule; see the module).
        return block_minutes if record.status == AttendanceStatus.PRESENT else 0
    return min(record.minutes_attended, block_minutes)


def completion_status(
    *,
    rule: str,
    percent: int,
    blocks: Iterable[BlockLength],
    records: Mapping[int, Attended],
) -> str:
    """Completed or not completed, from the records of one registration (by block id) over
    the session's active blocks. A session without active blocks completes nobody."""
    blocks = list(blocks)
    if not blocks:
        return CompletionStatus.NOT_COMPLETED
    if rule == CompletionRule.EVERY_BLOCK:
        done = all(
            (record := records.get(block.block_id)) is not None and record.status in ATTENDED
            for block in blocks
        )
    elif rule == CompletionRule.MINUTES:
        total = sum(block.minutes for block in blocks)
        attended = sum(minutes_counted(records.get(b.block_id), b.minutes) for b in blocks)
        # Whole numbers only: 90 % of 180 minutes is 162, and 161 is short of it.
        done = attended * 100 >= percent * total
    else:  # pragma: no cover - the database allows only the two rules
        raise ValueError(f"Unknown completion rule {rule!r}")
    return CompletionStatus.COMPLETED if done else CompletionStatus.NOT_COMPLETED
