"""Two requests on separate database connections book the same resource at the same moment.

Both pass the friendly pre-check (neither has committed yet), then insert at once: the
exclusion constraint lets exactly one in and the other gets the same clear conflict.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.db import OperationalError, connection

from scheduling.models import InstructorBooking, RoomBooking, Session
from scheduling.services import booking, sessions
from tests import factories
from tests.conftest import at
from tms.exceptions import Busy, ResourceConflict

pytestmark = pytest.mark.django_db(transaction=True)


def _race(monkeypatch: pytest.MonkeyPatch, attempts: list[Callable[[], Session]]) -> list[Any]:
    """Run the attempts in threads that all reach the booking insert before any inserts."""
    barrier = threading.Barrier(len(attempts), timeout=20)
    real_book = booking.book_blocks_locked
    first_tries: set[int] = set()

    def book_after_everyone_checked(*args: Any, **kwargs: Any) -> None:
        if threading.get_ident() not in first_tries:  # a retry does not wait for the others
            first_tries.add(threading.get_ident())
            barrier.wait()  # every thread has passed the pre-check; now insert together
        real_book(*args, **kwargs)

    monkeypatch.setattr(sessions, "book_blocks_locked", book_after_everyone_checked)
    outcomes: list[Any] = [None] * len(attempts)

    def run(index: int) -> None:
        try:
            outcomes[index] = attempts[index]()
        except Exception as error:  # the outcome under test
            outcomes[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(attempts))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def test_two_coordinators_booking_one_room_at_once_get_one_session_and_one_conflict(
    monkeypatch, schedule, room
):
    first, second = factories.InstructorFactory(), factories.InstructorFactory()
    outcomes = _race(
        monkeypatch,
        [
            lambda: schedule(instructors=[first]),
            lambda: schedule(
                [(at("2030-03-04", "10:00"), at("2030-03-04", "13:00"))], instructors=[second]
            ),
        ],
    )
    winners = [o for o in outcomes if isinstance(o, Session)]
    losers = [o for o in outcomes if isinstance(o, ResourceConflict)]
    assert len(winners) == 1, outcomes
    assert len(losers) == 1, outcomes
    assert losers[0].conflicts[0]["session_id"] == winners[0].pk
    assert losers[0].conflicts[0]["resource"] == "room"
    assert RoomBooking.objects.filter(room=room).count() == 1
    assert Session.objects.count() == 1


def test_two_coordinators_booking_one_instructor_at_once_get_one_session_and_one_conflict(
    monkeypatch, schedule, instructor
):
    other_room = factories.RoomFactory()
    outcomes = _race(
        monkeypatch,
        [
            lambda: schedule(instructors=[instructor]),
            lambda: schedule(rooms=[other_room], instructors=[instructor]),
        ],
    )
    winners = [o for o in outcomes if isinstance(o, Session)]
    losers = [o for o in outcomes if isinstance(o, ResourceConflict)]
    assert (len(winners), len(losers)) == (1, 1), outcomes
    assert losers[0].conflicts[0]["resource"] == "instructor"
    assert losers[0].conflicts[0]["session_id"] == winners[0].pk
    assert InstructorBooking.objects.filter(instructor=instructor).count() == 1


def test_without_the_exclusion_constraint_the_same_race_double_books(monkeypatch, schedule, room):
    """Negative control: proves the race above really reaches the database at the same time."""
    with connection.cursor() as cursor:
        cursor.execute(
            "ALTER TABLE scheduling_roombooking DROP CONSTRAINT room_never_double_booked"
        )
    try:
        outcomes = _race(
            monkeypatch,
            [
                lambda: schedule(instructors=[factories.InstructorFactory()]),
                lambda: schedule(instructors=[factories.InstructorFactory()]),
            ],
        )
        assert all(isinstance(o, Session) for o in outcomes), outcomes
        assert RoomBooking.objects.filter(room=room).count() == 2
    finally:
        RoomBooking.objects.all().delete()
        with connection.cursor() as cursor:
            cursor.execute(
                "ALTER TABLE scheduling_roombooking ADD CONSTRAINT room_never_double_booked "
                "EXCLUDE USING gist (room_id WITH =, during WITH &&, session_id WITH <>)"
            )


def test_a_room_closure_racing_a_booking_never_leaves_a_booking_inside_the_closure(
    monkeypatch, schedule, room
):
    from venues.services import room_closure_create

    checked = threading.Event()
    real_book = booking.book_blocks_locked

    def book_slowly(*args: Any, **kwargs: Any) -> None:
        checked.set()  # the booking has checked closures and holds the room FOR SHARE
        time.sleep(0.5)
        real_book(*args, **kwargs)

    monkeypatch.setattr(sessions, "book_blocks_locked", book_slowly)
    outcomes: list[Any] = [None, None]

    def book() -> None:
        try:
            outcomes[0] = schedule()
        except Exception as error:  # the outcome under test
            outcomes[0] = error
        finally:
            connection.close()

    def close_room() -> None:
        checked.wait(timeout=20)
        try:
            outcomes[1] = room_closure_create(
                room=room,
                starts_at=at("2030-03-04", "08:00"),
                ends_at=at("2030-03-04", "18:00"),
                reason="Flooded",
            )
        except Exception as error:  # the outcome under test
            outcomes[1] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=book), threading.Thread(target=close_room)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert isinstance(outcomes[0], Session), outcomes
    assert isinstance(outcomes[1], ResourceConflict), outcomes  # waited, then saw the booking
    assert outcomes[1].conflicts[0]["session_id"] == outcomes[0].pk


def _hold_open_after_booking(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Patch the booking step: the rival thread books, then keeps its transaction open until
    `release` is set; the test thread's booking attempts are counted, and each attempt that
    gave up waiting is recorded."""
    state: dict[str, Any] = {
        "held": threading.Event(),
        "release": threading.Event(),
        "rival": None,
        "attempts": 0,
        "gave_up": 0,
        "release_after_first_timeout": False,
    }
    real_book = booking.book_blocks_locked

    def book(*args: Any, **kwargs: Any) -> None:
        if threading.current_thread() is state["rival"]:
            real_book(*args, **kwargs)
            state["held"].set()
            assert state["release"].wait(timeout=60)
            return
        state["attempts"] += 1
        try:
            real_book(*args, **kwargs)
        except OperationalError:
            state["gave_up"] += 1
            if state["release_after_first_timeout"]:
                state["release"].set()  # the rival commits while the loser tries again
            raise

    monkeypatch.setattr(sessions, "book_blocks_locked", book)
    return state


