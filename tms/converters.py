"""The `<id:...>` path converter: a database id, as `<int:...>`, but a number no id can be
(beyond PostgreSQL's bigint) does not match the route, so it is a 404 rather than an
"out of range" error from a plain SQL statement."""

from __future__ import annotations

from tms.api import MAX_ID


class IdConverter:
    regex = "[0-9]+"

    def to_python(self, value: str) -> int:
        number = int(value)
        if number > MAX_ID:
            raise ValueError("beyond any database id")  # Django: the route does not match
        return number

    def to_url(self, value: int) -> str:
        return str(value)
