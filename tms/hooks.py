"""Questions a lower app asks that a higher app answers, so that dependencies point one way.

`venues` and `instructors` must refuse a room closure, a buffer change or an instructor's
leave over booked blocks, but bookings belong to `scheduling`, which depends on them. So
scheduling registers the check here (`SchedulingConfig.ready`) and they call
`refuse_if_booked` without importing scheduling.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from psycopg2.extras import DateTimeTZRange

# (resource kind "room" / "instructor", the object, the period, the message) -> None; raises
# a DomainError naming the bookings when there are any.
BookingCheck = Callable[[str, Any, DateTimeTZRange, str], None]
_BOOKING_CHECKS: list[BookingCheck] = []


def register_booking_check(check: BookingCheck) -> None:
    if check not in _BOOKING_CHECKS:
        _BOOKING_CHECKS.append(check)


def refuse_if_booked(resource: str, obj: Any, period: DateTimeTZRange, message: str) -> None:
    """Raise (409) if `obj` is booked during `period`; `message` opens the error."""
    if not _BOOKING_CHECKS:
        raise RuntimeError("No booking check registered: is the scheduling app installed?")
    for check in _BOOKING_CHECKS:
        check(resource, obj, period, message)
