"""Calendar benchmark: the instructor's full feed, its conditional request (304), and the same
1,000-event feed built naively with `icalendar` objects.

    .venv/bin/python bench/calendars.py            (or `make bench`; --help for options)

Runs in a database of its own on the configured server (DATABASE_URL, or the embedded
PostgreSQL from settings): `tms_bench_calendars`, dropped first if left over and dropped at the
end. Demo data is never touched.

The world, bulk-loaded with COPY: one site with 50 rooms, 50 instructors, 10 courses; one
instructor teaches 1,000 one-block sessions (one per slot, four slots a day over 250 days, from
80 days ago: all inside the feed's window), and 9,500 two-block sessions of the other
instructors fill the rooms, 20,000 blocks in all, each with its room and instructor bookings.

Measured with Django's test client (server time: middleware, view, queries, rendering), p50 and
p95 over 200 requests each after a warm-up:
- `feed_p95_ms`: the instructor's full feed (1,000 VEVENTs), as a changed feed is served;
- `feed_304_p95_ms`: the same URL with If-None-Match of the current ETag (target <= 10 ms);
- `naive_feed_p95_ms`: in the same process, the same rows (the same query) turned into an
  `icalendar.Calendar` of `icalendar.Event`s with the invites' VTIMEZONE and serialised: the
  way notifications/ical.py builds an invite. It leaves out the token lookup, validators and
  fetch log the real feed pays for, so the ratio is on the safe side;
- `feed_ratio` = feed_p95 / naive_feed_p95 (target <= 0.5).

- `resource_week_p95_ms`: the resource calendar (scheduling/calendar/timeline.py), the site's
  50 rooms over the current week, as a coordinator (target <= 120 ms).

- `month_p95_ms`: "My calendar" as a month (`calendar:mine?view=month&date=...`), signed in as
  the instructor, on next month (about 120 of their sessions: four a day); `queries_month` is
  the most queries one of those requests made (`queries_month_constant`: every request made as
  many). Target <= 80 ms with a constant number of queries.

Hooks for further pages: `pages(world)` gives each page's URL by result key and `MEASURES`
maps a result key to a function (world, requests) -> Timing;
`measure_page(signed_in(user), url, n)` times a page and counts its queries.

Last line: one JSON object with `month_p95_ms`, `resource_week_p95_ms`, `feed_p95_ms`,
`naive_feed_p95_ms`, `feed_ratio`, `feed_304_p95_ms`, `queries_month` and extras. Exits 1 if a
request fails or returns an unexpected status.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import os
import statistics
import sys
import time
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tms.settings")
os.environ.setdefault("DEBUG", "1")  # for the built-in secret key; DEBUG is switched off below

import django  # noqa: E402

django.setup()

import icalendar  # noqa: E402
from _bulk import copy_rows, reset_sequences  # noqa: E402
from _databases import create_database, drop_database, server_description  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.hashers import make_password  # noqa: E402
from django.contrib.auth.models import Group  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402
from psycopg2.extras import DateTimeTZRange  # noqa: E402

from instructors.models import Instructor  # noqa: E402
from notifications.ical import PRODID, wall_time  # noqa: E402
from notifications.vtimezone import vtimezone  # noqa: E402
from scheduling.calendar.feeds import instructor_feed  # noqa: E402
from scheduling.models import (  # noqa: E402
    AssignmentRole,
    Course,
    DeliveryMode,
    FeedKind,
    InstructorAssignment,
    InstructorBooking,
    RoomBooking,
    Session,
    SessionBlock,
    SessionStatus,
)
from scheduling.services.feed_tokens import feed_token_find, feed_token_issue  # noqa: E402
from tms.roles import Role  # noqa: E402
from venues.models import Room, Site  # noqa: E402

DATABASE = "tms_bench_calendars"
LOAD_AT_START: list[float] = [0.0]
ZONE = "Europe/Paris"
ROOMS = 50
INSTRUCTORS = 50
SLOTS = ((8, 0), (10, 30), (13, 30), (16, 0))  # local starts; blocks last 2 hours
DAYS = 250
PAST = 80  # days before today where the schedule starts (the feed's window reaches 90)
MAIN_SESSIONS = DAYS * len(SLOTS)  # 1,000
OTHERS_PER_SLOT = 19  # two-block sessions per slot and pair of days: 125 * 4 * 19 = 9,500
WARM_UP = 10
TARGET_304_MS = 10.0
TARGET_RATIO = 0.5
TARGET_MONTH_MS = 80.0
TARGET_WEEK_MS = 120.0


@dataclass
class World:
    instructor: Instructor
    user: Any
    raw_token: str
    coordinator: Any
    site: Site
    blocks: int = 0
    sessions: int = 0


@dataclass
class Timing:
    times_ms: list[float] = field(default_factory=list)
    queries: list[int] = field(default_factory=list)

    def p(self, q: int) -> float:
        return statistics.quantiles(sorted(self.times_ms), n=100, method="inclusive")[q - 1]


# --- The world ------------------------------------------------------------------------------


def build_world() -> World:
    """COPY the site, rooms, instructors, courses, sessions, blocks and bookings."""
    now = timezone.now()
    site = Site.objects.create(name="Bench campus", address="1 Rue du Banc, Paris", time_zone=ZONE)
    rooms = Room.objects.bulk_create(
        Room(site=site, name=f"Salle {i:02d}", capacity=20, features=["projector"])
        for i in range(ROOMS)
    )
    user_model = get_user_model()
    unusable = make_password(None)
    users = user_model.objects.bulk_create(
        user_model(
            username=f"trainer{i}", first_name="Trainer", last_name=f"N°{i}", password=unusable
        )
        for i in range(INSTRUCTORS)
    )
    group = Group.objects.get(name=Role.INSTRUCTOR)
    user_model.groups.through.objects.bulk_create(
        user_model.groups.through(user_id=u.pk, group_id=group.pk) for u in users
    )
    people = Instructor.objects.bulk_create(
        Instructor(user=u, home_time_zone=ZONE, weekly_hour_limit=60) for u in users
    )
    courses = Course.objects.bulk_create(
        Course(
            code=f"CAL-{i:02d}",
            title=f"Sécurité, premiers secours; module {i} — évaluation pratique",
            delivery_modes=[DeliveryMode.ILT],
        )
        for i in range(10)
    )
    zone = zoneinfo.ZoneInfo(ZONE)
    first_day = (now - dt.timedelta(days=PAST)).astimezone(zone).date()

    def when(day: int, slot: int) -> tuple[dt.datetime, dt.datetime]:
        hour, minute = SLOTS[slot]
        start = dt.datetime.combine(
            first_day + dt.timedelta(days=day), dt.time(hour, minute), zone
        ).astimezone(dt.UTC)
        return start, start + dt.timedelta(hours=2)

    rows: dict[str, list[dict[str, Any]]] = {
        "sessions": [],
        "blocks": [],
        "assignments": [],
        "room_bookings": [],
        "instructor_bookings": [],
    }

    def add_session(course: Course, person: Instructor, room: Room, times: list[tuple]) -> None:
        session_id = len(rows["sessions"]) + 1
        assignment_id = len(rows["assignments"]) + 1
        past = times[-1][1] < now
        rows["sessions"].append(
            {
                "id": session_id,
                "course_id": course.pk,
                "delivery_mode": DeliveryMode.ILT,
                "status": SessionStatus.COMPLETED if past else SessionStatus.SCHEDULED,
                "capacity": 12,
                "time_zone": ZONE,
                "starts_at": times[0][0],
                "ends_at": times[-1][1],
                "schedule_version": session_id % 3,
            }
        )
        rows["assignments"].append(
            {
                "id": assignment_id,
                "session_id": session_id,
                "instructor_id": person.pk,
                "role": AssignmentRole.LEAD,
            }
        )
        for start, end in times:
            block_id = len(rows["blocks"]) + 1
            during = DateTimeTZRange(start, end, "[)")
            rows["blocks"].append(
                {
                    "id": block_id,
                    "session_id": session_id,
                    "starts_at": start,
                    "ends_at": end,
                    "room_id": room.pk,
                }
            )
            rows["room_bookings"].append(
                {
                    "id": block_id,
                    "session_id": session_id,
                    "block_id": block_id,
                    "room_id": room.pk,
                    "during": during,
                }
            )
            rows["instructor_bookings"].append(
                {
                    "id": block_id,
                    "session_id": session_id,
                    "assignment_id": assignment_id,
                    "block_id": block_id,
                    "instructor_id": person.pk,
                    "during": during,
                }
            )

    main, others = people[0], people[1:]
    main_room = {}  # (day, slot) -> room index of the main instructor's block
    for index in range(MAIN_SESSIONS):
        day, slot = divmod(index, len(SLOTS))
        main_room[day, slot] = index % ROOMS
        add_session(courses[index % 10], main, rooms[index % ROOMS], [when(day, slot)])
    for pair in range(DAYS // 2):
        for slot in range(len(SLOTS)):
            taken = {main_room[2 * pair, slot], main_room[2 * pair + 1, slot]}
            free = [r for r in range(ROOMS) if r not in taken][:OTHERS_PER_SLOT]
            for j, room_index in enumerate(free):
                add_session(
                    courses[(pair + j) % 10],
                    others[j],
                    rooms[room_index],
                    [when(2 * pair, slot), when(2 * pair + 1, slot)],
                )
    tables = (
        (Session, rows["sessions"]),
        (SessionBlock, rows["blocks"]),
        (InstructorAssignment, rows["assignments"]),
        (RoomBooking, rows["room_bookings"]),
        (InstructorBooking, rows["instructor_bookings"]),
    )
    for model, model_rows in tables:
        copy_rows(model, model_rows, now)
    reset_sequences(*(model for model, _rows in tables))
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    _token, raw = feed_token_issue(
        actor=main.user, kind=FeedKind.INSTRUCTOR, owner_id=main.pk, now=now
    )
    coordinator = user_model.objects.create(username="bench-coordinator", password=unusable)
    coordinator.groups.add(Group.objects.get(name=Role.COORDINATOR))
    return World(
        instructor=main,
        user=main.user,
        raw_token=raw,
        coordinator=coordinator,
        site=site,
        blocks=len(rows["blocks"]),
        sessions=len(rows["sessions"]),
    )


# --- Measuring ------------------------------------------------------------------------------


def timed(call: Callable[[], Any], requests: int, *, check: Callable[[Any], bool]) -> Timing:
    """`requests` calls after WARM_UP uncounted ones, each timed and its queries counted."""
    result = Timing()
    for _ in range(WARM_UP):
        if not check(call()):
            raise SystemExit("unexpected answer during the warm-up")
    gc.collect()
    for _ in range(requests):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            answer = call()
            result.times_ms.append((time.perf_counter() - started) * 1000)
        if not check(answer):
            raise SystemExit(f"unexpected answer: {getattr(answer, 'status_code', answer)!r}")
        result.queries.append(len(queries))
    return result


def measure_page(client: Client, url: str, requests: int, **headers: str) -> Timing:
    """A page (or feed) through the test client; it must answer 200. The hook for the
    calendar pages: `measure_page(signed_in(user), pages(world)["month"], n)`."""
    return timed(lambda: client.get(url, **headers), requests, check=lambda r: r.status_code == 200)


def signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def feed_url(world: World) -> str:
    return f"/feeds/{world.raw_token}.ics"


def measure_feed(world: World, requests: int) -> Timing:
    return measure_page(Client(), feed_url(world), requests)


def measure_feed_304(world: World, requests: int) -> Timing:
    # One client for all requests, as a server loads its middleware once (a new test client
    # loads it again on its first request) and as a calendar app polls.
    client = Client()
    etag = client.get(feed_url(world))["ETag"]
    return timed(
        lambda: client.get(feed_url(world), HTTP_IF_NONE_MATCH=etag),
        requests,
        check=lambda r: r.status_code == 304,
    )


def naive_feed(world: World) -> bytes:
    """The same rows as the feed, built the way an invite is: an icalendar object per event."""
    token = feed_token_find(world.raw_token)
    assert token is not None
    feed = instructor_feed(token, now=timezone.now())
    rows = list(feed.rows)
    zone = zoneinfo.ZoneInfo(ZONE)
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", feed.name)
    calendar.add_component(vtimezone(ZONE, start=rows[0]["starts_at"], end=rows[-1]["ends_at"]))
    link = "https://tms.example.org/sessions/{}/"
    for row in rows:
        event = icalendar.Event()
        modified = max(row["updated_at"], row["session__updated_at"])
        event.add("uid", f"tms-block-{row['id']}-a{row['assignment_id']}@bench")
        event.add("sequence", row["session__schedule_version"])
        event.add("dtstamp", modified)
        event.add("last-modified", modified)
        event.add("dtstart", wall_time(row["starts_at"], zone))
        event.add("dtend", wall_time(row["ends_at"], zone))
        event.add("summary", f"{row['session__course__code']} {row['session__course__title']}")
        event.add(
            "location",
            ", ".join([row["room__name"], row["room__site__name"], row["room__site__address"]]),
        )
        event.add("description", link.format(row["session_id"]))
        event.add("url", link.format(row["session_id"]))
        event.add("status", "CONFIRMED")
        event.add("transp", "OPAQUE")
        calendar.add_component(event)
    return bytes(calendar.to_ical())


def measure_naive(world: World, requests: int) -> Timing:
    return timed(
        lambda: naive_feed(world),
        requests,
        check=lambda text: text.count(b"BEGIN:VEVENT") == MAIN_SESSIONS,
    )


def month_date(world: World) -> dt.date:
    """The first day of the instructor's next calendar month: inside the schedule, full."""
    today = timezone.now().astimezone(zoneinfo.ZoneInfo(ZONE)).date()
    return (today.replace(day=1) + dt.timedelta(days=32)).replace(day=1)


