"""Attendance's database functions: the seat door and what it is built from.

One file per function in this folder (tms/sql_functions.py installs them); the literals they
use come from the Python enums below, so a status is spelt once.
"""

from __future__ import annotations

from tms.sql_functions import SqlFunction, sql_list, sql_literal

FUNCTIONS = [
    SqlFunction("attendance", "attendance_learner_clash", "bigint, bigint"),
    SqlFunction("attendance", "attendance_free_seats", "bigint"),
    SqlFunction("attendance", "attendance_queue", "bigint"),
    SqlFunction("attendance", "attendance_queue_position", "bigint, bigint"),
    SqlFunction(
        "attendance",
        "attendance_take_seat",
        "bigint, bigint, bigint, bigint, timestamptz, text, bigint, text, timestamptz, text, "
        "timestamptz, timestamptz, timestamptz, jsonb",
    ),
    SqlFunction("attendance", "attendance_session_cancelled", ""),
    SqlFunction("attendance", "attendance_capacity_covers_seats", ""),
]


def sql_constants() -> dict[str, str]:
    from django.contrib.auth import get_user_model

    from attendance.models import SEAT_HOLDING, CourseWaitlistStatus, RegistrationStatus
    from notifications import events
    from notifications.models import MessageChannel
    from scheduling.models import BlockStatus, SessionStatus

    return {
        "CONFIRMED": sql_literal(RegistrationStatus.CONFIRMED),
        "WAITLISTED": sql_literal(RegistrationStatus.WAITLISTED),
        "OFFERED": sql_literal(RegistrationStatus.OFFERED),
        "CANCELLED": sql_literal(RegistrationStatus.CANCELLED),
        "SEAT_HOLDING": sql_list(SEAT_HOLDING),
        "ENTRY_WAITING": sql_literal(CourseWaitlistStatus.WAITING),
        "ENTRY_OFFERED": sql_literal(CourseWaitlistStatus.OFFERED),
        "BLOCK_ACTIVE": sql_literal(BlockStatus.ACTIVE),
        "SESSION_CANCELLED": sql_literal(SessionStatus.CANCELLED),
        "CHANNEL_EMAIL": sql_literal(MessageChannel.EMAIL),
        "EVENT_CANCELLED": sql_literal(
            events.registration_pattern(events.RegistrationEvent.CANCELLED)
        ),
        "REASON_SESSION_CANCELLED": sql_literal("Session cancelled: "),
        "RULE_SESSION_CANCELLED": sql_literal("session cancelled"),
        "USER_TABLE": get_user_model()._meta.db_table,
    }
