"""Benchmark helpers for `registration_rush.py`: gunicorn on loopback, the HTTP clients, CPU use.

No Django needed here. A helper, not a benchmark (leading "_").
"""

from __future__ import annotations

import contextlib
import http.client
import itertools
import json
import os
import re
import runpy
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

ROOT = Path(__file__).resolve().parent.parent
REGISTER_PATH = "/api/v1/sessions/{session}/register/"
_ACCESS_LINE = re.compile(r'" \d{3} \d+ "')
EXPECTED = {"confirmed", "waitlisted"}


def production_gunicorn() -> dict[str, Any]:
    """gunicorn's production settings (gunicorn.conf.py, which docker-compose.yml and the
    Dockerfile use too), as that file computes them in this environment."""
    return runpy.run_path(str(ROOT / "gunicorn.conf.py"))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Gunicorn:
    """gunicorn running the TMS with production settings against the bench database.

    Started in a session of its own, so stopping it reaches every worker; `stop()` is safe to
    call twice and is called on every exit path by the benchmark.
    """

    def __init__(
        self, *, workers: int, threads: int, database_url: str, log: Path, conn_max_age: str
    ) -> None:
        self.workers = workers
        self.port = free_port()
        self.log_path = log
        env = dict(os.environ)
        env.update(
            DEBUG="0",
            SECRET_KEY=secrets.token_urlsafe(64),
            ALLOWED_HOSTS="127.0.0.1",
            SECURE_SSL_REDIRECT="0",
            DATABASE_URL=database_url,
            DB_CONN_MAX_AGE=conn_max_age,
            LOG_LEVEL="WARNING",
        )
        env.pop("DJANGO_SETTINGS_MODULE", None)
        self.command = [
            str(Path(sys.executable).parent / "gunicorn"),  # of the venv running the bench
            "tms.wsgi",
            # gunicorn.conf.py in ROOT (the working directory) gives the rest: worker class,
            # keep-alive, access log.
            "-w",
            str(workers),
            "--threads",
            str(threads),
            "-b",
            f"127.0.0.1:{self.port}",
        ]
        self._log = log.open("wb")
        self.process: subprocess.Popen[bytes] | None = subprocess.Popen(
            self.command,
            cwd=ROOT,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited early; see {self.log_path}:\n{self.tail()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    pass
            except OSError:
                time.sleep(0.2)
                continue
            # The master listens before the workers have imported Django: wait for them too.
            if len(self.worker_processes()) >= self.workers:
                return
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not start in {timeout:.0f} s; see {self.log_path}")

    def worker_processes(self) -> list[psutil.Process]:
        if self.process is None:
            return []
        try:
            return psutil.Process(self.process.pid).children()
        except psutil.Error:
            return []

    def tail(self, lines: int = 30) -> str:
        """The end of gunicorn's log, without access-log lines."""
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        kept = [line for line in text.splitlines() if not _ACCESS_LINE.search(line)]
        return "\n".join(kept[-lines:])

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None:
            return
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)  # graceful: the master stops its workers
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
        # Anything of its session still alive (a stuck worker) goes too, by process group id.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        self._log.close()


# --- The clients --------------------------------------------------------------------------------


@dataclass
class HttpResult:
    label: str
    requests: int = 0
    seconds: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    outcomes: Counter[str] = field(default_factory=Counter)  # confirmed / waitlisted / errors
    positions: list[int] = field(default_factory=list)  # waitlist positions answered
    errors: list[str] = field(default_factory=list)  # first few unexpected answers

    @property
    def tps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def unexpected(self) -> int:
        return sum(n for outcome, n in self.outcomes.items() if outcome not in EXPECTED)

    def percentile(self, q: float) -> float:
        data = sorted(self.latencies_ms)
        if not data:
            return 0.0
        return data[min(len(data) - 1, round(q / 100 * (len(data) - 1)))]


def _one(
    conn: http.client.HTTPConnection, path: str, token: str, method: str = "POST"
) -> tuple[int, bytes]:
    headers = {"Authorization": f"Token {token}", "Accept": "application/json"}
    if method == "POST":
        headers["Content-Length"] = "0"
    conn.request(method, path, headers=headers)
    response = conn.getresponse()
    return response.status, response.read()


def run_clients(
    label: str,
    port: int,
    jobs: Sequence[tuple[str, int]],
    *,
    clients: int,
    method: str = "POST",
    path: str = REGISTER_PATH,
) -> HttpResult:
    """`clients` threads, each with its own connection, work through `jobs` (token, session).

    Each registration is sent once (no retries: a POST is not safe to repeat). Latency is per
    request, from sending it to reading the whole answer, (re)connecting included; gunicorn's
    sync workers close the connection after each answer, http.client reopens it.
    """
    result = HttpResult(label)
    counter = itertools.count()  # next() is atomic under the GIL: a shared work queue
    lock = threading.Lock()
    start = threading.Barrier(clients + 1)

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        latencies: list[float] = []
        outcomes: Counter[str] = Counter()
        positions: list[int] = []
        errors: list[str] = []
        start.wait()
        while (index := next(counter)) < len(jobs):
            token, session = jobs[index]
            began = time.perf_counter()
            try:
                status, body = _one(conn, path.format(session=session), token, method)
            except (OSError, http.client.HTTPException) as error:
                latencies.append((time.perf_counter() - began) * 1000)
                outcomes[f"error {type(error).__name__}"] += 1
                errors.append(f"{type(error).__name__}: {error}")
                conn.close()
                continue
            latencies.append((time.perf_counter() - began) * 1000)
            if method != "POST":
                outcomes[f"HTTP {status}"] += 1
                continue
            outcome = f"HTTP {status}"
            if status == 201:
                try:
                    data: Any = json.loads(body)
                    outcome = str(data.get("status"))
                    if outcome == "waitlisted" and data.get("position") is not None:
                        positions.append(int(data["position"]))
                except (ValueError, AttributeError, TypeError):
                    outcome = "HTTP 201 unreadable"
            outcomes[outcome] += 1
            if outcome not in EXPECTED and len(errors) < 5:
                errors.append(f"{outcome}: {body[:300]!r}")
        conn.close()
        with lock:
            result.latencies_ms += latencies
            result.outcomes += outcomes
            result.positions += positions
            result.errors += errors

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    result.seconds = time.perf_counter() - began
    result.requests = len(jobs)
    return result


# --- Where the CPU went -------------------------------------------------------------------------


def _cpu(process: psutil.Process, *, reaped: bool) -> float:
    """CPU seconds of a process (and, with `reaped`, of its children it has waited for)."""
    try:
        times = process.cpu_times()
    except psutil.Error:
        return 0.0
    total = times.user + times.system
    if reaped:
        total += times.children_user + times.children_system
    return total


class CpuMeter:
    """CPU seconds used by the web app (gunicorn), the database server and this benchmark.

    Database backends come and go; their time is found on the live ones plus what the
    postmaster has reaped. Works only when the database server runs on this machine.
    """

    def __init__(self, postmaster_pid: int | None) -> None:
        self.postmaster = psutil.Process(postmaster_pid) if postmaster_pid else None
        self.gunicorn: psutil.Process | None = None

    def snapshot(self) -> dict[str, float]:
        machine = psutil.cpu_times()
        idle = machine.idle + getattr(machine, "iowait", 0.0)
        busy = sum(machine) - idle - getattr(machine, "guest", 0.0)
        me = os.times()
        shot = {
            "bench": me.user + me.system + me.children_user + me.children_system,
            "machine": busy,
            "wall": time.perf_counter(),
            "app": 0.0,
            "db": 0.0,
        }
        for key, root in (("app", self.gunicorn), ("db", self.postmaster)):
            if root is None:
                continue
            shot[key] = _cpu(root, reaped=True) + sum(
                _cpu(child, reaped=False) for child in _children(root)
            )
        return shot

    @staticmethod
    def usage(before: dict[str, float], after: dict[str, float], registrations: int) -> Usage:
        wall = after["wall"] - before["wall"]
        used = {k: after[k] - before[k] for k in ("app", "db", "bench", "machine")}
        others = max(0.0, used["machine"] - used["app"] - used["db"] - used["bench"])
        return Usage(
            app_ms=used["app"] / registrations * 1000,
            db_ms=used["db"] / registrations * 1000,
            bench_ms=used["bench"] / registrations * 1000,
            busy_cores=used["machine"] / wall,
            other_cores=others / wall,
        )


@dataclass
class Usage:
    """CPU per registration by part, and how busy the machine was (others: not ours)."""

    app_ms: float
    db_ms: float
    bench_ms: float
    busy_cores: float
    other_cores: float

    def line(self) -> str:
        return (
            f"CPU per registration: web app {self.app_ms:.2f} ms, database {self.db_ms:.2f} ms, "
            f"bench processes {self.bench_ms:.2f} ms; cores busy {self.busy_cores:.2f} of "
            f"{psutil.cpu_count()}, of which other processes on the machine {self.other_cores:.2f}"
        )


def _children(process: psutil.Process) -> list[psutil.Process]:
    try:
        return process.children()
    except psutil.Error:
        return []