def _start_rival(state: dict[str, Any], attempt: Callable[[], Session]) -> list[Any]:
    outcome: list[Any] = [None]

    def run() -> None:
        try:
            outcome[0] = attempt()
        except Exception as error:  # the outcome under test
            outcome[0] = error
        finally:
            state["held"].set()  # never leave the test waiting if the rival failed early
            connection.close()

    state["rival"] = threading.Thread(target=run)
    state["rival"].start()
    assert state["held"].wait(timeout=60)
    return outcome


@pytest.mark.slow
def test_a_rival_holding_its_booking_past_the_lock_timeout_is_named_once_it_commits(
    monkeypatch, schedule
):
    """The rival's transaction stays open longer than the loser may wait for one lock (a
    slow or loaded machine). The loser's first wait gives up; its second attempt sees the
    rival's committed booking and names it, instead of "busy, try again"."""
    state = _hold_open_after_booking(monkeypatch)
    state["release_after_first_timeout"] = True
    rival = _start_rival(state, lambda: schedule(instructors=[factories.InstructorFactory()]))
    try:
        with pytest.raises(ResourceConflict) as refused:
            schedule(
                [(at("2030-03-04", "10:00"), at("2030-03-04", "13:00"))],
                instructors=[factories.InstructorFactory()],
            )
    finally:
        state["release"].set()
        state["rival"].join(timeout=60)

    assert isinstance(rival[0], Session), rival
    assert state["gave_up"] == 1  # the first wait really ran out
    assert refused.value.conflicts[0]["session_id"] == rival[0].pk
    assert refused.value.conflicts[0]["resource"] == "room"
    assert list(Session.objects.values_list("pk", flat=True)) == [rival[0].pk]


@pytest.mark.slow
def test_a_rival_that_never_commits_while_the_loser_retries_is_busy_and_nothing_is_written(
    monkeypatch, schedule, room
):
    """Sustained contention: the rival is still open after the loser's retry. Then (and only
    then) the loser is told to try again, with nothing written; trying again after the rival
    committed names it."""
    state = _hold_open_after_booking(monkeypatch)
    rival = _start_rival(state, lambda: schedule(instructors=[factories.InstructorFactory()]))
    late = factories.InstructorFactory()
    slot = [(at("2030-03-04", "10:00"), at("2030-03-04", "13:00"))]
    try:
        with pytest.raises(Busy):
            schedule(slot, instructors=[late])
        assert (state["attempts"], state["gave_up"]) == (2, 2)  # a retry, then busy
    finally:
        state["release"].set()
        state["rival"].join(timeout=60)

    assert isinstance(rival[0], Session), rival
    assert list(Session.objects.values_list("pk", flat=True)) == [rival[0].pk]
    assert list(RoomBooking.objects.values_list("session_id", flat=True)) == [rival[0].pk]
    with pytest.raises(ResourceConflict) as refused:
        schedule(slot, instructors=[late])
    assert refused.value.conflicts[0]["session_id"] == rival[0].pk
