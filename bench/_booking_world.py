"""Benchmark helpers for `booking.py`: the bench organisation, its booking history, the orders.

`Plan` keeps, in memory, who is busy in which slot, so that the history and the measured
sessions never overlap and every measured creation is expected to succeed. Needs Django set up
(imported by `booking.py` after `django.setup()`). A helper, not a benchmark (leading "_").
"""

from __future__ import annotations

import datetime as dt
import random
import time
from dataclasses import dataclass

from _bulk import copy_rows, reset_sequences
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import DatabaseError, connection
from django.utils import timezone
from psycopg2.extras import DateTimeTZRange

from instructors.models import Instructor, Qualification, Unavailability, WorkingHours
from scheduling.models import (
    AssignmentRole,
    Course,
    DeliveryMode,
    InstructorAssignment,
    InstructorBooking,
    RoomBooking,
    Session,
    SessionBlock,
    SessionStatus,
)
from scheduling.services import ProposedBlock, ProposedInstructor, SessionInput
from tms.roles import Role
from venues.models import Room, RoomClosure, Site

SITE_ZONES = ("Europe/London", "Europe/Paris", "America/New_York", "Asia/Singapore", "UTC")
# Three UTC slots a day, 30 min apart: room buffers (<= 15 min each side) never make them touch.
SLOT_STARTS = (dt.time(8), dt.time(11, 30), dt.time(15))
SLOT_HOURS = 3
BLOCKS = 3  # per session, on consecutive days in the same slot
PAST_DAYS = 400
FUTURE_DAYS = 120


def seeded(seed: int) -> random.Random:
    return random.Random(seed)  # noqa: S311 - repeatable bench data, not security


@dataclass
class Plan:
    """Who is busy when. Slots are numbered day * 3 + slot-of-day from the first bench day."""

    first_day: dt.date
    days: int
    room_busy: list[bytearray]
    person_busy: list[bytearray]

    @classmethod
    def empty(cls, first_day: dt.date, days: int, rooms: int, people: int) -> Plan:
        size = days * len(SLOT_STARTS)
        return cls(
            first_day,
            days,
            [bytearray(size) for _ in range(rooms)],
            [bytearray(size) for _ in range(people)],
        )

    def copy(self) -> Plan:
        return Plan(
            self.first_day,
            self.days,
            [bytearray(b) for b in self.room_busy],
            [bytearray(b) for b in self.person_busy],
        )

    def slots(self, first: int) -> list[int]:
        return [first + k * len(SLOT_STARTS) for k in range(BLOCKS)]

    def times(self, slot: int) -> tuple[dt.datetime, dt.datetime]:
        day, index = divmod(slot, len(SLOT_STARTS))
        start = dt.datetime.combine(
            self.first_day + dt.timedelta(days=day), SLOT_STARTS[index], tzinfo=dt.UTC
        )
        return start, start + dt.timedelta(hours=SLOT_HOURS)

    def take(
        self, rng: random.Random, day_range: tuple[int, int], people_per_session: int = 2
    ) -> tuple[list[int], int, list[int]]:
        """Draw a free room and free instructors for 3 blocks; mark them busy."""
        for _ in range(10_000):
            day = rng.randrange(day_range[0], day_range[1] - BLOCKS + 1)
            slots = self.slots(day * len(SLOT_STARTS) + rng.randrange(len(SLOT_STARTS)))
            room = rng.randrange(len(self.room_busy))
            if any(self.room_busy[room][s] for s in slots):
                continue
            people = rng.sample(range(len(self.person_busy)), people_per_session)
            if any(self.person_busy[p][s] for p in people for s in slots):
                continue
            for s in slots:
                self.room_busy[room][s] = 1
                for p in people:
                    self.person_busy[p][s] = 1
            return slots, room, people
        raise RuntimeError("no free slot found: the plan is too full")


@dataclass
class World:
    """The fixed part of the bench database: sites, rooms, instructors, courses."""

    now: dt.datetime
    rooms: list[Room]
    people: list[Instructor]
    courses: list[Course]
    plan: Plan  # closures and absences marked busy; no sessions yet


