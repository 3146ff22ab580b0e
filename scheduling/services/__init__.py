"""Scheduling services: every write that books or frees a room, host account or instructor."""

from scheduling.services.blocks import (
    BlockChange,
    block_add,
    block_cancel,
    block_restore,
    session_assign_instructor,
    session_reschedule,
    session_unassign_instructor,
)
from scheduling.services.planning import (
    Finding,
    Proposal,
    ProposedBlock,
    ProposedInstructor,
    Report,
    evaluate,
)
from scheduling.services.recurrence import weekly_block_times
from scheduling.services.sessions import (
    SessionInput,
    session_create,
    session_transition,
    session_update,
)

__all__ = [
    "BlockChange",
    "Finding",
    "Proposal",
    "ProposedBlock",
    "ProposedInstructor",
    "Report",
    "SessionInput",
    "block_add",
    "block_cancel",
    "block_restore",
    "evaluate",
    "session_assign_instructor",
    "session_create",
    "session_reschedule",
    "session_transition",
    "session_unassign_instructor",
    "session_update",
    "weekly_block_times",
]
