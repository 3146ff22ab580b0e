"""Soak: does `make run` (serve_all on the embedded default) keep delivering for ten minutes?

    .venv/bin/python bench/soak.py        (or `make bench`; SOAK_SECONDS=60 for a quick try)

Always the embedded default, whatever DATABASE_URL or REDIS_URL say: a fresh embedded
PostgreSQL in .data/soak-<id>/ (so a fresh broker too: it lives in that database), migrated,
with 240 learners (API tokens) and 24 sessions of 3 seats (auto-confirm waitlists). A local
SMTP sink (aiosmtpd) receives the mail. `manage.py serve_all` then runs web, worker and beat
exactly as `make run` does, and 4 client threads drive it over HTTP for SOAK_SECONDS (default
600), each waiting 1-3 s between requests (about 2 a second in all, each sending a mail: a busy
day for one small server, within what one worker sends over SMTP here): a learner without a
place registers for a random session (confirmed or waitlisted), a learner with one cancels it,
which frees a seat the worker then gives to the next on the waitlist. A monitor polls /health/
every 10 s. Afterwards the outbox must drain.

Last line: one JSON object with worker_restarts (children serve_all had to restart; target 0),
mail_queued, mail_delivered, undelivered (target 0 once drained), promotions, and extras.
Exits 1 if a target is missed, a request got a 5xx, or /health/ failed after start-up.
"""

from __future__ import annotations

import atexit
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]
SECONDS = float(os.environ.get("SOAK_SECONDS", "600"))
CLIENTS = 4
LEARNERS = 240
SESSIONS = 24
CAPACITY = 3
DRAIN_SECONDS = 300.0
START_SECONDS = 180.0
WORK_DIR = ROOT / ".data" / f"soak-{uuid.uuid4().hex[:8]}"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


SMTP_PORT = _free_port()
WEB_PORT = _free_port()
# The environment of this process and of serve_all: the embedded default, nothing configured.
for name in ("DATABASE_URL", "REDIS_URL", "BROKER_URL", "SITE_URL", "EMAIL_URL"):
    os.environ.pop(name, None)
os.environ.update(
    {
        "DJANGO_SETTINGS_MODULE": "tms.settings",
        "DEBUG": "1",
        "EMBEDDED_PG_DIR": str(WORK_DIR / "postgres"),
        "EMAIL_URL": f"smtp://127.0.0.1:{SMTP_PORT}",
    }
)
WORK_DIR.mkdir(parents=True)
# Runs last (atexit is last-in, first-out): after the embedded server's own exit handler,
# registered while Django starts, has stopped the server.
atexit.register(lambda: None if KEEP else shutil.rmtree(WORK_DIR, ignore_errors=True))
KEEP = False  # True after a failure: keep the folder and its serve_all.log

import django  # noqa: E402

django.setup()

import logging  # noqa: E402

logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd: a line per SMTP command

from aiosmtpd.controller import Controller  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from notifications.models import MessageStatus, OutboxMessage  # noqa: E402

# What a drained outbox holds: sent mail, and mail skipped as no longer true.
DONE = {MessageStatus.SENT, MessageStatus.SKIPPED}


class Sink:
    """SMTP handler that counts what arrives."""

    def __init__(self) -> None:
        self.received = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        with self.lock:
            self.received += len(envelope.rcpt_tos)
        return "250 OK"


class Client(threading.Thread):
    """Registers and cancels for its own share of the learners until the deadline."""

    def __init__(self, learners: list[Any], sessions: list[int], until: float, seed: int):
        super().__init__(daemon=True)
        self.learners = learners
        self.sessions = sessions
        self.until = until
        self.random = random.Random(seed)  # noqa: S311 - load pattern, not security
        self.places: dict[int, int] = {}  # learner pk -> active registration id
        self.outcomes: Counter[str] = Counter()

    def run(self) -> None:
        while time.monotonic() < self.until:
            learner = self.random.choice(self.learners)
            place = self.places.get(learner.pk)
            if place is None:
                session = self.random.choice(self.sessions)
                status, body = _post(f"/api/v1/sessions/{session}/register/", learner.token)
                if status in (200, 201):
                    self.places[learner.pk] = body["registration"]["id"]
                    self.outcomes[f"register {body['status']}"] += 1
                else:
                    self.outcomes[f"register {status}"] += 1
            else:
                status, _body = _post(f"/api/v1/registrations/{place}/cancel/", learner.token)
                self.outcomes[f"cancel {status}"] += 1
                if status == 200:
                    del self.places[learner.pk]
            time.sleep(self.random.uniform(1.0, 3.0))


def _post(path: str, token: str) -> tuple[int, Any]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{WEB_PORT}{path}",
        data=b"{}",
        method="POST",
        headers={"Authorization": f"Token {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, None
    except OSError:
        return 0, None  # the web server did not answer


def _health() -> tuple[int, dict[str, Any] | None]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{WEB_PORT}/health/", timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")
    except OSError:
        return 0, None


def _status(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text())
    except (FileNotFoundError, ValueError):
        return {}


def _outbox() -> dict[str, int]:
    counts = Counter(OutboxMessage.objects.values_list("status", flat=True))
    connection.close()
    return {str(status): n for status, n in counts.items()}


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt  # SIGTERM like Ctrl+C: the finally block still stops serve_all


