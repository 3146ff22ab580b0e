"""Export benchmark: 1,000,000 attendance records exported as CSV through the download's own
code path, against PostgreSQL's `COPY (same query) TO STDOUT WITH CSV` in the same run.

    .venv/bin/python bench/export.py            (or `make bench`; --help for options)

Runs in a database of its own on the configured server (DATABASE_URL, or the embedded
PostgreSQL from settings): `tms_bench_export`, dropped first if left over and dropped at the
end. Demo data is never touched.

The world, built in SQL (INSERT ... SELECT generate_series): one site with 20 rooms, 50
courses, 100 instructors, 10,000 sessions of 5 blocks (one lead instructor each), 20 confirmed
learners per session out of 5,000, and one attendance record per block and learner:
1,000,000 records (with notes, some starting with "=" or "-" so the neutralisation runs).

Each measurement runs in a fresh child process (`--child`), so its peak RSS (ru_maxrss) is the
exporting process's own, not the world builder's:
- `export`: `services.export_request` (the attendance dataset, CSV, no filters, as an
  auditor), `export_claim_stream`, then the streaming generator `export_stream`, the one the
  download's StreamingHttpResponse iterates, consumed to the end with its bytes counted (the
  SHA-256 is computed while streaming and the record finished, as for a browser);
- `copy`: the same query (`attendance_query`, same SQL and parameters) through
  `COPY (...) TO STDOUT WITH CSV` (psycopg2 copy_expert into a counting sink).
Each runs `--rounds` times, alternating (background load on a shared machine hits both); the
best round of each counts.

Targets: `ratio` = rows_per_s / copy_rows_per_s >= 0.5; `peak_rss_mb` (the exporting child's
ru_maxrss) <= 120. After its own measurements (and with its database dropped), it runs
bench/audit_overhead.py as a child process (same interpreter and environment, so
DATABASE_URL is honoured) and carries its `audit_overhead_ratio` (the lower of the service
path's and the HTTP rush's ratios, target >= 0.8), `audit_service_ratio` and
`audit_http_ratio` into its own last line; `--audit-args` passes it options, `--skip-audit`
leaves them null (quick runs).

Last line: one JSON object with `rows_per_s`, `copy_rows_per_s`, `ratio`, `peak_rss_mb`,
`audit_overhead_ratio` and extras. Exits 1 if a run fails or exports a wrong row count, or
if the audit bench fails (unexpected outcomes, a broken chain, no figures).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shlex
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tms.settings")
os.environ.setdefault("DEBUG", "1")  # for the built-in secret key; DEBUG is switched off below
# Every export of the bench streams (the worker threshold is for the download page).
os.environ.setdefault("EXPORT_STREAM_MAX_ROWS", "100000000")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Model  # noqa: E402
from django.utils import timezone  # noqa: E402
from psycopg2 import sql  # noqa: E402

DATABASE = "tms_bench_export"
SESSIONS = 10_000
BLOCKS_PER_SESSION = 5
LEARNERS_PER_SESSION = 20
LEARNERS = 5_000
ROOMS = 20
COURSES = 50
INSTRUCTORS = 100
RECORDS = SESSIONS * BLOCKS_PER_SESSION * LEARNERS_PER_SESSION
TARGET_RATIO = 0.5
TARGET_RSS_MB = 120.0


def insert_select(model: type[Model], given: dict[str, str], source: str) -> int:
    """INSERT INTO model's table SELECT `given` column expressions (SQL over `source`), with
    the model's defaults for every other column: keeps working as models gain fields."""
    from _bulk import _defaults

    now = timezone.now()
    defaults = _defaults(model, {"id", *given}, now)
    columns, values = [], []
    for field in model._meta.concrete_fields:
        if field.attname == "id" and "id" not in given:
            continue
        columns.append(sql.Identifier(field.column))
        if field.attname in given:
            values.append(sql.SQL(given[field.attname]))
        else:
            value = defaults[field.attname]
            values.append(sql.Literal(field.get_db_prep_value(value, connection, prepared=False)))
    statement = sql.SQL("INSERT INTO {} ({}) SELECT {} FROM {}").format(
        sql.Identifier(model._meta.db_table),
        sql.SQL(", ").join(columns),
        sql.SQL(", ").join(values),
        sql.SQL(source),
    )
    with connection.cursor() as cursor:
        # No parameters: the expressions use % (modulo), the defaults are literals.
        cursor.execute(statement.as_string(cursor.connection))
        return int(cursor.rowcount)


