"""The new-session form, filled in from a link: `?course=…&blocks-0-date=…&lead=…`.

The availability search and the copy of a session send the coordinator to the session form
with their choices in the query string; nothing is saved until the form is. The names are the
form's own field names, so a link is just the form's data, shown as initial values (the
form validates them when it is sent).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import urlencode

from django.http import QueryDict

from scheduling.forms.planning import MAX_SEARCH_BLOCKS

SETTINGS = (
    "course",
    "delivery_mode",
    "capacity",
    "min_attendees",
    "time_zone",
    "host_account",
    "lead",
    "notes",
)
ROW_FIELDS = ("date", "starts", "ends", "room")
MAX_LENGTH = 2000  # a typed value longer than this is not ours


def new_session_query(
    *,
    settings: Mapping[str, Any],
    rows: Sequence[Mapping[str, Any]],
    co_facilitators: Iterable[int] = (),
) -> str:
    """The query string that opens the session form with these settings and block rows
    (`date`, `starts`, `ends` and optionally `room`, as the form reads them)."""
    pairs: list[tuple[str, str]] = [
        (name, str(value))
        for name, value in settings.items()
        if name in SETTINGS and value not in (None, "")
    ]
    pairs += [("co_facilitators", str(pk)) for pk in co_facilitators]
    for index, row in enumerate(rows):
        pairs += [
            (f"blocks-{index}-{name}", str(row[name]))
            for name in ROW_FIELDS
            if row.get(name) not in (None, "")
        ]
    return urlencode(pairs)


def new_session_initial(query: QueryDict) -> tuple[dict[str, Any], list[dict[str, str]]]:
    """The session form's and the block rows' initial values from a link's query string."""
    initial: dict[str, Any] = {
        name: query[name][:MAX_LENGTH] for name in SETTINGS if query.get(name)
    }
    co = [value for value in query.getlist("co_facilitators") if value.isdigit()]
    if co:
        initial["co_facilitators"] = co
    rows = []
    for index in range(MAX_SEARCH_BLOCKS):
        row = {
            name: query[f"blocks-{index}-{name}"][:MAX_LENGTH]
            for name in ROW_FIELDS
            if query.get(f"blocks-{index}-{name}")
        }
        if not row:
            break
        rows.append(row)
    return initial, rows


def filled_in(initial: Mapping[str, Any], rows: Sequence[Mapping[str, Any]]) -> QueryDict:
    """The data the session form would send with these initial values (dated blocks, a room
    session unless the link says otherwise)."""
    data = QueryDict(mutable=True)
    data.update({"delivery_mode": "ilt", "schedule": "dates", "min_attendees": "0"})
    for name, value in initial.items():
        if isinstance(value, list):
            data.setlist(name, [str(v) for v in value])
        else:
            data[name] = str(value)
    data["blocks-TOTAL_FORMS"] = str(len(rows))
    data["blocks-INITIAL_FORMS"] = "0"
    for index, row in enumerate(rows):
        for name, value in row.items():
            data[f"blocks-{index}-{name}"] = str(value)
    return data
