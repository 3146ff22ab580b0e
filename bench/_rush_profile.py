"""Benchmark helpers for `registration_rush.py`: where one registration request spends its time.

In this process, through Django's test client (the whole middleware, DRF and view stack, with
token authentication, minus gunicorn): the statements of one request with their time and the
code that sent them, the CPU and wall time per request against the service alone, and a cProfile
of a few hundred requests on a full session. Needs Django set up. A helper, not a benchmark
(leading "_").
"""

from __future__ import annotations

import cProfile
import pstats
import statistics
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from _databases import statement_label
from _rush_http import REGISTER_PATH
from _rush_world import Learner, reset_registrations
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client

from attendance.services.registration import registration_create

_OWN_CODE = ("/attendance/", "/tms/", "/notifications/", "/scheduling/", "/rest_framework/")

# Where the time of a request goes: (label, file ending, function names, how to add up the
# matching functions: "max" when they nest, like Serializer.data calling BaseSerializer.data).
BUCKETS: Sequence[tuple[str, str, tuple[str, ...], str]] = (
    ("whole request (middleware + view)", "core/handlers/base.py", ("_get_response",), "max"),
    ("  DRF dispatch (auth + permission + view)", "rest_framework/views.py", ("dispatch",), "max"),
    ("    authentication (session, token)", "rest_framework/request.py", ("_authenticate",), "max"),
    ("    permission checks", "rest_framework/views.py", ("check_permissions",), "max"),
    ("    registration_create (service)", "registration.py", ("registration_create",), "max"),
    ("      session read", "services/seats.py", ("snapshot_for_registration",), "max"),
    ("      seat call (lock, count, write, outbox)", "services/seats.py", ("take_seat",), "max"),
    ("      broker kick after commit", "tms/celery.py", ("enqueue_safely",), "max"),
    ("    output serializer (.data)", "rest_framework/serializers.py", ("data",), "max"),
    ("    response rendering", "rest_framework/response.py", ("rendered_content",), "max"),
    ("SQL round trips (psycopg2 execute + commit)", "psycopg2", ("execute", "commit"), "sum"),
)


def _caller() -> str:
    """The innermost frame of the project (or DRF) that sent the statement."""
    for frame in reversed(traceback.extract_stack(limit=40)[:-2]):
        name = frame.filename
        if "/bench/" in name or "django/db/" in name or name.endswith("tms/db.py"):
            continue
        if any(part in name for part in _OWN_CODE):
            short = name.split("/site-packages/")[-1].split("/main/")[-1]
            return f"{short}:{frame.name}"
    return "?"


@contextmanager
def statement_log(*, callers: bool = True) -> Iterator[list[tuple[float, str, str]]]:
    """(ms, statement label, caller) for every statement and COMMIT in the block (finding the
    caller costs CPU: off when timing)."""
    log: list[tuple[float, str, str]] = []

    def wrapper(execute: Callable[..., Any], sql: str, params: Any, many: bool, ctx: Any) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, ctx)
        finally:
            where = _caller() if callers else ""
            log.append(((time.perf_counter() - started) * 1000, statement_label(sql), where))

    original_commit = connection._commit

    def timed_commit() -> Any:
        started = time.perf_counter()
        try:
            return original_commit()
        finally:
            where = _caller() if callers else ""
            log.append(((time.perf_counter() - started) * 1000, "COMMIT", where))

    connection._commit = timed_commit  # type: ignore[method-assign]
    try:
        with connection.execute_wrapper(wrapper):
            yield log
    finally:
        del connection._commit  # back to the class's method


def _post(client: Client, session: int, learner: Learner) -> Any:
    return client.post(
        REGISTER_PATH.format(session=session),
        HTTP_AUTHORIZATION=f"Token {learner.token}",
        HTTP_ACCEPT="application/json",
    )


def _queries(client: Client, session: int, learner: Learner, title: str) -> int:
    with statement_log() as log:
        response = _post(client, session, learner)
    total = sum(ms for ms, _, _ in log)
    print(
        f"[profile] {title}: HTTP {response.status_code}, {len(log)} statements "
        f"(COMMIT included), {total:.2f} ms waiting for the database:"
    )
    for ms, label, caller in log:
        print(f"[profile]   {ms:6.2f} ms  {label:<40} {caller}")
    return len(log)


def _buckets(stats: pstats.Stats, requests: int) -> list[tuple[str, float]]:
    rows = []
    raw: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    for label, file_end, names, mode in BUCKETS:
        found = []
        for (file, _line, name), (_cc, _nc, _tt, ct, _callers) in raw.items():
            builtin = file == "~"
            matches = (file.endswith(file_end) or (builtin and file_end in name)) and any(
                name == n or (builtin and f"'{n}'" in name) for n in names
            )
            if matches:
                found.append(ct)
        total = (max(found) if mode == "max" else sum(found)) if found else 0.0
        rows.append((label, total / requests * 1000))
    return rows


