"""Racing the seat door from outside: the production function has no test switches.

`slow_registration_writes` makes every write of a registration wait (a trigger of the test's
own, dropped afterwards), which widens the window between counting seats and writing;
`gated_registration_writes` holds every write at a gate until the test sees that all racers
are waiting (at the gate or for a lock), so the interleaving is certain, not a matter of timing;
`seat_door_without_locks` installs a copy of the door with its session lock and learner lock
removed (the negative controls: the same race must then oversell), and puts the real one back.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.db import connection

from tms.sql_functions import install_all, registered

SLOW_WRITES = """
CREATE OR REPLACE FUNCTION test_slow_registration_write() RETURNS trigger
LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep({seconds}); RETURN NEW; END $$;
CREATE TRIGGER test_slow_registration_write BEFORE INSERT OR UPDATE ON attendance_registration
FOR EACH ROW EXECUTE FUNCTION test_slow_registration_write();
"""
UNDO_SLOW_WRITES = """
DROP TRIGGER IF EXISTS test_slow_registration_write ON attendance_registration;
DROP FUNCTION IF EXISTS test_slow_registration_write();
"""


@contextmanager
def slow_registration_writes(seconds: float) -> Iterator[None]:
    with connection.cursor() as cursor:
        cursor.execute(SLOW_WRITES.format(seconds=float(seconds)))
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(UNDO_SLOW_WRITES)


GATE = "7399, 1"
GATED_WRITES = f"""
CREATE OR REPLACE FUNCTION test_gated_registration_write() RETURNS trigger
LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_advisory_xact_lock_shared({GATE}); RETURN NEW; END $$;
CREATE TRIGGER test_gated_registration_write BEFORE INSERT OR UPDATE ON attendance_registration
FOR EACH ROW EXECUTE FUNCTION test_gated_registration_write();
"""
UNDO_GATED_WRITES = """
DROP TRIGGER IF EXISTS test_gated_registration_write ON attendance_registration;
DROP FUNCTION IF EXISTS test_gated_registration_write();
"""


@contextmanager
def gated_registration_writes() -> Iterator[Callable[[int], None]]:
    """Yields `open_when_waiting(n)`: it waits until n database sessions are blocked (at the
    gate, or on a lock another one holds), then opens the gate. Call it from the test's main
    thread (its connection holds the gate) after starting n racers."""
    with connection.cursor() as cursor:
        cursor.execute(GATED_WRITES)
        cursor.execute(f"SELECT pg_advisory_lock({GATE})")
    opened = False

    def open_when_waiting(racers: int) -> None:
        nonlocal opened
        deadline = time.monotonic() + 60
        with connection.cursor() as cursor:
            while True:
                cursor.execute(
                    "SELECT count(DISTINCT pid) FROM pg_locks WHERE NOT granted "
                    "AND pid <> pg_backend_pid() AND pid IN (SELECT pid FROM pg_stat_activity "
                    "WHERE datname = current_database())"
                )
                if cursor.fetchone()[0] >= racers:
                    break
                if time.monotonic() > deadline:
                    raise AssertionError(f"{racers} racers never all waited")
                time.sleep(0.01)
            cursor.execute(f"SELECT pg_advisory_unlock({GATE})")
        opened = True

    try:
        yield open_when_waiting
    finally:
        with connection.cursor() as cursor:
            if not opened:
                cursor.execute(f"SELECT pg_advisory_unlock({GATE})")
            cursor.execute(UNDO_GATED_WRITES)


def _door(name: str) -> str:
    return next(f for f in registered() if f.name == name).render()


@contextmanager
def seat_door_without_locks() -> Iterator[None]:
    """The door as it would be without its locks (the session row lock and the learner's
    advisory lock): the negative control of the race tests."""
    door = _door("attendance_take_seat")
    clash = _door("attendance_learner_clash")
    assert "FOR NO KEY UPDATE;" in door
    assert "pg_advisory_xact_lock" in clash
    unlocked_door = door.replace("FOR NO KEY UPDATE;", ";")
    unlocked_clash = clash.replace(
        "PERFORM pg_advisory_xact_lock(7301, (p_learner % 2147483647)::integer);", ""
    )
    with connection.cursor() as cursor:
        cursor.execute(unlocked_door)
        cursor.execute(unlocked_clash)
    try:
        yield
    finally:
        install_all()