def build_world() -> None:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from attendance.models import AttendanceRecord, Registration
    from instructors.models import Instructor
    from scheduling.models import Course, InstructorAssignment, Session, SessionBlock
    from venues.models import Room, Site

    user = get_user_model()
    site = Site.objects.create(name="Bench campus", time_zone="Europe/Paris")
    Room.objects.bulk_create(
        [Room(site=site, name=f"Room {i:02d}", capacity=30) for i in range(ROOMS)]
    )
    Course.objects.bulk_create(
        [
            Course(code=f"C{i:03d}", title=f"Course {i}, safety & more", delivery_modes=["ilt"])
            for i in range(COURSES)
        ]
    )
    auditor = user.objects.create(username="bench-auditor", first_name="Audrey")
    auditor.groups.add(Group.objects.get_or_create(name="Auditor")[0])
    given_user = {
        "password": "'!'",
        "username": "'u' || g",
        "first_name": "'First' || g",
        "last_name": "CASE WHEN g % 50 = 0 THEN '=Last' || g ELSE 'Lastname' || g END",
        "email": "'u' || g || '@example.org'",
        "is_active": "true",
        "is_staff": "false",
        "is_superuser": "false",
        "date_joined": "now()",
    }
    insert_select(user, given_user, f"generate_series(1, {LEARNERS + INSTRUCTORS}) AS g")
    insert_select(
        Instructor,
        {"user_id": "u.id"},
        f"(SELECT id FROM auth_user WHERE username ~ '^u[0-9]+$'"
        f" ORDER BY id DESC LIMIT {INSTRUCTORS}) AS u",
    )
    first_course = Course.objects.order_by("pk").first().pk  # type: ignore[union-attr]
    first_room = Room.objects.order_by("pk").first().pk  # type: ignore[union-attr]
    base = "timestamptz '2030-01-07 08:00+00'"
    # Session g: day g / 4, slot g % 4 (2 h each); its blocks on the next 5 days.
    insert_select(
        Session,
        {
            "course_id": f"{first_course} + g % {COURSES}",
            "delivery_mode": "'ilt'",
            "status": "'completed'",
            "capacity": "25",
            "time_zone": "'Europe/Paris'",
            "starts_at": f"{base} + (g / 4) * interval '1 day' + (g % 4) * interval '2 hours'",
            "ends_at": f"{base} + (g / 4 + 4) * interval '1 day' + (g % 4) * interval '2 hours'"
            " + interval '90 minutes'",
            "created_at": "now()",
            "updated_at": "now()",
        },
        f"generate_series(0, {SESSIONS - 1}) AS g",
    )
    insert_select(
        SessionBlock,
        {
            "session_id": "s.id",
            "starts_at": "s.starts_at + d * interval '1 day'",
            "ends_at": "s.starts_at + d * interval '1 day' + interval '90 minutes'",
            "status": "'active'",
            "room_id": f"{first_room} + s.id % {ROOMS}",
            "created_at": "now()",
            "updated_at": "now()",
        },
        f"scheduling_session s CROSS JOIN generate_series(0, {BLOCKS_PER_SESSION - 1}) AS d",
    )
    insert_select(
        InstructorAssignment,
        {
            "session_id": "s.id",
            "instructor_id": f"(SELECT min(id) FROM instructors_instructor) + s.id % {INSTRUCTORS}",
            "role": "'lead'",
            "created_at": "now()",
            "updated_at": "now()",
        },
        "scheduling_session s",
    )
    learner_base = "(SELECT min(id) FROM auth_user WHERE username ~ '^u[0-9]+$')"
    insert_select(
        Registration,
        {
            "session_id": "s.id",
            "learner_id": f"{learner_base} + (s.id * {LEARNERS_PER_SESSION} + k) % {LEARNERS}",
            "status": "'confirmed'",
            "confirmed_at": "s.starts_at - interval '7 days'",
            "created_at": "now()",
            "updated_at": "now()",
        },
        f"scheduling_session s CROSS JOIN generate_series(0, {LEARNERS_PER_SESSION - 1}) AS k",
    )
    insert_select(
        AttendanceRecord,
        {
            "registration_id": "r.id",
            "block_id": "b.id",
            "status": "(ARRAY['present', 'present', 'present', 'late', 'absent'])"
            "[1 + (r.id + b.id) % 5]",
            "minutes_attended": "90 - (r.id + b.id) % 5 * 10",
            "notes": "CASE (r.id + b.id) % 7 WHEN 0 THEN '=1+1' WHEN 1 THEN '-late, \"bus\"'"
            " WHEN 2 THEN 'arrived at 9:10, left at 10:20' ELSE '' END",
            "source": "'roster'",
            "recorded_at": "b.ends_at + interval '1 hour'",
            "created_at": "now()",
            "updated_at": "now()",
        },
        "attendance_registration r JOIN scheduling_sessionblock b ON b.session_id = r.session_id",
    )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
        cursor.execute("SELECT count(*) FROM attendance_attendancerecord")
        (count,) = cursor.fetchone()
    assert count == RECORDS, count


