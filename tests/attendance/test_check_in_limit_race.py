"""The check-in rate limit (10 tries per 10 minutes) holds across processes: tries are counted
in PostgreSQL, so two connections (two web processes of `make run`, which has no Redis) share
one count, and parallel tries of one learner are counted one after the other. Each thread
below has its own database connection and nothing is kept in the cache between tries.

Negative control: with the per-learner lock replaced by a meeting point, two tries that both
count before either writes both get through, the eleventh included."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection

from attendance.checkin_codes import code_at, current_code, window_index
from attendance.models import AttendanceRecord, CheckInTry
from attendance.services import check_in as check_in_module
from attendance.services.check_in import (
    MAX_TRIES,
    CheckInWrongCode,
    TooManyCheckInTries,
    attendance_check_in,
)
from attendance.services.registration import registration_create
from tests.conftest import NOW, at

pytestmark = pytest.mark.django_db(transaction=True)

START = at("2030-03-04", "09:00")


@pytest.fixture
def block(published: Any, learner: Any) -> Any:
    session = published(capacity=5)
    registration_create(session_id=session.pk, learner=learner, now=NOW)
    return session.blocks.get()


def _wrong_codes(block: Any, count: int) -> list[str]:
    """`count` codes that are not the block's code in any window near START."""
    index = window_index(START)
    taken = {code_at(block.pk, i) for i in range(index - 300, index + 300)}
    return [c for n in range(10**6) if (c := f"{n:06d}") not in taken][:count]


def _on_own_connection(job: Callable[[], Any]) -> Callable[[], None]:
    """`job` for a thread: its own connection (as in another process), closed afterwards;
    what it returned or raised goes to `outcomes`."""

    def run() -> None:
        try:
            connection.ensure_connection()
            job()
        finally:
            connection.close()

    return run


def _try(learner: Any, code: str, when: dt.datetime, outcomes: list[Any]) -> None:
    try:
        outcomes.append(attendance_check_in(learner=learner, code=code, now=when))
    except Exception as error:  # collected and asserted on below
        outcomes.append(error)


def _run(*jobs: Callable[[], None]) -> None:
    threads = [threading.Thread(target=job) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)


def test_the_eleventh_try_on_another_connection_is_refused(block, learner):
    wrong = _wrong_codes(block, MAX_TRIES)
    first: list[Any] = []

    def ten_tries() -> None:
        for n, code in enumerate(wrong):
            _try(learner, code, START + dt.timedelta(seconds=20 * n), first)

    _run(_on_own_connection(ten_tries))
    assert all(isinstance(o, CheckInWrongCode) for o in first), first
    cache.clear()  # another process: nothing shared but the database

    eleventh = START + dt.timedelta(minutes=4)
    second: list[Any] = []
    code = current_code(block.pk, eleventh)  # even the right code
    _run(_on_own_connection(lambda: _try(learner, code, eleventh, second)))

    assert len(second) == 1
    assert isinstance(second[0], TooManyCheckInTries), second
    assert second[0].message.startswith("Too many tries. Wait 6 minute(s)")
    assert not AttendanceRecord.objects.exists()
    assert CheckInTry.objects.filter(learner=learner).count() == MAX_TRIES


def test_parallel_tries_on_two_connections_let_exactly_ten_through(block, learner):
    wrong = _wrong_codes(block, 12)
    start = threading.Barrier(2, timeout=30)
    outcomes: list[Any] = []

    def six_tries(codes: list[str]) -> Callable[[], None]:
        def job() -> None:
            start.wait()
            for code in codes:
                _try(learner, code, START + dt.timedelta(minutes=1), outcomes)

        return _on_own_connection(job)

    _run(six_tries(wrong[:6]), six_tries(wrong[6:]))

    checked = [o for o in outcomes if isinstance(o, CheckInWrongCode)]
    refused = [o for o in outcomes if isinstance(o, TooManyCheckInTries)]
    assert (len(checked), len(refused)) == (MAX_TRIES, 2), outcomes
    assert CheckInTry.objects.filter(learner=learner).count() == MAX_TRIES


def _nine_tries(block: Any, learner: Any) -> list[str]:
    wrong = _wrong_codes(block, MAX_TRIES + 1)
    for code in wrong[: MAX_TRIES - 1]:
        with pytest.raises(CheckInWrongCode):
            attendance_check_in(learner=learner, code=code, now=START)
    return wrong[MAX_TRIES - 1 :]


def test_two_parallel_tries_at_nine_let_one_through(block, learner):
    last_two = _nine_tries(block, learner)
    start = threading.Barrier(2, timeout=30)
    outcomes: list[Any] = []

    def one_try(code: str) -> Callable[[], None]:
        def job() -> None:
            start.wait()
            _try(learner, code, START + dt.timedelta(minutes=1), outcomes)

        return _on_own_connection(job)

    _run(one_try(last_two[0]), one_try(last_two[1]))

    kinds = sorted(type(o).__name__ for o in outcomes)
    assert kinds == ["CheckInWrongCode", "TooManyCheckInTries"], outcomes
    assert CheckInTry.objects.filter(learner=learner).count() == MAX_TRIES


def test_control_without_the_lock_the_eleventh_gets_through(block, learner, monkeypatch):
    last_two = _nine_tries(block, learner)
    both_counting = threading.Barrier(2, timeout=30)
    # Instead of taking the learner's lock, wait until the other try is here too: both then
    # count nine tries before either writes its own.
    monkeypatch.setattr(check_in_module, "_lock_tries_locked", lambda _id: both_counting.wait())
    outcomes: list[Any] = []

    def one_try(code: str) -> Callable[[], None]:
        return _on_own_connection(
            lambda: _try(learner, code, START + dt.timedelta(minutes=1), outcomes)
        )

    _run(one_try(last_two[0]), one_try(last_two[1]))

    assert all(isinstance(o, CheckInWrongCode) for o in outcomes), outcomes
    assert CheckInTry.objects.filter(learner=learner).count() == MAX_TRIES + 1


def test_old_tries_are_pruned_as_new_ones_are_counted(block, learner, learners):
    other = learners(1)[0]
    CheckInTry.objects.create(learner=other, tried_at=START - dt.timedelta(days=2))
    recent = CheckInTry.objects.create(learner=other, tried_at=START - dt.timedelta(minutes=30))
    with pytest.raises(CheckInWrongCode):
        attendance_check_in(learner=learner, code=_wrong_codes(block, 1)[0], now=START)
    kept = set(CheckInTry.objects.values_list("learner_id", "tried_at"))
    assert kept == {(other.pk, recent.tried_at), (learner.pk, START)}
