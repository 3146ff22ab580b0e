"""The outbox's database function (see tms/sql_functions.py for how files are installed)."""

from __future__ import annotations

from tms.sql_functions import SqlFunction

FUNCTIONS = [
    SqlFunction(
        "notifications",
        "notifications_enqueue",
        "text, bigint, text, text, text, jsonb, text, timestamptz",
    ),
]


def sql_constants() -> dict[str, str]:
    return {}
