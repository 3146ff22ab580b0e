"""Registration rush: does a sales rush of registrations stay fast, and never oversell a seat?

    .venv/bin/python bench/registration_rush.py          (or `make bench`; --help for options)

Runs in a database of its own on the configured server (DATABASE_URL, or the embedded
PostgreSQL from settings): `tms_rush`, dropped first if left over and dropped at the end.

The world: 5,000 learners (group Learner, each with an API token; one shared password hash),
one course, and scheduled sessions a month or more ahead, each with one block in a room at
least as big as the session: HOT, one session with capacity 100, and SPREAD, 1,000 sessions
with capacity 4 (learner i registers for session i % 1000, so each gets 5 learners: 4
confirmed and 1 waitlisted, and both paths of the service run in both shapes).

Measured, in this order:
1. pgbench, HOT: the raw PostgreSQL limit for the same transaction (lock the session row,
   insert the registration, update a count) on plain tables, 32 clients, 15 s.
2. HTTP, HOT: gunicorn on loopback with the production settings (DEBUG=0, a generated
   SECRET_KEY, workers and threads as in gunicorn.conf.py, DB_CONN_MAX_AGE as in .env.example)
   and 32 client threads, each registering learners once through
   `POST /api/v1/sessions/{id}/register/` with `Authorization: Token ...`: real token
   authentication, the permission policy, the service, outbox rows and the broker kick.
3. Service, HOT: the same registrations through `registration_create` alone, from several
   forked processes.
4. pgbench, SPREAD (a random one of 1,000 session rows), then 5. HTTP, SPREAD.
After each registration phase the rows are counted in SQL (confirmed per session against its
seat limit, waitlist places, outbox rows) and then truncated. When a target is missed, one
request is taken apart in this process (queries, cProfile) to show where the time goes.

The Celery broker is the bench's own PostgreSQL server (tms/broker.py) unless REDIS_URL is set,
so no worker of a running `make run` ever sees the bench's tasks.

Last line: one JSON object (http_ratio_hot, http_ratio_spread, service_ratio_hot,
pgbench_tps_hot, pgbench_tps_spread, p99_ms, oversold, and extras). Exits 1 if a session is
oversold, a request got an answer other than confirmed/waitlisted, or the SQL counts do not
match the answers; a missed speed target is reported loudly but does not fail the run.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tms.settings")
os.environ.setdefault("DEBUG", "1")  # for the built-in secret key; DEBUG is switched off below
WORK_DIR = Path(tempfile.mkdtemp(prefix="tms-rush-"))

import django  # noqa: E402

django.setup()

import logging  # noqa: E402

# kombu connection warnings (e.g. a broker URL without a host name) would drown the figures.
logging.getLogger("kombu.connection").setLevel(logging.ERROR)

import _rush_pgbench as pgb  # noqa: E402
import psutil  # noqa: E402
from _databases import create_database, server_description  # noqa: E402
from _rush_http import (  # noqa: E402
    CpuMeter,
    Gunicorn,
    HttpResult,
    Usage,
    production_gunicorn,
    run_clients,
)
from _rush_profile import profile_requests  # noqa: E402
from _rush_service import ServiceResult, run_service  # noqa: E402
from _rush_world import (  # noqa: E402
    Tally,
    World,
    build_world,
    database_url,
    drop_rush_database,
    reset_registrations,
    tally,
)
from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402

DATABASE = "tms_rush"
TARGETS = {
    "http_ratio_hot": 0.15,
    "http_ratio_spread": 0.06,
    "service_ratio_hot": 0.35,
}
TARGET_P99_MS = 250.0
GUNICORN = production_gunicorn()
BUSY_MACHINE_CORES = 0.25  # CPU used by processes not ours above which the run is flagged


class Failed(Exception):
    """The run cannot go on (the endpoint is missing, gunicorn did not start...)."""


# --- Checks ------------------------------------------------------------------------------------


def expected(jobs: list[tuple[Any, int]], capacity: int) -> tuple[int, Counter[int]]:
    """Seats that must be confirmed, and the waitlist positions that must be answered."""
    per_session = Counter(session for _, session in jobs)
    confirmed = sum(min(n, capacity) for n in per_session.values())
    positions: Counter[int] = Counter()
    for n in per_session.values():
        positions.update(range(1, n - capacity + 1))
    return confirmed, positions


def check(
    result: HttpResult | ServiceResult,
    counted: Tally,
    jobs: list[tuple[Any, int]],
    capacity: int,
) -> list[str]:
    """What is wrong with a phase: answers against the SQL counts and the arithmetic."""
    problems = []
    seats, positions = expected(jobs, capacity)
    if result.unexpected:
        problems.append(
            f"{result.unexpected} answers other than confirmed/waitlisted: "
            + ", ".join(f"{o} x{n}" for o, n in result.outcomes.items())
        )
    if counted.oversold:
        problems.append(f"OVERSOLD by {counted.oversold} seats")
    if counted.registrations != len(jobs):
        problems.append(f"{counted.registrations} registrations in SQL for {len(jobs)} requests")
    if counted.outbox != counted.registrations:
        problems.append(f"{counted.outbox} outbox rows for {counted.registrations} registrations")
    if not result.unexpected:
        if counted.seat_holding != seats:
            problems.append(f"{counted.seat_holding} confirmed in SQL, {seats} expected")
        if result.outcomes["confirmed"] != counted.seat_holding:
            problems.append(
                f"{result.outcomes['confirmed']} answered confirmed, {counted.seat_holding} in SQL"
            )
        if Counter(result.positions) != positions:
            problems.append("waitlist positions answered are not distinct and contiguous")
    if counted.bad_queues:
        problems.append(f"{counted.bad_queues} sessions with duplicate waitlist ranks")
    return problems


# --- Phases ------------------------------------------------------------------------------------


def postmaster_pid() -> int | None:
    """The database server's main process, when it runs on this machine (for CPU accounting)."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            (backend,) = cursor.fetchone()
        parent = psutil.Process(backend).parent()
        return parent.pid if parent else None
    except (psutil.Error, OSError):
        return None


