"""Audit overhead: how much registration throughput does the audit log cost?

    .venv/bin/python bench/audit_overhead.py          (--help for options)

Runs in a database of its own on the configured server (DATABASE_URL, or the embedded
PostgreSQL from settings): `tms_audit_bench`, dropped first if left over and dropped at the
end. The world is the registration rush's (bench/_rush_world.py): learners with tokens, one
course, 200 sessions of 3 seats (a round registers 800 learners, learner i for session
i % 200: 3 confirmed and 1 waitlisted each, so both paths of the seat door run).

The same registrations go through `registration_create` (the service path of the rush: one
prepared read, one call of the seat door) from several forked processes, with the audit
triggers on (every registration writes its audit entry, sealed into the hash chain as it
commits, or left to the next sealer when another commit holds the chain's lock) and off
(`ALTER TABLE ... DISABLE TRIGGER compliance_audit` on every audited table, as superuser, in
this database only: production code has no switch). Rounds come in pairs, on then off, then
off then on (ABBA...), so drifting load on a shared machine hits both alike; after each round
what waits is sealed and the registrations and outbox are emptied, after each pair VACUUM
ANALYZE and CHECKPOINT, so no round pays for the previous one's cleanup; a warm-up of each
mode comes first, uncounted. The figure is
the median over the pairs of (throughput on / throughput off): each pair runs back to back,
under the same load from the rest of the machine. At the end the chain is verified.

Last line: one JSON object with `audit_overhead_ratio` (throughput on / off; target >= 0.8)
and the raw figures. Exits 1 if a round had unexpected outcomes or the chain is broken.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tms.settings")
os.environ.setdefault("DEBUG", "1")  # for the built-in secret key; DEBUG is switched off below

import django  # noqa: E402

django.setup()

from _booking_world import settle  # noqa: E402
from _databases import create_database, server_description  # noqa: E402
from _rush_service import ServiceResult, run_service  # noqa: E402
from _rush_world import build_world, drop_rush_database, reset_registrations  # noqa: E402
from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402

from compliance.audit import TRIGGER, audit_seal  # noqa: E402
from compliance.verify import verify_chain  # noqa: E402

DATABASE = "tms_audit_bench"
TARGET = 0.8


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--learners", type=int, default=800)
    parser.add_argument("--spread", type=int, default=200, help="sessions registered for")
    parser.add_argument("--capacity", type=int, default=3, help="seats per session")
    parser.add_argument("--processes", type=int, default=4, help="forked service processes")
    parser.add_argument("--rounds", type=int, default=8, help="pairs of on and off rounds")
    parser.add_argument("--per-round", type=int, default=800, help="registrations per round")
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


def main() -> int:
    args = parse_args()
    settings.DEBUG = False  # as in production: no query log
    original = create_database(DATABASE)
    failures: list[str] = []
    results: dict[str, list[ServiceResult]] = {"on": [], "off": []}
    try:
        print(f"{DATABASE} created and migrated on {server_description()}", flush=True)
        world = build_world(
            learners=args.learners,
            warm_up=0,
            spread=args.spread,
            hot_capacity=args.capacity,
            spread_capacity=args.capacity,
        )
        tables = audited_tables()
        print(
            f"{len(world.learners)} learners, {args.spread} sessions of {args.capacity} "
            f"seats; {len(tables)} audited tables",
            flush=True,
        )
        jobs = [
            (learner.pk, world.spread[i % len(world.spread)])
            for i, learner in enumerate(world.learners)
        ]
        warm = jobs[: max(len(jobs) // 5, args.processes)]
        for mode in ("on", "off"):  # warm-up (not counted): caches, plans, the sealer compiled
            set_audit(tables, on=mode == "on")
            run_service(f"warm-up {mode}", warm, processes=args.processes)
            reset_registrations()
        settle()
        measured = jobs[: args.per_round]
        for round_no in range(args.rounds):
            pair = ("on", "off") if round_no % 2 == 0 else ("off", "on")  # ABBA...
            for mode in pair:
                set_audit(tables, on=mode == "on")
                before = audit_rows()
                result = run_service(f"audit {mode}", measured, processes=args.processes)
                written = audit_rows() - before
                left = unsealed_rows()  # commits that found the chain busy left these
                sealed_later = audit_seal()
                results[mode].append(result)
                print(
                    f"round {round_no + 1}, audit {mode}: {result.requests} registrations in "
                    f"{result.seconds:.2f} s = {result.tps:.0f}/s, p50 "
                    f"{result.percentile(50):.1f} ms, p99 {result.percentile(99):.1f} ms; "
                    f"{written} audit entries ({left} left to the sweep, {sealed_later} sealed)",
                    flush=True,
                )
                if result.unexpected or result.errors:
                    failures.append(f"audit {mode}: {dict(result.outcomes)} {result.errors[:2]}")
                if mode == "on" and written < result.requests:
                    failures.append(f"audit on: {written} entries for {result.requests} writes")
                if mode == "off" and written:
                    failures.append(f"audit off: {written} entries written")
                reset_registrations()
            settle()  # each pair starts alike: no vacuum or checkpoint left over
        set_audit(tables, on=True)
        audit_seal()
        chain = verify_chain()
        if not chain.ok:
            failures.append(f"chain broken: {chain.problem}")
    finally:
        drop_rush_database(DATABASE, original)

    def tps(mode: str) -> float:
        return statistics.median(r.tps for r in results[mode]) if results[mode] else 0.0

    # Each pair ran back to back, so it saw the same load from the rest of the machine: the
    # median of the pairs' ratios is what the audit costs, whatever the load did meanwhile.
    pairs = [on.tps / off.tps for on, off in zip(results["on"], results["off"], strict=False)]
    ratio = statistics.median(pairs) if pairs else 0.0
    figures: dict[str, Any] = {
        "audit_overhead_ratio": round(ratio, 3),
        "target": TARGET,
        "met": ratio >= TARGET,
        "pair_ratios": [round(r, 3) for r in pairs],
        "tps_on": round(tps("on"), 1),
        "tps_off": round(tps("off"), 1),
        "tps_on_rounds": [round(r.tps, 1) for r in results["on"]],
        "tps_off_rounds": [round(r.tps, 1) for r in results["off"]],
        "p99_ms_on": round(max((r.percentile(99) for r in results["on"]), default=0), 1),
        "p99_ms_off": round(max((r.percentile(99) for r in results["off"]), default=0), 1),
        "learners": args.learners,
        "processes": args.processes,
        "chain_entries_verified": chain.checked if results["on"] else 0,
        "failures": failures,
    }
    print(
        f"audit overhead ratio {ratio:.2f} (target >= {TARGET}: "
        f"{'met' if ratio >= TARGET else 'MISSED'})",
        flush=True,
    )
    print(json.dumps(figures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
