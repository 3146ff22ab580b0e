"""Audit overhead: how much registration throughput does the audit log cost?

    .venv/bin/python bench/audit_overhead.py          (--help for options)

Runs in a database of its own on the configured server (DATABASE_URL, or the embedded
PostgreSQL from settings): `tms_audit_bench`, dropped first if left over and dropped at the
end. The world is the registration rush's (bench/_rush_world.py): learners with tokens, one
course, 200 sessions of 3 seats (a round registers 800 learners, learner i for session
i % 200: 3 confirmed and 1 waitlisted each, so both paths of the seat door run).

Two paths are measured in the same run, each with the audit triggers on (every registration
writes its audit entry, sealed into the hash chain as it commits, or left to the next sealer
when another commit holds the chain's lock) and off (`ALTER TABLE ... DISABLE TRIGGER
compliance_audit` on every audited table, as superuser, in this database only: production
code has no switch):
1. the service path of the rush: `registration_create` (one prepared read, one call of the
   seat door) from several forked processes;
2. the HTTP registration rush: gunicorn on loopback with the production settings
   (bench/_rush_http.py, as bench/registration_rush.py runs it) and client threads, each
   registering learners once through `POST /api/v1/sessions/{id}/register/` with a token.
Rounds come in pairs, on then off, then off then on (ABBA...), so drifting load on a shared
machine hits both alike; after each round what waits is sealed and the registrations and
outbox are emptied, after each pair VACUUM ANALYZE and CHECKPOINT, so no round pays for the
previous one's cleanup; a warm-up of each mode comes first on each path, uncounted. A path's
figure is the median over its pairs of (throughput on / throughput off): each pair runs back
to back, under the same load from the rest of the machine. At the end the chain is verified.

Last line: one JSON object with `audit_overhead_ratio` (the lower of the two paths' ratios:
the target >= 0.8 must hold for both), `service_ratio`, `http_ratio` and the raw figures.
Exits 1 if a round had unexpected outcomes or the chain is broken; a missed target is
reported, not failed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tms.settings")
os.environ.setdefault("DEBUG", "1")  # for the built-in secret key; DEBUG is switched off below

import django  # noqa: E402

django.setup()

import logging  # noqa: E402

# kombu connection warnings (e.g. a broker URL without a host name) would drown the figures.
logging.getLogger("kombu.connection").setLevel(logging.ERROR)

from _booking_world import settle  # noqa: E402
from _databases import create_database, server_description  # noqa: E402
from _rush_http import Gunicorn, HttpResult, production_gunicorn, run_clients  # noqa: E402
from _rush_service import ServiceResult, run_service  # noqa: E402
from _rush_world import (  # noqa: E402
    build_world,
    database_url,
    drop_rush_database,
    reset_registrations,
)
from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402

from compliance.audit import TRIGGER, audit_seal  # noqa: E402
from compliance.verify import verify_chain  # noqa: E402

DATABASE = "tms_audit_bench"
TARGET = 0.8
GUNICORN = production_gunicorn()
WORK_DIR = Path(tempfile.mkdtemp(prefix="tms-audit-bench-"))


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--learners", type=int, default=800)
    parser.add_argument("--spread", type=int, default=200, help="sessions registered for")
    parser.add_argument("--capacity", type=int, default=3, help="seats per session")
    parser.add_argument("--processes", type=int, default=4, help="forked service processes")
    parser.add_argument("--rounds", type=int, default=8, help="service: pairs of on/off rounds")
    parser.add_argument("--per-round", type=int, default=800, help="service: registrations")
    parser.add_argument("--http-rounds", type=int, default=6, help="HTTP: pairs of on/off rounds")
    parser.add_argument("--http-per-round", type=int, default=800, help="HTTP: registrations")
    parser.add_argument("--clients", type=int, default=16, help="HTTP client threads")
    parser.add_argument(
        "--workers", type=int, default=GUNICORN["workers"], help="gunicorn worker processes"
    )
    parser.add_argument(
        "--threads", type=int, default=GUNICORN["threads"], help="threads per gunicorn worker"
    )
    parser.add_argument(
        "--conn-max-age",
        default=os.environ.get("DB_CONN_MAX_AGE") or "60",
        help="DB_CONN_MAX_AGE for gunicorn (default 60, as in .env.example)",
    )
    parser.add_argument("--skip-http", action="store_true", help="the service path only")
    return parser.parse_args()


def audited_tables() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE t.tgname = %s ORDER BY 1",
            [TRIGGER],
        )
        return [row[0] for row in cursor.fetchall()]


def set_audit(tables: list[str], *, on: bool) -> None:
    verb = "ENABLE" if on else "DISABLE"
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f'ALTER TABLE "{table}" {verb} TRIGGER {TRIGGER}')
    connection.close()  # forked workers must not share this connection


def audit_rows() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM compliance_auditentry")
        return int(cursor.fetchone()[0])


def unsealed_rows() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM compliance_auditentry WHERE seq IS NULL")
        return int(cursor.fetchone()[0])


Result = ServiceResult | HttpResult


def measure_pairs(
    path: str,
    tables: list[str],
    rounds: int,
    run: Callable[[str], Result],
    failures: list[str],
) -> dict[str, list[Result]]:
    """`rounds` pairs of rounds of `run(mode)`, on then off, then off then on (ABBA...); each
    round's audit entries are counted and sealed, then the registrations emptied; VACUUM and
    CHECKPOINT after each pair."""
    results: dict[str, list[Result]] = {"on": [], "off": []}
    for round_no in range(rounds):
        pair = ("on", "off") if round_no % 2 == 0 else ("off", "on")  # ABBA...
        for mode in pair:
            set_audit(tables, on=mode == "on")
            before = audit_rows()
            result = run(mode)
            written = audit_rows() - before
            left = unsealed_rows()  # commits that found the chain busy left these
            sealed_later = audit_seal()
            results[mode].append(result)
            print(
                f"{path} round {round_no + 1}, audit {mode}: {result.requests} registrations "
                f"in {result.seconds:.2f} s = {result.tps:.0f}/s, p50 "
                f"{result.percentile(50):.1f} ms, p99 {result.percentile(99):.1f} ms; "
                f"{written} audit entries ({left} left to the sweep, {sealed_later} sealed)",
                flush=True,
            )
            if result.unexpected or result.errors:
                failures.append(f"{path} audit {mode}: {dict(result.outcomes)} {result.errors[:2]}")
            if mode == "on" and written < result.requests:
                failures.append(f"{path} audit on: {written} entries for {result.requests} writes")
            if mode == "off" and written:
                failures.append(f"{path} audit off: {written} entries written")
            reset_registrations()
        settle()  # each pair starts alike: no vacuum or checkpoint left over
    return results


def summary(results: dict[str, list[Result]]) -> dict[str, Any]:
    """The median of the pairs' ratios (each pair ran back to back, under the same load from
    the rest of the machine, so the median is what the audit costs whatever the load did
    meanwhile) and the raw figures."""
    pairs = [on.tps / off.tps for on, off in zip(results["on"], results["off"], strict=False)]

    def tps(mode: str) -> float:
        return statistics.median(r.tps for r in results[mode]) if results[mode] else 0.0

    return {
        "ratio": round(statistics.median(pairs), 3) if pairs else None,
        "pair_ratios": [round(r, 3) for r in pairs],
        "tps_on": round(tps("on"), 1),
        "tps_off": round(tps("off"), 1),
        "tps_on_rounds": [round(r.tps, 1) for r in results["on"]],
        "tps_off_rounds": [round(r.tps, 1) for r in results["off"]],
        "p99_ms_on": round(max((r.percentile(99) for r in results["on"]), default=0), 1),
        "p99_ms_off": round(max((r.percentile(99) for r in results["off"]), default=0), 1),
    }


def main() -> int:
    args = parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # run the clean-up below
    started = time.perf_counter()
    load_at_start = round(os.getloadavg()[0], 2)
    settings.DEBUG = False  # as in production: no query log
    original = create_database(DATABASE)
    failures: list[str] = []
    service: dict[str, list[Result]] = {"on": [], "off": []}
    http: dict[str, list[Result]] = {"on": [], "off": []}
    server: Gunicorn | None = None
    chain_checked = 0
    try:
        print(f"{DATABASE} created and migrated on {server_description()}", flush=True)
        world = build_world(
            learners=max(args.learners, args.per_round, args.http_per_round),
            warm_up=0,
            spread=args.spread,
            hot_capacity=args.capacity,
            spread_capacity=args.capacity,
        )
        tables = audited_tables()
        print(
            f"{len(world.learners)} learners, {args.spread} sessions of {args.capacity} "
            f"seats; {len(tables)} audited tables; load average {load_at_start:.2f} on "
            f"{os.cpu_count()} cores",
            flush=True,
        )
        sessions = [world.spread[i % len(world.spread)] for i in range(len(world.learners))]
        jobs = [(learner.pk, s) for learner, s in zip(world.learners, sessions, strict=True)]
        tokens = [(learner.token, s) for learner, s in zip(world.learners, sessions, strict=True)]

        # The service path: registration_create from forked processes.
        warm = jobs[: max(len(jobs) // 5, args.processes)]
        for mode in ("on", "off"):  # warm-up (not counted): caches, plans, the sealer compiled
            set_audit(tables, on=mode == "on")
            run_service(f"warm-up {mode}", warm, processes=args.processes)
            reset_registrations()
        settle()
        measured = jobs[: args.per_round]
        service = measure_pairs(
            "service",
            tables,
            args.rounds,
            lambda mode: run_service(f"audit {mode}", measured, processes=args.processes),
            failures,
        )

        # The HTTP rush: gunicorn with the production settings, token-authenticated clients.
        if not args.skip_http and args.http_rounds:
            server = Gunicorn(
                workers=args.workers,
                threads=args.threads,
                database_url=database_url(),
                log=WORK_DIR / "gunicorn.log",
                conn_max_age=args.conn_max_age,
            )
            server.wait_ready()
            port = server.port
            print(
                f"gunicorn: {args.workers} {GUNICORN['worker_class']} workers x "
                f"{args.threads} threads on 127.0.0.1:{port}, {args.clients} clients, "
                f"DB_CONN_MAX_AGE={args.conn_max_age}",
                flush=True,
            )
            warm_http = tokens[: max(len(tokens) // 5, 4 * args.workers, args.clients)]
            for mode in ("on", "off"):  # warm-up: every worker imports, connects, serves
                set_audit(tables, on=mode == "on")
                result = run_clients(f"warm-up {mode}", port, warm_http, clients=args.clients)
                if result.unexpected:
                    raise RuntimeError(
                        f"the register endpoint does not answer as expected: "
                        f"{dict(result.outcomes)} {result.errors[:3]}\n{server.tail()}"
                    )
                reset_registrations()
            settle()
            measured_http = tokens[: args.http_per_round]
            http = measure_pairs(
                "http",
                tables,
                args.http_rounds,
                lambda mode: run_clients(f"http {mode}", port, measured_http, clients=args.clients),
                failures,
            )
            server.stop()

        set_audit(tables, on=True)
        audit_seal()
        chain = verify_chain()
        chain_checked = chain.checked
        if not chain.ok:
            failures.append(f"chain broken: {chain.problem}")
    except BaseException:
        if server is not None:
            print(f"gunicorn log (kept in {WORK_DIR}):\n{server.tail()}", file=sys.stderr)
            server.stop()
            server = None
        raise
    finally:
        if server is not None:
            server.stop()
        drop_rush_database(DATABASE, original)
    shutil.rmtree(WORK_DIR, ignore_errors=True)

    service_figures, http_figures = summary(service), summary(http)
    measured_ratios = [
        r for r in (service_figures["ratio"], http_figures["ratio"]) if r is not None
    ]
    # The figure must hold for both paths: the lower of the two counts.
    ratio = min(measured_ratios) if measured_ratios else None
    met = ratio is not None and ratio >= TARGET
    for name, figures in (("service", service_figures), ("http", http_figures)):
        if figures["ratio"] is not None:
            print(
                f"{name}: {figures['tps_on']:.0f}/s with the audit on, {figures['tps_off']:.0f}/s "
                f"off (medians); ratio {figures['ratio']:.3f} (median of pairs "
                f"{figures['pair_ratios']})",
                flush=True,
            )
    print(
        f"audit overhead ratio {ratio} (the lower of the two; target >= {TARGET}: "
        f"{'met' if met else 'MISSED'}); {time.perf_counter() - started:.0f} s",
        flush=True,
    )
    for failure in failures:
        print(f"FAILED {failure}", flush=True)
    figures: dict[str, Any] = {
        "audit_overhead_ratio": ratio,
        "service_ratio": service_figures["ratio"],
        "http_ratio": http_figures["ratio"],
        "target": TARGET,
        "met": met,
        "service": service_figures,
        "http": http_figures,
        "learners": len(world.learners),
        "processes": args.processes,
        "service_per_round": len(measured),
        "http_per_round": args.http_per_round if http["on"] else 0,
        "clients": args.clients,
        "workers": args.workers,
        "threads": args.threads,
        "chain_entries_verified": chain_checked,
        "load_average_start_1m": load_at_start,
        "load_average_1m": round(os.getloadavg()[0], 2),
        "seconds": round(time.perf_counter() - started),
        "failures": failures,
    }
    print(json.dumps(figures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