def _phase(
    label: str,
    meter: CpuMeter,
    run: Callable[[], Any],
    headline: Callable[[Any], str],
    jobs: list[tuple[Any, int]],
    sessions: list[int],
    capacity: int,
) -> tuple[Any, Tally, Usage, list[str]]:
    """Run one registration phase, count its rows in SQL, print what it did, check it and
    empty the tables for the next phase."""
    before = meter.snapshot()
    result = run()
    usage = CpuMeter.usage(before, meter.snapshot(), result.requests)
    counted = tally(sessions)
    outcomes = ", ".join(f"{o} {n}" for o, n in sorted(result.outcomes.items()))
    print(f"[{label}] {headline(result)}; {outcomes}", flush=True)
    print(f"[{label}] {counted.line()}", flush=True)
    print(f"[{label}] {usage.line()}", flush=True)
    for error in result.errors[:5]:
        print(f"[{label}]   unexpected: {error}", flush=True)
    problems = check(result, counted, jobs, capacity)
    reset_registrations()
    return result, counted, usage, problems


def http_phase(
    label: str,
    server: Gunicorn,
    meter: CpuMeter,
    jobs: list[tuple[str, int]],
    sessions: list[int],
    capacity: int,
    clients: int,
) -> tuple[HttpResult, Tally, Usage, list[str]]:
    def headline(result: HttpResult) -> str:
        return (
            f"{result.requests} registrations by {clients} clients in {result.seconds:.1f} s: "
            f"{result.tps:.0f}/s; latency p50 {result.percentile(50):.1f} ms, "
            f"p99 {result.percentile(99):.1f} ms, max {max(result.latencies_ms):.1f} ms"
        )

    def run() -> HttpResult:
        return run_clients(label, server.port, jobs, clients=clients)

    return _phase(label, meter, run, headline, jobs, sessions, capacity)


def service_phase(
    label: str, meter: CpuMeter, jobs: list[tuple[int, int]], capacity: int, processes: int
) -> tuple[ServiceResult, Tally, Usage, list[str]]:
    def headline(result: ServiceResult) -> str:
        return (
            f"{result.requests} registrations by {processes} processes in "
            f"{result.seconds:.1f} s: {result.tps:.0f}/s; per call p50 "
            f"{result.percentile(50):.1f} ms, p99 {result.percentile(99):.1f} ms"
        )

    def run() -> ServiceResult:
        return run_service(label, jobs, processes=processes)

    sessions = sorted({session for _, session in jobs})
    return _phase(label, meter, run, headline, jobs, sessions, capacity)


def pgbench_phase(label: str, args: argparse.Namespace, sessions: int) -> pgb.PgbenchResult:
    result = pgb.run(
        label,
        pgbench=args.pgbench,
        sessions=sessions,
        clients=args.clients,
        threads=2,
        seconds=args.pgbench_seconds,
    )
    print(
        f"[{label}] pgbench -c {args.clients} -j 2 -T {args.pgbench_seconds}: {result.tps:.0f} "
        f"TPS, latency average {result.latency_ms:.1f} ms, {result.transactions} transactions, "
        f"{result.failed} failed",
        flush=True,
    )
    return result