def pages(world: World) -> dict[str, str]:
    """The calendar pages measured, by result key."""
    return {
        # The instructor's own month (about 120 of their sessions), as they see it.
        "month": reverse("calendar:mine") + f"?view=month&date={month_date(world).isoformat()}",
        # The site's 50 rooms over this week (about 560 blocks), as a coordinator sees it.
        "resource_week": reverse("scheduling:resource-calendar")
        + f"?rows=rooms&site={world.site.pk}&span=week",
    }


def measure_resource_week(world: World, requests: int) -> Timing:
    return measure_page(signed_in(world.coordinator), pages(world)["resource_week"], requests)


def measure_month(world: World, requests: int) -> Timing:
    return measure_page(signed_in(world.user), pages(world)["month"], requests)


MEASURES: dict[str, Callable[[World, int], Timing]] = {
    "month": measure_month,
    "feed": measure_feed,
    "feed_304": measure_feed_304,
    "naive_feed": measure_naive,
    "resource_week": measure_resource_week,
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=200, help="measured requests per case")
    args = parser.parse_args()
    started = time.perf_counter()
    LOAD_AT_START[0] = round(os.getloadavg()[0], 2)
    setup_test_environment()  # the test client's host (testserver) is allowed
    settings.DEBUG = False  # as in production: no query log outside the measured calls
    original = create_database(DATABASE)
    try:
        print(f"{DATABASE} created and migrated on {server_description()}", flush=True)
        world = build_world()
        print(
            f"{world.sessions} sessions, {world.blocks} blocks in {ROOMS} rooms of one site; "
            f"the instructor's feed has {MAIN_SESSIONS} events; "
            f"set up in {time.perf_counter() - started:.0f} s",
            flush=True,
        )
        results = {key: measure(world, args.requests) for key, measure in MEASURES.items()}
    finally:
        connection.close()
        connection.settings_dict["NAME"] = original
        drop_database(DATABASE)
    for key, timing in results.items():
        print(
            f"{key}: p50 {timing.p(50):.2f} ms, p95 {timing.p(95):.2f} ms, "
            f"{statistics.fmean(timing.queries):.0f} queries"
        )
    feed, naive, not_modified = results["feed"], results["naive_feed"], results["feed_304"]
    ratio = feed.p(95) / naive.p(95)
    met = not_modified.p(95) <= TARGET_304_MS and ratio <= TARGET_RATIO
    print(
        f"feed p95 {feed.p(95):.2f} ms = {ratio:.2f} x naive (target <= {TARGET_RATIO}); "
        f"304 p95 {not_modified.p(95):.2f} ms (target <= {TARGET_304_MS}); targets "
        f"{'met' if met else 'NOT met'}; {time.perf_counter() - started:.0f} s"
    )
    month = results.get("month")
    week = results.get("resource_week")
    constant = month is not None and len(set(month.queries)) == 1
    met = (
        met
        and month is not None
        and month.p(95) <= TARGET_MONTH_MS
        and constant
        and week is not None
        and week.p(95) <= TARGET_WEEK_MS
    )
    print(
        json.dumps(
            {
                "month_p95_ms": round(month.p(95), 2) if month else None,
                "resource_week_p95_ms": round(week.p(95), 2) if week else None,
                "feed_p95_ms": round(feed.p(95), 2),
                "naive_feed_p95_ms": round(naive.p(95), 2),
                "feed_ratio": round(ratio, 3),
                "feed_304_p95_ms": round(not_modified.p(95), 2),
                "queries_month": max(month.queries) if month else None,
                "resource_week_p50_ms": round(week.p(50), 2) if week else None,
                "queries_resource_week": max(week.queries) if week else None,
                "feed_p50_ms": round(feed.p(50), 2),
                "feed_304_p50_ms": round(not_modified.p(50), 2),
                "naive_feed_p50_ms": round(naive.p(50), 2),
                "queries_feed": max(feed.queries),
                "queries_feed_304": max(not_modified.queries),
                "feed_events": MAIN_SESSIONS,
                "blocks": world.blocks,
                "requests": args.requests,
                "month_p50_ms": round(month.p(50), 2) if month else None,
                "month_date": month_date(world).isoformat(),
                "queries_month_constant": constant,
                "load_average_1m": round(os.getloadavg()[0], 2),
                "load_average_start_1m": LOAD_AT_START[0],
                "targets_met": met,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