# --- Children: one measurement each, in a fresh process ---------------------------------------


class CountingSink:
    def __init__(self) -> None:
        self.bytes = 0

    def write(self, data: bytes | str) -> int:
        self.bytes += len(data)
        return len(data)


def child_export() -> dict[str, Any]:
    from django.contrib.auth import get_user_model

    from compliance.exports import services
    from compliance.exports.filters import ExportFilters
    from tms.permissions import Scope

    auditor = get_user_model().objects.get(username="bench-auditor")
    started = time.perf_counter()
    record = services.export_request(
        user=auditor,
        scope=Scope.ALL,
        dataset="attendance",
        file_format="csv",
        filters=ExportFilters(),
        now=timezone.now(),
    )
    counted = time.perf_counter()
    claimed = services.export_claim_stream(record_id=record.pk, now=timezone.now())
    size = 0
    for chunk in services.export_stream(claimed, now=timezone.now()):
        size += len(chunk)
    streamed = time.perf_counter()
    record.refresh_from_db()
    return {
        "rows": record.row_count,
        "bytes": size,
        "seconds": streamed - counted,
        "count_seconds": counted - started,
        "sha256": record.sha256,
    }


def child_copy() -> dict[str, Any]:
    from compliance.exports.datasets import attendance_query
    from compliance.exports.filters import ExportFilters

    query = attendance_query(ExportFilters())
    sink = CountingSink()
    started = time.perf_counter()
    with connection.cursor() as cursor:
        inner = cursor.mogrify(query.sql, query.params).decode()
        cursor.copy_expert(f"COPY ({inner}) TO STDOUT WITH CSV HEADER", sink)
        rows = cursor.rowcount
    return {"rows": rows, "bytes": sink.bytes, "seconds": time.perf_counter() - started}


def run_child(kind: str) -> dict[str, Any]:
    process = subprocess.run(
        [sys.executable, __file__, "--child", kind, "--database", DATABASE],
        capture_output=True,
        text=True,
        check=False,
        env=os.environ,
    )
    if process.returncode != 0:
        raise SystemExit(f"{kind} child failed:\n{process.stdout}\n{process.stderr}")
    result: dict[str, Any] = json.loads(process.stdout.strip().splitlines()[-1])
    return result


