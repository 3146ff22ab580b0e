"""Finding people by what a reader types: every word in an account's name, email or username.

One rule for every people search that matches word by word (the learners' list and picker, the
instructors' management list), so "ada lov" finds Ada Lovelace wherever people are looked up.
"""

from __future__ import annotations

from typing import TypeVar

from django.db.models import Model, Q, QuerySet

MAX_WORDS = 5  # the first five words count; more only narrow a search nobody types

M = TypeVar("M", bound=Model)


def with_every_word(rows: QuerySet[M], text: str, *, account: str = "") -> QuerySet[M]:
    """Narrow `rows` to those whose account has every word of `text` in its first or last
    name, email or username. `account` is the lookup path from a row to its account ("user__"
    for an instructor); empty when the rows are accounts."""
    for word in text.split()[:MAX_WORDS]:
        rows = rows.filter(
            Q(**{f"{account}first_name__icontains": word})
            | Q(**{f"{account}last_name__icontains": word})
            | Q(**{f"{account}email__icontains": word})
            | Q(**{f"{account}username__icontains": word})
        )
    return rows
