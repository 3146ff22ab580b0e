"""Scheduling's database functions (see tms/sql_functions.py for how files are installed)."""

from __future__ import annotations

from tms.sql_functions import SqlFunction, sql_literal

FUNCTIONS = [SqlFunction("scheduling", "scheduling_seat_limit", "bigint")]


def sql_constants() -> dict[str, str]:
    from scheduling.models import BlockStatus

    return {"BLOCK_ACTIVE": sql_literal(BlockStatus.ACTIVE)}
