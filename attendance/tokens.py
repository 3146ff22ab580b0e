"""Signed tokens of the one-click links in emails (accept or decline an offer, leave a line).

A token names the registration (or any-date entry) and the action; the pages that read it
check that the signed-in user is the learner it was sent to.
"""

from __future__ import annotations

import datetime as dt

from django.core import signing

OFFER_SALT = "attendance.offer"
COURSE_WAITLIST_SALT = "attendance.course_waitlist"


def offer_token(registration_id: int, action: str) -> str:
    return signing.dumps({"r": registration_id, "a": action}, salt=OFFER_SALT)


def read_offer_token(token: str, *, max_age: dt.timedelta | None = None) -> tuple[int, str]:
    data = signing.loads(token, salt=OFFER_SALT, max_age=max_age)
    return int(data["r"]), str(data["a"])


def course_waitlist_token(entry_id: int) -> str:
    """The "leave the any-date waitlist" link of one entry."""
    return signing.dumps({"c": entry_id}, salt=COURSE_WAITLIST_SALT)


def read_course_waitlist_token(token: str, *, max_age: dt.timedelta | None = None) -> int:
    return int(signing.loads(token, salt=COURSE_WAITLIST_SALT, max_age=max_age)["c"])
