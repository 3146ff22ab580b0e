"""Sign-off and certification in one transaction: the door the sign-off page and API call.

`attendance` cannot import `compliance` (dependencies point attendance -> compliance), so
attendance's sign-off writes the completions and this wrapper, one layer up, certifies them in
the same transaction: a sign-off either records the outcomes *and* issues their certificates,
or neither. Late edits that flip a completion afterwards are certified or revoked in their own
transaction by the marking doors (`compliance.services.marking`), and by the beat sweep
(`certifications_sync`) for any other path.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from attendance.services.sign_off import SignedOff, attendance_sign_off
from compliance.services.certifications import certifications_issue_for_session


def sign_off_and_certify(
    *, session_id: int, now: dt.datetime | None = None, **sign_off: Any
) -> SignedOff:
    """Sign off `session_id`'s attendance (attendance's service decides the completions by the
    course's rule) and issue the certifications those completions earn, atomically.

    Keyword arguments other than `session_id` and `now` go to attendance's sign-off service
    unchanged; its result is returned."""
    now = now or timezone.now()
    with transaction.atomic(durable=True):
        return sign_off_and_certify_in_transaction(session_id=session_id, now=now, **sign_off)


def sign_off_and_certify_in_transaction(
    *, session_id: int, now: dt.datetime, **sign_off: Any
) -> SignedOff:
    """`sign_off_and_certify` inside the caller's transaction (the composition root adds the
    xAPI statements to the same one: tms/sign_off.py)."""
    result = attendance_sign_off(session_id=session_id, now=now, **sign_off)
    certifications_issue_for_session(session_id=session_id, now=now)
    return result
