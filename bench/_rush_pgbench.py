"""Benchmark helpers for `registration_rush.py`: the raw PostgreSQL limit, measured by pgbench.

The same transaction as a registration, and nothing else: lock the session row, insert the
registration, update the session's count. Plain tables of their own (`rush_pgb_*`) in the bench
database, so the numbers do not depend on the application's schema. Needs Django set up (for
the connection settings). A helper, not a benchmark (leading "_").
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from _rush_world import database_host
from django.db import connection

SETUP_SQL = """
DROP TABLE IF EXISTS rush_pgb_registration, rush_pgb_session;
DROP SEQUENCE IF EXISTS rush_pgb_learner;
CREATE TABLE rush_pgb_session (
    id integer PRIMARY KEY,
    capacity integer NOT NULL,
    confirmed integer NOT NULL DEFAULT 0
);
CREATE TABLE rush_pgb_registration (
    id bigserial PRIMARY KEY,
    session_id integer NOT NULL REFERENCES rush_pgb_session (id),
    learner_id bigint NOT NULL,
    status varchar(16) NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (session_id, learner_id)
);
CREATE INDEX ON rush_pgb_registration (session_id, status);
-- A fresh learner for every transaction: the unique key never refuses one.
CREATE SEQUENCE rush_pgb_learner;
"""

# `sid` is set per shape: 1 (hot) or random(1, N) (spread).
SCRIPT = """\\set sid {sid}
BEGIN;
SELECT capacity, confirmed FROM rush_pgb_session WHERE id = :sid FOR UPDATE;
INSERT INTO rush_pgb_registration (session_id, learner_id, status)
    VALUES (:sid, nextval('rush_pgb_learner'), 'confirmed');
UPDATE rush_pgb_session SET confirmed = confirmed + 1 WHERE id = :sid;
END;
"""


@dataclass
class PgbenchResult:
    label: str
    tps: float
    latency_ms: float
    transactions: int
    failed: int
    output: str


def find_pgbench(explicit: str | None) -> str:
    found = explicit or shutil.which("pgbench") or "/usr/bin/pgbench"
    if not Path(found).exists():
        raise RuntimeError("pgbench not found: install the PostgreSQL client or pass --pgbench")
    return found


def prepare(sessions: int, capacity: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(SETUP_SQL)
        cursor.execute(
            "INSERT INTO rush_pgb_session (id, capacity) "
            "SELECT g, %s FROM generate_series(1, %s) g",
            [capacity, sessions],
        )
        cursor.execute("ANALYZE rush_pgb_session")


def reset() -> None:
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE rush_pgb_registration")
        cursor.execute("UPDATE rush_pgb_session SET confirmed = 0")
        cursor.execute("VACUUM ANALYZE rush_pgb_session")


def run(
    label: str,
    *,
    pgbench: str,
    sessions: int,
    clients: int,
    threads: int,
    seconds: int,
) -> PgbenchResult:
    """`pgbench -n -c clients -j threads -T seconds -f script` against the bench database."""
    reset()
    s = connection.settings_dict
    env = dict(os.environ)
    if s["PASSWORD"]:
        env["PGPASSWORD"] = str(s["PASSWORD"])
    sid = "1" if sessions == 1 else f"random(1, {sessions})"
    with tempfile.NamedTemporaryFile("w", suffix=".sql", prefix="rush_pgbench_") as script:
        script.write(SCRIPT.format(sid=sid))
        script.flush()
        command = [pgbench, "-n", "-c", str(clients), "-j", str(threads), "-T", str(seconds)]
        command += ["-f", script.name, "-U", str(s["USER"] or "postgres")]
        if host := database_host():
            command += ["-h", host]
        if s["PORT"]:
            command += ["-p", str(s["PORT"])]
        command.append(str(s["NAME"]))
        finished = subprocess.run(
            command, env=env, capture_output=True, text=True, timeout=seconds + 60, check=False
        )
    output = finished.stdout + finished.stderr
    if finished.returncode != 0:
        raise RuntimeError(f"pgbench failed ({finished.returncode}):\n{output}")
    tps = re.search(r"tps = ([\d.]+) \(without initial connection time\)", output) or re.search(
        r"tps = ([\d.]+)", output
    )
    latency = re.search(r"latency average = ([\d.]+) ms", output)
    done = re.search(r"number of transactions actually processed: (\d+)", output)
    failed = re.search(r"number of failed transactions: (\d+)", output)
    if tps is None:
        raise RuntimeError(f"no tps in pgbench output:\n{output}")
    return PgbenchResult(
        label=label,
        tps=float(tps.group(1)),
        latency_ms=float(latency.group(1)) if latency else 0.0,
        transactions=int(done.group(1)) if done else 0,
        failed=int(failed.group(1)) if failed else 0,
        output=output,
    )
