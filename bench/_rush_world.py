"""Benchmark helpers for `registration_rush.py`: the bench database, its learners and sessions.

Needs Django set up (imported by `registration_rush.py` after `django.setup()`). A helper, not a
benchmark (leading "_").
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from _booking_world import settle
from _bulk import copy_rows, reset_sequences
from _databases import drop_database
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import connection
from django.utils import timezone
from psycopg2 import sql
from psycopg2.extras import DateTimeTZRange
from rest_framework.authtoken.models import Token

from attendance.models import SEAT_HOLDING, Registration
from notifications.models import OutboxMessage
from scheduling.models import (
    Course,
    DeliveryMode,
    RoomBooking,
    Session,
    SessionBlock,
    SessionStatus,
)
from tms.roles import Role
from venues.models import Room, Site

SPREAD_ROOMS = 10  # the spread sessions take turns in these rooms, one 3-hour slot a day each


@dataclass(frozen=True)
class Learner:
    pk: int
    token: str


@dataclass
class World:
    learners: list[Learner]  # the measured ones, in registration order
    warm_up: list[Learner]  # extra learners for warming up the web workers (not measured)
    hot: int  # session id
    spread: list[int]  # session ids; learner i registers for spread[i % len(spread)]
    warm_up_session: int
    profile_session: int  # a hot-like session kept for profiling single requests
    hot_capacity: int
    spread_capacity: int


# --- The database ------------------------------------------------------------------------------


def drop_rush_database(name: str, original: str) -> None:
    drop_database(name)
    connection.settings_dict["NAME"] = original


def database_host() -> str:
    s = connection.settings_dict
    return str(s["HOST"] or s.get("OPTIONS", {}).get("host") or "")


def database_url() -> str:
    """A DATABASE_URL for the current (bench) database, for processes started by the bench.

    A unix-socket host (the embedded server) goes in the query string, which django-environ
    turns into the `host` connection option.
    """
    s = connection.settings_dict
    auth = quote(str(s["USER"] or ""), safe="")
    if s["PASSWORD"]:
        auth += ":" + quote(str(s["PASSWORD"]), safe="")
    host, port = database_host(), str(s["PORT"] or "")
    query = {
        key: value
        for key, value in (s.get("OPTIONS") or {}).items()
        if key != "host" and isinstance(value, str | int)
    }
    if host.startswith("/"):
        query["host"] = host
        netloc = f"{auth}@" + (f":{port}" if port else "")
    else:
        netloc = f"{auth}@{host}" + (f":{port}" if port else "")
    url = f"postgres://{netloc}/{quote(str(s['NAME']), safe='')}"
    return url + ("?" + urlencode(query) if query else "")


# --- The world ---------------------------------------------------------------------------------


def build_world(
    *, learners: int, warm_up: int, spread: int, hot_capacity: int, spread_capacity: int
) -> World:
    """Learners with tokens; one course; a hot session, `spread` sessions, two spare ones.

    Every session is scheduled, starts in a month or more and has one active block in a room
    at least as big as the session (so the session's capacity is the seat limit). Rows are
    bulk-loaded (ORM bulk_create for people, COPY for sessions), then VACUUM ANALYZE.
    """
    now = timezone.now()
    user_model = get_user_model()
    # One hash computed once and shared: token authentication never checks it.
    password = make_password("rush-bench-learner")
    total = learners + warm_up
    users = user_model.objects.bulk_create(
        (
            user_model(
                username=f"rush{i:05d}",
                email=f"rush{i:05d}@bench.example.org",
                first_name="Rush",
                last_name=f"Learner {i}",
                password=password,
            )
            for i in range(total)
        ),
        batch_size=1000,
    )
    group = Group.objects.get(name=Role.LEARNER)
    user_model.groups.through.objects.bulk_create(
        (user_model.groups.through(user_id=u.pk, group_id=group.pk) for u in users),
        batch_size=2000,
    )
    tokens = Token.objects.bulk_create(
        (Token(key=Token.generate_key(), user=u) for u in users), batch_size=2000
    )
    people = [Learner(t.user.pk, t.key) for t in tokens]

    site = Site.objects.create(name="Rush site", address="1 Rush Street", time_zone="UTC")
    big_room = Room.objects.create(site=site, name="Rush hall", capacity=max(hot_capacity, 120))
    spread_rooms = Room.objects.bulk_create(
        Room(site=site, name=f"Rush room {i}", capacity=max(spread_capacity, 20))
        for i in range(SPREAD_ROOMS)
    )
    course = Course.objects.create(
        code="RUSH-1",
        title="Registration rush",
        default_capacity=hot_capacity,
        delivery_modes=[DeliveryMode.ILT],
    )
    first_day = dt.datetime.combine(now.date() + dt.timedelta(days=30), dt.time(9), dt.UTC)
    sessions: list[dict[str, Any]] = []
    blocks: list[dict[str, Any]] = []
    bookings: list[dict[str, Any]] = []

    def add(capacity: int, room: Room, starts: dt.datetime) -> int:
        pk = len(sessions) + 1
        ends = starts + dt.timedelta(hours=3)
        sessions.append(
            {
                "id": pk,
                "course_id": course.pk,
                "delivery_mode": DeliveryMode.ILT,
                "status": SessionStatus.SCHEDULED,
                "capacity": capacity,
                "time_zone": "UTC",
                "starts_at": starts,
                "ends_at": ends,
            }
        )
        blocks.append(
            {"id": pk, "session_id": pk, "starts_at": starts, "ends_at": ends, "room_id": room.pk}
        )
        bookings.append(
            {
                "id": pk,
                "session_id": pk,
                "block_id": pk,
                "room_id": room.pk,
                "during": DateTimeTZRange(starts, ends, "[)"),
            }
        )
        return pk

    hot = add(hot_capacity, big_room, first_day)
    warm_up_session = add(hot_capacity, big_room, first_day + dt.timedelta(days=1))
    profile_session = add(hot_capacity, big_room, first_day + dt.timedelta(days=2))
    spread_ids = [
        add(
            spread_capacity,
            spread_rooms[k % SPREAD_ROOMS],
            first_day + dt.timedelta(days=k // SPREAD_ROOMS),
        )
        for k in range(spread)
    ]
    copy_rows(Session, sessions, now)
    copy_rows(SessionBlock, blocks, now)
    copy_rows(RoomBooking, bookings, now)
    reset_sequences(Session, SessionBlock, RoomBooking)
    settle()
    return World(
        learners=people[:learners],
        warm_up=people[learners:],
        hot=hot,
        spread=spread_ids,
        warm_up_session=warm_up_session,
        profile_session=profile_session,
        hot_capacity=hot_capacity,
        spread_capacity=spread_capacity,
    )


def reset_registrations() -> None:
    """Empty the registrations and the outbox (and whatever hangs off them) between shapes."""
    tables = [Registration._meta.db_table, OutboxMessage._meta.db_table]
    statement = sql.SQL("TRUNCATE {} CASCADE").format(
        sql.SQL(", ").join(sql.Identifier(t) for t in tables)
    )
    with connection.cursor() as cursor:
        cursor.execute(statement.as_string(cursor.connection))


# --- Counting in SQL ---------------------------------------------------------------------------


@dataclass
class Tally:
    sessions: int
    registrations: int  # not cancelled
    seat_holding: int  # confirmed (and offered, none expected here)
    waitlisted: int
    oversold: int  # sum over sessions of max(0, seat-holding - seat limit)
    undersold: int  # seats left free while someone of the same session is waitlisted
    outbox: int
    bad_queues: int  # sessions whose waitlist ranks are not distinct

    def line(self) -> str:
        return (
            f"SQL count: {self.registrations} registrations in {self.sessions} sessions, "
            f"{self.seat_holding} confirmed, {self.waitlisted} waitlisted, oversold "
            f"{self.oversold}, seats left free with a waitlist {self.undersold}, "
            f"{self.outbox} outbox rows"
        )


TALLY_SQL = """
WITH limits AS (
    SELECT s.id, LEAST(s.capacity, COALESCE(
        (SELECT min(room.capacity) FROM scheduling_sessionblock b
         JOIN venues_room room ON room.id = b.room_id
         WHERE b.session_id = s.id AND b.status = 'active'), s.capacity)) AS seat_limit
    FROM scheduling_session s WHERE s.id = ANY(%(ids)s)
), counts AS (
    SELECT l.id, l.seat_limit,
           count(r.id) FILTER (WHERE r.status = ANY(%(holding)s)) AS holding,
           count(r.id) FILTER (WHERE r.status = 'waitlisted') AS waiting,
           count(r.id) FILTER (WHERE r.status <> 'cancelled') AS active,
           count(DISTINCT r.waitlist_rank) FILTER (WHERE r.status = 'waitlisted') AS ranks
    FROM limits l LEFT JOIN attendance_registration r ON r.session_id = l.id
    GROUP BY l.id, l.seat_limit
)
SELECT count(*), COALESCE(sum(active), 0), COALESCE(sum(holding), 0),
       COALESCE(sum(waiting), 0),
       COALESCE(sum(GREATEST(0, holding - seat_limit)), 0),
       COALESCE(sum(CASE WHEN waiting > 0 THEN GREATEST(0, seat_limit - holding) ELSE 0 END), 0),
       count(*) FILTER (WHERE ranks <> waiting),
       (SELECT count(*) FROM notifications_outboxmessage)
FROM counts
"""


def tally(session_ids: list[int]) -> Tally:
    """Count what the run left behind, in SQL: never trust a counter."""
    with connection.cursor() as cursor:
        cursor.execute(TALLY_SQL, {"ids": session_ids, "holding": [str(s) for s in SEAT_HOLDING]})
        sessions, active, holding, waiting, oversold, undersold, bad, outbox = cursor.fetchone()
    return Tally(
        sessions=int(sessions),
        registrations=int(active),
        seat_holding=int(holding),
        waitlisted=int(waiting),
        oversold=int(oversold),
        undersold=int(undersold),
        outbox=int(outbox),
        bad_queues=int(bad),
    )
