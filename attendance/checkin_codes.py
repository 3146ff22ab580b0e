"""Self check-in codes: short, rotating, derived (no table).

A block's code in a time window is six digits taken from an HMAC-SHA256 of the block id and the
window's index, keyed by a secret derived from `SECRET_KEY` with its own purpose string (so a
code says nothing about other uses of the key, and rotating `SECRET_KEY` rotates every code).
Windows are `CODE_SECONDS` long, counted from the Unix epoch; the code of the current window and
of the one before are accepted, so a code read just before it changes still works for up to one
more window.

Digits rather than letters: phones show their number pad, and a code is easy to read off a wall.
Guessing is held back by the rate limit of `attendance.services.check_in` (10 tries per learner
in 10 minutes), and a guess only ever counts for a block the learner holds a confirmed seat in.

When codes are accepted: during the block plus one grace period at each edge, from
`settings.CHECKIN_GRACE_MINUTES` before it starts (learners arriving early) to as long after it
ends (`CheckInWindow`). Everything takes `now`, so tests move time with time-machine.
"""

from __future__ import annotations

import datetime as dt
import hmac
from dataclasses import dataclass

from django.conf import settings
from django.utils.crypto import salted_hmac

from scheduling.models import SessionBlock

CODE_DIGITS = 6
CODE_SECONDS = 60
# Checking in later than this after the block's start is recorded as "late".
LATE_AFTER = dt.timedelta(minutes=5)
_PURPOSE = "tms.attendance.checkin-code.v1"


@dataclass(frozen=True)
class CheckInWindow:
    """When a block's codes are accepted: [opens, closes]."""

    opens: dt.datetime
    closes: dt.datetime

    def state(self, now: dt.datetime) -> str:
        """'before', 'open' or 'after'."""
        if now < self.opens:
            return "before"
        if now > self.closes:
            return "after"
        return "open"


def grace() -> dt.timedelta:
    """The grace period at each edge of a block (`CHECKIN_GRACE_MINUTES`)."""
    return dt.timedelta(minutes=settings.CHECKIN_GRACE_MINUTES)


def check_in_window(block: SessionBlock) -> CheckInWindow:
    """The block plus the grace period before its start and after its end."""
    return CheckInWindow(opens=block.starts_at - grace(), closes=block.ends_at + grace())


def window_index(moment: dt.datetime) -> int:
    return int(moment.timestamp()) // CODE_SECONDS


def window_starts(index: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(index * CODE_SECONDS, tz=dt.UTC)


def code_at(block_id: int, index: int) -> str:
    """The code of block `block_id` in window `index` (whether or not check-in is open)."""
    digest = salted_hmac(
        _PURPOSE, f"{block_id}:{index}", secret=settings.SECRET_KEY, algorithm="sha256"
    ).digest()
    # Dynamic truncation as in HOTP (RFC 4226): 31 bits from an offset the digest chooses.
    offset = digest[-1] & 0x0F
    number = int.from_bytes(digest[offset : offset + 4], "big") & 0x7FFFFFFF
    return str(number % 10**CODE_DIGITS).zfill(CODE_DIGITS)


def current_code(block_id: int, now: dt.datetime) -> str:
    return code_at(block_id, window_index(now))


def code_changes_at(now: dt.datetime) -> dt.datetime:
    """When the code shown at `now` is replaced by the next one."""
    return window_starts(window_index(now) + 1)


def matches_now(block_id: int, code: str, now: dt.datetime) -> bool:
    """Is `code` the block's code of the current or the previous window?"""
    index = window_index(now)
    return any(hmac.compare_digest(code_at(block_id, i), code) for i in (index, index - 1))


def matching_window(block_id: int, code: str, first: int, last: int) -> int | None:
    """The latest window in [first, last] whose code is `code` (for telling a learner that
    their code expired, and when). At most a few hundred HMACs for a day's block."""
    for index in range(last, first - 1, -1):
        if hmac.compare_digest(code_at(block_id, index), code):
            return index
    return None


def normalise(raw: str) -> str | None:
    """The code as typed ("123 456", "123-456") → "123456"; None if it cannot be a code."""
    cleaned = "".join(ch for ch in raw if ch not in " -\u00a0\t")
    if len(cleaned) != CODE_DIGITS or not cleaned.isascii() or not cleaned.isdigit():
        return None
    return cleaned
