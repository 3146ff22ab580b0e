"""Scheduling's database functions (see tms/sql_functions.py for how files are installed)."""

from __future__ import annotations

from tms.sql_functions import SqlFunction, sql_literal

FUNCTIONS = [
    SqlFunction("scheduling", "scheduling_seat_limit", "bigint"),
    SqlFunction("scheduling", "scheduling_feed_changed", ""),
]


def sql_constants() -> dict[str, str]:
    from scheduling.models import FEED_CATALOGUE, BlockStatus, FeedKind

    return {
        "BLOCK_ACTIVE": sql_literal(BlockStatus.ACTIVE),
        "CATALOGUE": sql_literal(FEED_CATALOGUE),
        "INSTRUCTOR": sql_literal(FeedKind.INSTRUCTOR),
        "ROOM": sql_literal(FeedKind.ROOM),
        "SITE": sql_literal(FeedKind.SITE),
    }