def warm_up(server: Gunicorn, world: World, clients: int) -> None:
    """Every worker imports, connects and serves the endpoint once before measuring; a missing
    endpoint or a refusal stops the run here."""
    jobs = [(learner.token, world.warm_up_session) for learner in world.warm_up]
    result = run_clients("warm-up", server.port, jobs, clients=clients)
    if result.unexpected:
        raise Failed(
            "the register endpoint does not answer as expected ("
            + ", ".join(f"{o} x{n}" for o, n in result.outcomes.items())
            + "): "
            + "; ".join(result.errors[:3])
            + f"\ngunicorn log:\n{server.tail()}"
        )
    reset_registrations()


# --- Main ----------------------------------------------------------------------------------------


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--learners", type=int, default=5000)
    parser.add_argument("--spread", type=int, default=1000, help="sessions in the SPREAD shape")
    parser.add_argument("--hot-capacity", type=int, default=100)
    parser.add_argument("--spread-capacity", type=int, default=4)
    parser.add_argument("--clients", type=int, default=32, help="HTTP clients and pgbench -c")
    parser.add_argument(
        "--workers", type=int, default=GUNICORN["workers"], help="gunicorn worker processes"
    )
    parser.add_argument(
        "--threads", type=int, default=GUNICORN["threads"], help="threads per gunicorn worker"
    )
    parser.add_argument("--service-processes", type=int, default=6)
    parser.add_argument("--pgbench-seconds", type=int, default=15)
    parser.add_argument("--pgbench", default=None, help="path of pgbench (default: on PATH)")
    parser.add_argument(
        "--conn-max-age",
        default=os.environ.get("DB_CONN_MAX_AGE") or "60",
        help="DB_CONN_MAX_AGE for gunicorn (default 60, as in .env.example)",
    )
    parser.add_argument(
        "--profile",
        choices=["auto", "always", "never"],
        default="auto",
        help="take one request apart (auto: when a target is missed)",
    )
    parser.add_argument("--skip-service", action="store_true", help="no service-layer phase")
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    args.pgbench = pgb.find_pgbench(args.pgbench)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # run the clean-up below
    started = time.perf_counter()
    settings.DEBUG = False  # as in production: no query log
    server: Gunicorn | None = None
    problems: dict[str, list[str]] = {}
    tallies: list[Tally] = []
    usage: dict[str, Usage] = {}
    profile: dict[str, Any] = {}
    kept_work_dir = False
    original = create_database(DATABASE)
    try:
        print(f"{DATABASE} created and migrated on {server_description()}", flush=True)
        world = build_world(
            learners=args.learners,
            warm_up=max(4 * args.workers, args.clients),
            spread=args.spread,
            hot_capacity=args.hot_capacity,
            spread_capacity=args.spread_capacity,
        )
        pgb.prepare(args.spread, args.hot_capacity)
        print(
            f"{len(world.learners)} learners with tokens; HOT: 1 session, capacity "
            f"{world.hot_capacity}; SPREAD: {len(world.spread)} sessions, capacity "
            f"{world.spread_capacity}; load average {os.getloadavg()[0]:.2f} on "
            f"{psutil.cpu_count()} cores ({time.perf_counter() - started:.0f} s)",
            flush=True,
        )
        meter = CpuMeter(postmaster_pid())
        hot_jobs = [(learner.token, world.hot) for learner in world.learners]
        spread_jobs = [
            (learner.token, world.spread[i % len(world.spread)])
            for i, learner in enumerate(world.learners)
        ]

        pg_hot = pgbench_phase("pgbench hot", args, 1)

        server = Gunicorn(
            workers=args.workers,
            threads=args.threads,
            database_url=database_url(),
            log=WORK_DIR / "gunicorn.log",
            conn_max_age=args.conn_max_age,
        )
        server.wait_ready()
        meter.gunicorn = psutil.Process(server.process.pid) if server.process else None
        print(
            f"gunicorn: {args.workers} {GUNICORN['worker_class']} workers x {args.threads} "
            f"threads on 127.0.0.1:{server.port}, DEBUG=0, "
            f"DB_CONN_MAX_AGE={args.conn_max_age}, broker "
            f"{'Redis' if os.environ.get('REDIS_URL') else 'PostgreSQL (the bench server)'}",
            flush=True,
        )
        warm_up(server, world, args.clients)

        http_hot, counted, usage["http hot"], problems["http hot"] = http_phase(
            "http hot", server, meter, hot_jobs, [world.hot], world.hot_capacity, args.clients
        )
        tallies.append(counted)
        service_hot: ServiceResult | None = None
        if not args.skip_service:
            service_jobs = [(learner.pk, world.hot) for learner in world.learners]
            service_hot, counted, usage["service hot"], problems["service hot"] = service_phase(
                "service hot", meter, service_jobs, world.hot_capacity, args.service_processes
            )
            tallies.append(counted)
        pg_spread = pgbench_phase("pgbench spread", args, len(world.spread))
        http_spread, counted, usage["http spread"], problems["http spread"] = http_phase(
            "http spread",
            server,
            meter,
            spread_jobs,
            world.spread,
            world.spread_capacity,
            args.clients,
        )
        tallies.append(counted)
        server.stop()

        ratios = {
            "http_ratio_hot": http_hot.tps / pg_hot.tps,
            "http_ratio_spread": http_spread.tps / pg_spread.tps,
            "service_ratio_hot": service_hot.tps / pg_hot.tps if service_hot else 0.0,
        }
        p99 = max(http_hot.percentile(99), http_spread.percentile(99))
        met = {name: ratios[name] >= target for name, target in TARGETS.items()}
        if service_hot is None:
            met.pop("service_ratio_hot")
        met["p99_ms"] = p99 <= TARGET_P99_MS
        if args.profile == "always" or (args.profile == "auto" and not all(met.values())):
            print("Taking one registration request apart (in this process):", flush=True)
            try:
                profile = profile_requests(
                    world.profile_session, world.hot_capacity, world.learners, requests=200
                )
            except Exception as error:  # a diagnosis only: the measurements stand without it
                print(f"[profile] failed: {type(error).__name__}: {error}", flush=True)
    except BaseException as error:
        kept_work_dir = True
        if server is not None and not isinstance(error, Failed):
            print(f"gunicorn log (kept in {WORK_DIR}):\n{server.tail()}", file=sys.stderr)
        raise
    finally:
        if server is not None:
            server.stop()
        drop_rush_database(DATABASE, original)
        if not kept_work_dir:
            shutil.rmtree(WORK_DIR, ignore_errors=True)

    oversold = sum(counted.oversold for counted in tallies)
    failures = [f"{phase}: {p}" for phase, found in problems.items() for p in found]
    for name, target in TARGETS.items():
        if name in met:
            print(
                f"{name} = {ratios[name]:.3f} (target >= {target}): "
                f"{'met' if met[name] else 'NOT MET'}"
            )
    print(
        f"p99 latency {p99:.1f} ms (target <= {TARGET_P99_MS:.0f}): "
        f"{'met' if met['p99_ms'] else 'NOT MET'}"
    )
    busy = max(u.other_cores for u in usage.values())
    if busy > BUSY_MACHINE_CORES:
        print(
            f"NOTE: other processes kept {busy:.2f} cores busy during the run: every number "
            "above (pgbench included) is lower than on an idle machine; ratios suffer less."
        )
    if not all(met.values()):
        missed = ", ".join(name for name, ok in met.items() if not ok)
        print(f"!!! SPEED TARGETS MISSED: {missed} (see the profile above) !!!")
    for failure in failures:
        print(f"FAILED {failure}")
    print(
        f"oversold {oversold}; {len(failures)} correctness failures; "
        f"{time.perf_counter() - started:.0f} s in all"
    )
    summary = {
        "http_ratio_hot": round(ratios["http_ratio_hot"], 3),
        "http_ratio_spread": round(ratios["http_ratio_spread"], 3),
        "service_ratio_hot": round(ratios["service_ratio_hot"], 3),
        "pgbench_tps_hot": round(pg_hot.tps, 1),
        "pgbench_tps_spread": round(pg_spread.tps, 1),
        "p99_ms": round(p99, 1),
        "oversold": oversold,
        "http_tps_hot": round(http_hot.tps, 1),
        "http_tps_spread": round(http_spread.tps, 1),
        "service_tps_hot": round(service_hot.tps, 1) if service_hot else None,
        "p50_ms_hot": round(http_hot.percentile(50), 1),
        "p99_ms_hot": round(http_hot.percentile(99), 1),
        "p50_ms_spread": round(http_spread.percentile(50), 1),
        "p99_ms_spread": round(http_spread.percentile(99), 1),
        "unexpected_answers": http_hot.unexpected
        + http_spread.unexpected
        + (service_hot.unexpected if service_hot else 0),
        "failures": len(failures),
        "learners": len(world.learners),
        "clients": args.clients,
        "workers": args.workers,
        "threads": args.threads,
        "service_processes": 0 if service_hot is None else args.service_processes,
        "spread_sessions": len(world.spread),
        "spread_capacity": world.spread_capacity,
        "app_cpu_ms_per_registration": round(usage["http hot"].app_ms, 2),
        "db_cpu_ms_per_registration": round(usage["http hot"].db_ms, 2),
        "other_load_cores": round(max(u.other_cores for u in usage.values()), 2),
        "statements_per_request": profile.get("queries_waitlisted"),
        "targets_met": all(met.values()),
        "seconds": round(time.perf_counter() - started),
    }
    print(json.dumps(summary))
    return 1 if failures else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Failed as stopped:
        print(f"registration_rush stopped: {stopped}", file=sys.stderr)
        sys.exit(2)
