"""Self check-in (attendance.services.check_in): the code's windows (before, during, grace,
after), rotation (the previous code still works, older ones are refused naming when they
expired), another session's code, learners not registered or not confirmed, a second check-in,
a wrong code and the rate limit. `now` is passed in; the block is 2030-03-04 09:00-12:00 Paris
(CET), so check-in is open 08:45-12:15 CET with the default 15-minute grace at each edge."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.cache import cache
from django.test import override_settings

from attendance.checkin_codes import code_at, current_code, normalise, window_index
from attendance.models import AttendanceRecord, AttendanceSource, AttendanceStatus
from attendance.services.check_in import (
    MAX_TRIES,
    AlreadyCheckedIn,
    CheckInCodeExpired,
    CheckInNotOpen,
    CheckInNotRegistered,
    CheckInOtherSession,
    CheckInWrongCode,
    TooManyCheckInTries,
    attendance_check_in,
)
from attendance.services.marking import Mark, attendance_mark
from attendance.services.registration import registration_create
from tests import factories
from tests.conftest import NOW, at
from tms.exceptions import DomainError
from tms.models import Profile

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache() -> Any:
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def seated(published: Any, learner: Any) -> Any:
    """`learner` holds a confirmed seat in a session on 2030-03-04 09:00-12:00 Paris."""
    session = published(capacity=5)
    registration_create(session_id=session.pk, learner=learner, now=NOW)
    return session


def _block(session: Any) -> Any:
    return session.blocks.get()


def _check_in(learner: Any, block: Any, when: dt.datetime, code: str | None = None) -> Any:
    return attendance_check_in(learner=learner, code=code or current_code(block.pk, when), now=when)


def test_a_learner_checking_in_on_time_is_present_recorded_as_a_check_in(seated, learner):
    block = _block(seated)
    when = at("2030-03-04", "09:02")

    result = _check_in(learner, block, when)

    record = AttendanceRecord.objects.get()
    assert (record.block, record.registration.learner) == (block, learner)
    assert record.status == AttendanceStatus.PRESENT
    assert record.source == AttendanceSource.CHECK_IN
    assert record.recorded_by == learner
    assert record.recorded_at == when
    assert result.late is False


def test_a_learner_may_check_in_within_the_grace_before_the_start(seated, learner):
    block = _block(seated)
    _check_in(learner, block, at("2030-03-04", "08:45"))
    assert AttendanceRecord.objects.get().status == AttendanceStatus.PRESENT


def test_check_in_before_the_window_opens_is_refused_naming_the_opening_time(seated, learner):
    block = _block(seated)
    with pytest.raises(CheckInNotOpen) as refused:
        _check_in(learner, block, at("2030-03-04", "08:40"))
    assert refused.value.message == "Check-in for Workplace safety opens at 08:45 CET."
    assert not AttendanceRecord.objects.exists()


def test_checking_in_more_than_five_minutes_after_the_start_is_late(seated, learner):
    block = _block(seated)
    result = _check_in(learner, block, at("2030-03-04", "09:06"))
    assert result.late is True
    assert AttendanceRecord.objects.get().status == AttendanceStatus.LATE


def test_check_in_works_during_the_grace_period_after_the_end(seated, learner):
    block = _block(seated)
    _check_in(learner, block, at("2030-03-04", "12:14"))
    assert AttendanceRecord.objects.get().status == AttendanceStatus.LATE


def test_a_code_after_the_grace_period_is_refused_naming_when_it_expired(seated, learner):
    block = _block(seated)
    with pytest.raises(CheckInCodeExpired) as refused:
        _check_in(learner, block, at("2030-03-04", "12:16"))
    assert refused.value.message == (
        "This code expired at 12:15 CET: check-in for Workplace safety has closed."
    )
    assert not AttendanceRecord.objects.exists()


@override_settings(CHECKIN_GRACE_MINUTES=0)
def test_without_grace_check_in_is_the_block_itself(seated, learner):
    block = _block(seated)
    with pytest.raises(CheckInNotOpen) as early:
        _check_in(learner, block, at("2030-03-04", "08:59"))
    assert early.value.message == "Check-in for Workplace safety opens at 09:00 CET."
    with pytest.raises(CheckInCodeExpired):
        _check_in(learner, block, at("2030-03-04", "12:01"))
    assert not AttendanceRecord.objects.exists()


@pytest.mark.parametrize(
    ("grace", "opens", "closes"),
    [(5, "08:55", "12:05"), (30, "08:30", "12:30")],
)
def test_one_grace_setting_opens_and_closes_check_in(seated, learner, grace, opens, closes):
    """The same CHECKIN_GRACE_MINUTES before the start and after the end (no separate rule
    for arriving early: a 30-minute grace opens check-in half an hour before)."""
    block = _block(seated)
    minute = dt.timedelta(minutes=1)
    with override_settings(CHECKIN_GRACE_MINUTES=grace):
        with pytest.raises(CheckInNotOpen) as early:
            _check_in(learner, block, at("2030-03-04", opens) - minute)
        assert early.value.message == f"Check-in for Workplace safety opens at {opens} CET."
        assert (
            early.value.extra["opens_at"] == at("2030-03-04", opens).astimezone(dt.UTC).isoformat()
        )
        with pytest.raises(CheckInCodeExpired) as late:
            _check_in(learner, block, at("2030-03-04", closes) + minute)
        assert late.value.message == (
            f"This code expired at {closes} CET: check-in for Workplace safety has closed."
        )
        assert not AttendanceRecord.objects.exists()
        _check_in(learner, block, at("2030-03-04", opens))
    assert AttendanceRecord.objects.get().status == AttendanceStatus.PRESENT


@pytest.mark.parametrize(("grace", "closes"), [(5, "12:05"), (30, "12:30")])
def test_check_in_is_accepted_until_the_grace_after_the_end(seated, learner, grace, closes):
    block = _block(seated)
    with override_settings(CHECKIN_GRACE_MINUTES=grace):
        _check_in(learner, block, at("2030-03-04", closes))
    assert AttendanceRecord.objects.get().status == AttendanceStatus.LATE


def test_the_code_read_just_before_it_changed_still_works(seated, learner):
    block = _block(seated)
    read = at("2030-03-04", "09:00") + dt.timedelta(seconds=59)
    typed = read + dt.timedelta(seconds=50)  # the next window
    assert current_code(block.pk, typed) != current_code(block.pk, read)

    _check_in(learner, block, typed, code=current_code(block.pk, read))

    assert AttendanceRecord.objects.get().status == AttendanceStatus.PRESENT


def test_a_code_two_windows_old_is_refused_naming_when_it_expired(seated, learner):
    block = _block(seated)
    read = at("2030-03-04", "09:00") + dt.timedelta(seconds=30)
    typed = at("2030-03-04", "09:02") + dt.timedelta(seconds=5)

    with pytest.raises(CheckInCodeExpired) as refused:
        _check_in(learner, block, typed, code=current_code(block.pk, read))

    assert refused.value.message == "This code expired at 09:02 CET: enter the code shown now."
    assert not AttendanceRecord.objects.exists()


def test_an_old_code_after_check_in_closed_says_it_closed(seated, learner):
    block = _block(seated)
    read = at("2030-03-04", "12:10")
    with pytest.raises(CheckInCodeExpired) as refused:
        _check_in(learner, block, at("2030-03-04", "12:30"), code=current_code(block.pk, read))
    assert refused.value.message == (
        "This code expired at 12:12 CET: check-in for Workplace safety has closed."
    )


def test_times_in_messages_are_in_the_learners_own_zone(seated, learner):
    Profile.objects.create(user=learner, time_zone="America/New_York")
    block = _block(seated)
    with pytest.raises(CheckInNotOpen) as refused:
        _check_in(learner, block, at("2030-03-04", "08:40"))
    assert refused.value.message == "Check-in for Workplace safety opens at 02:45 EST."


def test_the_code_of_another_session_is_refused(seated, learner, schedule):
    other = schedule(
        status="scheduled",
        the_course=factories.CourseFactory(title="Forklift basics"),
        rooms=[factories.RoomFactory()],
        instructors=[factories.InstructorFactory()],
    )
    when = at("2030-03-04", "09:02")

    with pytest.raises(CheckInOtherSession) as refused:
        _check_in(learner, _block(other), when)

    assert "This code is for another session" in refused.value.message
    assert "You are registered for Workplace safety" in refused.value.message
    assert not AttendanceRecord.objects.exists()


def test_a_learner_not_registered_is_refused(published, learners):
    session = published()
    stranger = learners(1)[0]
    with pytest.raises(CheckInNotRegistered) as refused:
        _check_in(stranger, _block(session), at("2030-03-04", "09:02"))
    assert refused.value.message == (
        "This code is for a session you are not registered for. Ask your instructor."
    )
    assert not AttendanceRecord.objects.exists()


def test_a_waitlisted_learner_is_refused(published, learners):
    session = published(capacity=1)
    first, second = learners(2)
    registration_create(session_id=session.pk, learner=first, now=NOW)
    registration_create(session_id=session.pk, learner=second, now=NOW)

    with pytest.raises(CheckInNotRegistered) as refused:
        _check_in(second, _block(session), at("2030-03-04", "09:02"))

    assert refused.value.message == (
        "Only learners with a confirmed seat can check in to Workplace safety: your "
        "registration is waitlisted."
    )
    assert not AttendanceRecord.objects.exists()


def test_a_second_check_in_is_refused_naming_the_first(seated, learner):
    block = _block(seated)
    _check_in(learner, block, at("2030-03-04", "09:02"))

    with pytest.raises(AlreadyCheckedIn) as refused:
        _check_in(learner, block, at("2030-03-04", "09:20"))

    assert refused.value.message == "You already checked in at 09:02 CET."
    record = AttendanceRecord.objects.get()
    assert (record.status, record.recorded_at) == ("present", at("2030-03-04", "09:02"))


def test_a_check_in_never_replaces_what_the_instructor_recorded(seated, learner, instructor):
    block = _block(seated)
    attendance_mark(
        registration=seated.registrations.get(),
        block=block,
        mark=Mark(status=AttendanceStatus.ABSENT),
        source=AttendanceSource.ROSTER,
        recorded_by=instructor.user,
        now=at("2030-03-04", "09:30"),
    )
    with pytest.raises(AlreadyCheckedIn) as refused:
        _check_in(learner, block, at("2030-03-04", "09:40"))
    assert "already recorded (absent) by your instructor" in refused.value.message
    assert AttendanceRecord.objects.get().status == AttendanceStatus.ABSENT


def test_a_wrong_code_is_refused_and_writes_nothing(seated, learner):
    block = _block(seated)
    when = at("2030-03-04", "09:02")
    wrong = _not_a_code_of(block, when)
    with pytest.raises(CheckInWrongCode) as refused:
        _check_in(learner, block, when, code=wrong)
    assert refused.value.fields == {"code": ["Not a current code."]}
    assert not AttendanceRecord.objects.exists()


@pytest.mark.parametrize("typed", ["", "12345", "1234567", "12a456", "١٢٣٤٥٦"])
def test_something_that_cannot_be_a_code_gets_a_field_message(seated, learner, typed):
    with pytest.raises(DomainError) as refused:
        attendance_check_in(learner=learner, code=typed, now=at("2030-03-04", "09:02"))
    assert refused.value.fields == {"code": ["6 digits, e.g. 123456."]}


def test_spaces_and_dashes_in_a_typed_code_are_ignored(seated, learner):
    block = _block(seated)
    when = at("2030-03-04", "09:02")
    code = current_code(block.pk, when)
    _check_in(learner, block, when, code=f" {code[:3]}-{code[3:]} ")
    assert AttendanceRecord.objects.count() == 1


def _not_a_code_of(block: Any, when: dt.datetime, start: int = 0) -> str:
    index = window_index(when)
    taken = {code_at(block.pk, i) for i in range(index - 300, index + 1)}
    return next(c for n in range(start, 10**6) if (c := f"{n:06d}") not in taken)


def test_guessing_is_limited_to_ten_tries_in_ten_minutes(seated, learner):
    block = _block(seated)
    start = at("2030-03-04", "09:00")
    for n in range(MAX_TRIES):
        when = start + dt.timedelta(seconds=30 * n)
        with pytest.raises(CheckInWrongCode):
            _check_in(learner, block, when, code=_not_a_code_of(block, when, start=n))

    # The 11th try is refused even with the right code, and writes nothing.
    eleventh = start + dt.timedelta(minutes=5, seconds=10)
    with pytest.raises(TooManyCheckInTries) as refused:
        _check_in(learner, block, eleventh)
    assert refused.value.status_code == 429
    assert refused.value.message.startswith("Too many tries. Wait 5 minute(s)")
    assert not AttendanceRecord.objects.exists()

    # Ten minutes after the first tries, the learner may try again.
    later = start + dt.timedelta(minutes=10, seconds=1)
    _check_in(learner, block, later)
    assert AttendanceRecord.objects.get().status == AttendanceStatus.LATE


def test_the_limit_is_per_learner(seated, learner, learners):
    block = _block(seated)
    when = at("2030-03-04", "09:00")
    guesser = learners(1)[0]
    for n in range(MAX_TRIES + 1):
        with pytest.raises((CheckInWrongCode, TooManyCheckInTries)):
            _check_in(guesser, block, when, code=_not_a_code_of(block, when, start=n))
    _check_in(learner, block, when)
    assert AttendanceRecord.objects.count() == 1


def test_codes_are_six_digits_and_differ_by_block_window_and_secret():
    codes = {code_at(block, index) for block in range(1, 21) for index in range(100, 150)}
    assert all(len(c) == 6 and c.isdigit() for c in codes)
    assert len(codes) > 990  # 1000 pairs: collisions are rare
    before = code_at(7, 1000)
    assert code_at(7, 1000) == before
    with override_settings(SECRET_KEY="another secret key " * 4):
        assert code_at(7, 1000) != before
    assert normalise("123 456") == "123456"