def settle() -> None:
    """Fresh statistics, and the bulk load's dirty pages written out before measuring.

    Without the CHECKPOINT, the checkpointer flushes the 100k load in the background while
    the next phase is measured, and its I/O shows up as a long tail there.
    """
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
        try:
            cursor.execute("CHECKPOINT")  # superuser or pg_checkpoint only
        except DatabaseError as error:
            print(f"(no CHECKPOINT: {error}".strip() + ")", flush=True)


def build_world(rng: random.Random, rooms: int, people: int) -> World:
    now = timezone.now()
    first_day = now.date() - dt.timedelta(days=PAST_DAYS)
    plan = Plan.empty(first_day, PAST_DAYS + FUTURE_DAYS, rooms, people)
    sites = Site.objects.bulk_create(
        Site(name=f"Bench site {i}", address=f"{i} Bench Street", time_zone=zone)
        for i, zone in enumerate(SITE_ZONES * 2)
    )
    room_rows = Room.objects.bulk_create(
        Room(
            site=sites[i % len(sites)],
            name=f"Room {i}",
            capacity=rng.choice([16, 20, 24, 30, 40]),
            features=["projector", "whiteboard", "wheelchair_access"],
            setup_buffer_minutes=rng.choice([0, 10, 15]),
            teardown_buffer_minutes=rng.choice([0, 10, 15]),
        )
        for i in range(rooms)
    )
    user_model = get_user_model()
    unusable = make_password(None)
    users = user_model.objects.bulk_create(
        user_model(
            username=f"bench{i}", first_name="Bench", last_name=f"Trainer {i}", password=unusable
        )
        for i in range(people)
    )
    group = Group.objects.get(name=Role.INSTRUCTOR)
    user_model.groups.through.objects.bulk_create(
        user_model.groups.through(user_id=u.pk, group_id=group.pk) for u in users
    )
    people_rows = Instructor.objects.bulk_create(
        Instructor(user=u, home_time_zone="UTC", weekly_hour_limit=60) for u in users
    )
    courses = Course.objects.bulk_create(
        Course(
            code=f"BENCH-{i:02d}",
            title=f"Benchmark course {i}",
            default_capacity=12,
            delivery_modes=[DeliveryMode.ILT, DeliveryMode.VILT],
            wanted_room_features=["projector"],
        )
        for i in range(10)
    )
    Qualification.objects.bulk_create(
        Qualification(instructor=p, course=c) for p in people_rows for c in courses
    )
    WorkingHours.objects.bulk_create(
        WorkingHours(instructor=p, weekday=d, starts=dt.time(7), ends=dt.time(19))
        for p in people_rows
        for d in range(5)
    )
    # Some closures and absences, over the whole span; their slots are off limits.
    closures, absences = [], []
    per_day = len(SLOT_STARTS)
    for _ in range(rooms // 2):
        room, day = rng.randrange(rooms), rng.randrange(plan.days)
        start = dt.datetime.combine(first_day + dt.timedelta(days=day), dt.time(0), dt.UTC)
        closures.append(
            RoomClosure(
                room=room_rows[room],
                starts_at=start,
                ends_at=start + dt.timedelta(days=1),
                reason="Bench maintenance",
            )
        )
        plan.room_busy[room][day * per_day : (day + 1) * per_day] = b"\1" * per_day
    for person in range(people):
        day = rng.randrange(plan.days)
        start = dt.datetime.combine(first_day + dt.timedelta(days=day), dt.time(0), dt.UTC)
        absences.append(
            Unavailability(
                instructor=people_rows[person],
                starts_at=start,
                ends_at=start + dt.timedelta(days=1),
                kind="leave",
            )
        )
        plan.person_busy[person][day * per_day : (day + 1) * per_day] = b"\1" * per_day
    RoomClosure.objects.bulk_create(closures)
    Unavailability.objects.bulk_create(absences)
    return World(now, room_rows, people_rows, courses, plan)


def load_history(world: World, plan: Plan, blocks: int, rng: random.Random) -> float:
    """COPY `blocks` booked blocks (3 per session, room + 2 instructors) into the database."""
    started = time.perf_counter()
    sessions, block_rows, assignments, room_bookings, person_bookings = [], [], [], [], []
    block_id = assignment_id = 0
    for session_id in range(1, blocks // BLOCKS + 2):
        count = min(BLOCKS, blocks - block_id)
        if count <= 0:
            break
        slots, room_index, people = plan.take(rng, (0, plan.days))
        slots = slots[:count]
        room = world.rooms[room_index]
        times = [plan.times(s) for s in slots]
        course = world.courses[session_id % len(world.courses)]
        sessions.append(
            {
                "id": session_id,
                "course_id": course.pk,
                "delivery_mode": DeliveryMode.ILT,
                "status": SessionStatus.COMPLETED
                if times[-1][1] < world.now
                else SessionStatus.SCHEDULED,
                "capacity": 12,
                "time_zone": room.site.time_zone,
                "starts_at": times[0][0],
                "ends_at": times[-1][1],
            }
        )
        ids = []
        for index, person in enumerate(people):
            assignment_id += 1
            ids.append(assignment_id)
            assignments.append(
                {
                    "id": assignment_id,
                    "session_id": session_id,
                    "instructor_id": world.people[person].pk,
                    "role": AssignmentRole.LEAD if index == 0 else AssignmentRole.CO_FACILITATOR,
                }
            )
        for start, end in times:
            block_id += 1
            block_rows.append(
                {
                    "id": block_id,
                    "session_id": session_id,
                    "starts_at": start,
                    "ends_at": end,
                    "room_id": room.pk,
                }
            )
            held = DateTimeTZRange(
                start - dt.timedelta(minutes=room.setup_buffer_minutes),
                end + dt.timedelta(minutes=room.teardown_buffer_minutes),
                "[)",
            )
            room_bookings.append(
                {
                    "id": block_id,
                    "session_id": session_id,
                    "block_id": block_id,
                    "room_id": room.pk,
                    "during": held,
                }
            )
            for assignment, person in zip(ids, people, strict=True):
                person_bookings.append(
                    {
                        "id": len(person_bookings) + 1,
                        "session_id": session_id,
                        "assignment_id": assignment,
                        "block_id": block_id,
                        "instructor_id": world.people[person].pk,
                        "during": DateTimeTZRange(start, end, "[)"),
                    }
                )
    tables = (
        (Session, sessions),
        (SessionBlock, block_rows),
        (InstructorAssignment, assignments),
        (RoomBooking, room_bookings),
        (InstructorBooking, person_bookings),
    )
    for model, rows in tables:
        copy_rows(model, rows, world.now)
    reset_sequences(*(model for model, _rows in tables))
    settle()
    return time.perf_counter() - started


@dataclass(frozen=True)
class Order:
    """One session to create: a course, a room, two instructors and three free slots."""

    course: Course
    room: Room
    people: tuple[Instructor, Instructor]
    times: tuple[tuple[dt.datetime, dt.datetime], ...]
    # Positions in the plan, to keep these slots free of history.
    slots: tuple[int, ...]
    room_index: int
    people_index: tuple[int, ...]

    def data(self) -> SessionInput:
        return SessionInput(
            course=self.course,
            delivery_mode=DeliveryMode.ILT,
            capacity=12,
            time_zone=self.room.site.time_zone,
            blocks=[ProposedBlock(s, e, self.room, index=i) for i, (s, e) in enumerate(self.times)],
            instructors=[
                ProposedInstructor(self.people[0], AssignmentRole.LEAD),
                ProposedInstructor(self.people[1], AssignmentRole.CO_FACILITATOR),
            ],
            status=SessionStatus.SCHEDULED,
        )


def draw_orders(world: World, plan: Plan, count: int, rng: random.Random) -> list[Order]:
    """Free slots in the future part of the span (from the day after tomorrow)."""
    first_future = PAST_DAYS + 2
    orders = []
    for index in range(count):
        slots, room, people = plan.take(rng, (first_future, plan.days))
        orders.append(
            Order(
                world.courses[index % len(world.courses)],
                world.rooms[room],
                (world.people[people[0]], world.people[people[1]]),
                tuple(plan.times(s) for s in slots),
                tuple(slots),
                room,
                tuple(people),
            )
        )
    return orders


def reserve(plan: Plan, orders: list[Order]) -> Plan:
    """A copy of `plan` with the orders' slots marked busy, so history keeps off them."""
    reserved = plan.copy()
    for order in orders:
        for slot in order.slots:
            reserved.room_busy[order.room_index][slot] = 1
            for person in order.people_index:
                reserved.person_busy[person][slot] = 1
    return reserved
