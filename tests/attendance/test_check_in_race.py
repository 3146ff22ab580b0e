"""Two check-ins of the same learner at once (a double tap on a slow connection, two phones):
one is recorded, the other is told "You already checked in", never a 500 and never a second
record. The registration row lock in the service serialises them: without it (checked by hand)
all eight "succeed", the later ones rewriting the first one's record."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection

from attendance.checkin_codes import current_code
from attendance.models import AttendanceRecord
from attendance.services.check_in import AlreadyCheckedIn, attendance_check_in
from attendance.services.registration import registration_create
from tests.conftest import NOW, at

pytestmark = pytest.mark.django_db(transaction=True)

WORKERS = 8


def test_simultaneous_check_ins_of_one_learner_record_one(published: Any, learner: Any) -> None:
    cache.clear()
    session = published(capacity=5)
    registration_create(session_id=session.pk, learner=learner, now=NOW)
    when = at("2030-03-04", "09:02")
    code = current_code(session.blocks.get().pk, when)
    start = threading.Barrier(WORKERS, timeout=30)
    outcomes: list[Any] = []

    def worker() -> None:
        try:
            connection.ensure_connection()
            start.wait()
            try:
                outcomes.append(attendance_check_in(learner=learner, code=code, now=when))
            except Exception as error:  # collected and asserted on below
                outcomes.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    refused = [o for o in outcomes if isinstance(o, AlreadyCheckedIn)]
    recorded = [o for o in outcomes if not isinstance(o, Exception)]
    assert (len(recorded), len(refused)) == (1, WORKERS - 1), outcomes
    assert AttendanceRecord.objects.count() == 1
    cache.clear()
