"""Booking benchmark: does creating a session stay fast as booking history grows?

    .venv/bin/python bench/booking.py            (or `make bench`; --help for options)

Runs in databases of its own on the configured server (DATABASE_URL, or the embedded
PostgreSQL from settings): `tms_bench` and `tms_bench_small`, dropped first if left over and
dropped at the end. Demo data is never touched.

Both databases get the same organisation (200 rooms over 10 sites, 500 instructors qualified for
10 courses, closures and absences). Then `tms_bench` gets a history of 100,000 booked blocks and
`tms_bench_small` one of 1,000 (each block holds a room and two instructors; 3 blocks per
session; spread over ~17 months around today without overlaps; bulk-loaded with COPY, then
VACUUM ANALYZE and CHECKPOINT). In each database we create the same 1,000 ILT sessions of 3 blocks
with a room and 2 instructors through `session_create`, on slots known to be free (a refusal is
a failure), timing each call (perf_counter) and counting its queries (CaptureQueriesContext).
The two databases are measured in alternating chunks, so background load on a shared machine
hits both alike. For context, the same rows are also written as raw SQL (psycopg2, one
transaction per session).

Last line: one JSON object (p50_ms, p95_ms and queries_per_create at 100k; growth_ratio =
p95(100k) / p95(1k); and extras). Exits 1 if any creation failed.
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
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tms.settings")
os.environ.setdefault("DEBUG", "1")  # for the built-in secret key; DEBUG is switched off below

import django  # noqa: E402

django.setup()

import psycopg2  # noqa: E402
from _booking_world import (  # noqa: E402
    Order,
    World,
    build_world,
    draw_orders,
    load_history,
    reserve,
    seeded,
)
from _bulk import RawInsert  # noqa: E402
from _databases import (  # noqa: E402
    clone_database,
    create_database,
    drop_database,
    server_description,
    statement_label,
)
from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from psycopg2.extras import DateTimeTZRange  # noqa: E402

from scheduling.models import (  # noqa: E402
    AssignmentRole,
    DeliveryMode,
    InstructorAssignment,
    InstructorBooking,
    RoomBooking,
    Session,
    SessionBlock,
    SessionStatus,
)
from scheduling.services import session_create  # noqa: E402
from tms.exceptions import DomainError  # noqa: E402

LARGE_DB, SMALL_DB = "tms_bench", "tms_bench_small"
TARGET_P95_MS = 25.0
TARGET_GROWTH = 1.5
WARM_UP = 20  # creations per database before measuring, not counted
CHUNK = 25  # creations per database before switching to the other one


@dataclass
class Measured:
    label: str
    database: str
    history_blocks: int
    times_ms: list[float] = field(default_factory=list)
    queries: list[int] = field(default_factory=list)
    baseline_ms: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    sql_ms: Counter[str] = field(default_factory=Counter)
    sql_count: Counter[str] = field(default_factory=Counter)
    raw: Any = None  # the psycopg2 connection for the baseline

    def p(self, q: int, values: list[float] | None = None) -> float:
        data = sorted(self.times_ms if values is None else values)
        return statistics.quantiles(data, n=100, method="inclusive")[q - 1] if data else 0.0


# --- Databases ---------------------------------------------------------------------------------


def use(database: str) -> None:
    """Point the default connection at `database` (connected before any timing starts)."""
    if connection.settings_dict["NAME"] != database:
        connection.close()
        connection.settings_dict["NAME"] = database
    connection.ensure_connection()


def drop_databases(original: str) -> None:
    for database in (LARGE_DB, SMALL_DB):
        drop_database(database)
    connection.settings_dict["NAME"] = original


# --- Measuring -----------------------------------------------------------------------------------


@contextmanager
def sql_timer(result: Measured) -> Iterator[None]:
    """Add up database time per kind of statement (e.g. "SELECT scheduling_roombooking")."""

    def wrapper(execute: Callable[..., Any], sql: str, params: Any, many: bool, ctx: Any) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, ctx)
        finally:
            label = statement_label(sql)
            result.sql_ms[label] += (time.perf_counter() - started) * 1000
            result.sql_count[label] += 1

    with connection.execute_wrapper(wrapper):
        yield


def create_through_services(orders: list[Order], result: Measured, *, record: bool) -> None:
    use(result.database)
    gc.collect()
    with sql_timer(result) if record else nullcontext():
        for order in orders:
            data = order.data()
            # CaptureQueriesContext miscounts once the connection's 9,000-entry log is full.
            connection.queries_log.clear()
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                try:
                    session_create(data=data)
                except DomainError as refused:
                    result.failures.append(f"{type(refused).__name__}: {refused.message}")
                elapsed = (time.perf_counter() - started) * 1000
            if record:
                result.times_ms.append(elapsed)
                result.queries.append(len(queries))


class RawWriter:
    """The rows `session_create` writes, as plain INSERTs in one transaction per session."""

    def __init__(self, now: dt.datetime) -> None:
        self.sessions = RawInsert(
            Session,
            ["course_id", "delivery_mode", "status", "capacity", "time_zone", "starts_at"],
            now,
        )
        self.blocks = RawInsert(
            SessionBlock, ["session_id", "starts_at", "ends_at", "room_id"], now
        )
        self.assignments = RawInsert(
            InstructorAssignment, ["session_id", "instructor_id", "role"], now
        )
        self.rooms = RawInsert(RoomBooking, ["session_id", "block_id", "room_id", "during"], now)
        self.people = RawInsert(
            InstructorBooking,
            ["session_id", "assignment_id", "block_id", "instructor_id", "during"],
            now,
        )

    def write(self, cursor: Any, order: Order) -> None:
        room = order.room
        (session_id,) = self.sessions.execute(
            cursor,
            [
                {
                    "course_id": order.course.pk,
                    "delivery_mode": DeliveryMode.ILT,
                    "status": SessionStatus.SCHEDULED,
                    "capacity": 12,
                    "time_zone": room.site.time_zone,
                    "starts_at": order.times[0][0],
                    "ends_at": order.times[-1][1],
                }
            ],
        )
        block_ids = self.blocks.execute(
            cursor,
            [
                {"session_id": session_id, "starts_at": s, "ends_at": e, "room_id": room.pk}
                for s, e in order.times
            ],
        )
        roles = (AssignmentRole.LEAD, AssignmentRole.CO_FACILITATOR)
        assignment_ids = self.assignments.execute(
            cursor,
            [
                {"session_id": session_id, "instructor_id": p.pk, "role": role}
                for p, role in zip(order.people, roles, strict=True)
            ],
        )
        setup = dt.timedelta(minutes=room.setup_buffer_minutes)
        teardown = dt.timedelta(minutes=room.teardown_buffer_minutes)
        self.rooms.execute(
            cursor,
            [
                {
                    "session_id": session_id,
                    "block_id": b,
                    "room_id": room.pk,
                    "during": DateTimeTZRange(s - setup, e + teardown, "[)"),
                }
                for b, (s, e) in zip(block_ids, order.times, strict=True)
            ],
        )
        self.people.execute(
            cursor,
            [
                {
                    "session_id": session_id,
                    "assignment_id": a,
                    "block_id": b,
                    "instructor_id": p.pk,
                    "during": DateTimeTZRange(s, e, "[)"),
                }
                for a, p in zip(assignment_ids, order.people, strict=True)
                for b, (s, e) in zip(block_ids, order.times, strict=True)
            ],
        )


def create_with_raw_sql(writer: RawWriter, orders: list[Order], result: Measured) -> None:
    raw = result.raw
    for order in orders:
        started = time.perf_counter()
        with raw, raw.cursor() as cursor:  # one transaction, committed on leaving
            writer.write(cursor, order)
        result.baseline_ms.append((time.perf_counter() - started) * 1000)


def explain(order: Order, result: Measured) -> None:
    """Print EXPLAIN ANALYZE for every SELECT of one more creation."""
    use(result.database)
    with CaptureQueriesContext(connection) as queries:
        session_create(data=order.data())
    print(f"\n[{result.label}] query plans of one creation (run again after it):")
    with connection.cursor() as cursor:
        for query in queries.captured_queries:
            if not query["sql"].lstrip().upper().startswith("SELECT"):
                continue
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + query["sql"])
            print(f"-- {query['sql'][:150]}...")
            for (line,) in cursor.fetchall():
                print("   ", line)


def report(result: Measured) -> None:
    n = len(result.times_ms)
    mean = statistics.fmean(result.times_ms)
    in_sql = sum(result.sql_ms.values()) / n
    tag = f"[{result.label}]"
    print(
        f"{tag} session_create x{n}: p50 {result.p(50):.2f} ms, p95 {result.p(95):.2f} ms, "
        f"max {max(result.times_ms):.2f} ms, mean {mean:.2f} ms; "
        f"{statistics.fmean(result.queries):.1f} queries/create; failures {len(result.failures)}"
    )
    print(
        f"{tag}   per create: {in_sql:.2f} ms in SQL statements, {mean - in_sql:.2f} ms in "
        "Python and COMMIT (ORM, rule checks, Django); by statement:"
    )
    for label, total in result.sql_ms.most_common():
        print(f"{tag}   {total / n:6.3f} ms  {result.sql_count[label] / n:4.1f}x  {label}")
    print(
        f"{tag} raw-SQL baseline (same rows, psycopg2, one transaction each) "
        f"x{len(result.baseline_ms)}: p50 {result.p(50, result.baseline_ms):.2f} ms, "
        f"p95 {result.p(95, result.baseline_ms):.2f} ms"
    )
    for failure, count in Counter(result.failures).most_common(3):
        print(f"{tag}   FAILED {count}x: {failure}")


# --- Main ----------------------------------------------------------------------------------------


def measure(world: World, args: argparse.Namespace) -> tuple[Measured, Measured]:
    rng = seeded(args.seed)
    planned = world.plan.copy()
    warm_up = draw_orders(world, planned, WARM_UP, rng)
    orders = draw_orders(world, planned, args.sessions, rng)
    baseline = draw_orders(world, planned, args.sessions, rng)
    extra = draw_orders(world, planned, 1, rng)  # for --explain
    clone_database(LARGE_DB, SMALL_DB)  # the same organisation, the same ids
    history = reserve(world.plan, warm_up + orders + baseline + extra)
    large = Measured(label_for(args.history), LARGE_DB, args.history)
    small = Measured(label_for(args.small_history), SMALL_DB, args.small_history)
    for result in (large, small):
        use(result.database)
        seconds = load_history(world, history.copy(), result.history_blocks, seeded(args.seed))
        print(
            f"[{result.label}] {result.database}: {result.history_blocks:,} booked blocks "
            f"loaded in {seconds:.1f} s",
            flush=True,
        )
        result.raw = psycopg2.connect(**connection.get_connection_params())
    writer = RawWriter(world.now)
    try:
        for result in (large, small):
            create_through_services(warm_up, result, record=False)
        for number, start in enumerate(range(0, len(orders), CHUNK)):
            # Alternate which database goes first, so neither always follows the other.
            for result in (large, small) if number % 2 == 0 else (small, large):
                create_through_services(orders[start : start + CHUNK], result, record=True)
                create_with_raw_sql(writer, baseline[start : start + CHUNK], result)
        if args.explain:
            for result in (large, small):
                explain(extra[0], result)
    finally:
        for result in (large, small):
            result.raw.close()
    return large, small


def label_for(blocks: int) -> str:
    return f"{blocks // 1000}k" if blocks % 1000 == 0 else str(blocks)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sessions", type=int, default=1000, help="measured creations per size")
    parser.add_argument("--history", type=int, default=100_000, help="large history, in blocks")
    parser.add_argument("--small-history", type=int, default=1_000, help="small history, blocks")
    parser.add_argument("--rooms", type=int, default=200)
    parser.add_argument("--instructors", type=int, default=500)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--explain", action="store_true", help="print the query plans")
    args = parser.parse_args()

    started = time.perf_counter()
    settings.DEBUG = False  # as in production: no query log outside the measured calls
    original = create_database(LARGE_DB)
    try:
        print(f"{LARGE_DB} created and migrated on {server_description()}", flush=True)
        world = build_world(seeded(args.seed), args.rooms, args.instructors)
        print(
            f"{len(world.rooms)} rooms, {len(world.people)} instructors, {len(world.courses)} "
            f"courses; per size {WARM_UP} warm-up creations (not counted), then {args.sessions} "
            f"measured in chunks of {CHUNK} alternating between the databases",
            flush=True,
        )
        large, small = measure(world, args)
    finally:
        drop_databases(original)
    for result in (large, small):
        report(result)
    growth = large.p(95) / small.p(95)
    failures = len(large.failures) + len(small.failures)
    met = large.p(95) <= TARGET_P95_MS and growth <= TARGET_GROWTH
    print(
        f"p95 {large.p(95):.2f} ms (target <= {TARGET_P95_MS}); growth p95({large.label}) / "
        f"p95({small.label}) = {growth:.2f} (target <= {TARGET_GROWTH}); targets "
        f"{'met' if met else 'NOT met'}; {failures} failures; {time.perf_counter() - started:.0f} s"
    )
    print(
        json.dumps(
            {
                "p50_ms": round(large.p(50), 2),
                "p95_ms": round(large.p(95), 2),
                "queries_per_create": round(statistics.fmean(large.queries), 1),
                "growth_ratio": round(growth, 2),
                "p50_ms_small": round(small.p(50), 2),
                "p95_ms_small": round(small.p(95), 2),
                "baseline_ms": round(large.p(50, large.baseline_ms), 2),
                "baseline_p95_ms": round(large.p(95, large.baseline_ms), 2),
                "history_blocks": large.history_blocks,
                "small_history_blocks": small.history_blocks,
                "creations": len(large.times_ms),
                "failures": failures,
                "targets_met": met,
            }
        )
    )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