def profile_requests(
    session: int, capacity: int, learners: Sequence[Learner], *, requests: int = 300
) -> dict[str, Any]:
    """Fill `session` to capacity, then profile `requests` registrations onto its waitlist (the
    hot shape: nearly everyone is waitlisted). Prints the findings; returns the main numbers."""
    reset_registrations()
    client = Client(SERVER_NAME="127.0.0.1")
    needed = capacity + 1 + 2 * requests
    if len(learners) < needed:
        raise ValueError(f"profiling needs {needed} learners, got {len(learners)}")
    seated, waiting = learners[:capacity], learners[capacity]
    through_http = learners[capacity + 1 : capacity + 1 + requests]
    through_service = learners[capacity + 1 + requests : needed]

    confirmed_queries = 0
    for index, learner in enumerate(seated):
        if index == capacity // 2:
            confirmed_queries = _queries(client, session, learner, "one confirmed registration")
            continue
        response = _post(client, session, learner)
        if response.status_code != 201:
            print(f"[profile] unexpected answer {response.status_code}: {response.content[:300]!r}")
            return {}
    waitlisted_queries = _queries(client, session, waiting, "one waitlisted registration")

    # Plain timing first (no profiler): the request through Django, then the service alone;
    # CPU time of this process, wall time, and time spent waiting for the database.
    def measure(call: Callable[[Learner], Any], who: Sequence[Learner]) -> dict[str, float]:
        cpu, wall, sql = [], [], []
        for learner in who:
            with statement_log(callers=False) as log:
                started, started_cpu = time.perf_counter(), time.process_time()
                call(learner)
                cpu.append((time.process_time() - started_cpu) * 1000)
                wall.append((time.perf_counter() - started) * 1000)
            sql.append(sum(ms for ms, _, _ in log))
        return {
            "cpu": statistics.median(cpu),
            "wall": statistics.median(wall),
            "sql": statistics.median(sql),
        }

    users = get_user_model().objects.in_bulk([learner.pk for learner in through_service])
    web = measure(lambda learner: _post(client, session, learner), through_http)
    alone = measure(
        lambda learner: registration_create(session_id=session, learner=users[learner.pk]),
        through_service,
    )
    print("[profile] medians per waitlisted registration, one at a time in this process:")
    for title, numbers in (("HTTP stack (test client)", web), ("registration_create", alone)):
        print(
            f"[profile]   {title:<26} CPU {numbers['cpu']:6.2f} ms, wall {numbers['wall']:6.2f} "
            f"ms, waiting for the database {numbers['sql']:6.2f} ms"
        )
    print(
        f"[profile]   => the web layer (middleware, authentication, permission, view, output) "
        f"adds {web['cpu'] - alone['cpu']:.2f} ms CPU and "
        f"{web['sql'] - alone['sql']:.2f} ms of database round trips"
    )

    # Again from an empty waitlist, under the profiler.
    reset_registrations()
    for learner in seated:
        _post(client, session, learner)
    profiler = cProfile.Profile()
    for learner in through_http:
        profiler.enable()
        _post(client, session, learner)
        profiler.disable()
    profiled = len(through_http)
    stats = pstats.Stats(profiler)
    print(f"[profile] cProfile of {profiled} waitlisted registrations (times inflated by it):")
    buckets = _buckets(stats, profiled)
    for label, ms in buckets:
        print(f"[profile]   {ms:7.2f} ms/request  {label}")
    print("[profile] the project's own functions by cumulative time per request:")
    raw: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    own = [
        (ct, file, name)
        for (file, _line, name), (_cc, _nc, _tt, ct, _callers) in raw.items()
        if any(f"/{app}/" in file for app in ("attendance", "tms", "notifications", "scheduling"))
        and "/bench/" not in file
    ]
    for ct, file, name in sorted(own, reverse=True)[:15]:
        short = file.split("/main/")[-1]
        print(f"[profile]   {ct / profiled * 1000:7.2f} ms  {short}:{name}")
    print("[profile] functions by own time per request (where the CPU goes):")
    hot = sorted(
        ((tt, file, name) for (file, _l, name), (_cc, _nc, tt, _ct, _c) in raw.items()),
        reverse=True,
    )
    for tt, file, name in hot[:12]:
        short = file.split("/site-packages/")[-1].split("/main/")[-1]
        print(f"[profile]   {tt / profiled * 1000:7.2f} ms  {short}:{name}")
    reset_registrations()
    return {
        "queries_confirmed": confirmed_queries,
        "queries_waitlisted": waitlisted_queries,
        "request_cpu_ms": round(web["cpu"], 2),
        "service_cpu_ms": round(alone["cpu"], 2),
    }