def main() -> int:
    global KEEP
    signal.signal(signal.SIGTERM, _interrupt)
    started = time.monotonic()
    call_command("migrate", verbosity=0)
    from _rush_world import build_world

    world = build_world(
        learners=LEARNERS,
        warm_up=0,
        spread=SESSIONS,
        hot_capacity=CAPACITY,
        spread_capacity=CAPACITY,
    )
    connection.close()
    sink = Sink()
    smtp = Controller(sink, hostname="127.0.0.1", port=SMTP_PORT)
    smtp.start()
    status_file = WORK_DIR / "serve_all.json"
    log_path = WORK_DIR / "serve_all.log"
    with log_path.open("w") as log:
        serve_all = subprocess.Popen(
            [
                sys.executable,
                "manage.py",
                "serve_all",
                f"127.0.0.1:{WEB_PORT}",
                f"--status-file={status_file}",
            ],
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    print(f"serve_all on 127.0.0.1:{WEB_PORT}, log in {log_path}", flush=True)
    health: Counter[str] = Counter()
    worst: Counter[str] = Counter()  # the largest ages /health/ reported during the run
    try:
        deadline = time.monotonic() + START_SECONDS
        while _health()[0] != 200:
            if time.monotonic() > deadline or serve_all.poll() is not None:
                raise RuntimeError("serve_all did not become healthy; see " + str(log_path))
            time.sleep(1)
        print(f"healthy after {time.monotonic() - started:.0f} s; driving for {SECONDS:.0f} s")
        until = time.monotonic() + SECONDS
        clients = [
            Client(world.learners[i::CLIENTS], world.spread, until, seed=i) for i in range(CLIENTS)
        ]
        for client in clients:
            client.start()
        while time.monotonic() < until:
            code, body = _health()
            health["ok" if code == 200 else f"failing {code}"] += 1
            for key in ("worker_seen_seconds_ago", "oldest_queued_seconds"):
                worst[key] = max(worst[key], (body or {}).get(key) or 0)
            if code != 200:
                print(f"/health/ answered {code}: {body}", flush=True)
            time.sleep(min(10.0, max(0.0, until - time.monotonic())))
        for client in clients:
            client.join(timeout=60)
        outcomes = sum((client.outcomes for client in clients), Counter())
        print(f"traffic: {dict(outcomes)}", flush=True)
        # Drain: every message sent (or skipped as no longer true), nothing waiting.
        deadline = time.monotonic() + DRAIN_SECONDS
        while time.monotonic() < deadline:
            pending = {s: n for s, n in _outbox().items() if s not in DONE}
            if not pending:
                break
            time.sleep(2)
        drained_after = time.monotonic() - until
        restarts = _status(status_file)
    finally:
        if serve_all.poll() is None:
            serve_all.send_signal(signal.SIGTERM)
        try:
            serve_all.wait(timeout=60)
        except subprocess.TimeoutExpired:
            serve_all.kill()
        smtp.stop()
    outbox = _outbox()
    promoted = OutboxMessage.objects.filter(event_key__startswith="registration.promoted:")
    promotions = promoted.count()
    log_text = log_path.read_text(errors="replace")
    # 0: no answer at all; 5xx: a server error. 4xx answers (a race lost) are expected.
    server_errors = sum(n for key, n in outcomes.items() if key.split()[-1][0] in "05")
    result = {
        "seconds": round(SECONDS),
        "clients": CLIENTS,
        "requests": sum(outcomes.values()),
        "registrations": outcomes["register confirmed"] + outcomes["register waitlisted"],
        "cancellations": outcomes.get("cancel 200", 0),
        "server_errors": server_errors,
        "health_checks": dict(health),
        "max_worker_seen_seconds_ago": worst["worker_seen_seconds_ago"],
        "max_oldest_queued_seconds": worst["oldest_queued_seconds"],
        "drained_after_seconds": round(drained_after),
        "smtp_received": sink.received,
        "unrecoverable_errors": log_text.count("Unrecoverable error"),
        "restarts_by_child": {
            name: child["restarts"] for name, child in restarts.get("children", {}).items()
        },
        "worker_restarts": restarts.get("restarts"),
        "mail_queued": sum(outbox.values()),
        "mail_delivered": outbox.get(MessageStatus.SENT, 0),
        # Not sent on purpose: a "waitlisted" mail for someone who had a seat (or had left)
        # by the time its turn came; the ledger says so.
        "mail_skipped": outbox.get(MessageStatus.SKIPPED, 0),
        "undelivered": sum(n for s, n in outbox.items() if s not in DONE),
        "promotions": promotions,
    }
    missed = [
        name
        for name, bad in (
            ("worker_restarts", result["worker_restarts"] != 0),
            ("undelivered", result["undelivered"] != 0),
            ("server_errors", server_errors != 0),
            ("health", set(health) != {"ok"}),
            ("promotions", promotions == 0),
            ("unrecoverable_errors", result["unrecoverable_errors"] != 0),
        )
        if bad
    ]
    print("targets: " + ("all met" if not missed else "MISSED " + ", ".join(missed)))
    if missed:
        KEEP = True
        print(f"kept {WORK_DIR} (serve_all.log)")
    print(json.dumps(result), flush=True)
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