def run_audit_bench(extra: str = "") -> dict[str, Any] | None:
    """bench/audit_overhead.py in a child process (same interpreter and environment, `extra`
    its options); its progress goes to this output as it runs; its last line parsed, or None
    if it has none."""
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "bench" / "audit_overhead.py"), *shlex.split(extra)],
        stdout=subprocess.PIPE,
        text=True,
        env=os.environ,
    )
    assert process.stdout is not None
    last = ""
    for line in process.stdout:
        print(f"[audit] {line}", end="", flush=True)
        if line.strip():
            last = line
    returncode = process.wait()
    try:
        result: dict[str, Any] = json.loads(last)
    except ValueError:
        print(f"[audit] no figures (exit {returncode})", flush=True)
        return None
    result["returncode"] = returncode
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=2, help="rounds of each measurement")
    parser.add_argument(
        "--skip-audit", action="store_true", help="do not run bench/audit_overhead.py (quick)"
    )
    parser.add_argument(
        "--audit-args",
        default="",
        help="options for bench/audit_overhead.py, e.g. '--rounds 4 --http-rounds 4'",
    )
    parser.add_argument("--child", choices=["export", "copy"], help=argparse.SUPPRESS)
    parser.add_argument("--database", help=argparse.SUPPRESS)
    args = parser.parse_args()
    settings.DEBUG = False  # as in production: no query log
    if args.child:
        connection.settings_dict["NAME"] = args.database
        result = child_export() if args.child == "export" else child_copy()
        result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(result))
        return 0

    from _databases import create_database, drop_database, server_description

    started = time.perf_counter()
    load_at_start = round(os.getloadavg()[0], 2)
    original = create_database(DATABASE)
    exports: list[dict[str, Any]] = []
    copies: list[dict[str, Any]] = []
    try:
        print(f"{DATABASE} created and migrated on {server_description()}", flush=True)
        build_world()
        print(
            f"{RECORDS:,} attendance records built in {time.perf_counter() - started:.0f} s",
            flush=True,
        )
        connection.close()
        for round_ in range(args.rounds):
            for kind, results in (("copy", copies), ("export", exports)):
                result = run_child(kind)
                results.append(result)
                print(
                    f"round {round_ + 1} {kind}: {result['rows']:,} rows, "
                    f"{result['bytes'] / 1e6:.0f} MB in {result['seconds']:.2f} s "
                    f"({result['rows'] / result['seconds']:,.0f} rows/s), "
                    f"peak RSS {result['peak_rss_mb']:.0f} MB",
                    flush=True,
                )
    finally:
        connection.close()
        connection.settings_dict["NAME"] = original
        drop_database(DATABASE)
    wrong = [r for r in exports + copies if r["rows"] != RECORDS]
    audit = None if args.skip_audit else run_audit_bench(args.audit_args)
    audit_failed = not args.skip_audit and (audit is None or audit["returncode"] != 0)
    best_export = min(exports, key=lambda r: r["seconds"])
    best_copy = min(copies, key=lambda r: r["seconds"])
    rows_per_s = RECORDS / best_export["seconds"]
    copy_rows_per_s = RECORDS / best_copy["seconds"]
    ratio = rows_per_s / copy_rows_per_s
    peak = max(r["peak_rss_mb"] for r in exports)
    met = not wrong and ratio >= TARGET_RATIO and peak <= TARGET_RSS_MB
    if audit is not None:
        met = met and bool(audit.get("met"))
        print(
            f"audit overhead ratio {audit['audit_overhead_ratio']} (service "
            f"{audit['service_ratio']}, HTTP {audit['http_ratio']}; target >= 0.8)",
            flush=True,
        )
    print(
        f"export {rows_per_s:,.0f} rows/s = {ratio:.2f} x COPY's {copy_rows_per_s:,.0f} "
        f"(target >= {TARGET_RATIO}); peak RSS {peak:.0f} MB (target <= {TARGET_RSS_MB:.0f}); "
        f"targets {'met' if met else 'NOT met'}; {time.perf_counter() - started:.0f} s"
    )
    print(
        json.dumps(
            {
                "rows_per_s": round(rows_per_s),
                "copy_rows_per_s": round(copy_rows_per_s),
                "ratio": round(ratio, 3),
                "peak_rss_mb": round(peak, 1),
                "audit_overhead_ratio": audit["audit_overhead_ratio"] if audit else None,
                "audit_service_ratio": audit["service_ratio"] if audit else None,
                "audit_http_ratio": audit["http_ratio"] if audit else None,
                "audit_failures": audit["failures"] if audit else ([] if args.skip_audit else None),
                "rows": RECORDS,
                "export_bytes": best_export["bytes"],
                "copy_bytes": best_copy["bytes"],
                "export_seconds": round(best_export["seconds"], 3),
                "copy_seconds": round(best_copy["seconds"], 3),
                "count_seconds": round(best_export["count_seconds"], 3),
                "copy_peak_rss_mb": round(max(r["peak_rss_mb"] for r in copies), 1),
                "rounds": args.rounds,
                "wrong_row_counts": len(wrong),
                "load_average_start_1m": load_at_start,
                "load_average_1m": round(os.getloadavg()[0], 2),
                "targets_met": met,
            }
        )
    )
    return 1 if wrong or audit_failed else 0


if __name__ == "__main__":
    sys.exit(main())
