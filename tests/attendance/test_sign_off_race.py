"""A mark racing with sign-off, on two connections: sign-off holds the session's registrations
locked until it commits, so a mark arriving meanwhile waits, then sees the sign-off and needs
a reason, instead of slipping in unrecorded as a late edit and left out of the completions.

The control runs the same mark while sign-off is paused *before* it takes its locks: the mark
goes through at once, which shows the mark really does race the sign-off here."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from django.db import connection

from attendance.models import AttendanceRecord, AttendanceSource, AttendanceStatus
from attendance.services import sign_off as sign_off_module
from attendance.services.marking import Mark, attendance_mark
from attendance.services.registration import registration_create
from attendance.services.sign_off import attendance_sign_off
from tests.conftest import NOW, at
from tms.exceptions import RuleViolation

pytestmark = pytest.mark.django_db(transaction=True)

AFTER = at("2030-03-04", "13:00")


def _lock_waiters() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE wait_event_type = 'Lock' AND datname = current_database()"
        )
        return int(cursor.fetchone()[0])


def _wait_until(condition: Any, seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return False


def _race(monkeypatch: Any, session: Any, registration: Any, *, pause: str) -> dict[str, Any]:
    """Sign off on one thread, paused at `pause` ("locked": after taking its locks, "before":
    before), and mark the learner absent, without a reason, on another."""
    paused, go = threading.Event(), threading.Event()
    outcome: dict[str, Any] = {}
    original = sign_off_module.completions_derive_locked
    original_may = sign_off_module.may_sign_off

    def held(**kwargs: Any) -> Any:
        if pause == "locked":
            paused.set()
            go.wait(10)
        return original(**kwargs)

    def before(user: Any, session: Any) -> bool:
        allowed = original_may(user, session)
        if pause == "before":
            paused.set()
            go.wait(10)
        return allowed

    monkeypatch.setattr(sign_off_module, "completions_derive_locked", held)
    monkeypatch.setattr(sign_off_module, "may_sign_off", before)
    lead = session.assignments.get(role="lead").instructor.user

    def signer() -> None:
        try:
            attendance_sign_off(session_id=session.pk, by=lead, now=AFTER)
        finally:
            connection.close()

    def marker() -> None:
        try:
            attendance_mark(
                registration=registration,
                block=session.blocks.get(),
                mark=Mark(AttendanceStatus.ABSENT),
                source=AttendanceSource.ROSTER,
                recorded_by=None,
                now=AFTER,
            )
            outcome["mark"] = "saved"
        except RuleViolation as error:
            outcome["mark"] = error.fields
        finally:
            connection.close()

    signing = threading.Thread(target=signer)
    signing.start()
    assert paused.wait(10)
    marking = threading.Thread(target=marker)
    marking.start()
    outcome["waited"] = _wait_until(lambda: _lock_waiters() > 0, seconds=3)
    go.set()
    marking.join(20)
    signing.join(20)
    return outcome


@pytest.fixture
def marked(schedule: Any, learner: Any) -> tuple[Any, Any]:
    session = schedule(status="scheduled")
    registration = registration_create(session_id=session.pk, learner=learner, now=NOW).row()
    attendance_mark(
        registration=registration,
        block=session.blocks.get(),
        mark=Mark(AttendanceStatus.PRESENT),
        source=AttendanceSource.ROSTER,
        recorded_by=None,
        now=AFTER,
    )
    return session, registration


def test_a_mark_during_sign_off_waits_for_it_then_needs_a_reason(monkeypatch, marked):
    session, registration = marked
    outcome = _race(monkeypatch, session, registration, pause="locked")
    assert outcome["waited"] is True
    assert "reason" in outcome["mark"]
    record = AttendanceRecord.objects.get()
    assert (record.status, record.late_edit) == ("present", False)
    assert registration.completion.status == "completed"


def test_control_a_mark_before_sign_off_locks_goes_straight_through(monkeypatch, marked):
    session, registration = marked
    outcome = _race(monkeypatch, session, registration, pause="before")
    assert outcome["waited"] is False
    assert outcome["mark"] == "saved"
    assert AttendanceRecord.objects.get().status == "absent"
